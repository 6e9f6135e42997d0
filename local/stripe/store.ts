import { errors } from './errors.js';
import type {
  CustomerRecord,
  InvoiceRecord,
  PaymentMethodRecord,
  PriceRecord,
  ProductRecord,
  SubscriptionItemRecord,
  SubscriptionRecord,
} from './records.js';
import type { StripeSeed } from './seed.js';
import { mergeSeed } from './seeding.js';

/**
 * State of the local Stripe API: the tables of records (records.ts) and the only code that changes
 * them. Writes build the new records first and swap them in last: a rejected request changes nothing.
 * Reading records as Stripe objects is render.ts's job; turning a seed into records is seeding.ts's.
 */

export interface StoreOptions {
  /** Clock in Unix seconds; tests pin it for deterministic periods and preview dates. */
  now?: () => number;
}

/** A snapshot of everything the store holds (records, not rendered objects). */
export interface StoreSnapshot {
  customers: CustomerRecord[];
  paymentMethods: PaymentMethodRecord[];
  products: ProductRecord[];
  prices: PriceRecord[];
  subscriptions: SubscriptionRecord[];
  invoices: InvoiceRecord[];
}

export class StripeStore {
  customers = new Map<string, CustomerRecord>();
  paymentMethods = new Map<string, PaymentMethodRecord>();
  products = new Map<string, ProductRecord>();
  prices = new Map<string, PriceRecord>();
  subscriptions = new Map<string, SubscriptionRecord>();
  invoices = new Map<string, InvoiceRecord>();
  /** Owner subscription of each subscription item id. */
  private itemOwner = new Map<string, string>();
  private idCounter = 0;
  readonly now: () => number;

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  reset(): void {
    this.customers.clear();
    this.paymentMethods.clear();
    this.products.clear();
    this.prices.clear();
    this.subscriptions.clear();
    this.invoices.clear();
    this.itemOwner.clear();
    this.idCounter = 0;
  }

  /** A new id with Stripe's prefix; deterministic per store so test output is stable. */
  newId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}_local${String(this.idCounter).padStart(8, '0')}`;
  }

  snapshot(): StoreSnapshot {
    return structuredClone({
      customers: [...this.customers.values()],
      paymentMethods: [...this.paymentMethods.values()],
      products: [...this.products.values()],
      prices: [...this.prices.values()],
      subscriptions: [...this.subscriptions.values()],
      invoices: [...this.invoices.values()],
    });
  }

  /** Adds (or replaces, by id) the objects of a seed, as a whole: an invalid seed changes nothing. */
  seed(input: StripeSeed): { counts: Record<string, number> } {
    const { tables, counts } = mergeSeed(
      {
        customers: this.customers,
        paymentMethods: this.paymentMethods,
        products: this.products,
        prices: this.prices,
        subscriptions: this.subscriptions,
        invoices: this.invoices,
        itemOwner: this.itemOwner,
      },
      input,
      () => this.now(),
    );
    this.customers = tables.customers;
    this.paymentMethods = tables.paymentMethods;
    this.products = tables.products;
    this.prices = tables.prices;
    this.subscriptions = tables.subscriptions;
    this.invoices = tables.invoices;
    this.itemOwner = tables.itemOwner;
    return { counts };
  }

  // ---- lookups that throw Stripe's 404 ----

  customer(id: string): CustomerRecord {
    const c = this.customers.get(id);
    if (!c) throw errors.missing('customer', id);
    return c;
  }
  paymentMethod(id: string): PaymentMethodRecord {
    const pm = this.paymentMethods.get(id);
    if (!pm) throw errors.missing('PaymentMethod', id);
    return pm;
  }
  product(id: string): ProductRecord {
    const p = this.products.get(id);
    if (!p) throw errors.missing('product', id);
    return p;
  }
  /** A price; `param` names the request parameter that referenced it (then an unknown price is a 400). */
  price(id: string, param?: string): PriceRecord {
    const p = this.prices.get(id);
    if (!p)
      throw param === undefined ? errors.missing('price', id) : errors.missingReference('price', id, param);
    return p;
  }
  subscription(id: string): SubscriptionRecord {
    const s = this.subscriptions.get(id);
    if (!s) throw errors.missing('subscription', id);
    return s;
  }
  subscriptionItem(id: string): { subscription: SubscriptionRecord; item: SubscriptionItemRecord } {
    const owner = this.itemOwner.get(id);
    const subscription = owner === undefined ? undefined : this.subscriptions.get(owner);
    const item = subscription?.items.find((i) => i.id === id);
    if (!subscription || !item) throw errors.missing('subscription_item', id);
    return { subscription, item };
  }
  invoice(id: string): InvoiceRecord {
    const inv = this.invoices.get(id);
    if (!inv) throw errors.missing('invoice', id);
    return inv;
  }

  // ---- writes: callers pass fully validated replacements; these only swap records in ----

  putCustomer(next: CustomerRecord): void {
    this.customers.set(next.id, next);
  }
  putInvoice(next: InvoiceRecord): void {
    this.invoices.set(next.id, next);
  }
  putSubscription(next: SubscriptionRecord): void {
    const previous = this.subscriptions.get(next.id);
    for (const item of previous?.items ?? []) this.itemOwner.delete(item.id);
    for (const item of next.items) this.itemOwner.set(item.id, next.id);
    this.subscriptions.set(next.id, next);
  }
}

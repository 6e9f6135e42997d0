import type Stripe from 'stripe';
import { errors, StripeApiError } from './errors.js';
import { type InvoiceStatus, type StripeSeed, StripeSeedSchema, type SubscriptionStatus } from './seed.js';

/**
 * State of the local Stripe API: compact records, rendered into the `stripe` package's own object types
 * on every read, so responses keep Stripe's shapes (checked by the compiler against stripe@23's types).
 * Writes build the new records first and swap them in last: a rejected request changes nothing.
 */

type Decimal = NonNullable<Stripe.Price['unit_amount_decimal']>;
/** The JSON wire form of a Stripe type: the SDK's Decimal fields travel as strings. */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Decimal
    ? string
    : T extends (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

type Metadata = Record<string, string>;
type Interval = 'day' | 'week' | 'month' | 'year';

export interface CustomerRecord {
  id: string;
  email: string | null;
  name: string | null;
  description: string | null;
  metadata: Metadata;
  default_payment_method: string | null;
  created: number;
}
export interface PaymentMethodRecord {
  id: string;
  customer: string | null;
  card: { brand: string; last4: string; exp_month: number; exp_year: number };
  metadata: Metadata;
  created: number;
}
export interface ProductRecord {
  id: string;
  name: string;
  active: boolean;
  metadata: Metadata;
  created: number;
  updated: number;
}
export interface PriceRecord {
  id: string;
  product: string;
  currency: string;
  unit_amount: number | null;
  recurring: { interval: Interval; interval_count: number } | null;
  active: boolean;
  lookup_key: string | null;
  nickname: string | null;
  metadata: Metadata;
  created: number;
}
export interface SubscriptionItemRecord {
  id: string;
  price: string;
  quantity: number;
  metadata: Metadata;
  created: number;
  current_period_start: number;
  current_period_end: number;
}
export interface SubscriptionRecord {
  id: string;
  customer: string;
  status: SubscriptionStatus;
  items: SubscriptionItemRecord[];
  metadata: Metadata;
  created: number;
  start_date: number;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  /** cancellation_details.comment/feedback given on cancel: the dashboard's "why" (heals stamp it). */
  cancellation_comment?: string | null;
  cancellation_feedback?: string | null;
  ended_at: number | null;
  default_payment_method: string | null;
  collection_method: 'charge_automatically' | 'send_invoice';
  currency: string;
  description: string | null;
}
export interface InvoiceLineRecord {
  id: string;
  price: string | null;
  quantity: number | null;
  amount: number;
  description: string | null;
  subscription_item: string | null;
  period_start: number;
  period_end: number;
  metadata: Metadata;
}
export interface InvoiceRecord {
  id: string;
  customer: string;
  subscription: string | null;
  status: InvoiceStatus;
  currency: string;
  amount_due: number;
  amount_paid: number;
  billing_reason: Stripe.Invoice.BillingReason | null;
  created: number;
  period_start: number;
  period_end: number;
  due_date: number | null;
  number: string | null;
  metadata: Metadata;
  lines: InvoiceLineRecord[];
}

const DAY = 86_400;

/** End of one billing period that starts at `start` (calendar months/years, like Stripe). */
export function addInterval(start: number, interval: Interval, count: number): number {
  if (interval === 'day') return start + count * DAY;
  if (interval === 'week') return start + count * 7 * DAY;
  const d = new Date(start * 1000);
  if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
  else d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
}

export type ObjectKind =
  | 'customer'
  | 'payment_method'
  | 'product'
  | 'price'
  | 'subscription'
  | 'subscription_item'
  | 'invoice';

/** The kind of object an id names, from Stripe's id prefixes. */
export function kindOfId(id: string): ObjectKind | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  switch (prefix) {
    case 'cus':
      return 'customer';
    case 'pm':
      return 'payment_method';
    case 'prod':
      return 'product';
    case 'price':
      return 'price';
    case 'sub':
      return 'subscription';
    case 'si':
      return 'subscription_item';
    case 'in':
      return 'invoice';
    default:
      return undefined;
  }
}

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

  /**
   * Adds (or replaces, by id) the objects of a seed. The seed is validated as a whole first, references
   * included (against the seed and what is already stored): an invalid seed changes nothing.
   */
  seed(input: StripeSeed): { counts: Record<string, number> } {
    const parsed = StripeSeedSchema.safeParse(input);
    if (!parsed.success) {
      throw new Error(
        `invalid Stripe seed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const seed = parsed.data;
    const now = this.now();
    const problems: string[] = [];
    const customers = new Map(this.customers);
    const paymentMethods = new Map(this.paymentMethods);
    const products = new Map(this.products);
    const prices = new Map(this.prices);
    const subscriptions = new Map(this.subscriptions);
    const invoices = new Map(this.invoices);
    const itemOwner = new Map(this.itemOwner);

    for (const c of seed.customers ?? []) {
      customers.set(c.id, {
        id: c.id,
        email: c.email ?? null,
        name: c.name ?? null,
        description: c.description ?? null,
        metadata: { ...(c.metadata ?? {}) },
        default_payment_method: c.default_payment_method ?? null,
        created: c.created ?? now,
      });
    }
    for (const pm of seed.payment_methods ?? []) {
      paymentMethods.set(pm.id, {
        id: pm.id,
        customer: pm.customer,
        card: pm.card ?? { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034 },
        metadata: { ...(pm.metadata ?? {}) },
        created: pm.created ?? now,
      });
    }
    for (const p of seed.products ?? []) {
      products.set(p.id, {
        id: p.id,
        name: p.name,
        active: p.active ?? true,
        metadata: { ...(p.metadata ?? {}) },
        created: p.created ?? now,
        updated: p.created ?? now,
      });
    }
    for (const p of seed.prices ?? []) {
      prices.set(p.id, {
        id: p.id,
        product: p.product,
        currency: p.currency ?? 'usd',
        unit_amount: p.unit_amount,
        recurring:
          p.recurring === null
            ? null
            : {
                interval: p.recurring?.interval ?? 'month',
                interval_count: p.recurring?.interval_count ?? 1,
              },
        active: p.active ?? true,
        lookup_key: p.lookup_key ?? null,
        nickname: p.nickname ?? null,
        metadata: { ...(p.metadata ?? {}) },
        created: p.created ?? now,
      });
    }
    for (const s of seed.subscriptions ?? []) {
      const created = s.created ?? now;
      const firstPrice = prices.get(s.items[0]?.price ?? '');
      const interval = firstPrice?.recurring ?? { interval: 'month' as const, interval_count: 1 };
      const periodStart = s.current_period_start ?? s.start_date ?? created;
      const periodEnd =
        s.current_period_end ?? addInterval(periodStart, interval.interval, interval.interval_count);
      const previous = subscriptions.get(s.id);
      for (const item of previous?.items ?? []) itemOwner.delete(item.id);
      const status = s.status ?? 'active';
      const items = s.items.map((item, index) => {
        const id = item.id ?? `si_${s.id.slice(4)}_${index}`;
        if (itemOwner.has(id)) problems.push(`subscription item ${id} appears twice`);
        itemOwner.set(id, s.id);
        return {
          id,
          price: item.price,
          quantity: item.quantity ?? 1,
          metadata: { ...(item.metadata ?? {}) },
          created: item.created ?? created,
          current_period_start: periodStart,
          current_period_end: periodEnd,
        };
      });
      subscriptions.set(s.id, {
        id: s.id,
        customer: s.customer,
        status,
        items,
        metadata: { ...(s.metadata ?? {}) },
        created,
        start_date: s.start_date ?? created,
        cancel_at_period_end: s.cancel_at_period_end ?? false,
        canceled_at: s.canceled_at ?? (status === 'canceled' ? periodStart : null),
        ended_at: status === 'canceled' ? (s.canceled_at ?? periodStart) : null,
        default_payment_method: s.default_payment_method ?? null,
        collection_method: s.collection_method ?? 'charge_automatically',
        currency: s.currency ?? firstPrice?.currency ?? 'usd',
        description: s.description ?? null,
      });
    }
    for (const inv of seed.invoices ?? []) {
      const created = inv.created ?? now;
      const status = inv.status ?? 'paid';
      invoices.set(inv.id, {
        id: inv.id,
        customer: inv.customer,
        subscription: inv.subscription ?? null,
        status,
        currency: inv.currency ?? 'usd',
        amount_due: inv.amount_due,
        amount_paid: inv.amount_paid ?? (status === 'paid' ? inv.amount_due : 0),
        billing_reason: inv.billing_reason ?? (inv.subscription ? 'subscription_cycle' : 'manual'),
        created,
        period_start: inv.period_start ?? created,
        period_end: inv.period_end ?? created,
        due_date: inv.due_date ?? null,
        number: inv.number ?? null,
        metadata: { ...(inv.metadata ?? {}) },
        lines: (inv.lines ?? []).map((line, index) => ({
          id: `il_${inv.id.slice(3)}_${index}`,
          price: line.price ?? null,
          quantity: line.quantity ?? null,
          amount: line.amount,
          description: line.description ?? null,
          subscription_item: line.subscription_item ?? null,
          period_start: line.period_start ?? inv.period_start ?? created,
          period_end: line.period_end ?? inv.period_end ?? created,
          metadata: { ...(line.metadata ?? {}) },
        })),
      });
    }

    // References, checked against the merged state so a seed may be split over several calls.
    for (const c of customers.values()) {
      const pm = c.default_payment_method;
      if (pm !== null && paymentMethods.get(pm)?.customer !== c.id) {
        problems.push(`customer ${c.id}: default payment method ${pm} is not attached to it`);
      }
    }
    for (const pm of paymentMethods.values()) {
      if (pm.customer !== null && !customers.has(pm.customer)) {
        problems.push(`payment method ${pm.id}: unknown customer ${pm.customer}`);
      }
    }
    for (const p of prices.values()) {
      if (!products.has(p.product)) problems.push(`price ${p.id}: unknown product ${p.product}`);
    }
    for (const s of subscriptions.values()) {
      if (!customers.has(s.customer)) problems.push(`subscription ${s.id}: unknown customer ${s.customer}`);
      const seen = new Set<string>();
      for (const item of s.items) {
        const price = prices.get(item.price);
        if (!price) problems.push(`subscription ${s.id}: unknown price ${item.price}`);
        else if (price.recurring === null)
          problems.push(`subscription ${s.id}: price ${item.price} is not recurring`);
        if (seen.has(item.price))
          problems.push(`subscription ${s.id}: price ${item.price} appears on two items`);
        seen.add(item.price);
      }
    }
    for (const inv of invoices.values()) {
      if (!customers.has(inv.customer)) problems.push(`invoice ${inv.id}: unknown customer ${inv.customer}`);
      if (inv.subscription !== null && !subscriptions.has(inv.subscription)) {
        problems.push(`invoice ${inv.id}: unknown subscription ${inv.subscription}`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`invalid Stripe seed: ${problems.slice(0, 20).join('; ')}`);
    }

    this.customers = customers;
    this.paymentMethods = paymentMethods;
    this.products = products;
    this.prices = prices;
    this.subscriptions = subscriptions;
    this.invoices = invoices;
    this.itemOwner = itemOwner;
    return {
      counts: {
        customers: seed.customers?.length ?? 0,
        payment_methods: seed.payment_methods?.length ?? 0,
        products: seed.products?.length ?? 0,
        prices: seed.prices?.length ?? 0,
        subscriptions: seed.subscriptions?.length ?? 0,
        invoices: seed.invoices?.length ?? 0,
      },
    };
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
  price(id: string, param = 'id'): PriceRecord {
    const p = this.prices.get(id);
    if (!p) throw errors.missing('price', id, param);
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

  // ---- rendering into Stripe's shapes ----

  renderById(id: string): unknown {
    switch (kindOfId(id)) {
      case 'customer':
        return this.renderCustomer(this.customer(id));
      case 'payment_method':
        return this.renderPaymentMethod(this.paymentMethod(id));
      case 'product':
        return this.renderProduct(this.product(id));
      case 'price':
        return this.renderPrice(this.price(id));
      case 'subscription':
        return this.renderSubscription(this.subscription(id));
      case 'subscription_item': {
        const { subscription, item } = this.subscriptionItem(id);
        return this.renderItem(subscription, item);
      }
      case 'invoice':
        return this.renderInvoice(this.invoice(id));
      default:
        return undefined;
    }
  }

  renderCustomer(c: CustomerRecord): Wire<Stripe.Customer> {
    return {
      id: c.id,
      object: 'customer',
      address: null,
      balance: 0,
      created: c.created,
      currency: 'usd',
      default_source: null,
      delinquent: false,
      description: c.description,
      discount: null,
      email: c.email,
      invoice_prefix: c.id.slice(4, 12).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: c.default_payment_method,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: { ...c.metadata },
      name: c.name,
      next_invoice_sequence: 1,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
  }

  renderPaymentMethod(pm: PaymentMethodRecord): Wire<Stripe.PaymentMethod> {
    return {
      id: pm.id,
      object: 'payment_method',
      allow_redisplay: 'unspecified',
      billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
      card: {
        brand: pm.card.brand,
        checks: null,
        country: 'US',
        display_brand: pm.card.brand,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        funding: 'credit',
        generated_from: null,
        last4: pm.card.last4,
        networks: { available: [pm.card.brand], preferred: null },
        regulated_status: 'unregulated',
        three_d_secure_usage: { supported: true },
        wallet: null,
      },
      created: pm.created,
      customer: pm.customer,
      customer_account: null,
      livemode: false,
      metadata: { ...pm.metadata },
      type: 'card',
    };
  }

  renderProduct(p: ProductRecord): Wire<Stripe.Product> {
    return {
      id: p.id,
      object: 'product',
      active: p.active,
      created: p.created,
      default_price: null,
      description: null,
      images: [],
      livemode: false,
      marketing_features: [],
      metadata: { ...p.metadata },
      name: p.name,
      package_dimensions: null,
      shippable: null,
      tax_code: null,
      tax_details: null,
      type: 'service',
      unit_label: null,
      updated: p.updated,
      url: null,
    };
  }

  renderPrice(p: PriceRecord): Wire<Stripe.Price> {
    return {
      id: p.id,
      object: 'price',
      active: p.active,
      billing_scheme: 'per_unit',
      created: p.created,
      currency: p.currency,
      custom_unit_amount: null,
      livemode: false,
      lookup_key: p.lookup_key,
      metadata: { ...p.metadata },
      nickname: p.nickname,
      product: p.product,
      recurring:
        p.recurring === null
          ? null
          : {
              interval: p.recurring.interval,
              interval_count: p.recurring.interval_count,
              meter: null,
              trial_period_days: null,
              usage_type: 'licensed',
            },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: p.recurring === null ? 'one_time' : 'recurring',
      unit_amount: p.unit_amount,
      unit_amount_decimal: p.unit_amount === null ? null : String(p.unit_amount),
    };
  }

  private renderPlan(p: PriceRecord): Wire<Stripe.Plan> {
    return {
      id: p.id,
      object: 'plan',
      active: p.active,
      amount: p.unit_amount,
      amount_decimal: p.unit_amount === null ? null : String(p.unit_amount),
      billing_scheme: 'per_unit',
      created: p.created,
      currency: p.currency,
      interval: p.recurring?.interval ?? 'month',
      interval_count: p.recurring?.interval_count ?? 1,
      livemode: false,
      metadata: { ...p.metadata },
      meter: null,
      nickname: p.nickname,
      product: p.product,
      tiers_mode: null,
      transform_usage: null,
      trial_period_days: null,
      usage_type: 'licensed',
    };
  }

  renderItem(s: SubscriptionRecord, item: SubscriptionItemRecord): Wire<Stripe.SubscriptionItem> {
    const price = this.price(item.price);
    return {
      id: item.id,
      object: 'subscription_item',
      billing_thresholds: null,
      created: item.created,
      current_period_end: item.current_period_end,
      current_period_start: item.current_period_start,
      current_trial: null,
      discounts: [],
      metadata: { ...item.metadata },
      plan: this.renderPlan(price),
      price: this.renderPrice(price),
      quantity: item.quantity,
      subscription: s.id,
      tax_rates: [],
    };
  }

  renderSubscription(s: SubscriptionRecord): Wire<Stripe.Subscription> {
    const latest = this.latestInvoiceOf(s.id);
    const periodEnd = Math.min(...s.items.map((i) => i.current_period_end));
    return {
      id: s.id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: s.items[0]?.current_period_start ?? s.start_date,
      billing_cycle_anchor_config: null,
      billing_mode: { flexible: null, type: 'classic' },
      billing_schedules: [],
      billing_thresholds: null,
      cancel_at: s.cancel_at_period_end ? periodEnd : null,
      cancel_at_period_end: s.cancel_at_period_end,
      canceled_at: s.canceled_at,
      cancellation_details: {
        comment: s.cancellation_comment ?? null,
        feedback: (s.cancellation_feedback ??
          null) as Stripe.Subscription.CancellationDetails.Feedback | null,
        feedback_option: null,
        reason: s.canceled_at === null ? null : 'cancellation_requested',
      },
      collection_method: s.collection_method,
      created: s.created,
      currency: s.currency,
      customer: s.customer,
      customer_account: null,
      days_until_due: null,
      default_payment_method: s.default_payment_method,
      default_source: null,
      default_tax_rates: [],
      description: s.description,
      discounts: [],
      ended_at: s.ended_at,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      items: {
        object: 'list',
        data: s.items.map((item) => this.renderItem(s, item)),
        has_more: false,
        url: `/v1/subscription_items?subscription=${s.id}`,
      },
      latest_invoice: latest?.id ?? null,
      livemode: false,
      managed_payments: null,
      metadata: { ...s.metadata },
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: {
        payment_method_options: null,
        payment_method_types: null,
        save_default_payment_method: 'off',
      },
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: s.start_date,
      status: s.status,
      test_clock: null,
      transfer_data: null,
      trial_end: null,
      trial_settings: {
        end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
      },
      trial_start: null,
    };
  }

  private latestInvoiceOf(subscriptionId: string): InvoiceRecord | undefined {
    let latest: InvoiceRecord | undefined;
    for (const inv of this.invoices.values()) {
      if (inv.subscription === subscriptionId && (!latest || inv.created > latest.created)) latest = inv;
    }
    return latest;
  }

  renderInvoice(inv: InvoiceRecord, preview?: { subscriptionMetadata: Metadata }): Wire<Stripe.Invoice> {
    const subtotal = inv.lines.reduce((sum, l) => sum + l.amount, 0);
    const paidAt = inv.status === 'paid' ? inv.created : null;
    const finalized = inv.status === 'draft' ? null : inv.created;
    const subscription = inv.subscription === null ? undefined : this.subscriptions.get(inv.subscription);
    return {
      id: inv.id,
      object: 'invoice',
      account_country: 'US',
      account_name: 'Local Stripe',
      account_tax_ids: null,
      amount_due: inv.amount_due,
      amount_overpaid: 0,
      amount_paid: inv.amount_paid,
      amount_remaining: Math.max(0, inv.amount_due - inv.amount_paid),
      amount_shipping: 0,
      application: null,
      attempt_count: inv.status === 'paid' ? 1 : 0,
      attempted: inv.status !== 'draft',
      auto_advance: inv.status === 'draft' || inv.status === 'open',
      automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
      automatically_finalizes_at: inv.status === 'draft' ? inv.created + 3600 : null,
      billing_reason: inv.billing_reason,
      collection_method: subscription?.collection_method ?? 'charge_automatically',
      created: inv.created,
      currency: inv.currency,
      custom_fields: null,
      customer: inv.customer,
      customer_account: null,
      customer_address: null,
      customer_email: this.customers.get(inv.customer)?.email ?? null,
      customer_name: this.customers.get(inv.customer)?.name ?? null,
      customer_phone: null,
      customer_shipping: null,
      customer_tax_exempt: 'none',
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      due_date: inv.due_date,
      effective_at: finalized,
      ending_balance: inv.status === 'draft' ? null : 0,
      footer: null,
      from_invoice: null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: {
        object: 'list',
        data: inv.lines.map((l) => this.renderLine(inv, l)),
        has_more: false,
        url: `/v1/invoices/${inv.id}/lines`,
      },
      livemode: false,
      metadata: { ...inv.metadata },
      next_payment_attempt: inv.status === 'open' || inv.status === 'draft' ? inv.created + 3600 : null,
      number: inv.number,
      on_behalf_of: null,
      parent:
        inv.subscription === null
          ? null
          : {
              quote_details: null,
              subscription_details: {
                metadata:
                  preview?.subscriptionMetadata ?? (subscription ? { ...subscription.metadata } : null),
                subscription: inv.subscription,
              },
              type: 'subscription_details',
            },
      payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
      period_end: inv.period_end,
      period_start: inv.period_start,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: inv.status,
      status_transitions: {
        finalized_at: finalized,
        marked_uncollectible_at: inv.status === 'uncollectible' ? inv.created : null,
        paid_at: paidAt,
        voided_at: inv.status === 'void' ? inv.created : null,
      },
      subtotal,
      subtotal_excluding_tax: subtotal,
      test_clock: null,
      total: subtotal,
      total_discount_amounts: [],
      total_excluding_tax: subtotal,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      webhooks_delivered_at: finalized,
    };
  }

  private renderLine(inv: InvoiceRecord, l: InvoiceLineRecord): Wire<Stripe.InvoiceLineItem> {
    const price = l.price === null ? undefined : this.prices.get(l.price);
    return {
      id: l.id,
      object: 'line_item',
      amount: l.amount,
      currency: inv.currency,
      description: l.description,
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: inv.id,
      livemode: false,
      metadata: { ...l.metadata },
      parent:
        l.subscription_item === null
          ? null
          : {
              invoice_item_details: null,
              subscription_item_details: {
                invoice_item: null,
                proration: false,
                proration_details: { credited_items: null },
                subscription: inv.subscription,
                subscription_item: l.subscription_item,
              },
              type: 'subscription_item_details',
            },
      period: { start: l.period_start, end: l.period_end },
      pretax_credit_amounts: [],
      pricing: price
        ? {
            price_details: { price: price.id, product: price.product },
            type: 'price_details',
            unit_amount_decimal: price.unit_amount === null ? null : String(price.unit_amount),
          }
        : null,
      quantity: l.quantity,
      quantity_decimal: l.quantity === null ? null : String(l.quantity),
      subscription: inv.subscription,
      subtotal: l.amount,
      taxes: [],
    };
  }

  /**
   * The next invoice of a subscription as `invoices.createPreview` returns it: dated at the end of the
   * current period, billing every item for the next period at its current price and quantity.
   */
  previewInvoice(customerId: string, subscriptionId: string | undefined): Wire<Stripe.Invoice> {
    const customer = this.customer(customerId);
    const candidates = [...this.subscriptions.values()].filter(
      (s) =>
        s.customer === customer.id &&
        (subscriptionId === undefined || s.id === subscriptionId) &&
        s.status !== 'canceled' &&
        s.status !== 'incomplete_expired' &&
        !s.cancel_at_period_end,
    );
    if (subscriptionId !== undefined) {
      const sub = this.subscription(subscriptionId);
      if (sub.customer !== customer.id) {
        throw errors.invalid(
          `The subscription ${sub.id} does not belong to customer ${customer.id}.`,
          'subscription',
        );
      }
    }
    candidates.sort(
      (a, b) =>
        Math.min(...a.items.map((i) => i.current_period_end)) -
        Math.min(...b.items.map((i) => i.current_period_end)),
    );
    const sub = candidates[0];
    if (!sub) {
      throw new StripeApiError(404, {
        type: 'invalid_request_error',
        code: 'invoice_upcoming_none',
        message: `No upcoming invoices for customer: ${customer.id}`,
      });
    }
    const periodStart = Math.min(...sub.items.map((i) => i.current_period_end));
    const lines: InvoiceLineRecord[] = sub.items.map((item, index) => {
      const price = this.price(item.price);
      const recurring = price.recurring ?? { interval: 'month' as const, interval_count: 1 };
      return {
        id: `il_upcoming_${sub.id.slice(4)}_${index}`,
        price: price.id,
        quantity: item.quantity,
        amount: (price.unit_amount ?? 0) * item.quantity,
        description: `${item.quantity} × ${this.products.get(price.product)?.name ?? price.product}`,
        subscription_item: item.id,
        period_start: item.current_period_end,
        period_end: addInterval(item.current_period_end, recurring.interval, recurring.interval_count),
        metadata: {},
      };
    });
    const total = lines.reduce((sum, l) => sum + l.amount, 0);
    const record: InvoiceRecord = {
      id: `upcoming_in_${sub.id.slice(4)}`,
      customer: customer.id,
      subscription: sub.id,
      status: 'draft',
      currency: sub.currency,
      amount_due: total,
      amount_paid: 0,
      billing_reason: 'subscription_cycle',
      created: periodStart,
      period_start: sub.items[0]?.current_period_start ?? periodStart,
      period_end: periodStart,
      due_date: null,
      number: null,
      metadata: {},
      lines,
    };
    return this.renderInvoice(record, { subscriptionMetadata: { ...sub.metadata } });
  }
}

import type { AccountGates, DunningState } from '../../shared/domain/account-view.js';
import { StoreRowSink, type StoreRows } from '../stores/rows.js';
import type { StripeSeed } from '../stripe/seed.js';
import type { AccountSeedEntry } from '../zones/accounts.js';
import type { SubsApiSeed } from '../zones/subs-api-seed.js';
import type { ZoneSeed } from '../zones/table.js';
import { type Cell, emitAccountRows, emitCatalogueRows, type MirrorTable, type RowSink } from './rows.js';
import { type AccountState, accountStates, type World } from './world.js';

/**
 * The live side of a synthetic world on one snapshot date (by default the last, "today"): what the local
 * Stripe, subs-api and www hold, the rows of the company databases (OPE, billing_prod, cf_prod), and the
 * per-account gates Firestore holds. The mirror (BigQuery) is loaded from the same world, so live and
 * mirror agree exactly as they would the morning after a snapshot; subs-api's accounts and the databases
 * are filled from the very mirror rows of that date.
 */

export interface WorldSeeds {
  readonly stripe: StripeSeed;
  readonly subsApi: SubsApiSeed & { accounts: AccountSeedEntry[] };
  readonly www: ZoneSeed;
  /** The rows of OPE, billing_prod and cf_prod (local/stores). */
  readonly stores: StoreRows;
  readonly gates: Map<string, AccountGates>;
  readonly snapshotDate: string;
  readonly accounts: number;
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

function addStripeSide(
  seed: Required<Pick<StripeSeed, 'customers' | 'payment_methods' | 'subscriptions' | 'invoices'>>,
  state: AccountState,
): void {
  const side = state.stripe;
  if (side === null || side.customer === null || side.customer.deleted) return; // absent in Stripe: resource_missing
  const pmIds = new Set(side.paymentMethods.map((m) => m.id));
  seed.customers.push({
    id: side.customer.id,
    metadata: { ...side.customer.metadata },
    default_payment_method:
      side.customer.defaultPaymentMethodId !== null && pmIds.has(side.customer.defaultPaymentMethodId)
        ? side.customer.defaultPaymentMethodId
        : null,
    created: unix(side.customerCreated),
  });
  for (const m of side.paymentMethods) {
    seed.payment_methods.push({
      id: m.id,
      customer: side.customer.id,
      type: 'card',
      card: {
        brand: 'visa',
        last4: '4242',
        exp_month: m.cardExpMonth ?? 12,
        exp_year: m.cardExpYear ?? 2099,
      },
    });
  }
  for (const s of side.subscriptions) {
    if (s.items.length === 0) continue;
    seed.subscriptions.push({
      id: s.id,
      customer: side.customer.id,
      status: s.status,
      currency: s.currency,
      cancel_at_period_end: s.cancelAtPeriodEnd,
      metadata: { ...s.metadata },
      created: unix(s.created),
      current_period_start: unix(s.currentPeriodStart),
      current_period_end: unix(s.currentPeriodEnd),
      // Stripe refuses one price on two items of a subscription; the generator can draw that, so the
      // live side keeps the first (the planner then sees the other as missing and reports duplicate_price).
      items: s.items
        .filter((i, n, all) => all.findIndex((j) => j.price.id === i.price.id) === n)
        .map((i) => ({ id: i.id, price: i.price.id, quantity: i.quantity, metadata: { ...i.metadata } })),
    });
  }
  for (const inv of side.invoices) {
    seed.invoices.push({
      id: inv.id,
      customer: side.customer.id,
      subscription: inv.subscriptionId,
      status: inv.status,
      currency: inv.currency,
      amount_due: inv.amountDueMinor,
      created: unix(inv.created),
      metadata: { ...inv.metadata },
      lines: inv.subscriptionItemIds.map((id) => ({ subscription_item: id, amount: 0 })),
    });
  }
}

/** subs-api's accounts from the subs_account, subs_customer and subs_dunning mirror rows. */
class SubsAccountSink implements RowSink {
  private readonly byId = new Map<string, AccountSeedEntry>();

  row(table: MirrorTable, cells: Cell[]): void {
    if (table !== 'subs_account' && table !== 'subs_customer' && table !== 'subs_dunning') return;
    const [, accountId, value, merged] = cells as [string, string, string | null, readonly string[]];
    let entry = this.byId.get(accountId);
    if (!entry) {
      // No subs_dunning row means not in dunning, as the mirror reads it.
      entry = {
        accountId,
        accountType: '',
        mergedAccountIds: [],
        stripeCustomerId: null,
        dunning: { state: 'none' },
      };
      this.byId.set(accountId, entry);
    }
    if (table === 'subs_account') {
      entry.accountType = value as string;
      entry.mergedAccountIds = [...merged];
    } else if (table === 'subs_customer') entry.stripeCustomerId = value;
    else entry.dunning = { state: value as DunningState };
  }

  accounts(): AccountSeedEntry[] {
    return [...this.byId.values()];
  }
}

export function seedsFromWorld(world: World, dateIndex = world.dates.length - 1): WorldSeeds {
  const products = [...new Set(world.prices.map((p) => p.productId))].sort();
  const stripe = { customers: [], payment_methods: [], subscriptions: [], invoices: [] } as Required<
    Pick<StripeSeed, 'customers' | 'payment_methods' | 'subscriptions' | 'invoices'>
  >;
  const subsApi: ZoneSeed = { zones: [] };
  const www: ZoneSeed = { zones: [] };
  const gates = new Map<string, AccountGates>();
  const snapshotDate = world.dates[dateIndex] as string;
  const stores = new StoreRowSink();
  const subsAccounts = new SubsAccountSink();
  const live: RowSink = {
    row(table, cells) {
      stores.row(table, cells);
      subsAccounts.row(table, cells);
    },
  };
  emitCatalogueRows(world, snapshotDate, live);
  for (const state of accountStates(world, dateIndex)) {
    emitAccountRows(state, live);
    addStripeSide(stripe, state);
    gates.set(state.accountId, state.gates);
    for (const z of state.zones) {
      if (z.subsApiPlan !== null)
        subsApi.zones.push({
          zoneId: z.zoneId,
          accountId: state.accountId,
          planLevel: z.subsApiPlan as never,
        });
      if (z.wwwPlan !== null)
        www.zones.push({ zoneId: z.zoneId, accountId: state.accountId, planLevel: z.wwwPlan as never });
    }
  }
  return {
    stripe: {
      products: products.map((id) => ({ id, name: id.replace(/^prod_/, '') })),
      prices: world.prices.map((p) => ({
        id: p.id,
        product: p.productId,
        currency: p.currency,
        unit_amount: p.unitAmountMinor,
        recurring: { interval: p.interval },
      })),
      ...stripe,
    },
    subsApi: { ...subsApi, accounts: subsAccounts.accounts() },
    www,
    stores: stores.rows,
    gates,
    snapshotDate,
    accounts: world.accounts,
  };
}

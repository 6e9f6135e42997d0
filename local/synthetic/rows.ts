/**
 * Mirror rows of the synthetic world: what the nightly mirror jobs would land in billing_mirror for each
 * snapshot date. Column order = the DDL files' order (a test holds them together).
 */
import type { AccountState, World } from './world.js';

export const MIRROR_COLUMNS = {
  stripe_customers: [
    'snapshot_date',
    'id',
    'created',
    'deleted',
    'currency',
    'default_payment_method_id',
    'metadata',
  ],
  stripe_payment_methods: [
    'snapshot_date',
    'id',
    'customer_id',
    'payment_method_type',
    'card_exp_month',
    'card_exp_year',
    'created',
  ],
  stripe_subscriptions: [
    'snapshot_date',
    'id',
    'customer_id',
    'status',
    'currency',
    'cancel_at_period_end',
    'current_period_start',
    'current_period_end',
    'trial_end',
    'created',
    'metadata',
  ],
  stripe_subscription_items: [
    'snapshot_date',
    'id',
    'subscription_id',
    'price_id',
    'quantity',
    'created',
    'metadata',
  ],
  stripe_prices: [
    'snapshot_date',
    'id',
    'product_id',
    'unit_amount',
    'currency',
    'recurring_interval',
    'active',
    'created',
    'metadata',
  ],
  stripe_invoices: [
    'snapshot_date',
    'id',
    'customer_id',
    'subscription_id',
    'status',
    'amount_due',
    'currency',
    'created',
    'subscription_item_ids',
    'metadata',
  ],
  ope_subscriptions: [
    'snapshot_date',
    'id',
    'account_id',
    'status',
    'billing_interval',
    'currency',
    'cancel_at_period_end',
    'created',
    'canceled_at',
    'metadata',
  ],
  ope_items: [
    'snapshot_date',
    'id',
    'subscription_id',
    'account_id',
    'product_id',
    'quantity',
    'deleted',
    'deleted_at',
    'scheduled_change_effective_at',
    'scheduled_change_product_id',
    'scheduled_change_quantity',
    'created',
    'metadata',
  ],
  subs_account: ['snapshot_date', 'account_id', 'account_type', 'merged_account_ids', 'created'],
  subs_customer: ['snapshot_date', 'account_id', 'stripe_customer_id', 'updated_at'],
  subs_dunning: ['snapshot_date', 'account_id', 'state', 'since'],
  billing_prod: [
    'snapshot_date',
    'product_id',
    'billing_interval',
    'currency',
    'stripe_price_id',
    'unit_amount',
  ],
  cf_prod_accounts: ['snapshot_date', 'account_id', 'account_type', 'created'],
  cf_prod_zones: ['snapshot_date', 'zone_id', 'account_id', 'plan_level'],
  www_zones: ['snapshot_date', 'zone_id', 'account_id', 'plan_level', 'updated_at'],
  subs_api_zones: ['snapshot_date', 'zone_id', 'account_id', 'plan_level', 'subscription_id', 'updated_at'],
} as const;

export type MirrorTable = keyof typeof MIRROR_COLUMNS;
export const MIRROR_TABLES = Object.keys(MIRROR_COLUMNS) as MirrorTable[];

/** A cell: strings, numbers, booleans, string arrays (REPEATED) or null. */
export type Cell = string | number | boolean | null | readonly string[];

export interface RowSink {
  row(table: MirrorTable, cells: Cell[]): void;
}

/** ISO instant -> BigQuery/DuckDB timestamp text (UTC). */
export const ts = (isoInstant: string | null | undefined): string | null =>
  isoInstant ? `${isoInstant.slice(0, 10)} ${isoInstant.slice(11, 19)}` : null;

const json = (o: Record<string, string>) => JSON.stringify(o);

/** Rows that do not depend on accounts (the price catalogue and Stripe's prices), for one date. */
export function emitCatalogueRows(world: World, snapshotDate: string, sink: RowSink): void {
  for (const c of world.catalogue)
    sink.row('billing_prod', [
      snapshotDate,
      c.productId,
      c.interval,
      c.currency,
      c.stripePriceId,
      c.unitAmountMinor,
    ]);
  for (const p of world.prices)
    sink.row('stripe_prices', [
      snapshotDate,
      p.id,
      p.productId,
      p.unitAmountMinor,
      p.currency,
      p.interval,
      true,
      '2024-01-01 00:00:00',
      json(p.legacy ? { legacy: 'true' } : {}),
    ]);
}

/** Every mirror row of one account on its snapshot date. */
export function emitAccountRows(state: AccountState, sink: RowSink): void {
  const d = state.snapshotDate;
  const acc = state.accountId;
  sink.row('subs_account', [d, acc, state.subsAccountType, state.mergedAccountIds, '2024-01-01 00:00:00']);
  sink.row('subs_customer', [d, acc, state.stripeCustomerId, '2024-01-01 00:00:00']);
  if (state.dunning !== 'none') sink.row('subs_dunning', [d, acc, state.dunning, '2026-10-01 00:00:00']);
  sink.row('cf_prod_accounts', [d, acc, state.cfAccountType, '2024-01-01 00:00:00']);
  for (const z of state.zones) {
    sink.row('cf_prod_zones', [d, z.zoneId, acc, z.cfPlan]);
    if (z.wwwPlan !== null) sink.row('www_zones', [d, z.zoneId, acc, z.wwwPlan, '2026-10-01 00:00:00']);
    if (z.subsApiPlan !== null)
      sink.row('subs_api_zones', [
        d,
        z.zoneId,
        acc,
        z.subsApiPlan,
        `zsub_${z.zoneId}`,
        '2026-10-01 00:00:00',
      ]);
  }
  for (const s of state.ope) {
    const meta: Record<string, string> = { order_id: `ord_${s.id}` };
    if (s.contract) meta.contract = 'true';
    sink.row('ope_subscriptions', [
      d,
      s.id,
      acc,
      s.status,
      s.interval,
      s.currency,
      s.cancelAtPeriodEnd,
      '2025-01-01 00:00:00',
      s.status === 'canceled' ? '2026-09-01 00:00:00' : null,
      json(meta),
    ]);
    for (const i of s.items) {
      sink.row('ope_items', [
        d,
        i.id,
        s.id,
        acc,
        i.productId,
        i.quantity,
        i.deleted,
        i.deleted ? '2026-09-01 00:00:00' : null,
        ts(i.scheduledChange?.effectiveAt),
        i.scheduledChange?.productId ?? null,
        i.scheduledChange?.quantity ?? null,
        '2025-01-01 00:00:00',
        json(i.contract ? { contract: 'true' } : {}),
      ]);
    }
  }
  const st = state.stripe;
  if (!st) return;
  if (st.customer) {
    const c = st.customer;
    sink.row('stripe_customers', [
      d,
      c.id,
      ts(st.customerCreated),
      c.deleted,
      c.currency,
      c.defaultPaymentMethodId,
      json(c.metadata),
    ]);
  }
  for (const m of st.paymentMethods)
    sink.row('stripe_payment_methods', [
      d,
      m.id,
      st.customerId,
      m.type,
      m.cardExpMonth,
      m.cardExpYear,
      ts(st.customerCreated),
    ]);
  for (const s of st.subscriptions) {
    sink.row('stripe_subscriptions', [
      d,
      s.id,
      s.customerId,
      s.status,
      s.currency,
      s.cancelAtPeriodEnd,
      ts(s.currentPeriodStart),
      ts(s.currentPeriodEnd),
      ts(s.trialEnd),
      ts(s.created),
      json(s.metadata),
    ]);
    for (const i of s.items)
      sink.row('stripe_subscription_items', [
        d,
        i.id,
        s.id,
        i.price.id,
        i.quantity,
        ts(s.created),
        json(i.metadata),
      ]);
  }
  for (const inv of st.invoices)
    sink.row('stripe_invoices', [
      d,
      inv.id,
      inv.customerId,
      inv.subscriptionId,
      inv.status,
      inv.amountDueMinor,
      inv.currency,
      ts(inv.created),
      inv.subscriptionItemIds,
      json(inv.metadata),
    ]);
}

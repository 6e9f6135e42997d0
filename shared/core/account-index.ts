import type {
  AccountView,
  CatalogueEntry,
  OpeItem,
  OpeSubscription,
  StripeItem,
  StripeSubscription,
} from '../domain/account-view.js';
import type { Interval } from '../domain/common.js';
import { byKey } from './canonical.js';

/**
 * Lookups derived once per view, shared by classification, drift and planning.
 * Matching rules: docs/domain-rules.md "Vocabulary".
 */

export const NON_LIVE_STRIPE_STATUSES = new Set(['canceled', 'incomplete_expired']);

export interface StripeItemRef {
  readonly item: StripeItem;
  readonly subscription: StripeSubscription;
}

export interface OpeItemRef {
  readonly item: OpeItem;
  readonly subscription: OpeSubscription;
}

export interface AccountIndex {
  readonly view: AccountView;
  readonly asOfMs: number;
  /** Live Stripe subscriptions, sorted by id, items sorted by id. */
  readonly liveSubscriptions: readonly StripeSubscription[];
  /** OPE subscriptions sorted by id, items sorted by id. */
  readonly opeSubscriptions: readonly OpeSubscription[];
  /** OPE subscription id -> its live Stripe subscription (lowest id wins). */
  readonly stripeSubscriptionForOpe: ReadonlyMap<string, StripeSubscription>;
  /** OPE item id -> its Stripe item (lowest item id wins). */
  readonly stripeItemForOpe: ReadonlyMap<string, StripeItemRef>;
  /** Stripe items of live subscriptions that no OPE item matched. */
  readonly unmatchedStripeItems: readonly StripeItemRef[];
  /** Stripe item ids listed on a recent uncollectible invoice. */
  readonly uncollectibleItemIds: ReadonlySet<string>;
  readonly isBadDebtAccount: boolean;
  catalogueEntry(productId: string, interval: Interval, currency: string): CatalogueEntry | undefined;
  cataloguePrice(priceId: string): CatalogueEntry | undefined;
}

export function isLive(subscription: StripeSubscription): boolean {
  return !NON_LIVE_STRIPE_STATUSES.has(subscription.status);
}

export function buildAccountIndex(view: AccountView): AccountIndex {
  const byId = byKey<{ id: string }>((x) => x.id);
  const liveSubscriptions = view.stripe.subscriptions.data
    .filter(isLive)
    .map((s) => ({ ...s, items: [...s.items].sort(byId) }))
    .sort(byId);
  const opeSubscriptions = view.ope.data.subscriptions
    .map((s) => ({ ...s, items: [...s.items].sort(byId) }))
    .sort(byId);

  const stripeSubscriptionForOpe = new Map<string, StripeSubscription>();
  for (const sub of liveSubscriptions) {
    const opeId = sub.metadata.ope_subscription_id;
    if (opeId !== undefined && !stripeSubscriptionForOpe.has(opeId)) stripeSubscriptionForOpe.set(opeId, sub);
  }

  const opeItemIds = new Set<string>();
  for (const sub of opeSubscriptions) for (const item of sub.items) opeItemIds.add(item.id);

  // All live Stripe items in item-id order, so "lowest item id wins" is a single pass.
  const allStripeItems: StripeItemRef[] = liveSubscriptions
    .flatMap((subscription) => subscription.items.map((item) => ({ item, subscription })))
    .sort(byKey((r) => r.item.id));
  const stripeItemForOpe = new Map<string, StripeItemRef>();
  const unmatchedStripeItems: StripeItemRef[] = [];
  for (const ref of allStripeItems) {
    const opeId = ref.item.metadata.ope_item_id;
    if (opeId !== undefined && opeItemIds.has(opeId) && !stripeItemForOpe.has(opeId)) {
      stripeItemForOpe.set(opeId, ref);
    } else {
      unmatchedStripeItems.push(ref);
    }
  }

  const uncollectibleItemIds = new Set<string>();
  for (const invoice of view.stripe.invoices.data.recent) {
    if (invoice.status === 'uncollectible')
      for (const id of invoice.subscriptionItemIds) uncollectibleItemIds.add(id);
  }

  const catalogue = new Map<string, CatalogueEntry>();
  const priceCatalogue = new Map<string, CatalogueEntry>();
  for (const entry of view.billingProd.data.catalogue) {
    const key = `${entry.productId}\u0000${entry.interval}\u0000${entry.currency}`;
    if (!catalogue.has(key)) catalogue.set(key, entry);
    if (!priceCatalogue.has(entry.stripePriceId)) priceCatalogue.set(entry.stripePriceId, entry);
  }

  return {
    view,
    asOfMs: Date.parse(view.asOf),
    liveSubscriptions,
    opeSubscriptions,
    stripeSubscriptionForOpe,
    stripeItemForOpe,
    unmatchedStripeItems,
    uncollectibleItemIds,
    isBadDebtAccount: view.subsDunning.data.state === 'bad_debt',
    catalogueEntry: (productId, interval, currency) =>
      catalogue.get(`${productId}\u0000${interval}\u0000${currency}`),
    cataloguePrice: (priceId) => priceCatalogue.get(priceId),
  };
}

/** The OPE item's values in force at asOf: a scheduled change counts once it has taken effect. */
export function effectiveOpeValues(item: OpeItem, asOfMs: number): { productId: string; quantity: number } {
  const change = item.scheduledChange;
  if (change !== null && Date.parse(change.effectiveAt) <= asOfMs) {
    return { productId: change.productId ?? item.productId, quantity: change.quantity ?? item.quantity };
  }
  return { productId: item.productId, quantity: item.quantity };
}

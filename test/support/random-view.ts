import type {
  AccountView,
  CatalogueEntry,
  OpeSubscription,
  StripeInvoice,
  StripePrice,
  StripeSubscription,
} from '../../shared/domain/account-view.js';
import type { Interval } from '../../shared/domain/common.js';

/**
 * Deterministic, realistic AccountViews from a seed: mostly healthy accounts with every kind of drift and
 * every restriction condition mixed in at plausible rates. Property tests draw seeds with fast-check;
 * the benchmark draws thousands. Synthetic data only.
 */

/** mulberry32: tiny, fast, good enough to spread test cases; not for anything secret. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRODUCTS = ['prod_pro', 'prod_biz', 'prod_addon', 'prod_lb', 'prod_workers'];
const BASE_AMOUNT: Record<string, number> = {
  prod_pro: 2000,
  prod_biz: 20000,
  prod_addon: 500,
  prod_lb: 500,
  prod_workers: 500,
};
const CURRENCIES = ['usd', 'eur'];
const INTERVALS: Interval[] = ['month', 'year'];
const UNSUPPORTED = ['cloudflare_ent', 'msp', 'partners_pay_go', 'sfcc', 'jdc', 'ibm', 'mystery_type'];
const DAY = 86_400_000;
const BASE_AS_OF = Date.parse('2026-11-24T12:00:00Z');

export function randomView(seed: number): AccountView {
  const r = prng(seed);
  const chance = (p: number) => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_${seed}_${counter++}`;

  const accountId = `acc_${seed}`;
  const asOfMs = BASE_AS_OF + int(0, 30) * DAY;
  const asOf = new Date(asOfMs).toISOString();
  const stamp = { asOf: new Date(asOfMs - 6 * 3600_000).toISOString() };

  const catalogue: CatalogueEntry[] = [];
  for (const productId of PRODUCTS) {
    for (const interval of INTERVALS) {
      for (const currency of CURRENCIES) {
        if (chance(0.04)) continue; // billing_prod has no price here: missing_price
        const monthly = (BASE_AMOUNT[productId] ?? 1000) * (currency === 'eur' ? 0.9 : 1);
        catalogue.push({
          productId,
          interval,
          currency,
          stripePriceId: `price_${productId.slice(5)}_${interval[0]}_${currency}`,
          unitAmountMinor: Math.round(interval === 'year' ? monthly * 10 : monthly),
        });
      }
    }
  }
  const priceOf = (productId: string, interval: Interval, currency: string): StripePrice => {
    const entry = catalogue.find(
      (c) => c.productId === productId && c.interval === interval && c.currency === currency,
    );
    return entry
      ? {
          id: entry.stripePriceId,
          productId,
          unitAmountMinor: entry.unitAmountMinor,
          currency,
          interval,
        }
      : // A legacy price the catalogue no longer lists.
        {
          id: `price_legacy_${productId.slice(5)}_${interval[0]}_${currency}`,
          productId,
          unitAmountMinor: 999,
          currency,
          interval,
        };
  };

  const opeSubscriptions: OpeSubscription[] = [];
  for (let s = int(1, 3); s > 0; s--) {
    const interval = pick(INTERVALS);
    const currency = chance(0.9) ? 'usd' : 'eur';
    const items = [];
    for (let i = int(1, 4); i > 0; i--) {
      const scheduled = chance(0.1)
        ? {
            effectiveAt: new Date(asOfMs + (chance(0.5) ? 1 : -1) * int(1, 20) * DAY).toISOString(),
            ...(chance(0.5) ? { productId: pick(PRODUCTS) } : {}),
            ...(chance(0.6) ? { quantity: int(1, 6) } : {}),
          }
        : null;
      items.push({
        id: nextId('ope_item'),
        productId: pick(PRODUCTS),
        quantity: int(1, 5),
        deleted: chance(0.08),
        contract: chance(0.03),
        scheduledChange: scheduled,
      });
    }
    opeSubscriptions.push({
      id: nextId('ope_sub'),
      status: chance(0.08) ? 'canceled' : chance(0.1) ? 'trialing' : chance(0.05) ? 'past_due' : 'active',
      interval,
      currency,
      cancelAtPeriodEnd: chance(0.1),
      contract: chance(0.04),
      items,
    });
  }

  const customerId = nextId('cus');
  const stripeSubscriptions: StripeSubscription[] = [];
  for (const ope of opeSubscriptions) {
    if (chance(0.05)) continue; // missing subscription in Stripe
    const currency = chance(0.03) ? pick(CURRENCIES.filter((c) => c !== ope.currency)) : ope.currency;
    const items = [];
    for (const item of ope.items) {
      if (item.deleted ? chance(0.5) : chance(0.06)) continue; // deleted gone, or missing item
      const inEffect =
        item.scheduledChange !== null && Date.parse(item.scheduledChange.effectiveAt) <= asOfMs;
      let productId =
        inEffect && chance(0.7) ? (item.scheduledChange?.productId ?? item.productId) : item.productId;
      if (chance(0.07)) productId = pick(PRODUCTS);
      const interval = chance(0.05) ? pick(INTERVALS) : ope.interval;
      let quantity =
        inEffect && chance(0.7) ? (item.scheduledChange?.quantity ?? item.quantity) : item.quantity;
      if (chance(0.07)) quantity = int(0, 6);
      items.push({
        id: nextId('si'),
        price: priceOf(productId, interval, currency),
        quantity,
        metadata: { ope_item_id: item.id, ...(item.contract && chance(0.5) ? { contract: 'true' } : {}) },
      });
    }
    if (chance(0.05)) {
      items.push({
        id: nextId('si'),
        price: priceOf(pick(PRODUCTS), ope.interval, currency),
        quantity: 1,
        metadata: {},
      });
    }
    if (items.length === 0) continue;
    stripeSubscriptions.push({
      id: nextId('sub'),
      customerId,
      status: chance(0.03)
        ? 'canceled'
        : ope.status === 'trialing'
          ? 'trialing'
          : chance(0.05)
            ? 'past_due'
            : 'active',
      currency,
      cancelAtPeriodEnd: chance(0.1) ? !ope.cancelAtPeriodEnd : ope.cancelAtPeriodEnd,
      metadata: { ope_subscription_id: ope.id, ...(ope.contract && chance(0.5) ? { contract: 'true' } : {}) },
      items,
    });
  }
  if (chance(0.03)) {
    // A Stripe subscription OPE knows nothing about.
    stripeSubscriptions.push({
      id: nextId('sub'),
      customerId,
      status: 'active',
      currency: 'usd',
      cancelAtPeriodEnd: false,
      metadata: {},
      items: [{ id: nextId('si'), price: priceOf('prod_pro', 'month', 'usd'), quantity: 1, metadata: {} }],
    });
  }

  const dunning = chance(0.08) ? 'bad_debt' : chance(0.1) ? 'dunning' : 'none';
  const badDebtFlag = (dunning === 'bad_debt') !== chance(0.1);
  const pmId = nextId('pm');
  const pmKind = r();
  const paymentMethods =
    pmKind < 0.05
      ? []
      : [
          {
            id: pmId,
            type: 'card',
            cardExpMonth: int(1, 12),
            cardExpYear: pmKind < 0.1 ? 2025 : int(2026, 2031),
          },
        ];
  const defaultPaymentMethodId = pmKind < 0.03 ? null : pmKind < 0.06 ? nextId('pm_gone') : pmId;

  const customerState = r();
  const customer =
    customerState < 0.03
      ? null
      : {
          id: customerId,
          deleted: customerState < 0.05,
          currency: 'usd',
          defaultPaymentMethodId,
          metadata: (badDebtFlag ? { bad_debt: 'true' } : chance(0.5) ? { bad_debt: 'false' } : {}) as Record<
            string,
            string
          >,
        };

  const recent: StripeInvoice[] = stripeSubscriptions.map((sub) => ({
    id: nextId('in'),
    status: chance(0.05) ? 'uncollectible' : chance(0.04) ? 'void' : chance(0.08) ? 'open' : 'paid',
    subscriptionId: sub.id,
    subscriptionItemIds: sub.items.map((i) => i.id),
    metadata: (chance(0.9)
      ? { cf_account_id: accountId }
      : chance(0.5)
        ? { cf_account_id: 'acc_other' }
        : {}) as Record<string, string>,
  }));

  const accountType = chance(0.9) ? 'self_serve' : pick(UNSUPPORTED);
  const merged = chance(0.04) ? [nextId('acc_merged')] : [];
  const sharing = chance(0.03) ? [accountId, nextId('acc_sharing')] : [accountId];

  return {
    schemaVersion: 1,
    accountId,
    asOf,
    ope: { source: 'ope', ...stamp, data: { subscriptions: opeSubscriptions } },
    stripe: {
      customer: { source: 'stripe', ...stamp, data: customer },
      subscriptions: { source: 'stripe', ...stamp, data: stripeSubscriptions },
      invoices: {
        source: 'stripe',
        ...stamp,
        data: {
          next: chance(0.1)
            ? null
            : {
                nextInvoiceAt: new Date(asOfMs + int(-1, 30) * DAY).toISOString(),
                amountDueMinor: int(0, 50000),
                currency: 'usd',
              },
          recent,
        },
      },
      paymentMethods: { source: 'stripe', ...stamp, data: paymentMethods },
    },
    subsAccount: { source: 'subs_account', ...stamp, data: { accountType, mergedAccountIds: merged } },
    subsCustomer: {
      source: 'subs_customer',
      ...stamp,
      data: { stripeCustomerId: chance(0.02) ? null : customerId, accountIdsForCustomer: sharing },
    },
    subsDunning: { source: 'subs_dunning', ...stamp, data: { state: dunning } },
    billingProd: { source: 'billing_prod', ...stamp, data: { catalogue } },
    cfProd: {
      source: 'cf_prod',
      ...stamp,
      data: {
        accountType: chance(0.98) ? accountType : pick(UNSUPPORTED),
        zones: Array.from({ length: int(1, 3) }, () => ({
          id: nextId('zone'),
          planLevel: pick(['free', 'pro', 'business']),
        })),
      },
    },
    gates: {
      source: 'firestore_gates',
      ...stamp,
      data: { badDebtDriftRemediation: chance(0.7), invoiceMetadataRemediation: chance(0.7) },
    },
  };
}

import type { AccountView, CatalogueEntry } from '../../shared/domain/account-view.js';

/**
 * A healthy self-serve account, in sync across every store: the base every table case edits.
 * Synthetic data only.
 */

export const AS_OF = '2026-11-24T12:00:00Z';
// Read just before the view was assembled (its asOf): a live view, fresh enough for plan-apply to act on.
const STAMP = { asOf: '2026-11-24T11:59:30Z' };

export const CATALOGUE: CatalogueEntry[] = [
  {
    productId: 'prod_pro',
    interval: 'month',
    currency: 'usd',
    stripePriceId: 'price_pro_m',
    unitAmountMinor: 2000,
  },
  {
    productId: 'prod_pro',
    interval: 'year',
    currency: 'usd',
    stripePriceId: 'price_pro_y',
    unitAmountMinor: 20000,
  },
  {
    productId: 'prod_biz',
    interval: 'month',
    currency: 'usd',
    stripePriceId: 'price_biz_m',
    unitAmountMinor: 20000,
  },
  {
    productId: 'prod_biz',
    interval: 'year',
    currency: 'usd',
    stripePriceId: 'price_biz_y',
    unitAmountMinor: 200000,
  },
  {
    productId: 'prod_addon',
    interval: 'month',
    currency: 'usd',
    stripePriceId: 'price_addon_m',
    unitAmountMinor: 500,
  },
  {
    productId: 'prod_addon',
    interval: 'year',
    currency: 'usd',
    stripePriceId: 'price_addon_y',
    unitAmountMinor: 5000,
  },
  {
    productId: 'prod_pro',
    interval: 'month',
    currency: 'eur',
    stripePriceId: 'price_pro_m_eur',
    unitAmountMinor: 1800,
  },
];

export function price(priceId: string) {
  const entry = CATALOGUE.find((c) => c.stripePriceId === priceId);
  if (!entry) throw new Error(`test catalogue has no ${priceId}`);
  return {
    id: entry.stripePriceId,
    productId: entry.productId,
    unitAmountMinor: entry.unitAmountMinor,
    currency: entry.currency,
    interval: entry.interval,
  };
}

export function healthyView(): AccountView {
  return {
    schemaVersion: 1,
    accountId: 'acc_1',
    asOf: AS_OF,
    ope: {
      source: 'ope',
      ...STAMP,
      data: {
        subscriptions: [
          {
            id: 'ope_sub_1',
            status: 'active',
            interval: 'month',
            currency: 'usd',
            cancelAtPeriodEnd: false,
            contract: false,
            items: [
              {
                id: 'ope_item_1',
                productId: 'prod_pro',
                quantity: 1,
                deleted: false,
                contract: false,
                scheduledChange: null,
              },
              {
                id: 'ope_item_2',
                productId: 'prod_addon',
                quantity: 3,
                deleted: false,
                contract: false,
                scheduledChange: null,
              },
            ],
          },
        ],
      },
    },
    stripe: {
      customer: {
        source: 'stripe',
        ...STAMP,
        data: {
          id: 'cus_1',
          deleted: false,
          currency: 'usd',
          defaultPaymentMethodId: 'pm_1',
          metadata: { bad_debt: 'false' },
        },
      },
      subscriptions: {
        source: 'stripe',
        ...STAMP,
        data: [
          {
            id: 'sub_1',
            customerId: 'cus_1',
            status: 'active',
            currency: 'usd',
            cancelAtPeriodEnd: false,
            metadata: { ope_subscription_id: 'ope_sub_1' },
            items: [
              {
                id: 'si_1',
                price: price('price_pro_m'),
                quantity: 1,
                metadata: { ope_item_id: 'ope_item_1' },
              },
              {
                id: 'si_2',
                price: price('price_addon_m'),
                quantity: 3,
                metadata: { ope_item_id: 'ope_item_2' },
              },
            ],
          },
        ],
      },
      invoices: {
        source: 'stripe',
        ...STAMP,
        data: {
          next: { nextInvoiceAt: '2026-12-14T00:00:00Z', amountDueMinor: 3500, currency: 'usd' },
          recent: [
            {
              id: 'in_1',
              status: 'paid',
              subscriptionId: 'sub_1',
              subscriptionItemIds: ['si_1', 'si_2'],
              metadata: { cf_account_id: 'acc_1' },
            },
          ],
        },
      },
      paymentMethods: {
        source: 'stripe',
        ...STAMP,
        data: [{ id: 'pm_1', type: 'card', cardExpMonth: 12, cardExpYear: 2030 }],
      },
    },
    subsAccount: {
      source: 'subs_account',
      ...STAMP,
      data: { accountType: 'self_serve', mergedAccountIds: [] },
    },
    subsCustomer: {
      source: 'subs_customer',
      ...STAMP,
      data: { stripeCustomerId: 'cus_1', accountIdsForCustomer: ['acc_1'] },
    },
    subsDunning: { source: 'subs_dunning', ...STAMP, data: { state: 'none' } },
    billingProd: { source: 'billing_prod', ...STAMP, data: { catalogue: structuredClone(CATALOGUE) } },
    cfProd: {
      source: 'cf_prod',
      ...STAMP,
      data: { accountType: 'self_serve', zones: [{ id: 'zone_1', planLevel: 'pro' }] },
    },
    gates: {
      source: 'firestore_gates',
      ...STAMP,
      data: { badDebtDriftRemediation: true, invoiceMetadataRemediation: true },
    },
  };
}

/** A healthy view edited in place by `edit`: the shape of every table case. */
export function viewWith(edit: (v: AccountView) => void): AccountView {
  const v = healthyView();
  edit(v);
  return v;
}

/** Shorthands for the parts table cases edit most. */
export const opeSub = (v: AccountView, i = 0) => {
  const s = v.ope.data.subscriptions[i];
  if (!s) throw new Error(`no OPE subscription ${i}`);
  return s;
};
export const opeItem = (v: AccountView, i = 0, sub = 0) => {
  const item = opeSub(v, sub).items[i];
  if (!item) throw new Error(`no OPE item ${i}`);
  return item;
};
export const stripeSub = (v: AccountView, i = 0) => {
  const s = v.stripe.subscriptions.data[i];
  if (!s) throw new Error(`no Stripe subscription ${i}`);
  return s;
};
export const stripeItem = (v: AccountView, i = 0, sub = 0) => {
  const item = stripeSub(v, sub).items[i];
  if (!item) throw new Error(`no Stripe item ${i}`);
  return item;
};
export const customer = (v: AccountView) => {
  const c = v.stripe.customer.data;
  if (!c) throw new Error('no customer');
  return c;
};

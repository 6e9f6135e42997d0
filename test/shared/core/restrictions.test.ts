import { describe, expect, it } from 'vitest';
import { plan } from '../../../shared/core/planner.js';
import { howLong, isCardExpired, RESTRICTION_RULES } from '../../../shared/core/restrictions.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import type { PlanOutcome, RestrictionName } from '../../../shared/domain/plan.js';
import { customer, opeItem, opeSub, price, stripeItem, viewWith } from '../../support/views.js';

const raisePrice = (v: AccountView) => void (stripeItem(v).price = price('price_addon_m')); // 500 -> 2000
const lowerPrice = (v: AccountView) => void (stripeItem(v).price = price('price_biz_m')); // 20000 -> 2000
const both =
  (...edits: ((v: AccountView) => void)[]) =>
  (v: AccountView) => {
    for (const e of edits) e(v);
  };

interface Case {
  name: string;
  edit: (v: AccountView) => void;
  applies: RestrictionName[];
  outcome: PlanOutcome;
  config?: { invoiceDateTooNearDays: number };
}

const cases: Case[] = [
  { name: 'none apply to a healthy account', edit: () => {}, applies: [], outcome: 'noop' },
  { name: 'healable drift alone', edit: raisePrice, applies: [], outcome: 'changes' },
  ...['cloudflare_ent', 'msp', 'partners_pay_go', 'sfcc', 'jdc', 'ibm', 'brand_new_type'].map((type) => ({
    name: `unsupported type ${type} (subs_account) with drift`,
    edit: both((v: AccountView) => void (v.subsAccount.data.accountType = type), raisePrice),
    applies: ['UnsupportedAccountType'] as RestrictionName[],
    outcome: 'blocked' as PlanOutcome,
  })),
  {
    name: 'unsupported type in cf_prod only',
    edit: both((v) => void (v.cfProd.data.accountType = 'msp'), raisePrice),
    applies: ['UnsupportedAccountType'],
    outcome: 'blocked',
  },
  {
    name: 'unsupported type without drift is a no-op',
    edit: (v) => void (v.subsAccount.data.accountType = 'sfcc'),
    applies: ['UnsupportedAccountType'],
    outcome: 'noop',
  },
  {
    name: 'merged account ids',
    edit: both((v) => void (v.subsAccount.data.mergedAccountIds = ['acc_9']), lowerPrice),
    applies: ['MergedAccount'],
    outcome: 'blocked',
  },
  {
    name: 'customer shared with another account',
    edit: both((v) => void (v.subsCustomer.data.accountIdsForCustomer = ['acc_1', 'acc_2']), lowerPrice),
    applies: ['MergedAccount'],
    outcome: 'blocked',
  },
  {
    name: 'price up without a payment method',
    edit: both((v) => void (customer(v).defaultPaymentMethodId = null), raisePrice),
    applies: ['InvalidPaymentMethod'],
    outcome: 'blocked',
  },
  {
    name: 'price down without a payment method is applied',
    edit: both((v) => void (customer(v).defaultPaymentMethodId = null), lowerPrice),
    applies: [],
    outcome: 'changes',
  },
  {
    name: 'price up with an expired card',
    edit: both(
      (v) =>
        void (v.stripe.paymentMethods.data = [
          { id: 'pm_1', type: 'card', cardExpMonth: 10, cardExpYear: 2026 },
        ]),
      raisePrice,
    ),
    applies: ['InvalidPaymentMethod'],
    outcome: 'blocked',
  },
  {
    name: 'card expiring this month is still valid',
    edit: both(
      (v) =>
        void (v.stripe.paymentMethods.data = [
          { id: 'pm_1', type: 'card', cardExpMonth: 11, cardExpYear: 2026 },
        ]),
      raisePrice,
    ),
    applies: [],
    outcome: 'changes',
  },
  {
    name: 'default payment method not among the customer methods',
    edit: both((v) => void (v.stripe.paymentMethods.data = []), raisePrice),
    applies: ['InvalidPaymentMethod'],
    outcome: 'blocked',
  },
  {
    name: 'un-cancelling raises what the customer pays',
    edit: both(
      (v) => void (customer(v).defaultPaymentMethodId = null),
      (v) =>
        void ((v.stripe.subscriptions.data[0] as { cancelAtPeriodEnd: boolean }).cancelAtPeriodEnd = true),
    ),
    applies: ['InvalidPaymentMethod'],
    outcome: 'blocked',
  },
  {
    name: 'next invoice in 2 days with a subscription change',
    edit: both(
      (v) =>
        void (v.stripe.invoices.data.next = {
          nextInvoiceAt: '2026-11-26T11:00:00Z',
          amountDueMinor: 1,
          currency: 'usd',
        }),
      lowerPrice,
    ),
    applies: ['InvoiceDateTooNear'],
    outcome: 'blocked',
  },
  {
    name: 'next invoice exactly N days away is allowed',
    edit: both(
      (v) =>
        void (v.stripe.invoices.data.next = {
          nextInvoiceAt: '2026-11-27T12:00:00Z',
          amountDueMinor: 1,
          currency: 'usd',
        }),
      lowerPrice,
    ),
    applies: [],
    outcome: 'changes',
  },
  {
    name: 'next invoice already past',
    edit: both(
      (v) =>
        void (v.stripe.invoices.data.next = {
          nextInvoiceAt: '2026-11-20T00:00:00Z',
          amountDueMinor: 1,
          currency: 'usd',
        }),
      lowerPrice,
    ),
    applies: ['InvoiceDateTooNear'],
    outcome: 'blocked',
  },
  {
    name: 'N is configurable',
    edit: both(
      (v) =>
        void (v.stripe.invoices.data.next = {
          nextInvoiceAt: '2026-11-26T11:00:00Z',
          amountDueMinor: 1,
          currency: 'usd',
        }),
      lowerPrice,
    ),
    applies: [],
    outcome: 'changes',
    config: { invoiceDateTooNearDays: 1 },
  },
  {
    name: 'invoice date near does not block a metadata-only change',
    edit: both(
      (v) =>
        void (v.stripe.invoices.data.next = {
          nextInvoiceAt: '2026-11-25T00:00:00Z',
          amountDueMinor: 1,
          currency: 'usd',
        }),
      (v) => void ((v.stripe.invoices.data.recent[0] as { metadata: Record<string, string> }).metadata = {}),
    ),
    applies: [],
    outcome: 'changes',
  },
  {
    name: 'no Stripe customer mapped, subscription missing',
    edit: (v) => {
      v.subsCustomer.data.stripeCustomerId = null;
      v.stripe.customer.data = null;
      v.stripe.subscriptions.data = [];
    },
    applies: ['NoStripeCustomer'],
    outcome: 'blocked',
  },
  {
    name: 'Stripe customer deleted',
    edit: both((v) => void (customer(v).deleted = true), lowerPrice),
    applies: ['NoStripeCustomer'],
    outcome: 'blocked',
  },
  {
    name: 'Stripe customer id differs from the mapping',
    edit: both((v) => void (v.subsCustomer.data.stripeCustomerId = 'cus_other'), lowerPrice),
    applies: ['NoStripeCustomer'],
    outcome: 'blocked',
  },
  {
    name: 'merged and no customer: both reported',
    edit: (v) => {
      v.subsAccount.data.mergedAccountIds = ['acc_7'];
      v.stripe.customer.data = null;
      v.stripe.subscriptions.data = [];
    },
    applies: ['MergedAccount', 'NoStripeCustomer'],
    outcome: 'blocked',
  },
  {
    name: 'bad-debt gate off drops the flag change only',
    edit: (v) => {
      v.subsDunning.data.state = 'bad_debt';
      v.gates.data.badDebtDriftRemediation = false;
    },
    applies: ['BadDebtDriftRemediation'],
    outcome: 'blocked',
  },
  {
    name: 'bad-debt gate off with other drift: other changes still go',
    edit: both((v) => {
      customer(v).metadata.bad_debt = 'true';
      v.gates.data.badDebtDriftRemediation = false;
    }, lowerPrice),
    applies: ['BadDebtDriftRemediation'],
    outcome: 'changes',
  },
  {
    name: 'bad-debt gate off, nothing to drop',
    edit: both((v) => void (v.gates.data.badDebtDriftRemediation = false), lowerPrice),
    applies: [],
    outcome: 'changes',
  },
  {
    name: 'invoice metadata gate off',
    edit: (v) => {
      (v.stripe.invoices.data.recent[0] as { metadata: Record<string, string> }).metadata = {};
      v.gates.data.invoiceMetadataRemediation = false;
    },
    applies: ['InvoiceMetadataRemediation'],
    outcome: 'blocked',
  },
  {
    name: 'everything at once',
    edit: (v) => {
      v.subsAccount.data.accountType = 'msp';
      v.subsAccount.data.mergedAccountIds = ['acc_3'];
      customer(v).defaultPaymentMethodId = null;
      customer(v).metadata.bad_debt = 'true';
      v.stripe.invoices.data.next = {
        nextInvoiceAt: '2026-11-25T00:00:00Z',
        amountDueMinor: 1,
        currency: 'usd',
      };
      (v.stripe.invoices.data.recent[0] as { metadata: Record<string, string> }).metadata = {};
      v.gates.data = { badDebtDriftRemediation: false, invoiceMetadataRemediation: false };
      raisePrice(v);
    },
    applies: [
      'UnsupportedAccountType',
      'MergedAccount',
      'InvalidPaymentMethod',
      'InvoiceDateTooNear',
      'BadDebtDriftRemediation',
      'InvoiceMetadataRemediation',
    ],
    outcome: 'blocked',
  },
  {
    name: 'missing price alone needs a human',
    edit: (v) => void (opeItem(v).productId = 'prod_unpriced'),
    applies: [],
    outcome: 'needs_human',
  },
  {
    name: 'missing price on an unsupported account is blocked',
    edit: both(
      (v) => void (opeItem(v).productId = 'prod_unpriced'),
      (v) => void (v.cfProd.data.accountType = 'ibm'),
    ),
    applies: ['UnsupportedAccountType'],
    outcome: 'blocked',
  },
  {
    name: 'currency mismatch needs a human',
    edit: (v) => void ((v.stripe.subscriptions.data[0] as { currency: string }).currency = 'eur'),
    applies: [],
    outcome: 'needs_human',
  },
  {
    name: 'annual vs monthly heals like a price change',
    edit: (v) => void (opeSub(v).interval = 'year'),
    applies: [],
    outcome: 'changes',
  },
];

describe('restrictions', () => {
  it.each(cases)('$name', ({ edit, applies, outcome, config }) => {
    const p = plan(viewWith(edit), config ?? { invoiceDateTooNearDays: 3 });
    expect(p.restrictions.map((r) => r.name)).toEqual(RESTRICTION_RULES.map((r) => r.name));
    expect(p.restrictions.filter((r) => r.applies).map((r) => r.name)).toEqual(applies);
    expect(p.outcome).toBe(outcome);
    for (const r of p.restrictions) expect(r.reason.length).toBeGreaterThan(0);
  });

  it('evaluates all seven restrictions, in the order of docs/domain-rules.md', () => {
    expect(RESTRICTION_RULES.map((r) => [r.name, r.effect])).toEqual([
      ['UnsupportedAccountType', 'blocks_plan'],
      ['MergedAccount', 'blocks_plan'],
      ['InvalidPaymentMethod', 'blocks_plan'],
      ['InvoiceDateTooNear', 'blocks_plan'],
      ['NoStripeCustomer', 'blocks_plan'],
      ['BadDebtDriftRemediation', 'drops_changes'],
      ['InvoiceMetadataRemediation', 'drops_changes'],
    ]);
  });

  it('blocked plans keep their candidates as blockedChanges and apply nothing', () => {
    const p = plan(viewWith(both((v) => void (v.subsAccount.data.mergedAccountIds = ['acc_9']), lowerPrice)));
    expect(p.changes).toEqual([]);
    expect(p.blockedChanges.map((c) => c.kind)).toEqual(['subscription_update']);
  });

  it('a gate drops only its own changes and names itself', () => {
    const p = plan(
      viewWith(
        both((v) => {
          v.subsDunning.data.state = 'bad_debt';
          v.gates.data.badDebtDriftRemediation = false;
          (v.stripe.invoices.data.recent[0] as { metadata: Record<string, string> }).metadata = {};
        }),
      ),
    );
    expect(p.droppedChanges.map((d) => [d.change.kind, d.droppedBy])).toEqual([
      ['customer_update', 'BadDebtDriftRemediation'],
    ]);
    expect(p.changes.map((c) => c.kind)).toEqual(['invoice_update']);
  });

  it.each([
    [10, 2026, '2026-11-24T12:00:00Z', true],
    [11, 2026, '2026-11-30T23:59:59Z', false],
    [11, 2026, '2026-12-01T00:00:00Z', true],
    [1, 2027, '2026-12-31T00:00:00Z', false],
    [12, 2025, '2026-01-01T00:00:00Z', true],
  ])('card %i/%i at %s expired: %s', (month, year, asOf, expired) => {
    expect(isCardExpired(month, year, asOf)).toBe(expired);
  });
});

describe('InvalidPaymentMethod says why without payment-method ids or card data', () => {
  const raise = (v: AccountView) => {
    opeItem(v).quantity = 4; // a quantity rise: the customer pays more
  };
  it.each<[string, (v: AccountView) => void, string, boolean]>([
    ['no default', (v) => void (customer(v).defaultPaymentMethodId = null), 'missing', true],
    [
      'a default that is not the customer’s',
      (v) => void (customer(v).defaultPaymentMethodId = 'pm_ghost_4242'),
      'not_found',
      true,
    ],
    [
      'an expired card',
      (v) => {
        const pm = v.stripe.paymentMethods.data[0];
        if (pm) Object.assign(pm, { cardExpMonth: 1, cardExpYear: 2020 });
      },
      'expired',
      true,
    ],
    ['a valid card', () => {}, 'valid', false],
  ])('%s', (_case, edit, status, applies) => {
    const view = viewWith((v) => {
      raise(v);
      edit(v);
    });
    const r = plan(view).restrictions.find((x) => x.name === 'InvalidPaymentMethod');
    expect(r?.applies).toBe(applies);
    expect(r?.evidence.paymentMethod).toBe(status);
    const said = JSON.stringify(r);
    for (const pm of view.stripe.paymentMethods.data) expect(said).not.toContain(pm.id);
    expect(said).not.toMatch(/pm_|20[0-9]{2}|\b(1[0-2]|0?[1-9])\/\d{2,4}\b/);
  });
});

describe('howLong (InvoiceDateTooNear says how soon, as support reads it)', () => {
  const H = 3_600_000;
  it.each([
    [0, 'less than an hour'],
    [H - 1, 'less than an hour'],
    [H, '1 hour'],
    [19 * H + 59 * 60_000, '19 hours'],
    [47 * H, '47 hours'],
    [48 * H, '2 days'],
    [60 * H, '2.5 days'],
    [71 * H, '2.9 days'],
    [10 * 24 * H, '10 days'],
  ])('%d ms -> %s', (ms, words) => {
    expect(howLong(ms)).toBe(words);
  });

  it('puts it in the reason of the restriction', () => {
    const view = viewWith((v) => {
      stripeItem(v, 1).quantity = 9;
      v.stripe.invoices.data.next = {
        ...(v.stripe.invoices.data.next as NonNullable<AccountView['stripe']['invoices']['data']['next']>),
        nextInvoiceAt: new Date(Date.parse(v.asOf) + 30 * H).toISOString(),
      };
    });
    const r = plan(view, { invoiceDateTooNearDays: 3 }).restrictions.find(
      (x) => x.name === 'InvoiceDateTooNear',
    );
    expect(r?.applies).toBe(true);
    expect(r?.reason).toMatch(/^next invoice in 30 hours \(.*\), within the limit of 3 days$/);
  });
});

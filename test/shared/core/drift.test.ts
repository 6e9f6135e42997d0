import { describe, expect, it } from 'vitest';
import { accountDrift } from '../../../shared/core/drift.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import type { AccountDriftKind } from '../../../shared/domain/plan.js';
import { customer, opeItem, opeSub, stripeItem, stripeSub, viewWith } from '../../support/views.js';

interface Case {
  name: string;
  edit: (v: AccountView) => void;
  kinds: AccountDriftKind[];
  hasDrift: boolean;
}

const invoice = (v: AccountView) => {
  const i = v.stripe.invoices.data.recent[0];
  if (!i) throw new Error('no invoice');
  return i;
};

const cases: Case[] = [
  { name: 'in sync', edit: () => {}, kinds: [], hasDrift: false },
  { name: 'element drift only', edit: (v) => void (stripeItem(v).quantity = 2), kinds: [], hasDrift: true },
  {
    name: 'cancel at period end in OPE only',
    edit: (v) => void (opeSub(v).cancelAtPeriodEnd = true),
    kinds: ['status'],
    hasDrift: true,
  },
  {
    name: 'cancel at period end in Stripe only',
    edit: (v) => void (stripeSub(v).cancelAtPeriodEnd = true),
    kinds: ['status'],
    hasDrift: true,
  },
  {
    name: 'status on a contract subscription is not drift',
    edit: (v) => {
      opeSub(v).contract = true;
      opeSub(v).cancelAtPeriodEnd = true;
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'status on a Stripe contract subscription is not drift',
    edit: (v) => {
      stripeSub(v).metadata.contract = 'true';
      stripeSub(v).cancelAtPeriodEnd = true;
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'status on a bad-debt account belongs to the bad-debt path',
    edit: (v) => {
      v.subsDunning.data.state = 'bad_debt';
      customer(v).metadata.bad_debt = 'true';
      opeSub(v).cancelAtPeriodEnd = true;
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'OPE subscription missing in Stripe',
    edit: (v) => void (v.stripe.subscriptions.data = []),
    kinds: ['missing_subscription'],
    hasDrift: true,
  },
  {
    name: 'a canceled OPE subscription missing in Stripe is fine',
    edit: (v) => {
      v.stripe.subscriptions.data = [];
      opeSub(v).status = 'canceled';
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'OPE subscription with only delayed items missing in Stripe is not yet drift',
    edit: (v) => {
      v.stripe.subscriptions.data = [];
      for (const item of opeSub(v).items) item.scheduledChange = { effectiveAt: '2027-01-01T00:00:00Z' };
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'currency mismatch',
    edit: (v) => void (stripeSub(v).currency = 'eur'),
    kinds: ['currency'],
    hasDrift: true,
  },
  {
    name: 'bad debt in dunning, flag missing in Stripe',
    edit: (v) => void (v.subsDunning.data.state = 'bad_debt'),
    kinds: ['bad_debt_flag'],
    hasDrift: true,
  },
  {
    name: 'flag set in Stripe, account recovered',
    edit: (v) => void (customer(v).metadata.bad_debt = 'true'),
    kinds: ['bad_debt_flag'],
    hasDrift: true,
  },
  {
    name: 'absent flag means not bad debt',
    edit: (v) => void delete customer(v).metadata.bad_debt,
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'no flag drift without a customer',
    edit: (v) => {
      v.subsDunning.data.state = 'bad_debt';
      v.stripe.customer.data = null;
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'invoice metadata missing',
    edit: (v) => void (invoice(v).metadata = {}),
    kinds: ['invoice_metadata'],
    hasDrift: true,
  },
  {
    name: 'invoice metadata names another account',
    edit: (v) => void (invoice(v).metadata.cf_account_id = 'acc_2'),
    kinds: ['invoice_metadata'],
    hasDrift: true,
  },
  {
    name: 'void invoice metadata is ignored',
    edit: (v) => {
      invoice(v).metadata = {};
      invoice(v).status = 'void';
    },
    kinds: [],
    hasDrift: false,
  },
  {
    name: 'several kinds at once, in documented order',
    edit: (v) => {
      opeSub(v).cancelAtPeriodEnd = true;
      stripeSub(v).currency = 'eur';
      v.subsDunning.data.state = 'bad_debt';
      invoice(v).metadata = {};
      opeItem(v).deleted = true;
    },
    kinds: ['currency', 'bad_debt_flag', 'invoice_metadata'],
    hasDrift: true,
  },
];

describe('accountDrift', () => {
  it.each(cases)('$name', ({ edit, kinds, hasDrift }) => {
    const result = accountDrift(viewWith(edit));
    expect(result.accountKinds).toEqual(kinds);
    expect(result.hasDrift).toBe(hasDrift);
  });
});

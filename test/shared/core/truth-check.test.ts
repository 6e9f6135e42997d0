import { describe, expect, it } from 'vitest';
import { plan } from '../../../shared/core/planner.js';
import {
  changedParts,
  diffDecisions,
  foreignTargets,
  isTruthPart,
  oldestPart,
  VIEW_PARTS,
  viewFreshness,
} from '../../../shared/core/truth-check.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import { customer, healthyView, opeItem, stripeItem, viewWith } from '../../support/views.js';

const at = (iso: string) => Date.parse(iso);
const drifted = () => viewWith((v) => void (stripeItem(v).quantity = 3));

describe('viewFreshness', () => {
  it.each([
    ['every part just read', null, '2026-11-24T12:00:00Z', 300, true],
    ['a part exactly at the bound', '2026-11-24T11:55:00Z', '2026-11-24T12:00:00Z', 300, true],
    ['a part one second past the bound', '2026-11-24T11:54:59Z', '2026-11-24T12:00:00Z', 300, false],
    ['a part from the mirror, days old', '2026-11-20T00:00:00Z', '2026-11-24T12:00:00Z', 3600, false],
    ['a part stamped in the future (clock skew)', '2026-11-24T12:00:30Z', '2026-11-24T12:00:00Z', 60, true],
  ])('%s', (_case, subsDunningAsOf, now, maxAge, fresh) => {
    const view = healthyView();
    if (subsDunningAsOf) view.subsDunning.asOf = subsDunningAsOf;
    const verdict = viewFreshness(view, at(now), maxAge);
    expect(verdict.fresh).toBe(fresh);
    if (!verdict.fresh) {
      expect(verdict.part).toBe('subs_dunning');
      expect(verdict.reason).toContain(`older than the ${maxAge} s`);
    }
  });

  it('the oldest part names itself', () => {
    const view = healthyView();
    view.gates.asOf = '2026-11-01T00:00:00Z';
    expect(oldestPart(view)).toEqual({ part: 'gates', asOf: '2026-11-01T00:00:00Z' });
  });
});

describe('changedParts', () => {
  it.each<[string, (v: AccountView) => void, string[]]>([
    ['nothing', () => {}, []],
    ['only read times', (v) => void (v.ope.asOf = '2026-01-01T00:00:00Z'), []],
    ['an OPE quantity', (v) => void (opeItem(v).quantity = 9), ['ope']],
    [
      'the dunning state and a Stripe quantity',
      (v) => {
        v.subsDunning.data.state = 'dunning';
        stripeItem(v).quantity = 9;
      },
      ['subs_dunning', 'stripe.subscriptions'],
    ],
    ['the customer metadata', (v) => void (customer(v).metadata.bad_debt = 'true'), ['stripe.customer']],
  ])('%s', (_case, edit, parts) => {
    expect(changedParts(healthyView(), viewWith(edit))).toEqual(parts);
  });

  it('tells the company truth from Stripe state', () => {
    expect(VIEW_PARTS.filter(isTruthPart)).toEqual([
      'ope',
      'subs_account',
      'subs_customer',
      'subs_dunning',
      'billing_prod',
      'cf_prod',
      'gates',
    ]);
  });
});

describe('diffDecisions', () => {
  it('the same decision on two reads: no difference', () => {
    expect(diffDecisions(plan(drifted()), plan(drifted()))).toEqual({
      onlyCarried: [],
      onlyLive: [],
      restrictions: [],
    });
  });

  it('same change, other precondition (Stripe moved): differs on both sides', () => {
    const d = diffDecisions(plan(drifted()), plan(viewWith((v) => void (stripeItem(v).quantity = 7))));
    expect(d.onlyCarried).toHaveLength(1);
    expect(d.onlyLive).toHaveLength(1);
    expect(d.onlyCarried[0]?.id).toBe(d.onlyLive[0]?.id);
  });

  it('a restriction that now applies', () => {
    const live = viewWith((v) => {
      stripeItem(v).quantity = 3;
      v.subsAccount.data.mergedAccountIds = ['acc_9'];
    });
    expect(diffDecisions(plan(drifted()), plan(live)).restrictions).toEqual(['MergedAccount']);
  });

  it('drift healed live: the carried change is not in the live plan', () => {
    const d = diffDecisions(plan(drifted()), plan(healthyView()));
    expect([d.onlyCarried.length, d.onlyLive.length]).toEqual([1, 0]);
  });
});

describe('foreignTargets', () => {
  it('every target of a plan of the live view is owned', () => {
    const view = viewWith((v) => {
      stripeItem(v).quantity = 3;
      customer(v).metadata.bad_debt = 'true';
      v.stripe.invoices.data.recent[0]!.metadata = {};
    });
    expect(foreignTargets(plan(view).changes, view)).toEqual([]);
  });

  it.each<[string, (v: AccountView) => void]>([
    ['another subscription', (v) => void (v.stripe.subscriptions.data[0]!.id = 'sub_other')],
    [
      'another customer',
      (v) => {
        customer(v).id = 'cus_other';
        v.subsCustomer.data.stripeCustomerId = 'cus_other';
        for (const sub of v.stripe.subscriptions.data) sub.customerId = 'cus_other';
      },
    ],
  ])('a change on %s is foreign to the live account', (_case, forge) => {
    const live = viewWith((v) => {
      stripeItem(v).quantity = 3;
      customer(v).metadata.bad_debt = 'true';
    });
    const forged = structuredClone(live);
    forge(forged);
    const foreign = foreignTargets(plan(forged).changes, live);
    expect(foreign.length).toBeGreaterThan(0);
  });

  it('a deleted live customer owns nothing', () => {
    const live = viewWith((v) => {
      customer(v).metadata.bad_debt = 'true';
    });
    const changes = plan(live).changes;
    customer(live).deleted = true;
    expect(foreignTargets(changes, live).map((c) => c.target.object)).toContain('customer');
  });
});

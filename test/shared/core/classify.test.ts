import { describe, expect, it } from 'vitest';
import { classifyElements } from '../../../shared/core/classify.js';
import type { AccountView } from '../../../shared/domain/account-view.js';
import type { ElementClass, ElementDriftKind } from '../../../shared/domain/plan.js';
import {
  AS_OF,
  customer,
  opeItem,
  opeSub,
  price,
  stripeItem,
  stripeSub,
  viewWith,
} from '../../support/views.js';

const later = (days: number) => new Date(Date.parse(AS_OF) + days * 86_400_000).toISOString();

interface Case {
  name: string;
  edit: (v: AccountView) => void;
  key: string;
  elementClass: ElementClass;
  drift: ElementDriftKind[];
}

// One row per class, and the precedence pairs that decide between two classes.
const cases: Case[] = [
  { name: 'in sync', edit: () => {}, key: 'ope_item_1', elementClass: 'expected_in_stripe', drift: [] },
  {
    name: 'contract OPE item',
    edit: (v) => {
      opeItem(v).contract = true;
      stripeItem(v).quantity = 9;
    },
    key: 'ope_item_1',
    elementClass: 'contract',
    drift: [],
  },
  {
    name: 'contract OPE subscription',
    edit: (v) => {
      opeSub(v).contract = true;
    },
    key: 'ope_item_2',
    elementClass: 'contract',
    drift: [],
  },
  {
    name: 'contract Stripe item metadata on a self-serve account',
    edit: (v) => {
      stripeItem(v).metadata.contract = 'true';
    },
    key: 'ope_item_1',
    elementClass: 'contract',
    drift: [],
  },
  {
    name: 'contract Stripe subscription metadata',
    edit: (v) => {
      stripeSub(v).metadata.contract = 'true';
      stripeSub(v).items.push({ id: 'si_9', price: price('price_biz_m'), quantity: 1, metadata: {} });
    },
    key: 'stripe:si_9',
    elementClass: 'contract',
    drift: [],
  },
  {
    name: 'contract beats bad debt',
    edit: (v) => {
      opeItem(v).contract = true;
      v.subsDunning.data.state = 'bad_debt';
    },
    key: 'ope_item_1',
    elementClass: 'contract',
    drift: [],
  },
  {
    name: 'bad-debt account',
    edit: (v) => {
      v.subsDunning.data.state = 'bad_debt';
      stripeItem(v).quantity = 4;
    },
    key: 'ope_item_1',
    elementClass: 'bad_debt_item',
    drift: [],
  },
  {
    name: 'dunning (not bad debt) is still expected_in_stripe',
    edit: (v) => {
      v.subsDunning.data.state = 'dunning';
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: [],
  },
  {
    name: 'item on an uncollectible invoice',
    edit: (v) => {
      const inv = v.stripe.invoices.data.recent[0];
      if (inv) {
        inv.status = 'uncollectible';
        inv.subscriptionItemIds = ['si_2'];
      }
    },
    key: 'ope_item_2',
    elementClass: 'bad_debt_item',
    drift: [],
  },
  {
    name: 'other item of the uncollectible invoice subscription is unaffected',
    edit: (v) => {
      const inv = v.stripe.invoices.data.recent[0];
      if (inv) {
        inv.status = 'uncollectible';
        inv.subscriptionItemIds = ['si_2'];
      }
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: [],
  },
  {
    name: 'bad debt beats deleted',
    edit: (v) => {
      v.subsDunning.data.state = 'bad_debt';
      opeItem(v).deleted = true;
    },
    key: 'ope_item_1',
    elementClass: 'bad_debt_item',
    drift: [],
  },
  {
    name: 'deleted in OPE, still in Stripe',
    edit: (v) => {
      opeItem(v).deleted = true;
    },
    key: 'ope_item_1',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'deleted in OPE and gone from Stripe',
    edit: (v) => {
      opeItem(v).deleted = true;
      stripeSub(v).items.splice(0, 1);
    },
    key: 'ope_item_1',
    elementClass: 'deleted_from_ope',
    drift: [],
  },
  {
    name: 'Stripe item with no OPE id',
    edit: (v) => {
      stripeItem(v, 1).metadata = {};
    },
    key: 'stripe:si_2',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'Stripe item naming an OPE item that does not exist',
    edit: (v) => {
      stripeItem(v, 1).metadata.ope_item_id = 'ope_item_ghost';
    },
    key: 'stripe:si_2',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'duplicate Stripe item for one OPE item: the higher id is extra',
    edit: (v) => {
      stripeSub(v).items.push({
        id: 'si_3',
        price: price('price_pro_m'),
        quantity: 1,
        metadata: { ope_item_id: 'ope_item_1' },
      });
    },
    key: 'stripe:si_3',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'OPE subscription canceled',
    edit: (v) => {
      opeSub(v).status = 'canceled';
    },
    key: 'ope_item_2',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'deleted beats a scheduled change',
    edit: (v) => {
      opeItem(v).deleted = true;
      opeItem(v).scheduledChange = { effectiveAt: later(5), quantity: 4 };
    },
    key: 'ope_item_1',
    elementClass: 'deleted_from_ope',
    drift: ['extra_item'],
  },
  {
    name: 'scheduled upgrade not yet in effect',
    edit: (v) => {
      opeItem(v).scheduledChange = { effectiveAt: later(5), productId: 'prod_biz' };
    },
    key: 'ope_item_1',
    elementClass: 'delayed_upgrade',
    drift: [],
  },
  {
    name: 'delayed upgrade beats a missing price',
    edit: (v) => {
      opeItem(v).scheduledChange = { effectiveAt: later(5), productId: 'prod_biz' };
      opeItem(v).productId = 'prod_unpriced';
    },
    key: 'ope_item_1',
    elementClass: 'delayed_upgrade',
    drift: [],
  },
  {
    name: 'scheduled change in effect and already in Stripe',
    edit: (v) => {
      opeItem(v).scheduledChange = { effectiveAt: later(-1), productId: 'prod_biz' };
      stripeItem(v).price = price('price_biz_m');
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: [],
  },
  {
    name: 'scheduled change in effect, Stripe still on the old price',
    edit: (v) => {
      opeItem(v).scheduledChange = { effectiveAt: later(-1), productId: 'prod_biz', quantity: 2 };
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: ['price', 'quantity'],
  },
  {
    name: 'scheduled change exactly at asOf is in effect',
    edit: (v) => {
      opeItem(v).scheduledChange = { effectiveAt: AS_OF, quantity: 2 };
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: ['quantity'],
  },
  {
    name: 'no catalogue price for the product',
    edit: (v) => {
      opeItem(v).productId = 'prod_unpriced';
    },
    key: 'ope_item_1',
    elementClass: 'missing_price',
    drift: ['missing_price'],
  },
  {
    name: 'no catalogue price for the currency',
    edit: (v) => {
      opeSub(v).currency = 'gbp';
      stripeSub(v).currency = 'gbp';
    },
    key: 'ope_item_2',
    elementClass: 'missing_price',
    drift: ['missing_price'],
  },
  {
    name: 'missing from Stripe',
    edit: (v) => {
      stripeSub(v).items.splice(1, 1);
    },
    key: 'ope_item_2',
    elementClass: 'expected_in_stripe',
    drift: ['missing_item'],
  },
  {
    name: 'missing because its Stripe subscription is canceled',
    edit: (v) => {
      stripeSub(v).status = 'canceled';
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: ['missing_item'],
  },
  {
    name: 'wrong price',
    edit: (v) => {
      stripeItem(v).price = price('price_biz_m');
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: ['price'],
  },
  {
    name: 'wrong quantity',
    edit: (v) => {
      stripeItem(v, 1).quantity = 5;
    },
    key: 'ope_item_2',
    elementClass: 'expected_in_stripe',
    drift: ['quantity'],
  },
  {
    name: 'annual in OPE, monthly in Stripe',
    edit: (v) => {
      opeSub(v).interval = 'year';
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: ['interval', 'price'],
  },
  {
    name: 'trialing subscription in sync',
    edit: (v) => {
      opeSub(v).status = 'trialing';
      stripeSub(v).status = 'trialing';
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: [],
  },
  {
    name: 'deleted customer does not change classes',
    edit: (v) => {
      customer(v).deleted = true;
    },
    key: 'ope_item_1',
    elementClass: 'expected_in_stripe',
    drift: [],
  },
];

describe('classifyElements', () => {
  it.each(cases)('$name -> $elementClass $drift', ({ edit, key, elementClass, drift }) => {
    const elements = classifyElements(viewWith(edit));
    const element = elements.find((e) => e.key === key);
    expect(element, `element ${key}`).toBeDefined();
    expect(element?.elementClass).toBe(elementClass);
    expect(element?.drift).toEqual(drift);
    expect(element?.reason.length).toBeGreaterThan(0);
  });

  it('gives each line item exactly one element, sorted by key', () => {
    const view = viewWith((v) => {
      stripeSub(v).items.push({ id: 'si_x', price: price('price_biz_m'), quantity: 1, metadata: {} });
    });
    const keys = classifyElements(view).map((e) => e.key);
    expect(keys).toEqual(['ope_item_1', 'ope_item_2', 'stripe:si_x']);
  });

  it('ignores items of non-live Stripe subscriptions', () => {
    const view = viewWith((v) => {
      stripeSub(v).status = 'incomplete_expired';
    });
    expect(classifyElements(view).map((e) => e.key)).toEqual(['ope_item_1', 'ope_item_2']);
  });
});

import type { AccountView, OpeItem, OpeSubscription } from '../domain/account-view.js';
import type { ClassifiedElement, ElementClass, ElementDriftKind } from '../domain/plan.js';
import {
  type AccountIndex,
  buildAccountIndex,
  effectiveOpeValues,
  type StripeItemRef,
} from './account-index.js';

/**
 * Element classification: exactly one class per line item, first match wins.
 * The rules and the reason for their order: docs/domain-rules.md "Classes". The SQL view
 * `line_item_classification` implements the same table; the conformance tests hold them together.
 */

interface ElementInput {
  readonly key: string;
  readonly ope: { readonly item: OpeItem; readonly subscription: OpeSubscription } | null;
  readonly stripe: StripeItemRef | null;
}

interface ClassRule {
  readonly elementClass: ElementClass;
  /** Returns the reason when the rule holds, null otherwise. */
  readonly holds: (element: ElementInput, index: AccountIndex) => string | null;
}

const CLASS_RULES: readonly ClassRule[] = [
  {
    elementClass: 'contract',
    holds: ({ ope, stripe }) => {
      if (ope?.item.contract) return 'OPE item is under a contract path';
      if (ope?.subscription.contract) return 'OPE subscription is under a contract path';
      if (stripe?.item.metadata.contract === 'true') return 'Stripe item is marked contract';
      if (stripe?.subscription.metadata.contract === 'true') return 'Stripe subscription is marked contract';
      return null;
    },
  },
  {
    elementClass: 'bad_debt_item',
    holds: ({ stripe }, index) => {
      if (index.isBadDebtAccount) return 'account is in bad debt (subs_dunning)';
      if (stripe !== null && index.uncollectibleItemIds.has(stripe.item.id)) {
        return 'item is billed on an uncollectible invoice';
      }
      return null;
    },
  },
  {
    elementClass: 'deleted_from_ope',
    holds: ({ ope }) => {
      if (ope === null) return 'present in Stripe, absent from OPE';
      if (ope.item.deleted) return 'deleted in OPE';
      if (ope.subscription.status === 'canceled') return 'OPE subscription is canceled';
      return null;
    },
  },
  {
    elementClass: 'delayed_upgrade',
    holds: ({ ope }, index) => {
      const change = ope?.item.scheduledChange;
      if (change && Date.parse(change.effectiveAt) > index.asOfMs) {
        return `OPE change takes effect at ${change.effectiveAt}, after asOf`;
      }
      return null;
    },
  },
  {
    elementClass: 'missing_price',
    holds: ({ ope }, index) => {
      if (ope === null) return null;
      const { productId } = effectiveOpeValues(ope.item, index.asOfMs);
      const { interval, currency } = ope.subscription;
      return index.catalogueEntry(productId, interval, currency) === undefined
        ? `billing_prod has no price for ${productId} (${interval}, ${currency})`
        : null;
    },
  },
  { elementClass: 'expected_in_stripe', holds: () => 'OPE item Stripe must match' },
];

function classOf(element: ElementInput, index: AccountIndex): { elementClass: ElementClass; reason: string } {
  for (const rule of CLASS_RULES) {
    const reason = rule.holds(element, index);
    if (reason !== null) return { elementClass: rule.elementClass, reason };
  }
  // Unreachable: the last rule always holds. Kept as an error so a future edit cannot silently drop items.
  throw new Error(`no class rule matched element ${element.key}`);
}

function driftOf(element: ElementInput, elementClass: ElementClass, index: AccountIndex): ElementDriftKind[] {
  switch (elementClass) {
    case 'deleted_from_ope':
      return element.stripe === null ? [] : ['extra_item'];
    case 'missing_price':
      return ['missing_price'];
    case 'expected_in_stripe': {
      const { ope, stripe } = element;
      if (ope === null) return [];
      if (stripe === null) return ['missing_item'];
      const { productId, quantity } = effectiveOpeValues(ope.item, index.asOfMs);
      const desired = index.catalogueEntry(productId, ope.subscription.interval, ope.subscription.currency);
      const drift: ElementDriftKind[] = [];
      if (stripe.item.price.interval !== ope.subscription.interval) drift.push('interval');
      if (desired !== undefined && stripe.item.price.id !== desired.stripePriceId) drift.push('price');
      if (stripe.item.quantity !== quantity) drift.push('quantity');
      return drift;
    }
    default:
      return [];
  }
}

function elementInputs(index: AccountIndex): ElementInput[] {
  const inputs: ElementInput[] = [];
  for (const subscription of index.opeSubscriptions) {
    for (const item of subscription.items) {
      inputs.push({
        key: item.id,
        ope: { item, subscription },
        stripe: index.stripeItemForOpe.get(item.id) ?? null,
      });
    }
  }
  for (const ref of index.unmatchedStripeItems)
    inputs.push({ key: `stripe:${ref.item.id}`, ope: null, stripe: ref });
  return inputs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function classifyWithIndex(index: AccountIndex): ClassifiedElement[] {
  return elementInputs(index).map((element) => {
    const { elementClass, reason } = classOf(element, index);
    return {
      key: element.key,
      opeItemId: element.ope?.item.id ?? null,
      stripeItemId: element.stripe?.item.id ?? null,
      opeSubscriptionId: element.ope?.subscription.id ?? null,
      stripeSubscriptionId: element.stripe?.subscription.id ?? null,
      elementClass,
      reason,
      drift: driftOf(element, elementClass, index),
    };
  });
}

/** Every line item of the account with its class and drift, sorted by key. */
export function classifyElements(view: AccountView): ClassifiedElement[] {
  return classifyWithIndex(buildAccountIndex(view));
}

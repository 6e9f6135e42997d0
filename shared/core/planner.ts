import type { AccountView, OpeSubscription, StripeSubscription } from '../domain/account-view.js';
import {
  type AccountDriftKind,
  type Change,
  type ClassifiedElement,
  DEFAULT_PLANNER_CONFIG,
  type ElementDriftKind,
  type Finding,
  type ItemChange,
  PLAN_SCHEMA_VERSION,
  type Plan,
  type PlannerConfig,
  type PlanOutcome,
  type Precondition,
  type RestrictionName,
  type StripeParamValue,
} from '../domain/plan.js';
import { type AccountIndex, buildAccountIndex, effectiveOpeValues } from './account-index.js';
import { byKey, hashOf } from './canonical.js';
import { classifyWithIndex } from './classify.js';
import {
  accountDriftWithIndex,
  invoicesWithMetadataDrift,
  isBadDebtFlagDrift,
  opeSubscriptionsMissingInStripe,
  opeSubscriptionsWithCurrencyMismatch,
  subscriptionStatusDrift,
} from './drift.js';
import { annualMinor, moneyEffect, stripeItemAnnualMinor, sumMoneyEffects } from './money.js';
import { evaluateRestrictions } from './restrictions.js';
import { stampChangeId } from './stamp.js';

/**
 * The planner: AccountView -> Plan, pure and deterministic (docs/domain-rules.md "Changes", "Outcome").
 * It imports no SDK and reads no clock; apply (shared/pipeline) turns changes into Stripe calls.
 */

type Draft = Omit<Change, 'id'>;

function changeId(accountId: string, draft: Draft): string {
  return `chg_${hashOf({ accountId, kind: draft.kind, target: draft.target, params: draft.operation.params }).slice(0, 20)}`;
}

/** Fixes the id from the unstamped params, then stamps it into them. */
function finalise(accountId: string, draft: Draft): Change {
  const id = changeId(accountId, draft);
  const params = stampChangeId(draft.kind, draft.operation.params, id);
  return { id, ...draft, operation: { ...draft.operation, params } };
}

function subscriptionPreconditions(sub: StripeSubscription): Precondition[] {
  return [
    { field: 'status', expected: sub.status },
    { field: 'cancel_at_period_end', expected: sub.cancelAtPeriodEnd },
    {
      field: 'items',
      expected: sub.items.map((i) => ({ id: i.id, price: i.price.id, quantity: i.quantity })),
    },
  ];
}

function uniqueSorted<T extends string>(values: readonly T[]): T[] {
  return [...new Set(values)].sort();
}

interface SubscriptionWork {
  readonly itemChanges: ItemChange[];
  readonly itemParams: Record<string, StripeParamValue>[];
  annualDelta: number;
}

/** The first price that would sit on two items of the subscription after the item changes, if any. */
function duplicatePriceAfter(sub: StripeSubscription, changes: readonly ItemChange[]): string | null {
  const byItem = new Map(sub.items.map((i) => [i.id, i.price.id]));
  const added: string[] = [];
  const introduced = new Set<string>();
  for (const c of changes) {
    if (c.action === 'remove' && c.stripeItemId !== null) byItem.delete(c.stripeItemId);
    if (c.action === 'update' && c.stripeItemId !== null && c.to !== null)
      byItem.set(c.stripeItemId, c.to.priceId);
    if (c.action === 'add' && c.to !== null) added.push(c.to.priceId);
    if (c.action !== 'remove' && c.to !== null && c.to.priceId !== c.from?.priceId)
      introduced.add(c.to.priceId);
  }
  // Only a price the heal puts there counts: a duplicate Stripe already holds is not this plan's doing.
  const counts = new Map<string, number>();
  for (const price of [...byItem.values(), ...added]) counts.set(price, (counts.get(price) ?? 0) + 1);
  for (const price of [...introduced].sort()) if ((counts.get(price) ?? 0) > 1) return price;
  return null;
}

interface DuplicatePrice {
  readonly duplicatePrice: string;
  readonly elementKeys: string[];
}

function planSubscription(
  index: AccountIndex,
  sub: StripeSubscription,
  elements: readonly ClassifiedElement[],
  opeForSub: OpeSubscription | undefined,
): Draft | DuplicatePrice | null {
  const work: SubscriptionWork = { itemChanges: [], itemParams: [], annualDelta: 0 };
  const itemsById = new Map(sub.items.map((i) => [i.id, i]));
  let removed = 0;

  for (const element of elements) {
    const stripeItem = element.stripeItemId === null ? undefined : itemsById.get(element.stripeItemId);
    const onThisSub = stripeItem !== undefined && element.stripeSubscriptionId === sub.id;
    if (element.elementClass === 'deleted_from_ope' && onThisSub && element.drift.includes('extra_item')) {
      removed += 1;
      work.itemParams.push({ id: stripeItem.id, deleted: true });
      work.annualDelta -= stripeItemAnnualMinor(stripeItem);
      work.itemChanges.push({
        action: 'remove',
        elementKey: element.key,
        stripeItemId: stripeItem.id,
        opeItemId: element.opeItemId,
        drift: ['extra_item'],
        from: { priceId: stripeItem.price.id, quantity: stripeItem.quantity },
        to: null,
      });
      continue;
    }
    if (element.elementClass !== 'expected_in_stripe' || element.drift.length === 0) continue;
    const ope = opeItemOf(index, element);
    if (ope === undefined) continue;
    const { productId, quantity } = effectiveOpeValues(ope.item, index.asOfMs);
    const desired = index.catalogueEntry(productId, ope.subscription.interval, ope.subscription.currency);
    if (desired === undefined) continue;
    const desiredAnnual = annualMinor(desired.unitAmountMinor, quantity, ope.subscription.interval);
    if (onThisSub) {
      work.itemParams.push({ id: stripeItem.id, price: desired.stripePriceId, quantity });
      work.annualDelta += desiredAnnual - stripeItemAnnualMinor(stripeItem);
      work.itemChanges.push({
        action: 'update',
        elementKey: element.key,
        stripeItemId: stripeItem.id,
        opeItemId: element.opeItemId,
        drift: element.drift,
        from: { priceId: stripeItem.price.id, quantity: stripeItem.quantity },
        to: { priceId: desired.stripePriceId, quantity },
      });
    } else if (element.drift.includes('missing_item') && opeForSub?.id === ope.subscription.id) {
      work.itemParams.push({
        price: desired.stripePriceId,
        quantity,
        metadata: { ope_item_id: ope.item.id },
      });
      work.annualDelta += desiredAnnual;
      work.itemChanges.push({
        action: 'add',
        elementKey: element.key,
        stripeItemId: null,
        opeItemId: ope.item.id,
        drift: ['missing_item'],
        from: null,
        to: { priceId: desired.stripePriceId, quantity },
      });
    }
  }

  const adds = work.itemChanges.filter((c) => c.action === 'add').length;
  // Stripe refuses two items with the same price on one subscription: such a heal needs a human.
  const duplicate = duplicatePriceAfter(sub, work.itemChanges);
  if (duplicate !== null)
    return { duplicatePrice: duplicate, elementKeys: work.itemChanges.map((c) => c.elementKey) };
  const drift: (ElementDriftKind | AccountDriftKind)[] = work.itemChanges.flatMap((c) => c.drift);
  const path = `/v1/subscriptions/${sub.id}`;
  const target = { object: 'subscription' as const, id: sub.id };

  if (removed > 0 && removed === sub.items.length && adds === 0) {
    return {
      kind: 'subscription_cancel',
      target,
      operation: {
        sdkMethod: 'subscriptions.cancel',
        httpMethod: 'DELETE',
        path,
        params: { prorate: false, invoice_now: false },
      },
      itemChanges: work.itemChanges,
      drift: uniqueSorted(drift),
      // Cancelled now: it bills nothing more; it billed its items from the next period on unless it was
      // already set to end at period end.
      moneyEffect: moneyEffect(sub.currency, -renewingAnnual(sub)),
      preconditions: subscriptionPreconditions(sub),
      gatedBy: null,
    };
  }

  const params: Record<string, StripeParamValue> = {};
  const statusDrift = subscriptionStatusDrift(index, opeForSub, sub);
  if (statusDrift) {
    params.cancel_at_period_end = opeForSub?.cancelAtPeriodEnd ?? sub.cancelAtPeriodEnd;
    drift.push('status');
  }
  // The money effect is judged on the subscription's state after the change (docs/domain-rules.md):
  // one that ends at period end bills nothing more, whatever its items; one that resumes bills them all.
  const endsAfter = statusDrift
    ? (opeForSub?.cancelAtPeriodEnd ?? sub.cancelAtPeriodEnd)
    : sub.cancelAtPeriodEnd;
  const itemsAnnualAfter = sub.items.reduce((sum, i) => sum + stripeItemAnnualMinor(i), 0) + work.annualDelta;
  const annualDelta = (endsAfter ? 0 : itemsAnnualAfter) - renewingAnnual(sub);
  if (work.itemParams.length === 0 && !statusDrift) return null;
  if (work.itemParams.length > 0) params.items = work.itemParams;
  // A heal corrects what is billed from now on; it never back-bills or refunds silently (docs/design.md).
  params.proration_behavior = 'none';
  return {
    kind: 'subscription_update',
    target,
    operation: { sdkMethod: 'subscriptions.update', httpMethod: 'POST', path, params },
    itemChanges: work.itemChanges,
    drift: uniqueSorted(drift),
    moneyEffect: moneyEffect(sub.currency, annualDelta),
    preconditions: subscriptionPreconditions(sub),
    gatedBy: null,
  };
}

/** What a subscription bills a year from its next period on: nothing when it ends at period end. */
function renewingAnnual(sub: StripeSubscription): number {
  return sub.cancelAtPeriodEnd ? 0 : sub.items.reduce((sum, i) => sum + stripeItemAnnualMinor(i), 0);
}

function opeItemOf(index: AccountIndex, element: ClassifiedElement) {
  const subscription = index.opeSubscriptions.find((s) => s.id === element.opeSubscriptionId);
  const item = subscription?.items.find((i) => i.id === element.opeItemId);
  return subscription && item ? { subscription, item } : undefined;
}

function candidateChanges(
  index: AccountIndex,
  elements: readonly ClassifiedElement[],
  findings: Finding[],
): Draft[] {
  const drafts: Draft[] = [];
  const currencyBlocked = new Set(
    opeSubscriptionsWithCurrencyMismatch(index).map((id) => index.stripeSubscriptionForOpe.get(id)?.id),
  );
  const opeByStripeSub = new Map<string, OpeSubscription>();
  for (const ope of index.opeSubscriptions) {
    const stripe = index.stripeSubscriptionForOpe.get(ope.id);
    if (stripe !== undefined && !opeByStripeSub.has(stripe.id)) opeByStripeSub.set(stripe.id, ope);
  }
  for (const sub of index.liveSubscriptions) {
    if (currencyBlocked.has(sub.id)) continue;
    const draft = planSubscription(index, sub, elements, opeByStripeSub.get(sub.id));
    if (draft === null) continue;
    if ('duplicatePrice' in draft) {
      findings.push({
        kind: 'duplicate_price',
        opeSubscriptionId: opeByStripeSub.get(sub.id)?.id ?? null,
        stripeSubscriptionId: sub.id,
        elementKeys: draft.elementKeys,
        detail: `healing ${sub.id} would put price ${draft.duplicatePrice} on two items, which Stripe refuses`,
      });
    } else {
      drafts.push(draft);
    }
  }

  const customer = index.view.stripe.customer.data;
  if (customer !== null && isBadDebtFlagDrift(index)) {
    drafts.push({
      kind: 'customer_update',
      target: { object: 'customer', id: customer.id },
      operation: {
        sdkMethod: 'customers.update',
        httpMethod: 'POST',
        path: `/v1/customers/${customer.id}`,
        params: { metadata: { bad_debt: index.isBadDebtAccount ? 'true' : 'false' } },
      },
      itemChanges: [],
      drift: ['bad_debt_flag'],
      moneyEffect: null,
      preconditions: [{ field: 'metadata.bad_debt', expected: customer.metadata.bad_debt ?? null }],
      gatedBy: 'BadDebtDriftRemediation',
    });
  }

  for (const invoice of invoicesWithMetadataDrift(index)) {
    drafts.push({
      kind: 'invoice_update',
      target: { object: 'invoice', id: invoice.id },
      operation: {
        sdkMethod: 'invoices.update',
        httpMethod: 'POST',
        path: `/v1/invoices/${invoice.id}`,
        params: { metadata: { cf_account_id: index.view.accountId } },
      },
      itemChanges: [],
      drift: ['invoice_metadata'],
      moneyEffect: null,
      preconditions: [
        { field: 'status', expected: invoice.status },
        { field: 'metadata.cf_account_id', expected: invoice.metadata.cf_account_id ?? null },
      ],
      gatedBy: 'InvoiceMetadataRemediation',
    });
  }
  return drafts;
}

function findingsOf(index: AccountIndex, elements: readonly ClassifiedElement[]): Finding[] {
  const findings: Finding[] = [];
  for (const e of elements.filter((x) => x.elementClass === 'missing_price')) {
    findings.push({
      kind: 'missing_price',
      opeSubscriptionId: e.opeSubscriptionId,
      stripeSubscriptionId: e.stripeSubscriptionId,
      elementKeys: [e.key],
      detail: e.reason,
    });
  }
  for (const opeId of opeSubscriptionsMissingInStripe(index, elements)) {
    findings.push({
      kind: 'missing_subscription',
      opeSubscriptionId: opeId,
      stripeSubscriptionId: null,
      elementKeys: elements
        .filter((e) => e.opeSubscriptionId === opeId && e.elementClass === 'expected_in_stripe')
        .map((e) => e.key),
      detail: `OPE subscription ${opeId} has no live Stripe subscription: creating one is not an automatic heal`,
    });
  }
  for (const opeId of opeSubscriptionsWithCurrencyMismatch(index)) {
    const stripe = index.stripeSubscriptionForOpe.get(opeId);
    const ope = index.opeSubscriptions.find((s) => s.id === opeId);
    findings.push({
      kind: 'currency',
      opeSubscriptionId: opeId,
      stripeSubscriptionId: stripe?.id ?? null,
      elementKeys: elements.filter((e) => e.opeSubscriptionId === opeId).map((e) => e.key),
      detail: `OPE bills ${ope?.currency} but Stripe subscription ${stripe?.id} bills ${stripe?.currency}: Stripe cannot change a subscription's currency`,
    });
  }
  return findings;
}

export function plan(view: AccountView, config: PlannerConfig = DEFAULT_PLANNER_CONFIG): Plan {
  const index = buildAccountIndex(view);
  const elements = classifyWithIndex(index);
  const drift = accountDriftWithIndex(index, elements);
  const findings = findingsOf(index, elements);
  const candidates = candidateChanges(index, elements, findings)
    .map((d) => finalise(view.accountId, d))
    .sort(byKey((c) => c.id));
  const restrictions = evaluateRestrictions({ view, candidates, config });

  const blocking = restrictions.some((r) => r.applies && r.effect === 'blocks_plan');
  const droppingGates = new Set<RestrictionName>(
    restrictions.filter((r) => r.applies && r.effect === 'drops_changes').map((r) => r.name),
  );

  let outcome: PlanOutcome;
  let changes: Change[] = [];
  let blockedChanges: Change[] = [];
  let droppedChanges: Plan['droppedChanges'] = [];
  if (blocking && (candidates.length > 0 || findings.length > 0)) {
    outcome = 'blocked';
    blockedChanges = candidates;
  } else {
    for (const change of candidates) {
      if (change.gatedBy !== null && droppingGates.has(change.gatedBy)) {
        droppedChanges.push({ change, droppedBy: change.gatedBy });
      } else {
        changes.push(change);
      }
    }
    outcome =
      changes.length > 0
        ? 'changes'
        : droppedChanges.length > 0
          ? 'blocked'
          : findings.length > 0
            ? 'needs_human'
            : 'noop';
  }
  changes = changes.sort(byKey((c) => c.id));
  droppedChanges = droppedChanges.sort(byKey((d) => d.change.id));

  const planHash = hashOf({
    accountId: view.accountId,
    outcome,
    changes: changes.map((c) => c.id),
    blocked: blockedChanges.map((c) => c.id),
    dropped: droppedChanges.map((d) => d.change.id),
    findings: findings.map((f) => [f.kind, f.opeSubscriptionId, f.stripeSubscriptionId, f.elementKeys]),
    restrictions: restrictions.filter((r) => r.applies).map((r) => r.name),
  });

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    accountId: view.accountId,
    asOf: view.asOf,
    planHash,
    outcome,
    hasDrift: drift.hasDrift,
    accountDrift: drift.accountKinds,
    elements,
    restrictions,
    changes,
    blockedChanges,
    droppedChanges,
    findings,
    moneyEffect: sumMoneyEffects(changes.flatMap((c) => (c.moneyEffect === null ? [] : [c.moneyEffect]))),
  };
}

import type { AccountView } from '../domain/account-view.js';
import type { Change, Plan } from '../domain/plan.js';
import { canonicalJson } from './canonical.js';

/**
 * A plan acts only on fresh truth (docs/design.md, "Live truth"). Pure checks plan-apply makes before its
 * first write, on the view the message carried (a trigger, never authority) and on a view it read live
 * itself: is the carried view fresh enough, which parts moved since it was read, does the live plan make
 * the same decision, and does every target belong to the account's live Stripe customer.
 */

export const VIEW_PARTS = [
  'ope',
  'subs_account',
  'subs_customer',
  'subs_dunning',
  'billing_prod',
  'cf_prod',
  'gates',
  'stripe.customer',
  'stripe.subscriptions',
  'stripe.invoices',
  'stripe.paymentMethods',
] as const;
export type ViewPart = (typeof VIEW_PARTS)[number];

function partOf(view: AccountView, part: ViewPart): { asOf: string; data: unknown } {
  switch (part) {
    case 'ope':
      return view.ope;
    case 'subs_account':
      return view.subsAccount;
    case 'subs_customer':
      return view.subsCustomer;
    case 'subs_dunning':
      return view.subsDunning;
    case 'billing_prod':
      return view.billingProd;
    case 'cf_prod':
      return view.cfProd;
    case 'gates':
      return view.gates;
    case 'stripe.customer':
      return view.stripe.customer;
    case 'stripe.subscriptions':
      return view.stripe.subscriptions;
    case 'stripe.invoices':
      return view.stripe.invoices;
    case 'stripe.paymentMethods':
      return view.stripe.paymentMethods;
  }
}

/** The part of the view read longest ago: a view is as old as its oldest truth. */
export function oldestPart(view: AccountView): { part: ViewPart; asOf: string } {
  let oldest: { part: ViewPart; asOf: string } | undefined;
  for (const part of VIEW_PARTS) {
    const { asOf } = partOf(view, part);
    if (oldest === undefined || Date.parse(asOf) < Date.parse(oldest.asOf)) oldest = { part, asOf };
  }
  return oldest as { part: ViewPart; asOf: string };
}

export type FreshnessVerdict =
  | { readonly fresh: true }
  | { readonly fresh: false; readonly part: ViewPart; readonly ageSeconds: number; readonly reason: string };

/** Fresh when every part was read within `maxAgeSeconds` of `nowMs` (a part from the future counts as 0). */
export function viewFreshness(view: AccountView, nowMs: number, maxAgeSeconds: number): FreshnessVerdict {
  const { part, asOf } = oldestPart(view);
  const ageSeconds = Math.max(0, Math.floor((nowMs - Date.parse(asOf)) / 1000));
  if (ageSeconds <= maxAgeSeconds) return { fresh: true };
  return {
    fresh: false,
    part,
    ageSeconds,
    reason: `the view's ${part} was read ${ageSeconds} s ago (${asOf}), older than the ${maxAgeSeconds} s a plan may act on`,
  };
}

/** The parts whose data differ between two views of one account (read times ignored). */
export function changedParts(gathered: AccountView, live: AccountView): ViewPart[] {
  return VIEW_PARTS.filter(
    (part) => canonicalJson(partOf(gathered, part).data) !== canonicalJson(partOf(live, part).data),
  );
}

/** The parts that are the company's truth (what an account should pay), as opposed to Stripe's state. */
export const isTruthPart = (part: ViewPart): boolean => !part.startsWith('stripe.');

const decision = (c: Change) => canonicalJson({ id: c.id, preconditions: c.preconditions });

export interface DecisionDiff {
  /** Changes the carried plan makes and the live plan does not (same id and preconditions). */
  readonly onlyCarried: readonly Change[];
  /** Changes the live plan makes and the carried plan does not. */
  readonly onlyLive: readonly Change[];
  /** Restrictions that apply in one plan and not the other. */
  readonly restrictions: readonly string[];
}

export function diffDecisions(carried: Plan, live: Plan): DecisionDiff {
  const liveSet = new Set(live.changes.map(decision));
  const carriedSet = new Set(carried.changes.map(decision));
  const applying = (p: Plan) => new Set(p.restrictions.filter((r) => r.applies).map((r) => r.name));
  const a = applying(carried);
  const b = applying(live);
  return {
    onlyCarried: carried.changes.filter((c) => !liveSet.has(decision(c))),
    onlyLive: live.changes.filter((c) => !carriedSet.has(decision(c))),
    restrictions: [...new Set([...a, ...b])].filter((r) => a.has(r) !== b.has(r)).sort(),
  };
}

/**
 * Targets of `changes` that are not the live Stripe customer, one of its subscriptions or one of its
 * recent invoices: a write there would move another account's money. Never written.
 */
export function foreignTargets(changes: readonly Change[], live: AccountView): Change[] {
  const customer = live.stripe.customer.data;
  const owned = new Set<string>([
    ...(customer && !customer.deleted ? [`customer:${customer.id}`] : []),
    ...live.stripe.subscriptions.data
      .filter((s) => customer !== null && s.customerId === customer.id)
      .map((s) => `subscription:${s.id}`),
    ...live.stripe.invoices.data.recent.map((i) => `invoice:${i.id}`),
  ]);
  return changes.filter((c) => !owned.has(`${c.target.object}:${c.target.id}`));
}

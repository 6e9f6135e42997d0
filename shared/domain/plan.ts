import { z } from 'zod';
import { Currency, Id, Instant, MinorUnits } from './common.js';

/** Rules: docs/domain-rules.md. The planner (shared/core/planner.ts) produces these; apply consumes them. */

/** In precedence order: the first class whose condition holds wins (docs/domain-rules.md). */
export const ElementClass = z.enum([
  'contract',
  'bad_debt_item',
  'deleted_from_ope',
  'delayed_upgrade',
  'missing_price',
  'expected_in_stripe',
]);
export type ElementClass = z.infer<typeof ElementClass>;

export const ElementDriftKind = z.enum([
  'missing_item',
  'extra_item',
  'price',
  'quantity',
  'interval',
  'missing_price',
]);
export type ElementDriftKind = z.infer<typeof ElementDriftKind>;

export const AccountDriftKind = z.enum([
  'status',
  'missing_subscription',
  'currency',
  'bad_debt_flag',
  'invoice_metadata',
]);
export type AccountDriftKind = z.infer<typeof AccountDriftKind>;

export const ClassifiedElement = z.strictObject({
  /** OPE item id, or `stripe:<item id>` for a Stripe item no OPE item matched. */
  key: z.string(),
  opeItemId: Id.nullable(),
  stripeItemId: Id.nullable(),
  opeSubscriptionId: Id.nullable(),
  stripeSubscriptionId: Id.nullable(),
  elementClass: ElementClass,
  /** Why this class, for people reading a plan. */
  reason: z.string(),
  drift: z.array(ElementDriftKind),
});
export type ClassifiedElement = z.infer<typeof ClassifiedElement>;

export const RestrictionName = z.enum([
  'UnsupportedAccountType',
  'MergedAccount',
  'InvalidPaymentMethod',
  'InvoiceDateTooNear',
  'NoStripeCustomer',
  'BadDebtDriftRemediation',
  'InvoiceMetadataRemediation',
]);
export type RestrictionName = z.infer<typeof RestrictionName>;

export const RestrictionEffect = z.enum(['blocks_plan', 'drops_changes']);
export type RestrictionEffect = z.infer<typeof RestrictionEffect>;

/** Scalar evidence values only, so an audit row can carry them as they are. */
const EvidenceValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

export const RestrictionEvaluation = z.strictObject({
  name: RestrictionName,
  effect: RestrictionEffect,
  applies: z.boolean(),
  /** One sentence: why it applies, or why it does not. */
  reason: z.string(),
  /** The values the decision was made on. */
  evidence: z.record(z.string(), EvidenceValue),
});
export type RestrictionEvaluation = z.infer<typeof RestrictionEvaluation>;

export const ChangeKind = z.enum([
  'subscription_update',
  'subscription_cancel',
  'customer_update',
  'invoice_update',
]);
export type ChangeKind = z.infer<typeof ChangeKind>;

/** A Stripe form parameter value: Stripe's bodies are nested records of strings, numbers and booleans. */
export type StripeParamValue =
  | string
  | number
  | boolean
  | null
  | StripeParamValue[]
  | { [k: string]: StripeParamValue };
export const StripeParamValue: z.ZodType<StripeParamValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(StripeParamValue),
    z.record(z.string(), StripeParamValue),
  ]),
);

export const StripeOperation = z.strictObject({
  /** The SDK method, e.g. `subscriptions.update`. */
  sdkMethod: z.enum(['subscriptions.update', 'subscriptions.cancel', 'customers.update', 'invoices.update']),
  httpMethod: z.enum(['POST', 'DELETE']),
  path: z.string(),
  params: z.record(z.string(), StripeParamValue),
});
export type StripeOperation = z.infer<typeof StripeOperation>;

export const ItemChange = z.strictObject({
  action: z.enum(['add', 'update', 'remove']),
  elementKey: z.string(),
  stripeItemId: Id.nullable(),
  opeItemId: Id.nullable(),
  drift: z.array(ElementDriftKind),
  from: z.strictObject({ priceId: Id, quantity: z.number().int() }).nullable(),
  to: z.strictObject({ priceId: Id, quantity: z.number().int() }).nullable(),
});
export type ItemChange = z.infer<typeof ItemChange>;

export const MoneyEffect = z.strictObject({
  currency: Currency,
  /** Exact: unit amount x quantity x intervals per year, summed new minus old. */
  annualDeltaMinor: MinorUnits,
  /** Display only: the annual delta / 12, rounded half away from zero. */
  monthlyDeltaMinor: MinorUnits,
});
export type MoneyEffect = z.infer<typeof MoneyEffect>;

/** A live value the change expects to overwrite: apply re-reads it and refuses a stale plan. */
export const Precondition = z.strictObject({
  field: z.string(),
  expected: StripeParamValue,
});
export type Precondition = z.infer<typeof Precondition>;

export const ChangeTarget = z.strictObject({
  object: z.enum(['subscription', 'customer', 'invoice']),
  id: Id,
});
export type ChangeTarget = z.infer<typeof ChangeTarget>;

export const Change = z.strictObject({
  /** Stable: `chg_` + hash of account, kind, target and params. The same drift plans the same id. */
  id: z.string().regex(/^chg_[0-9a-f]{20}$/),
  kind: ChangeKind,
  target: ChangeTarget,
  operation: StripeOperation,
  itemChanges: z.array(ItemChange),
  drift: z.array(z.union([ElementDriftKind, AccountDriftKind])),
  /** null: the change moves no money (metadata only). */
  moneyEffect: MoneyEffect.nullable(),
  preconditions: z.array(Precondition),
  /** The gate restriction that may drop this change, if any. */
  gatedBy: RestrictionName.nullable(),
});
export type Change = z.infer<typeof Change>;

export const FindingKind = z.enum(['missing_price', 'missing_subscription', 'currency', 'duplicate_price']);
export type FindingKind = z.infer<typeof FindingKind>;

/** Drift no automatic path may heal: a human must act. */
export const Finding = z.strictObject({
  kind: FindingKind,
  opeSubscriptionId: Id.nullable(),
  stripeSubscriptionId: Id.nullable(),
  elementKeys: z.array(z.string()),
  detail: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const PlanOutcome = z.enum(['noop', 'changes', 'blocked', 'needs_human']);
export type PlanOutcome = z.infer<typeof PlanOutcome>;

export const DroppedChange = z.strictObject({ change: Change, droppedBy: RestrictionName });

export const PLAN_SCHEMA_VERSION = 1 as const;

export const Plan = z.strictObject({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  accountId: Id,
  asOf: Instant,
  /** Hash of what the plan would do (changes, blocks, drops, findings): apply's idempotency keys use it. */
  planHash: z.string().regex(/^[0-9a-f]{64}$/),
  outcome: PlanOutcome,
  hasDrift: z.boolean(),
  accountDrift: z.array(AccountDriftKind),
  elements: z.array(ClassifiedElement),
  /** All seven, in the documented order, whether they apply or not. */
  restrictions: z.array(RestrictionEvaluation),
  /** What apply may write. Empty unless outcome is `changes`. */
  changes: z.array(Change),
  /** Changes a blocking restriction kept from being applied. */
  blockedChanges: z.array(Change),
  /** Changes a gate-off restriction dropped. */
  droppedChanges: z.array(DroppedChange),
  findings: z.array(Finding),
  /** Sum of the money effects of `changes`, per currency. */
  moneyEffect: z.array(MoneyEffect),
});
export type Plan = z.infer<typeof Plan>;

export const PlannerConfig = z.strictObject({
  /** InvoiceDateTooNear: block billing changes when the next invoice is fewer than this many days away. */
  invoiceDateTooNearDays: z.number().int().min(0).max(365),
});
export type PlannerConfig = z.infer<typeof PlannerConfig>;

export const DEFAULT_PLANNER_CONFIG: PlannerConfig = { invoiceDateTooNearDays: 3 };

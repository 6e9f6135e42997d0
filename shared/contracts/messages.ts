import { z } from 'zod';
import { AccountView } from '../domain/account-view.js';
import { DriftSystem, Trigger } from '../domain/audit.js';
import { CalendarDate, Id, Instant } from '../domain/common.js';

/**
 * Pub/Sub message schemas, versioned and validated on both ends (publisher and consumer).
 * A consumer that receives an unknown version or kind fails the message permanently (audited, acked)
 * rather than retrying something that can never succeed. Documented in docs/messages.md.
 */

/** Who started the run and how: carried through every hop so each audit row can say it. */
export const RunContext = z.strictObject({
  runId: Id,
  system: DriftSystem,
  snapshotDate: CalendarDate,
  trigger: Trigger,
  /** Who asked, for replays and manual runs; null for the scheduler. */
  requestedBy: z.string().max(255).nullable(),
  /** Decided when the run started (or by the replay flag); apply re-reads the kill switch anyway. */
  dryRun: z.boolean(),
});
export type RunContext = z.infer<typeof RunContext>;

/**
 * Which truth a view holds: `live` (every store read now; the only one plan-apply ever applies) or
 * `mirror` (the company's stores as the nightly mirror of the run's snapshot date holds them: what
 * detection saw, for investigation; docs/design.md, "Live truth").
 */
export const ViewTruth = z.enum(['live', 'mirror']);
export type ViewTruth = z.infer<typeof ViewTruth>;

/**
 * Valves an operator lifts for one replay, and why. gather applies the replay valves and records these on
 * the account's audit row (docs/operations.md, "Replay").
 */
export const ReplayOverrides = z.strictObject({
  includePersistent: z.boolean().default(false),
  ignoreCooldown: z.boolean().default(false),
  ignoreCaps: z.boolean().default(false),
  reason: z.string().trim().min(10, 'say why in a sentence (at least 10 characters)').max(500),
});
export type ReplayOverrides = z.infer<typeof ReplayOverrides>;

/** Where a change event came from: a Stripe webhook, or the company's OPE change topic. */
export const EventSource = z.enum(['stripe', 'ope']);
export type EventSource = z.infer<typeof EventSource>;

/** The change events that led to an event-driven check (trigger `event` only), for its audit rows. */
export const CheckEvents = z.strictObject({
  /** The first events' ids (at most 50 are kept), and how many there were in all. */
  ids: z.array(z.string().min(1).max(255)).min(1).max(50),
  count: z.number().int().min(1),
  sources: z.array(EventSource).min(1),
  firstAt: Instant,
});
export type CheckEvents = z.infer<typeof CheckEvents>;

/** detect-drift (or a replay) -> gather: one message per new Stripe-drift account (ordering key = account id). */
export const StripeDriftAccountMessage = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('stripe_drift_account'),
  run: RunContext,
  accountId: Id,
  /** Absent: live. */
  truth: ViewTruth.optional(),
  /** A replay's lifted valves (trigger replay only). */
  overrides: ReplayOverrides.optional(),
  /** The change events behind an event-driven check (trigger event only). */
  events: CheckEvents.optional(),
  publishedAt: Instant,
});
export type StripeDriftAccountMessage = z.infer<typeof StripeDriftAccountMessage>;

/** gather -> plan-apply: the unified view, with provenance, for one account. */
export const AccountViewMessage = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('account_view'),
  run: RunContext,
  /** Absent: live. */
  truth: ViewTruth.optional(),
  view: AccountView,
  publishedAt: Instant,
});
export type AccountViewMessage = z.infer<typeof AccountViewMessage>;

/** detect-drift -> www-resync: one message per new WWW-drift zone (ordering key = zone id). */
export const WwwDriftZoneMessage = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('www_drift_zone'),
  run: RunContext,
  zoneId: Id,
  accountId: Id,
  /** What the mirror saw: www's level, and subs-api's (the source of truth); null = no record there. */
  mirror: z.strictObject({
    wwwPlanLevel: z.string().min(1).max(64).nullable(),
    subsApiPlanLevel: z.string().min(1).max(64).nullable(),
  }),
  publishedAt: Instant,
});
export type WwwDriftZoneMessage = z.infer<typeof WwwDriftZoneMessage>;

/**
 * The company's OPE change topic -> ope-events: the accounts whose OPE subscriptions changed. A trigger,
 * never truth: each account is checked live after the OPE settle delay (docs/design.md, "Events").
 */
export const OpeChangeMessage = z.strictObject({
  schemaVersion: z.literal(1),
  kind: z.literal('ope_subscriptions_changed'),
  /** At most 400: one Firestore transaction records the event and every account's check. */
  accountIds: z.array(Id).min(1).max(400),
  changedAt: Instant,
});
export type OpeChangeMessage = z.infer<typeof OpeChangeMessage>;

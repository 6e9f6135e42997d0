import { z } from 'zod';
import { CalendarDate, Id, Instant } from './common.js';

/**
 * One row of `cfbill_migrations_audit`: every attempt, whatever its outcome (docs/design.md "Audit").
 * "Check this table first when investigating why remediation didn't fire" must be true, so a row
 * carries the restrictions that applied, the params it ran with and what came of it.
 *
 * The BigQuery table schema is generated from this schema (shared/schemas/audit-table.bigquery.json),
 * and the Terraform wiring test holds the deployed table to it.
 */

/** `event`: a check of one account that Stripe or OPE change events asked for (docs/design.md, "Events"). */
export const Trigger = z.enum(['scheduled', 'replay', 'manual', 'event']);
export type Trigger = z.infer<typeof Trigger>;

export const DriftSystem = z.enum(['stripe', 'www']);
export type DriftSystem = z.infer<typeof DriftSystem>;

/** `events`: change events taken in (a malformed OPE change message is audited here). */
export const AuditStage = z.enum([
  'detect',
  'gather',
  'plan_apply',
  'www_resync',
  'audit_writer',
  'replay',
  'events',
]);
export type AuditStage = z.infer<typeof AuditStage>;

export const AuditOutcome = z.enum([
  /** Changes were written. */
  'applied',
  /** Nothing to do: the account already matched. */
  'noop',
  /** A restriction (or gate) kept the plan from being applied. */
  'blocked',
  /** Drift found that no automatic path may heal (missing price, missing subscription, ...). */
  'needs_human',
  /** Dry-run: what would have been applied, nothing written. */
  'dry_run',
  /** A safety valve stopped the run (kill switch, blast radius, stale mirror, cap). */
  'halted',
  /** Not attempted by design: persistent drift, enterprise/unsupported type, cooldown. */
  'excluded',
  /** The plan was built on state that changed before apply; refused. */
  'stale',
  /** Handed on to the next step (detection published the account, gather published the view). */
  'published',
  /** Could not be done: the error says why. */
  'failed',
]);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

export const AuditRecord = z.strictObject({
  /** Deterministic: the same attempt redelivered yields the same id (insertId de-duplication). */
  row_id: Id,
  run_id: Id,
  trigger: Trigger,
  /** Who asked, for replays and manual runs; null for the scheduler. */
  requested_by: z.string().max(255).nullable(),
  system: DriftSystem,
  stage: AuditStage,
  snapshot_date: CalendarDate.nullable(),
  account_id: z.string().max(255).nullable(),
  zone_id: z.string().max(255).nullable(),
  outcome: AuditOutcome,
  failed: z.boolean(),
  /** A failed attempt whose message will be redelivered (transient); false: final for this message. */
  will_retry: z.boolean(),
  /** Names of every restriction that applied, not just the first. */
  restrictions: z.array(z.string().max(64)),
  /** Why this outcome, in one sentence a billing engineer can act on. */
  reason: z.string().max(2000).nullable(),
  error_code: z.string().max(128).nullable(),
  plan_hash: z.string().max(128).nullable(),
  change_ids: z.array(z.string().max(128)),
  stripe_writes: z.number().int().min(0),
  dry_run: z.boolean(),
  /** Inputs of the attempt as a JSON document (no secrets, no personal data). */
  params_json: z.string().max(1_000_000),
  /** What came of it as a JSON document. */
  result_json: z.string().max(1_000_000),
  started_at: Instant,
  finished_at: Instant,
});
export type AuditRecord = z.infer<typeof AuditRecord>;

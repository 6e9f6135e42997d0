import type { RunContext } from '../contracts/messages.js';
import { hashOf } from '../core/canonical.js';
import type { AuditOutcome, AuditRecord, AuditStage } from '../domain/audit.js';
import type { PipelineDeps } from './deps.js';

/**
 * Builds audit rows. The row id is a hash of what identifies the attempt (run, stage, subject, outcome
 * and an attempt key such as the plan hash), so a redelivered message that reaches the same outcome
 * yields the same id, and BigQuery's insertId de-duplication keeps one row.
 */

export interface AuditInput {
  readonly run: RunContext;
  readonly stage: AuditStage;
  readonly outcome: AuditOutcome;
  readonly accountId?: string | null;
  readonly zoneId?: string | null;
  readonly restrictions?: readonly string[];
  readonly reason?: string | null;
  readonly errorCode?: string | null;
  readonly planHash?: string | null;
  readonly changeIds?: readonly string[];
  readonly stripeWrites?: number;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Distinguishes attempts that are really different (e.g. the delivery attempt of a failure). */
  readonly attemptKey?: string | number | null;
  /** The message will be redelivered (a transient failure). */
  readonly willRetry?: boolean;
}

const MAX_JSON = 900_000;

function boundedJson(value: unknown): string {
  const text = JSON.stringify(value ?? {});
  // A huge view must not make the audit row itself fail: keep the head and say it was cut.
  return text.length <= MAX_JSON
    ? text
    : JSON.stringify({ truncated: true, head: text.slice(0, MAX_JSON - 100) });
}

export function auditRowId(
  input: Pick<
    AuditInput,
    'run' | 'stage' | 'outcome' | 'accountId' | 'zoneId' | 'planHash' | 'attemptKey' | 'errorCode'
  >,
): string {
  return hashOf({
    run: input.run.runId,
    system: input.run.system,
    stage: input.stage,
    account: input.accountId ?? null,
    zone: input.zoneId ?? null,
    outcome: input.outcome,
    plan: input.planHash ?? null,
    error: input.errorCode ?? null,
    attempt: input.attemptKey ?? null,
  }).slice(0, 40);
}

export function auditRecord(input: AuditInput): AuditRecord {
  return {
    row_id: auditRowId(input),
    run_id: input.run.runId,
    trigger: input.run.trigger,
    requested_by: input.run.requestedBy,
    system: input.run.system,
    stage: input.stage,
    snapshot_date: input.run.snapshotDate,
    account_id: input.accountId ?? null,
    zone_id: input.zoneId ?? null,
    outcome: input.outcome,
    failed: input.outcome === 'failed',
    will_retry: input.willRetry ?? false,
    restrictions: [...(input.restrictions ?? [])],
    reason: input.reason ?? null,
    error_code: input.errorCode ?? null,
    plan_hash: input.planHash ?? null,
    change_ids: [...(input.changeIds ?? [])],
    stripe_writes: input.stripeWrites ?? 0,
    dry_run: input.run.dryRun,
    params_json: boundedJson(input.params),
    result_json: boundedJson(input.result),
    started_at: input.startedAt.toISOString(),
    finished_at: input.finishedAt.toISOString(),
  };
}

/** Publishes the row to the audit topic and logs it (the `outcome` field drives the halted-run alert). */
export async function emitAudit(
  deps: Pick<PipelineDeps, 'publisher' | 'log'>,
  input: AuditInput,
): Promise<AuditRecord> {
  const record = auditRecord(input);
  deps.log.info(
    {
      event: 'audit',
      // outcome and system drive the halted-run alert (infra/terraform/monitoring.tf).
      outcome: record.outcome,
      system: record.system,
      stage: record.stage,
      run_id: record.run_id,
      account_id: record.account_id,
      zone_id: record.zone_id,
      restrictions: record.restrictions,
      error_code: record.error_code,
    },
    record.reason ?? record.outcome,
  );
  await deps.publisher.publish('auditEvents', record, { attributes: { row_id: record.row_id } });
  return record;
}

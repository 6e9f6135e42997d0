import type { BigQuery } from '@google-cloud/bigquery';
import { AUDIT_TABLE, DATASETS } from '../contracts/topology.js';
import type { AuditRecord, DriftSystem } from '../domain/audit.js';
import { UpstreamError } from '../ports/errors.js';
import type {
  DailyOutcomeCount,
  RestrictionCount,
  RunOutcomeCount,
  SupportReadPort,
} from '../ports/index.js';

/**
 * The audit read for people (docs/support.md): parameterised queries only, caller text never becomes
 * SQL. Counts read billing_observability.audit_final_outcomes (one final word per run, stage and
 * subject); an account's attempts read the audit table filtered on the account first, then de-duplicated
 * by row id as audit_attempts does, so a page costs the account's rows, not the table's.
 */

const AUDIT = `${DATASETS.audit}.${AUDIT_TABLE}`;
const FINAL = `${DATASETS.observability}.audit_final_outcomes`;

type Row = Record<string, unknown>;

/** BigQuery's client wraps DATE and TIMESTAMP values in `{ value }` objects; pages want plain strings. */
function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'value' in value)
    return (value as { value: unknown }).value;
  return value;
}

function instant(value: unknown): string {
  const v = plain(value);
  return typeof v === 'string' ? new Date(v).toISOString() : String(v);
}

function text(value: unknown): string | null {
  const v = plain(value);
  return v === null || v === undefined ? null : String(v);
}

function auditRecord(r: Row): AuditRecord {
  return {
    row_id: String(r.row_id),
    run_id: String(r.run_id),
    trigger: r.trigger as AuditRecord['trigger'],
    requested_by: text(r.requested_by),
    system: r.system as DriftSystem,
    stage: r.stage as AuditRecord['stage'],
    snapshot_date: text(r.snapshot_date),
    account_id: text(r.account_id),
    zone_id: text(r.zone_id),
    outcome: r.outcome as AuditRecord['outcome'],
    failed: Boolean(r.failed),
    will_retry: Boolean(r.will_retry),
    restrictions: Array.isArray(r.restrictions) ? r.restrictions.map(String) : [],
    reason: text(r.reason),
    error_code: text(r.error_code),
    plan_hash: text(r.plan_hash),
    change_ids: Array.isArray(r.change_ids) ? r.change_ids.map(String) : [],
    stripe_writes: Number(r.stripe_writes ?? 0),
    dry_run: Boolean(r.dry_run),
    params_json: String(r.params_json ?? '{}'),
    result_json: String(r.result_json ?? '{}'),
    started_at: instant(r.started_at),
    finished_at: instant(r.finished_at),
  };
}

export class BigQuerySupportReader implements SupportReadPort {
  constructor(readonly bq: BigQuery) {}

  private async query(name: string, sql: string, params: Record<string, unknown>): Promise<Row[]> {
    try {
      const [rows] = await this.bq.query({ query: sql, params });
      return rows as Row[];
    } catch (error) {
      const status = (error as { code?: number }).code ?? null;
      throw new UpstreamError(
        `BigQuery read for ${name} failed: ${(error as Error).message}`,
        'bigquery',
        status === null || status === 429 || status >= 500,
        status,
        { cause: error },
      );
    }
  }

  async accountAttempts(accountId: string): Promise<AuditRecord[]> {
    const rows = await this.query(
      'the account',
      `SELECT * EXCEPT (copy_number) FROM (
         SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.row_id ORDER BY a.finished_at, a.started_at) AS copy_number
         FROM ${AUDIT} AS a WHERE a.account_id = @account
       ) WHERE copy_number = 1 ORDER BY finished_at, row_id`,
      { account: accountId },
    );
    return rows.map(auditRecord);
  }

  async accountsOfZone(zoneId: string): Promise<string[]> {
    const rows = await this.query(
      'the zone',
      `SELECT account_id, MAX(finished_at) AS last_at FROM ${AUDIT}
       WHERE zone_id = @zone AND account_id IS NOT NULL GROUP BY account_id ORDER BY last_at, account_id`,
      { zone: zoneId },
    );
    return rows.map((r) => String(r.account_id)).reverse();
  }

  async accountsLike(prefix: string, limit: number): Promise<string[]> {
    const rows = await this.query(
      'search',
      `SELECT DISTINCT account_id FROM ${AUDIT}
       WHERE account_id IS NOT NULL AND STARTS_WITH(account_id, @prefix) ORDER BY account_id LIMIT @limit`,
      { prefix, limit },
    );
    return rows.map((r) => String(r.account_id));
  }

  async halts(sinceIso: string): Promise<AuditRecord[]> {
    const rows = await this.query(
      'halts',
      `SELECT * FROM ${FINAL} WHERE stage = 'detect' AND outcome = 'halted' AND finished_at >= TIMESTAMP(@since)
       ORDER BY finished_at, row_id`,
      { since: sinceIso },
    );
    return rows.map(auditRecord);
  }

  async runOutcomes(
    filter:
      | { readonly runId: string }
      | { readonly fromDate: string; readonly toDate: string; readonly trigger: string },
  ): Promise<RunOutcomeCount[]> {
    const where =
      'runId' in filter
        ? 'run_id = @run'
        : 'trigger = @trigger AND DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to)';
    const params =
      'runId' in filter
        ? { run: filter.runId }
        : { trigger: filter.trigger, from: filter.fromDate, to: filter.toDate };
    const rows = await this.query(
      'runs',
      `SELECT run_id, system, trigger, snapshot_date, stage, outcome, error_code,
         COUNT(*) AS n, MIN(started_at) AS first_at, MAX(finished_at) AS last_at
       FROM ${FINAL} WHERE ${where}
       GROUP BY run_id, system, trigger, snapshot_date, stage, outcome, error_code
       ORDER BY first_at, run_id, stage, outcome`,
      params,
    );
    return rows.map((r) => ({
      runId: String(r.run_id),
      system: r.system as DriftSystem,
      trigger: String(r.trigger),
      snapshotDate: text(r.snapshot_date),
      stage: String(r.stage),
      outcome: String(r.outcome),
      code: text(r.error_code),
      count: Number(r.n),
      firstAt: instant(r.first_at),
      lastAt: instant(r.last_at),
    }));
  }

  async dailyOutcomes(fromDate: string, toDate: string): Promise<DailyOutcomeCount[]> {
    const rows = await this.query(
      'trends',
      `SELECT CAST(DATE(finished_at) AS STRING) AS day, system, stage, outcome, error_code, COUNT(*) AS n
       FROM ${FINAL} WHERE DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to)
       GROUP BY day, system, stage, outcome, error_code ORDER BY day, system, stage, outcome`,
      { from: fromDate, to: toDate },
    );
    return rows.map((r) => ({
      day: String(plain(r.day)),
      system: r.system as DriftSystem,
      stage: String(r.stage),
      outcome: String(r.outcome),
      code: text(r.error_code),
      count: Number(r.n),
    }));
  }

  async blockingRestrictions(
    filter: { readonly runId: string } | { readonly fromDate: string; readonly toDate: string },
  ): Promise<RestrictionCount[]> {
    const byRun = 'runId' in filter;
    const rows = await this.query(
      'restrictions',
      `SELECT ${byRun ? 'f.run_id' : 'CAST(DATE(f.finished_at) AS STRING)'} AS k, r AS restriction, COUNT(*) AS n
       FROM ${FINAL} AS f, UNNEST(f.restrictions) AS r
       WHERE f.outcome = 'blocked' AND ${byRun ? 'f.run_id = @run' : 'DATE(f.finished_at) BETWEEN DATE(@from) AND DATE(@to)'}
       GROUP BY k, restriction ORDER BY k, restriction`,
      byRun ? { run: filter.runId } : { from: filter.fromDate, to: filter.toDate },
    );
    return rows.map((r) => ({
      key: String(plain(r.k)),
      restriction: String(r.restriction),
      count: Number(r.n),
    }));
  }

  async runAttempts(runId: string, outcomes: readonly string[], limit: number): Promise<AuditRecord[]> {
    const rows = await this.query(
      'the run',
      `SELECT * FROM ${FINAL} WHERE run_id = @run AND outcome IN UNNEST(@outcomes)
       ORDER BY finished_at, row_id LIMIT @limit`,
      { run: runId, outcomes: [...outcomes], limit },
    );
    return rows.map(auditRecord);
  }
}

import type { BigQuery } from '@google-cloud/bigquery';
import { AUDIT_TABLE, DATASETS } from '../contracts/topology.js';
import type { AuditRecord, DriftSystem } from '../domain/audit.js';
import { UpstreamError } from '../ports/errors.js';
import type {
  DailyOutcomeCount,
  RestrictionCount,
  RunOutcomeCount,
  SupportReadPort,
  TicketNamingAccount,
} from '../ports/index.js';

/**
 * The audit read for people (docs/support.md): parameterised queries only, caller text never becomes
 * SQL. Every query filters the audit table first — by account, by run, or by time — and only then
 * de-duplicates by row id and takes each run, stage and subject's final word, so a page costs the rows it
 * shows, not the table (the views' window functions see the whole table before any filter).
 */

const AUDIT = `${DATASETS.audit}.${AUDIT_TABLE}`;

/**
 * The final outcomes (billing_observability.audit_final_outcomes: per run, system, stage and subject, the
 * latest attempt that will not be retried; one copy per row id, as audit_attempts) among the rows `where`
 * keeps, filtering first. Exact when `where` keeps whole runs (`run_id = …`) or all rows finished at or
 * after an instant: dropping older rows never changes which row is latest, so callers filter the finals'
 * own finish time afterwards. test/shared/adapters/bigquery-support.test.ts holds it to the view.
 */
function finalsWhere(where: string): string {
  return `(SELECT * EXCEPT (position, attempts) FROM (
    SELECT d.*,
      ROW_NUMBER() OVER (PARTITION BY d.run_id, d.system, d.stage, COALESCE(d.zone_id, d.account_id, '')
        ORDER BY d.finished_at, d.row_id) AS position,
      COUNT(*) OVER (PARTITION BY d.run_id, d.system, d.stage, COALESCE(d.zone_id, d.account_id, '')) AS attempts
    FROM (
      SELECT * EXCEPT (copy_number) FROM (
        SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.row_id ORDER BY a.finished_at, a.started_at) AS copy_number
        FROM ${AUDIT} AS a WHERE ${where}
      ) WHERE copy_number = 1
    ) AS d
    WHERE NOT d.will_retry
  ) WHERE position = attempts)`;
}

/** Rows finished from the start of `fromDate` (UTC); started_at (the partition column) a day earlier at most. */
const SINCE = 'a.finished_at >= TIMESTAMP(@since) AND a.started_at >= TIMESTAMP(@since_started)';
function sinceParamsAt(sinceIso: string): { since: string; since_started: string } {
  const since = new Date(sinceIso).toISOString();
  return { since, since_started: new Date(Date.parse(since) - 86_400_000).toISOString() };
}
function sinceParams(fromDate: string): { since: string; since_started: string } {
  return sinceParamsAt(`${fromDate}T00:00:00.000Z`);
}

/**
 * One run's rows. A scheduled run's id carries its snapshot date, and it starts on or after that day: a
 * bound on started_at (the partition column) so BigQuery reads those partitions only.
 */
function runFilter(runId: string): { where: string; params: Record<string, string> } {
  const date = /^sched-(?:stripe|www)-(\d{4}-\d{2}-\d{2})$/.exec(runId)?.[1];
  return date === undefined
    ? { where: 'a.run_id = @run', params: { run: runId } }
    : {
        where: 'a.run_id = @run AND a.started_at >= TIMESTAMP(@run_started)',
        params: {
          run: runId,
          run_started: new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString(),
        },
      };
}
const TICKETS = `${DATASETS.observability}.ticket_classifications_latest`;

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
    // The run's final word, not every halt: a run that halted for a mirror not landed and completed on the
    // scheduler's retry did check its accounts.
    const rows = await this.query(
      'halts',
      `SELECT * FROM ${finalsWhere(`a.stage = 'detect' AND a.account_id IS NULL AND a.zone_id IS NULL AND ${SINCE}`)}
       WHERE outcome = 'halted' ORDER BY finished_at, row_id`,
      sinceParamsAt(sinceIso),
    );
    return rows.map(auditRecord);
  }

  async runOutcomes(
    filter:
      | { readonly runId: string }
      | { readonly fromDate: string; readonly toDate: string; readonly trigger: string },
  ): Promise<RunOutcomeCount[]> {
    const [finals, where, params] =
      'runId' in filter
        ? [finalsWhere(runFilter(filter.runId).where), 'TRUE', runFilter(filter.runId).params]
        : [
            finalsWhere(`a.trigger = @trigger AND ${SINCE}`),
            'DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to)',
            {
              trigger: filter.trigger,
              from: filter.fromDate,
              to: filter.toDate,
              ...sinceParams(filter.fromDate),
            },
          ];
    const rows = await this.query(
      'runs',
      `SELECT run_id, system, trigger, snapshot_date, stage, outcome, error_code,
         COALESCE(zone_id, account_id) IS NULL AS run_level,
         COUNT(*) AS n, MIN(started_at) AS first_at, MAX(finished_at) AS last_at
       FROM ${finals} WHERE ${where}
       GROUP BY run_id, system, trigger, snapshot_date, stage, outcome, error_code, run_level
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
      runLevel: Boolean(r.run_level),
      count: Number(r.n),
      firstAt: instant(r.first_at),
      lastAt: instant(r.last_at),
    }));
  }

  async dailyOutcomes(fromDate: string, toDate: string): Promise<DailyOutcomeCount[]> {
    const rows = await this.query(
      'trends',
      `SELECT CAST(DATE(finished_at) AS STRING) AS day, system, stage, outcome, error_code,
         COALESCE(zone_id, account_id) IS NULL AS run_level, COUNT(*) AS n
       FROM ${finalsWhere(SINCE)} WHERE DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to)
       GROUP BY day, system, stage, outcome, error_code, run_level ORDER BY day, system, stage, outcome`,
      { from: fromDate, to: toDate, ...sinceParams(fromDate) },
    );
    return rows.map((r) => ({
      day: String(plain(r.day)),
      system: r.system as DriftSystem,
      stage: String(r.stage),
      outcome: String(r.outcome),
      code: text(r.error_code),
      runLevel: Boolean(r.run_level),
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
       FROM ${finalsWhere(byRun ? runFilter(filter.runId).where : SINCE)} AS f, UNNEST(f.restrictions) AS r
       WHERE f.outcome = 'blocked' ${byRun ? '' : 'AND DATE(f.finished_at) BETWEEN DATE(@from) AND DATE(@to)'}
       GROUP BY k, restriction ORDER BY k, restriction`,
      byRun
        ? runFilter(filter.runId).params
        : { from: filter.fromDate, to: filter.toDate, ...sinceParams(filter.fromDate) },
    );
    return rows.map((r) => ({
      key: String(plain(r.k)),
      restriction: String(r.restriction),
      count: Number(r.n),
    }));
  }

  async ticketsNaming(accountId: string, limit: number): Promise<TicketNamingAccount[]> {
    const rows = await this.query(
      'tickets',
      `SELECT t.key, t.created, t.atom, t.molecule, t.taxonomy_version
       FROM ${TICKETS} AS t WHERE @account IN UNNEST(t.account_ids) ORDER BY t.created, t.key, t.taxonomy_version`,
      { account: accountId },
    );
    // One row per ticket: the newest taxonomy version that classified it (v10 after v9).
    const version = (v: string) => Number(v.replace(/^v/, '')) || 0;
    const newest = new Map<string, TicketNamingAccount>();
    for (const r of rows) {
      const ticket: TicketNamingAccount = {
        key: String(r.key),
        created: instant(r.created),
        atom: String(r.atom),
        molecule: text(r.molecule),
        taxonomyVersion: String(r.taxonomy_version),
      };
      const prior = newest.get(ticket.key);
      if (prior === undefined || version(ticket.taxonomyVersion) > version(prior.taxonomyVersion))
        newest.set(ticket.key, ticket);
    }
    return [...newest.values()].sort((a, b) => b.created.localeCompare(a.created)).slice(0, limit);
  }

  async runAttempts(
    runId: string,
    outcomes: readonly string[],
    limit: number,
    skipCodes: readonly string[] = [],
  ): Promise<AuditRecord[]> {
    const { where, params } = runFilter(runId);
    const rows = await this.query(
      'the run',
      `SELECT * FROM ${finalsWhere(where)} WHERE outcome IN UNNEST(@outcomes)
         AND (error_code IS NULL OR error_code NOT IN UNNEST(@skip))
       ORDER BY finished_at, row_id LIMIT @limit`,
      { ...params, outcomes: [...outcomes], skip: [...skipCodes, ''], limit },
    );
    return rows.map(auditRecord);
  }
}

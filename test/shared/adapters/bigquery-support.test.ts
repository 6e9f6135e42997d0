/**
 * The support reads (explain and the console) against the local BigQuery with the project's views:
 * a scenario of two nightly runs written through the audit adapter, one row landed twice.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { insertAuditHistory, syntheticAuditHistory } from '../../../local/synthetic/audit-history.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import { BigQuerySupportReader } from '../../../shared/adapters/bigquery-support.js';
import type { RunContext } from '../../../shared/contracts/messages.js';
import type { AuditRecord } from '../../../shared/domain/audit.js';
import { TicketClassificationRow } from '../../../shared/domain/ticket-classification.js';
import { type AuditInput, auditRecord } from '../../../shared/pipeline/audit.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const run = (date: string): RunContext => ({
  runId: `sched-stripe-${date}`,
  system: 'stripe',
  snapshotDate: date,
  trigger: 'scheduled',
  requestedBy: null,
  dryRun: false,
});
const at = (iso: string) => new Date(iso);
const row = (input: Omit<AuditInput, 'startedAt' | 'finishedAt'> & { at: string }): AuditRecord =>
  auditRecord({ ...input, startedAt: at(input.at), finishedAt: at(input.at) });

const R1 = run('2026-11-24');
const R2 = run('2026-11-25');
const ROWS: AuditRecord[] = [
  row({ run: R1, stage: 'detect', outcome: 'published', accountId: 'acc_a', at: '2026-11-24T06:00:00Z' }),
  row({
    run: R1,
    stage: 'detect',
    outcome: 'published',
    accountId: 'acc_b',
    zoneId: 'zone_b',
    at: '2026-11-24T06:00:01Z',
  }),
  row({ run: R1, stage: 'detect', outcome: 'published', accountId: 'acc_c', at: '2026-11-24T06:00:02Z' }),
  row({
    run: R1,
    stage: 'detect',
    outcome: 'excluded',
    accountId: 'acc_p',
    errorCode: 'persistent_drift',
    at: '2026-11-24T06:00:03Z',
  }),
  row({
    run: R1,
    stage: 'plan_apply',
    outcome: 'applied',
    accountId: 'acc_a',
    stripeWrites: 2,
    at: '2026-11-24T06:01:00Z',
  }),
  row({
    run: R1,
    stage: 'plan_apply',
    outcome: 'blocked',
    accountId: 'acc_b',
    restrictions: ['InvoiceDateTooNear', 'InvalidPaymentMethod'],
    at: '2026-11-24T06:01:01Z',
  }),
  row({
    run: R1,
    stage: 'plan_apply',
    outcome: 'failed',
    accountId: 'acc_c',
    errorCode: 'subs-api_error',
    willRetry: true,
    attemptKey: 'm1',
    at: '2026-11-24T06:01:02Z',
  }),
  row({
    run: R1,
    stage: 'plan_apply',
    outcome: 'applied',
    accountId: 'acc_c',
    stripeWrites: 1,
    at: '2026-11-24T06:02:00Z',
  }),
  row({
    run: R2,
    stage: 'detect',
    outcome: 'halted',
    errorCode: 'blast_radius_count',
    reason: '900 exceed 500',
    at: '2026-11-25T06:00:00Z',
  }),
];

let lb: LocalBigQuery;
let reader: BigQuerySupportReader;

beforeAll(async () => {
  lb = await startLocalBigQuery();
  const bq = new BigQuery({ projectId: 'support-reads', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  const audit = new BigQueryMirror(bq);
  await audit.insert(ROWS);
  // A redelivered audit event landing twice (insertId de-duplication is best effort): one attempt.
  await bq.dataset('billing_audit').table('cfbill_migrations_audit').insert([ROWS[4]]);
  const ticket = (key: string, version: string, atom: string, created: string, accounts: string[]) =>
    TicketClassificationRow.parse({
      key,
      project: 'BILL',
      created,
      week: '2026-11-23',
      summary: `summary of ${key}`,
      atom,
      molecule: atom === 'unclassified' ? null : 'invoicing',
      confidence: 0.9,
      evidence: [],
      reason: atom === 'unclassified' ? 'low_confidence' : null,
      truncated: false,
      taxonomy_version: version,
      account_ids: accounts,
      run_id: 'r1',
      classified_at: '2026-11-30T08:00:00.000Z',
    });
  await bq
    .dataset('billing_tickets')
    .table('ticket_classifications')
    .insert([
      ticket('BILL-1', 'v6', 'invoice_date_wrong', '2026-11-24T10:00:00.000Z', ['acc_b', 'acc_x']),
      ticket('BILL-1', 'v10', 'duplicate_invoice', '2026-11-24T10:00:00.000Z', ['acc_b']),
      ticket('BILL-2', 'v6', 'unclassified', '2026-11-25T10:00:00.000Z', ['acc_b']),
      ticket('BILL-3', 'v6', 'invoice_date_wrong', '2026-11-26T10:00:00.000Z', ['acc_x']),
    ]);
  reader = new BigQuerySupportReader(bq);
}, 120_000);

afterAll(async () => {
  await lb?.stop();
});

describe('BigQuerySupportReader', () => {
  it("reads an account's attempts once each, oldest first, with plain strings for dates", async () => {
    const rows = await reader.accountAttempts('acc_a');
    expect(rows.map((r) => [r.stage, r.outcome])).toEqual([
      ['detect', 'published'],
      ['plan_apply', 'applied'],
    ]);
    expect(rows[1]).toEqual(ROWS[4]);
  });

  it('finds accounts by zone and by prefix', async () => {
    expect(await reader.accountsOfZone('zone_b')).toEqual(['acc_b']);
    expect(await reader.accountsOfZone('zone_none')).toEqual([]);
    expect(await reader.accountsLike('acc_', 10)).toEqual(['acc_a', 'acc_b', 'acc_c', 'acc_p']);
    expect(await reader.accountsLike('acc_', 2)).toEqual(['acc_a', 'acc_b']);
    // Caller text is a parameter, never SQL.
    expect(await reader.accountsLike("x' OR '1'='1", 10)).toEqual([]);
  });

  it('reads halts since an instant', async () => {
    expect((await reader.halts('2026-11-24T00:00:00Z')).map((r) => r.error_code)).toEqual([
      'blast_radius_count',
    ]);
    expect(await reader.halts('2026-11-26T00:00:00Z')).toEqual([]);
  });

  it("counts a run's final outcomes (a retried failure is not final)", async () => {
    const counts = await reader.runOutcomes({ runId: R1.runId });
    const by = Object.fromEntries(counts.map((c) => [`${c.stage}/${c.outcome}/${c.code ?? '-'}`, c.count]));
    expect(by).toEqual({
      'detect/published/-': 3,
      'detect/excluded/persistent_drift': 1,
      'plan_apply/applied/-': 2,
      'plan_apply/blocked/-': 1,
    });
    const listed = await reader.runOutcomes({
      fromDate: '2026-11-24',
      toDate: '2026-11-25',
      trigger: 'scheduled',
    });
    expect(new Set(listed.map((c) => c.runId))).toEqual(new Set([R1.runId, R2.runId]));
    expect(listed.find((c) => c.runId === R2.runId)).toMatchObject({
      runLevel: true,
      outcome: 'halted',
      code: 'blast_radius_count',
      snapshotDate: '2026-11-25',
    });
  });

  it('counts outcomes per day and blocking restrictions per day and per run', async () => {
    const daily = await reader.dailyOutcomes('2026-11-01', '2026-11-30');
    expect(daily.filter((d) => d.outcome === 'applied')).toEqual([
      {
        day: '2026-11-24',
        system: 'stripe',
        stage: 'plan_apply',
        outcome: 'applied',
        code: null,
        runLevel: false,
        count: 2,
      },
    ]);
    expect(await reader.blockingRestrictions({ fromDate: '2026-11-24', toDate: '2026-11-24' })).toEqual([
      { key: '2026-11-24', restriction: 'InvalidPaymentMethod', count: 1 },
      { key: '2026-11-24', restriction: 'InvoiceDateTooNear', count: 1 },
    ]);
    expect(await reader.blockingRestrictions({ runId: R2.runId })).toEqual([]);
  });

  it("lists a run's final attempts with given outcomes", async () => {
    const rows = await reader.runAttempts(R1.runId, ['blocked', 'excluded'], 10);
    expect(rows.map((r) => r.account_id)).toEqual(['acc_p', 'acc_b']);
    expect(await reader.runAttempts(R1.runId, ['blocked', 'excluded'], 1)).toHaveLength(1);
  });

  it('lists the tickets naming an account, newest first, each by its newest taxonomy version', async () => {
    expect(await reader.ticketsNaming('acc_b', 10)).toEqual([
      {
        key: 'BILL-2',
        created: '2026-11-25T10:00:00.000Z',
        atom: 'unclassified',
        molecule: null,
        taxonomyVersion: 'v6',
      },
      {
        key: 'BILL-1',
        created: '2026-11-24T10:00:00.000Z',
        atom: 'duplicate_invoice',
        molecule: 'invoicing',
        taxonomyVersion: 'v10',
      },
    ]);
    expect(await reader.ticketsNaming('acc_b', 1)).toHaveLength(1);
    expect(await reader.ticketsNaming('acc_none', 10)).toEqual([]);
  });
});

describe('the filtered reads give what the views give', () => {
  let lb2: LocalBigQuery;
  let bq2: BigQuery;
  let r2: BigQuerySupportReader;
  const from = '2026-11-20';
  const to = '2026-11-26';
  // A subject whose failed attempt (will retry) finished before `from` and whose final word came after it.
  const straddle = run('2026-11-19');
  const BOUNDARY: AuditRecord[] = [
    row({
      run: straddle,
      stage: 'plan_apply',
      outcome: 'failed',
      accountId: 'acc_edge',
      errorCode: 'stripe_rate_limit',
      willRetry: true,
      attemptKey: 'm1',
      at: '2026-11-19T23:59:30Z',
    }),
    row({
      run: straddle,
      stage: 'plan_apply',
      outcome: 'blocked',
      accountId: 'acc_edge',
      restrictions: ['MergedAccount'],
      at: '2026-11-20T00:00:30Z',
    }),
    // A final word before `from` whose run goes on after it: neither counts in the range but the later one.
    row({
      run: straddle,
      stage: 'plan_apply',
      outcome: 'noop',
      accountId: 'acc_early',
      at: '2026-11-19T23:00:00Z',
    }),
  ];

  beforeAll(async () => {
    lb2 = await startLocalBigQuery();
    bq2 = new BigQuery({ projectId: 'support-views', apiEndpoint: lb2.url });
    await deployWarehouse(bq2);
    const history = syntheticAuditHistory({
      days: 12,
      beforeDate: '2026-11-28',
      accountsPerDay: 15,
      seed: 3,
    });
    await insertAuditHistory(bq2, [...history, ...BOUNDARY]);
    // Some rows land twice, as redelivered audit events do.
    await insertAuditHistory(
      bq2,
      history.filter((_, i) => i % 17 === 0),
    );
    r2 = new BigQuerySupportReader(bq2);
  }, 120_000);

  afterAll(async () => {
    await lb2?.stop();
  });

  const viaView = async (sql: string, params: Record<string, unknown>) => {
    const [rows] = await bq2.query({ query: sql, params });
    return rows as Record<string, unknown>[];
  };
  const key = (...parts: unknown[]) => parts.map((p) => String(p ?? '-')).join('|');

  it('counts a run as audit_final_outcomes does', async () => {
    for (const runId of ['sched-stripe-2026-11-22', 'sched-www-2026-11-22', straddle.runId]) {
      const mine = await r2.runOutcomes({ runId });
      const theirs = await viaView(
        `SELECT stage, outcome, error_code, COUNT(*) AS n FROM billing_observability.audit_final_outcomes
         WHERE run_id = @run GROUP BY stage, outcome, error_code`,
        { run: runId },
      );
      const sum = new Map<string, number>();
      for (const m of mine)
        sum.set(key(m.stage, m.outcome, m.code), (sum.get(key(m.stage, m.outcome, m.code)) ?? 0) + m.count);
      expect(sum, runId).toEqual(
        new Map(theirs.map((t) => [key(t.stage, t.outcome, t.error_code), Number(t.n)])),
      );
      expect(sum.size, runId).toBeGreaterThan(0);
    }
  });

  it('counts days as audit_final_outcomes does, a retry before the range included', async () => {
    const mine = await r2.dailyOutcomes(from, to);
    const theirs = await viaView(
      `SELECT CAST(DATE(finished_at) AS STRING) AS day, system, stage, outcome, error_code, COUNT(*) AS n
       FROM billing_observability.audit_final_outcomes WHERE DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to)
       GROUP BY day, system, stage, outcome, error_code`,
      { from, to },
    );
    const sum = new Map<string, number>();
    for (const m of mine) {
      const k = key(m.day, m.system, m.stage, m.outcome, m.code);
      sum.set(k, (sum.get(k) ?? 0) + m.count);
    }
    expect(sum).toEqual(
      new Map(theirs.map((t) => [key(t.day, t.system, t.stage, t.outcome, t.error_code), Number(t.n)])),
    );
    expect(
      mine.find((m) => m.day === '2026-11-20' && m.outcome === 'blocked' && m.stage === 'plan_apply'),
    ).toBeDefined();
  });

  it('counts blocking restrictions and lists a run as the view does', async () => {
    const mine = await r2.blockingRestrictions({ fromDate: from, toDate: to });
    const theirs = await viaView(
      `SELECT CAST(DATE(f.finished_at) AS STRING) AS k, r AS restriction, COUNT(*) AS n
       FROM billing_observability.audit_final_outcomes AS f, UNNEST(f.restrictions) AS r
       WHERE f.outcome = 'blocked' AND DATE(f.finished_at) BETWEEN DATE(@from) AND DATE(@to) GROUP BY k, restriction`,
      { from, to },
    );
    expect(new Map(mine.map((m) => [key(m.key, m.restriction), m.count]))).toEqual(
      new Map(theirs.map((t) => [key(t.k, t.restriction), Number(t.n)])),
    );
    const listed = await r2.runAttempts(
      'sched-stripe-2026-11-22',
      ['blocked', 'needs_human', 'excluded'],
      500,
    );
    const viewRows = await viaView(
      `SELECT row_id FROM billing_observability.audit_final_outcomes
       WHERE run_id = @run AND outcome IN ('blocked', 'needs_human', 'excluded') ORDER BY finished_at, row_id`,
      { run: 'sched-stripe-2026-11-22' },
    );
    expect(listed.map((r) => r.row_id)).toEqual(viewRows.map((r) => r.row_id));
  });
});

/**
 * The support reads (explain and the console) against the local BigQuery with the project's views:
 * a scenario of two nightly runs written through the audit adapter, one row landed twice.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import { BigQuerySupportReader } from '../../../shared/adapters/bigquery-support.js';
import type { RunContext } from '../../../shared/contracts/messages.js';
import type { AuditRecord } from '../../../shared/domain/audit.js';
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
      outcome: 'halted',
      code: 'blast_radius_count',
      snapshotDate: '2026-11-25',
    });
  });

  it('counts outcomes per day and blocking restrictions per day and per run', async () => {
    const daily = await reader.dailyOutcomes('2026-11-01', '2026-11-30');
    expect(daily.filter((d) => d.outcome === 'applied')).toEqual([
      { day: '2026-11-24', system: 'stripe', stage: 'plan_apply', outcome: 'applied', code: null, count: 2 },
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
});

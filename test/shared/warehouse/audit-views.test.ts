/**
 * The audit views count right even when BigQuery's best-effort insertId de-duplication lets a duplicate
 * row through: audit_attempts keeps one row per row_id, audit_final_outcomes one row per run, stage and
 * subject (its latest attempt that will not be retried). Rows go in through the real client's insertAll
 * and, for the duplicates production can make, straight into the table.
 */
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import type { RunContext } from '../../../shared/contracts/messages.js';
import type { AuditInput } from '../../../shared/pipeline/audit.js';
import { auditRecord } from '../../../shared/pipeline/audit.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let lb: LocalBigQuery;
let bq: BigQuery;

const run: RunContext = {
  runId: 'sched-stripe-2026-11-24',
  system: 'stripe',
  snapshotDate: '2026-11-24',
  trigger: 'scheduled',
  requestedBy: null,
  dryRun: false,
};
const at = (s: number) => new Date(Date.UTC(2026, 10, 24, 6, 0, s));
const row = (input: Partial<AuditInput> & Pick<AuditInput, 'stage' | 'outcome'>, s: number) =>
  auditRecord({ run, accountId: 'acc_1', startedAt: at(s), finishedAt: at(s + 1), ...input });

beforeAll(async () => {
  lb = await startLocalBigQuery();
  bq = new BigQuery({ projectId: 'audit-views', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  const retried = row(
    {
      stage: 'plan_apply',
      outcome: 'failed',
      willRetry: true,
      attemptKey: 'm1',
      errorCode: 'stripe_rate_limit',
    },
    10,
  );
  const applied = row({ stage: 'plan_apply', outcome: 'applied', planHash: 'h'.repeat(64) }, 20);
  const published = row({ stage: 'gather', outcome: 'published' }, 5);
  const other = row({ stage: 'plan_apply', outcome: 'blocked', accountId: 'acc_2' }, 30);
  await new BigQueryMirror(bq).insert([retried, applied, published, other]);
  // What best-effort de-duplication can let through: the same rows landing a second time.
  await lb.db.exclusive(async (c) => {
    for (const r of [applied, published])
      await c.run(
        `INSERT INTO billing_audit.cfbill_migrations_audit SELECT * FROM billing_audit.cfbill_migrations_audit WHERE row_id = '${r.row_id}'`,
      );
  });
}, 60_000);
afterAll(async () => {
  await lb.stop();
});

const q = async (sql: string) => (await bq.query({ query: sql }))[0] as Record<string, unknown>[];

describe('audit views', () => {
  it('the table holds the duplicates; audit_attempts holds each attempt once', async () => {
    expect(await q('SELECT COUNT(*) AS n FROM billing_audit.cfbill_migrations_audit')).toEqual([{ n: 6 }]);
    expect(
      await q(
        'SELECT COUNT(*) AS n, COUNT(DISTINCT row_id) AS ids FROM billing_observability.audit_attempts',
      ),
    ).toEqual([{ n: 4, ids: 4 }]);
  });

  it('audit_final_outcomes: one final row per run, stage and subject, the retried attempt not among them', async () => {
    const rows = await q(
      'SELECT stage, account_id, outcome FROM billing_observability.audit_final_outcomes ORDER BY account_id, stage',
    );
    expect(rows).toEqual([
      { stage: 'gather', account_id: 'acc_1', outcome: 'published' },
      { stage: 'plan_apply', account_id: 'acc_1', outcome: 'applied' },
      { stage: 'plan_apply', account_id: 'acc_2', outcome: 'blocked' },
    ]);
  });
});

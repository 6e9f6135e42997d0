import {
  type LocalPipeline,
  type LocalPipelineOptions,
  startLocalPipeline,
} from '../../local/run/pipeline.js';
import type { RunContext } from '../../shared/contracts/messages.js';
import { AUDIT_TABLE, DATASETS } from '../../shared/contracts/topology.js';
import type { AuditRecord } from '../../shared/domain/audit.js';
import { uniqueProjectId, useEmulators } from '../setup/emulators.js';
import { usePostgres } from '../setup/postgres.js';

/**
 * A local pipeline on the emulators and the PostgreSQL server the global setup started, under a project id
 * of its own (its databases are named after it).
 */
export async function startTestPipeline(options: Partial<LocalPipelineOptions> = {}): Promise<LocalPipeline> {
  const [, postgres] = await Promise.all([useEmulators(), usePostgres()]);
  return startLocalPipeline({
    accounts: 300,
    seed: 42,
    emulators: false,
    existingPostgres: { port: postgres.port },
    projectId: uniqueProjectId('e2e'),
    pubsub: { minimumBackoffSeconds: 1, maximumBackoffSeconds: 2, maxDeliveryAttempts: 5 },
    ...options,
  });
}

/** Audit rows as landed in BigQuery through Pub/Sub and audit-writer (the real path). */
export async function auditRows(
  p: LocalPipeline,
  where: string,
  params: Record<string, unknown> = {},
): Promise<AuditRecord[]> {
  const [rows] = await p.bq.query({
    query: `SELECT * FROM ${DATASETS.audit}.${AUDIT_TABLE} WHERE ${where} ORDER BY finished_at, row_id`,
    params,
  });
  return rows as AuditRecord[];
}

/** Polls until `done(rows)` holds, then waits a little longer to catch rows that should not be there. */
export async function waitForAudit(
  p: LocalPipeline,
  where: string,
  params: Record<string, unknown>,
  done: (rows: AuditRecord[]) => boolean,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<AuditRecord[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const rows = await auditRows(p, where, params);
    if (done(rows)) {
      await new Promise((r) => setTimeout(r, options.settleMs ?? 1500));
      return auditRows(p, where, params);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `audit rows for ${where} ${JSON.stringify(params)} did not arrive: have ${JSON.stringify(rows.map((r) => [r.stage, r.outcome, r.error_code]))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

/** Stripe writes the local server executed (not idempotent replays, not refused). */
export function stripeWrites(p: LocalPipeline, objectId?: string) {
  return p.stack.stripe
    .requests(objectId ? { objectId } : {})
    .filter((r) => r.method !== 'GET' && r.applied && !r.replayed);
}

/**
 * Run contexts for messages a test publishes itself, each with a fresh run id (`prefix-1`, `prefix-2`, …),
 * on the pipeline's snapshot date; `pipeline` is read at each call (it is started in beforeAll).
 */
export function runContexts(
  pipeline: () => LocalPipeline,
  base: { readonly prefix: string; readonly trigger: RunContext['trigger']; readonly requestedBy: string },
): (overrides?: Partial<RunContext>) => RunContext {
  let seq = 0;
  return (overrides = {}) => ({
    runId: `${base.prefix}-${++seq}`,
    system: 'stripe',
    snapshotDate: pipeline().snapshotDate,
    trigger: base.trigger,
    requestedBy: base.requestedBy,
    dryRun: false,
    ...overrides,
  });
}

import { DATASETS } from '../../shared/contracts/topology.js';
import type { DriftSystem } from '../../shared/domain/audit.js';
import { scheduledRunId } from '../../shared/pipeline/detect.js';
import { accountStates } from '../synthetic/world.js';
import type { LocalPipeline } from './pipeline.js';

/**
 * One nightly cycle on a local pipeline: trigger detection for both systems as Cloud Scheduler would,
 * wait while the pipeline drains (watching the audit table, which is where every attempt lands), and
 * summarise from the audit table and the local Stripe's request log.
 */

// The de-duplicated audit views (shared/warehouse/sql/views/1*_audit_*.sql): counts stay right even when
// BigQuery's best-effort insertId de-duplication lets a redelivered row through.
const ATTEMPTS = `${DATASETS.observability}.audit_attempts`;
const FINALS = `${DATASETS.observability}.audit_final_outcomes`;
const TERMINAL = ['applied', 'noop', 'blocked', 'needs_human', 'dry_run', 'stale', 'halted', 'excluded'];

export interface CycleProgress {
  readonly published: number;
  readonly done: number;
  readonly auditRows: number;
}

export interface CycleSummary {
  readonly snapshotDate: string;
  readonly detect: Record<DriftSystem, { status: number; result: unknown }>;
  readonly stripe: {
    readonly newDrift: number;
    readonly published: number;
    readonly excluded: Record<string, number>;
    readonly outcomes: Record<string, number>;
    readonly blockedBy: Record<string, number>;
    /** Final plan-apply rows by reason code: how often live truth differed from the mirror or the view. */
    readonly liveTruth: {
      /** Published as new drift from the mirror; the live stores no longer disagree (noop). */
      readonly mirrorDriftNotLive: number;
      /** Refused because the truth or Stripe moved between gather and apply, or the view was too old. */
      readonly refusedStale: Record<string, number>;
    };
  };
  readonly www: {
    readonly published: number;
    readonly excluded: Record<string, number>;
    readonly outcomes: Record<string, number>;
  };
  readonly auditRows: number;
  readonly stripeWrites: number;
  readonly stripeWritesByMethod: Record<string, number>;
  readonly drained: boolean;
  readonly elapsedMs: number;
}

type Row = Record<string, unknown>;

async function rows(p: LocalPipeline, sql: string, params: Record<string, unknown>): Promise<Row[]> {
  const [result] = await p.bq.query({ query: sql, params });
  return result as Row[];
}

function tally(rs: Row[], key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) out[String(r[key])] = (out[String(r[key])] ?? 0) + Number(r.n);
  return out;
}

export async function cycleProgress(p: LocalPipeline, runIds: readonly string[]): Promise<CycleProgress> {
  const [published, done, total] = await Promise.all([
    rows(
      p,
      `SELECT COUNT(DISTINCT COALESCE(zone_id, account_id)) AS n FROM ${ATTEMPTS} WHERE run_id IN UNNEST(@runs) AND stage = 'detect' AND outcome = 'published' AND account_id IS NOT NULL`,
      { runs: runIds },
    ),
    rows(
      p,
      `SELECT COUNT(DISTINCT COALESCE(zone_id, account_id)) AS n FROM ${FINALS}
       WHERE run_id IN UNNEST(@runs) AND stage IN ('gather', 'plan_apply', 'www_resync')
         AND ((stage != 'gather' AND outcome IN UNNEST(@terminal)) OR outcome IN ('failed', 'excluded'))`,
      { runs: runIds, terminal: TERMINAL },
    ),
    rows(p, `SELECT COUNT(*) AS n FROM ${ATTEMPTS} WHERE run_id IN UNNEST(@runs)`, { runs: runIds }),
  ]);
  return {
    published: Number(published[0]?.n ?? 0),
    done: Number(done[0]?.n ?? 0),
    auditRows: Number(total[0]?.n ?? 0),
  };
}

/** Waits until every published account or zone has a final outcome, or nothing has moved for `quietMs`. */
export async function waitForDrain(
  p: LocalPipeline,
  runIds: readonly string[],
  options: { timeoutMs?: number; quietMs?: number; onProgress?: (progress: CycleProgress) => void } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const quietMs = options.quietMs ?? 15_000;
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const progress = await cycleProgress(p, runIds);
    options.onProgress?.(progress);
    if (progress.auditRows !== last) {
      last = progress.auditRows;
      lastChange = Date.now();
    }
    if (progress.done >= progress.published && progress.auditRows > 0 && Date.now() - lastChange > 1_000)
      return true;
    if (Date.now() - lastChange > quietMs) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

export async function summarise(
  p: LocalPipeline,
  runIds: readonly string[],
  detect: CycleSummary['detect'],
  drained: boolean,
  startedMs: number,
): Promise<CycleSummary> {
  const params = { runs: runIds };
  const [detectRows, outcomeRows, blockedRows, total, reasonRows] = await Promise.all([
    rows(
      p,
      `SELECT system, outcome, COALESCE(error_code, '') AS code, COUNT(*) AS n FROM ${FINALS} WHERE run_id IN UNNEST(@runs) AND stage = 'detect' AND account_id IS NOT NULL GROUP BY system, outcome, code`,
      params,
    ),
    // The final word on each account: its latest non-retrying row of the stage that finishes it.
    rows(
      p,
      `WITH final AS (
         SELECT system, COALESCE(zone_id, account_id) AS subject, outcome, finished_at
         FROM ${FINALS} WHERE run_id IN UNNEST(@runs) AND stage IN ('gather', 'plan_apply', 'www_resync') AND outcome != 'published'
       ),
       latest AS (SELECT system, subject, MAX(finished_at) AS last_at FROM final GROUP BY system, subject)
       SELECT f.system, f.outcome, COUNT(DISTINCT f.subject) AS n
       FROM final AS f JOIN latest AS l ON l.system = f.system AND l.subject = f.subject AND l.last_at = f.finished_at
       GROUP BY f.system, f.outcome`,
      params,
    ),
    rows(
      p,
      `SELECT r AS restriction, COUNT(DISTINCT account_id) AS n FROM ${FINALS}, UNNEST(restrictions) AS r WHERE run_id IN UNNEST(@runs) AND stage = 'plan_apply' AND outcome = 'blocked' GROUP BY r`,
      params,
    ),
    rows(p, `SELECT COUNT(*) AS n FROM ${ATTEMPTS} WHERE run_id IN UNNEST(@runs)`, params),
    rows(
      p,
      `SELECT outcome, error_code, COUNT(DISTINCT account_id) AS n FROM ${FINALS}
       WHERE run_id IN UNNEST(@runs) AND stage = 'plan_apply'
         AND error_code IN ('mirror_drift_not_live', 'truth_moved', 'stale_plan', 'stale_view', 'foreign_object')
       GROUP BY outcome, error_code`,
      params,
    ),
  ]);
  const of = (system: string) => detectRows.filter((r) => r.system === system);
  const excluded = (system: string) =>
    tally(
      of(system)
        .filter((r) => r.outcome === 'excluded')
        .map((r) => ({ ...r, k: r.code })),
      'k',
    );
  const published = (system: string) =>
    of(system)
      .filter((r) => r.outcome === 'published')
      .reduce((s, r) => s + Number(r.n), 0);
  const writes = p.stack.stripe.requests().filter((r) => r.method !== 'GET' && r.applied && !r.replayed);
  const byMethod: Record<string, number> = {};
  for (const w of writes) {
    const key = `${w.method} ${w.path.replace(/\/(sub|cus|in)_[^/]+/, '/:id')}`;
    byMethod[key] = (byMethod[key] ?? 0) + 1;
  }
  const stripeExcluded = excluded('stripe');
  return {
    snapshotDate: p.snapshotDate,
    detect,
    stripe: {
      newDrift:
        published('stripe') +
        Object.entries(stripeExcluded).reduce((s, [k, n]) => s + (k === 'persistent_drift' ? 0 : n), 0),
      published: published('stripe'),
      excluded: stripeExcluded,
      outcomes: tally(
        outcomeRows.filter((r) => r.system === 'stripe'),
        'outcome',
      ),
      blockedBy: tally(blockedRows, 'restriction'),
      liveTruth: {
        mirrorDriftNotLive: reasonRows
          .filter((r) => r.error_code === 'mirror_drift_not_live')
          .reduce((n, r) => n + Number(r.n), 0),
        refusedStale: tally(
          reasonRows.filter((r) => r.outcome === 'stale'),
          'error_code',
        ),
      },
    },
    www: {
      published: published('www'),
      excluded: excluded('www'),
      outcomes: tally(
        outcomeRows.filter((r) => r.system === 'www'),
        'outcome',
      ),
    },
    auditRows: Number(total[0]?.n ?? 0),
    stripeWrites: writes.length,
    stripeWritesByMethod: byMethod,
    drained,
    elapsedMs: Date.now() - startedMs,
  };
}

export async function runNightlyCycle(
  p: LocalPipeline,
  options: { onProgress?: (progress: CycleProgress) => void; timeoutMs?: number } = {},
): Promise<CycleSummary> {
  const started = Date.now();
  const systems: DriftSystem[] = ['stripe', 'www'];
  const detect = {} as CycleSummary['detect'];
  for (const system of systems) {
    const r = await p.triggerDetect(system);
    detect[system] = { status: r.status, result: r.body };
  }
  const runIds = systems.map((s) => scheduledRunId(s, p.snapshotDate));
  const drained = await waitForDrain(p, runIds, {
    onProgress: options.onProgress,
    timeoutMs: options.timeoutMs,
  });
  return summarise(p, runIds, detect, drained, started);
}

/**
 * Moves the live truth of up to `count` accounts after the mirror landed, the way customers do during the
 * day: each has new quantity drift in the mirror (OPE one quantity, Stripe another), and its OPE quantity
 * is set to Stripe's (the customer changed their order; the company's own sync left Stripe there). The
 * nightly run then finds drift in the mirror that the live stores no longer have. Returns the accounts.
 */
export async function moveTruthAfterMirror(p: LocalPipeline, count: number): Promise<string[]> {
  const moved: string[] = [];
  for (const state of accountStates(p.world, p.world.dates.length - 1)) {
    if (moved.length >= count) break;
    if (state.scenario !== 'drift_quantity' || state.driftWhen !== 'new' || state.stripe === null) continue;
    const stripeItems = state.stripe.subscriptions.flatMap((s) => s.items);
    const item = state.ope
      .flatMap((s) => s.items)
      .map((i) => ({ ope: i, stripe: stripeItems.find((x) => x.metadata.ope_item_id === i.id) }))
      .find((x) => x.stripe !== undefined && x.stripe.quantity !== x.ope.quantity && x.stripe.quantity > 0);
    if (item?.stripe === undefined) continue;
    await p.truth.setItemQuantity(item.ope.id, item.stripe.quantity);
    moved.push(state.accountId);
  }
  return moved;
}

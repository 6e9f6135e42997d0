import { randomUUID } from 'node:crypto';
import type { RunContext, StripeDriftAccountMessage, WwwDriftZoneMessage } from '../contracts/messages.js';
import { blastRadiusVerdict, mirrorVerdict, selectForRun } from '../core/safety.js';
import type { DriftSystem, Trigger } from '../domain/audit.js';
import { dayBefore } from '../domain/common.js';
import type { NewStripeDriftRow, NewWwwDriftRow } from '../ports/index.js';
import { emitAudit } from './audit.js';
import type { PipelineDeps } from './deps.js';

/**
 * detect-drift's core (docs/design.md "Safety valves"): the freshness check, the run ledger, the new-vs-persistent diff
 * (in the warehouse), the safety valves, and one message per new-drift account or zone.
 */

export interface DetectRequest {
  readonly system: DriftSystem;
  readonly snapshotDate: string;
  readonly trigger: Trigger;
  readonly requestedBy: string | null;
  /** Cloud Scheduler's X-CloudScheduler-ScheduleTime: the same across its retries of one firing. */
  readonly scheduleTime: string | null;
}

export type DetectResult =
  /** Ran (or had run) to the end. */
  | { readonly status: 'completed'; readonly runId: string; readonly summary: DetectSummary }
  | { readonly status: 'already_ran'; readonly runId: string }
  /** Another call holds this run right now: nothing published; come back later (it may have crashed). */
  | { readonly status: 'in_progress'; readonly runId: string }
  /** A safety valve stopped it: acked, audited, a human must look. */
  | { readonly status: 'halted'; readonly runId: string; readonly code: string; readonly reason: string }
  /** The mirror is not ready: retry later (Scheduler retries). */
  | { readonly status: 'not_ready'; readonly runId: string; readonly code: string; readonly reason: string };

export interface DetectSummary {
  readonly newDrift: number;
  readonly excluded: Record<string, number>;
  readonly published: number;
  /** Published by an earlier holder of this run that died; a resumed run skips them. */
  readonly publishedBefore: number;
  readonly dryRun: boolean;
}

/**
 * How long a run's claim holds without a renewal: a call that dies mid-run loses the run after this,
 * and the scheduler's retry (or an operator) resumes it. Renewed every RUN_RENEW_EVERY messages.
 */
export const RUN_LEASE_MS = 5 * 60_000;
const RUN_RENEW_EVERY = 100;

/** One ledger entry per system and snapshot date: the scheduled run's id says which. */
export function scheduledRunId(system: DriftSystem, snapshotDate: string): string {
  return `sched-${system}-${snapshotDate}`;
}

type Candidate = {
  id: string;
  accountId: string;
  zoneId: string | null;
  row: NewStripeDriftRow | NewWwwDriftRow;
};

export async function detectDrift(deps: PipelineDeps, request: DetectRequest): Promise<DetectResult> {
  const startedAt = deps.clock.now();
  const config = await deps.control.getConfig();
  const runId = scheduledRunId(request.system, request.snapshotDate);
  const run: RunContext = {
    runId,
    system: request.system,
    snapshotDate: request.snapshotDate,
    trigger: request.trigger,
    requestedBy: request.requestedBy,
    dryRun: config.dryRun,
  };
  const audit = (
    input: Omit<Parameters<typeof emitAudit>[1], 'run' | 'stage' | 'startedAt' | 'finishedAt'>,
  ) => emitAudit(deps, { run, stage: 'detect', startedAt, finishedAt: deps.clock.now(), ...input });

  if (config.killSwitch) {
    const reason = 'kill switch is on (Firestore config/driftcontrol.killSwitch)';
    await audit({ outcome: 'halted', errorCode: 'kill_switch', reason, attemptKey: startedAt.toISOString() });
    return { status: 'halted', runId, code: 'kill_switch', reason };
  }

  const health = await deps.mirror.health(request.system, request.snapshotDate);
  const mirror = mirrorVerdict(health.today, health.yesterday, config);
  if (!mirror.ok) {
    // Audited once per date and reason (the row id has no attempt key), retried by the scheduler.
    await audit({ outcome: 'halted', errorCode: mirror.code, reason: mirror.reason, params: health });
    return { status: 'not_ready', runId, code: mirror.code, reason: mirror.reason };
  }

  // One holder per run: a retried or overlapping call never republishes a run in progress or done.
  const holder = `${runId}:${randomUUID()}`;
  const claim = await deps.control.claimRun(request.system, request.snapshotDate, runId, {
    holder,
    scheduleTime: request.scheduleTime,
    nowMs: startedAt.getTime(),
    leaseMs: RUN_LEASE_MS,
  });
  if (claim.outcome === 'done') return { status: 'already_ran', runId: claim.runId };
  if (claim.outcome === 'in_progress') {
    deps.log.info({ event: 'run_in_progress', run_id: runId }, 'another call holds this run');
    return { status: 'in_progress', runId: claim.runId };
  }

  const candidates: Candidate[] =
    request.system === 'stripe'
      ? (await deps.mirror.newStripeDrift(request.snapshotDate)).map((row) => ({
          id: row.accountId,
          accountId: row.accountId,
          zoneId: null,
          row,
        }))
      : (await deps.mirror.newWwwDrift(request.snapshotDate)).map((row) => ({
          id: row.zoneId,
          accountId: row.accountId,
          zoneId: row.zoneId,
          row,
        }));

  const excludedCounts: Record<string, number> = {};
  const exclude = async (c: Candidate, code: string, reason: string, lifecycle?: unknown) => {
    excludedCounts[code] = (excludedCounts[code] ?? 0) + 1;
    await audit({
      outcome: 'excluded',
      accountId: c.accountId,
      zoneId: c.zoneId,
      errorCode: code,
      reason,
      ...(lifecycle ? { result: { lifecycle } } : {}),
    });
  };

  // The drift lifecycle hears what the snapshot diff says (docs/design.md, "Drift lifecycle"): drift in
  // both snapshots is open since yesterday's at least, so the event path judges it as the nightly run
  // does; each exclusion's row carries the record. Observability and the event path's valve, not this
  // run's: a Firestore failure here is logged and the run goes on.
  const lifecycles = new Map<string, unknown>();
  if (request.system === 'stripe') {
    const persistent = candidates
      .filter((c) => c.row.excludedCode === 'persistent_drift')
      .map((c) => c.accountId);
    try {
      const records = await deps.lifecycle.markPersistent('stripe', persistent, {
        since: `${dayBefore(request.snapshotDate)}T00:00:00.000Z`,
        snapshotAt: `${request.snapshotDate}T00:00:00.000Z`,
        at: startedAt.toISOString(),
        runId,
      });
      for (const [id, record] of records) lifecycles.set(id, record);
    } catch (error) {
      deps.log.warn({ event: 'lifecycle_not_marked', run_id: runId, err: error }, 'lifecycle not marked');
    }
  }

  const eligible: Candidate[] = [];
  for (const c of candidates) {
    if (c.row.excludedReason !== null)
      await exclude(c, c.row.excludedCode ?? 'excluded', c.row.excludedReason, lifecycles.get(c.accountId));
    else eligible.push(c);
  }

  const blast = blastRadiusVerdict(eligible.length, health.today.accounts, config);
  if (!blast.ok) {
    await audit({
      outcome: 'halted',
      errorCode: blast.code,
      reason: blast.reason,
      result: { newDrift: eligible.length },
    });
    await deps.control.finishRun(request.system, request.snapshotDate, 'halted', {
      code: blast.code,
      reason: blast.reason,
    });
    return { status: 'halted', runId, code: blast.code, reason: blast.reason };
  }

  // A resumed run skips what its dead predecessor published: the valves and cap apply to the rest.
  const remaining = eligible.filter((c) => !claim.published.has(c.id));
  const healed = await deps.control.lastHealedAt(remaining.map((c) => c.accountId));
  const selection = selectForRun(remaining, (c) => c.id, healed, startedAt.getTime(), {
    ...config,
    perRunCap: Math.max(0, config.perRunCap - claim.published.size),
  });
  for (const e of selection.excluded) await exclude(e.item, e.code, e.reason);

  let unmarked: string[] = [];
  const markAndRenew = async () => {
    await deps.control.markPublished(request.system, request.snapshotDate, unmarked);
    unmarked = [];
    const still = await deps.control.renewRun(
      request.system,
      request.snapshotDate,
      holder,
      deps.clock.now().getTime(),
      RUN_LEASE_MS,
    );
    if (!still) throw new Error(`run ${runId}: the claim passed to another call mid-run; stopping`);
  };
  for (const c of selection.publish) {
    const publishedAt = deps.clock.now().toISOString();
    if (request.system === 'stripe') {
      const message: StripeDriftAccountMessage = {
        schemaVersion: 1,
        kind: 'stripe_drift_account',
        run,
        accountId: c.accountId,
        publishedAt,
      };
      await deps.publisher.publish('stripeDriftAccounts', message, { orderingKey: c.accountId });
    } else {
      const row = c.row as NewWwwDriftRow;
      const message: WwwDriftZoneMessage = {
        schemaVersion: 1,
        kind: 'www_drift_zone',
        run,
        zoneId: row.zoneId,
        accountId: row.accountId,
        mirror: { wwwPlanLevel: row.wwwPlanLevel, subsApiPlanLevel: row.subsApiPlanLevel },
        publishedAt,
      };
      await deps.publisher.publish('wwwDriftZones', message, { orderingKey: row.zoneId });
    }
    await audit({ outcome: 'published', accountId: c.accountId, zoneId: c.zoneId, reason: 'new drift' });
    unmarked.push(c.id);
    if (unmarked.length >= RUN_RENEW_EVERY) await markAndRenew();
  }
  await markAndRenew();

  const summary: DetectSummary = {
    newDrift: candidates.length,
    excluded: excludedCounts,
    published: selection.publish.length + claim.published.size,
    publishedBefore: claim.published.size,
    dryRun: config.dryRun,
  };
  await deps.control.finishRun(request.system, request.snapshotDate, 'completed', { ...summary });
  await audit({
    outcome: 'published',
    reason: `run summary: ${selection.publish.length} published`,
    result: summary,
    attemptKey: 'summary',
  });
  return { status: 'completed', runId, summary };
}

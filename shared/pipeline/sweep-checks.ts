import type { RunContext, StripeDriftAccountMessage } from '../contracts/messages.js';
import { hashOf } from '../core/canonical.js';
import { mirrorVerdict } from '../core/safety.js';
import type { PendingCheck } from '../ports/index.js';
import type { PipelineDeps } from './deps.js';

/**
 * event-sweeper's core (docs/design.md, "Events"), called every minute by Cloud Scheduler: hands each
 * account check that change events scheduled and whose settle delay has passed to gather — the same
 * gather -> plan-apply path a nightly run takes, with trigger `event`, the event ids on its audit rows and
 * every valve in force (gather: persistent drift and the cooldown; plan-apply: the kill switch, dry-run,
 * the gates, the restrictions, the Stripe write budget). Here: the kill switch (checks wait, nothing is
 * published), the per-run cap (per sweep) and the hourly blast radius of the event path.
 *
 * A check is published first and removed after; events that arrived meanwhile stay as a check of their
 * own (with its own settle delay). A crash between
 * the two publishes it again on the next sweep under the same run id (derived from its events), which
 * gather and plan-apply answer from their final-outcome ledger. Nothing is lost, nothing applied twice.
 */

export interface SweepResult {
  readonly status: 'swept' | 'halted';
  /** Why nothing was published (kill switch, no mirror), when halted. */
  readonly reason: string | null;
  readonly due: number;
  readonly published: readonly string[];
  /** Due checks left for a later sweep (the per-sweep cap, the hourly budget). */
  readonly deferred: number;
  /** Checks that got new events while being handed on: kept for another check. */
  readonly kept: number;
}

type SweepDeps = Pick<PipelineDeps, 'events' | 'control' | 'mirror' | 'publisher' | 'clock' | 'log'>;

/** The run of one check: the same events always make the same run id (a re-publish is recognised). */
export function eventRunId(check: Pick<PendingCheck, 'accountId' | 'eventIds' | 'eventCount'>): string {
  return `event-${hashOf({ account: check.accountId, events: check.eventIds, count: check.eventCount }).slice(0, 16)}`;
}

export function hourKeyOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 13);
}

export async function sweepPendingChecks(deps: SweepDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const config = await deps.control.getConfig();
  const halted = (reason: string, due: number): SweepResult => ({
    status: 'halted',
    reason,
    due,
    published: [],
    deferred: due,
    kept: 0,
  });
  // The per-run cap bounds one sweep.
  const due = await deps.events.due(nowMs, config.perRunCap);
  if (due.length === 0) return { status: 'swept', reason: null, due: 0, published: [], deferred: 0, kept: 0 };
  if (config.killSwitch) return halted('the kill switch is on: checks wait', due.length);
  // Persistent drift is judged on the newest mirror, held to the landing and sanity checks the nightly
  // run holds it to (a half-loaded or shrunken partition would misjudge it).
  const snapshotDate = await deps.mirror.latestSnapshotDate(now.toISOString().slice(0, 10));
  if (snapshotDate === null)
    return halted('no mirror landed in the last five weeks: checks wait', due.length);
  const health = await deps.mirror.health('stripe', snapshotDate);
  const mirror = mirrorVerdict(health.today, health.yesterday, config);
  if (!mirror.ok)
    return halted(`the mirror of ${snapshotDate} fails its checks: ${mirror.reason}`, due.length);
  const granted = await deps.events.takeHourlyBudget(
    hourKeyOf(nowMs),
    due.length,
    config.maxEventChecksPerHour,
  );
  const taken = due.slice(0, granted);
  const published: string[] = [];
  let kept = 0;
  for (const check of taken) {
    const run: RunContext = {
      runId: eventRunId(check),
      system: 'stripe',
      snapshotDate,
      trigger: 'event',
      requestedBy: null,
      dryRun: config.dryRun,
    };
    const message: StripeDriftAccountMessage = {
      schemaVersion: 1,
      kind: 'stripe_drift_account',
      run,
      accountId: check.accountId,
      events: {
        ids: [...check.eventIds],
        count: check.eventCount,
        sources: [...check.sources],
        firstAt: new Date(check.firstEventAtMs).toISOString(),
      },
      publishedAt: now.toISOString(),
    };
    await deps.publisher.publish('stripeDriftAccounts', message, { orderingKey: check.accountId });
    published.push(check.accountId);
    if (!(await deps.events.complete(check, nowMs, config.eventSettleSeconds * 1000))) kept++;
  }
  deps.log.info(
    { event: 'event_sweep', due: due.length, published: published.length, kept, snapshot_date: snapshotDate },
    'event checks handed to gather',
  );
  return {
    status: 'swept',
    reason:
      granted < due.length ? `hourly budget of ${config.maxEventChecksPerHour} event checks reached` : null,
    due: due.length,
    published,
    deferred: due.length - published.length,
    kept,
  };
}

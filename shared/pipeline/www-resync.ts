import type { WwwDriftZoneMessage } from '../contracts/messages.js';
import { AuditOutcome } from '../domain/audit.js';
import { emitAudit } from './audit.js';
import type { Disposition, PipelineDeps } from './deps.js';
import { failureOf } from './failures.js';

/**
 * www-resync's core (the auto_resync_www job; docs/design.md "What it does"): subs-api is the source of truth; www is written only
 * when it still holds the level we read (a conditional write), so a concurrent change is refused.
 * A zone subs-api has no record of is on the free plan (subs-api keeps records for paid zones only, as
 * the drift view reads it); a zone www has no row for needs a human (resync never creates zones).
 */

/** What subs-api's answer means for www. */
export const PLAN_LEVEL_WITHOUT_SUBS_API_RECORD = 'free';

export interface WwwResyncResult {
  readonly disposition: Disposition;
  readonly outcome: AuditOutcome;
  readonly reason: string;
}

export async function resyncZone(
  deps: PipelineDeps,
  message: WwwDriftZoneMessage,
  messageId: string,
): Promise<WwwResyncResult> {
  const startedAt = deps.clock.now();
  const { run, zoneId, accountId } = message;
  const config = await deps.control.getConfig();
  const done = async (
    outcome: AuditOutcome,
    disposition: Disposition,
    reason: string,
    extra: Partial<Parameters<typeof emitAudit>[1]> = {},
  ) => {
    const row = await emitAudit(deps, {
      run,
      stage: 'www_resync',
      accountId,
      zoneId,
      outcome,
      reason,
      startedAt,
      finishedAt: deps.clock.now(),
      params: { mirror: message.mirror, messageId },
      ...extra,
    });
    // An acked outcome is this run's final word on the zone: a later delivery adds no second one.
    if (disposition === 'ack')
      await deps.control.recordFinal(run.runId, 'www_resync', zoneId, { outcome, rowId: row.row_id });
    return { disposition, outcome, reason };
  };
  const prior = await deps.control.finalOutcome(run.runId, 'www_resync', zoneId);
  if (prior !== null)
    return {
      disposition: 'ack',
      outcome: AuditOutcome.parse(prior.outcome),
      reason: `already final: ${prior.outcome}`,
    };
  if (config.killSwitch)
    return done('halted', 'ack', 'kill switch is on: nothing written', { errorCode: 'kill_switch' });
  try {
    const [truth, current] = await Promise.all([deps.subsApi.zone(zoneId), deps.www.zone(zoneId)]);
    if (current === null) {
      return done('needs_human', 'ack', `www has no zone ${zoneId}: resync does not create zones`, {
        errorCode: 'missing_in_www',
      });
    }
    const desired = truth?.planLevel ?? PLAN_LEVEL_WITHOUT_SUBS_API_RECORD;
    if (current.planLevel === desired) return done('noop', 'ack', `www already at ${desired}`);
    const change = { from: current.planLevel, to: desired, subsApiRecord: truth !== null };
    if (run.dryRun || config.dryRun) {
      return done('dry_run', 'ack', `dry-run: would set www ${zoneId} from ${change.from} to ${change.to}`, {
        result: change,
      });
    }
    const written = await deps.www.setPlanLevel(zoneId, desired, current.planLevel);
    switch (written.status) {
      case 'written':
        return done('applied', 'ack', `www ${zoneId} set from ${change.from} to ${change.to}`, {
          result: change,
        });
      case 'conflict':
        return done(
          'stale',
          'ack',
          `www ${zoneId} changed concurrently to ${written.currentPlanLevel}; not overwritten`,
          {
            errorCode: 'www_conflict',
            result: { ...change, currentPlanLevel: written.currentPlanLevel },
          },
        );
      case 'not_found':
        return done('failed', 'ack', `www has no zone ${zoneId}`, { errorCode: 'unknown_zone' });
    }
  } catch (error) {
    const failure = failureOf(error);
    return done('failed', failure.retryable ? 'retry' : 'ack', failure.message, {
      errorCode: failure.code,
      attemptKey: messageId,
      willRetry: failure.retryable,
    });
  }
}

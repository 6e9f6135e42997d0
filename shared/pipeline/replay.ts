import type { RunContext, StripeDriftAccountMessage, ViewTruth } from '../contracts/messages.js';
import { hashOf } from '../core/canonical.js';
import { emitAudit } from './audit.js';
import type { PipelineDeps } from './deps.js';

/**
 * Replay: republish accounts for reprocessing, through the same gather -> plan-apply path as a scheduled
 * run, with trigger = replay and who asked. Dry-run unless `apply` (an operator must mean it). The run id
 * is derived from the request, so the same replay submitted twice is recognisably the same run.
 */

export interface ReplayRequest {
  readonly accountIds: readonly string[];
  readonly snapshotDate: string;
  /** `mirror`: gather reads the company stores as the mirror of `snapshotDate` holds them (never applied). */
  readonly truth?: ViewTruth;
  readonly requestedBy: string;
  readonly apply: boolean;
  /** Distinguishes deliberate repeats of the same request (e.g. the operator's timestamp). */
  readonly nonce: string;
}

export interface ReplayResult {
  readonly runId: string;
  readonly published: string[];
  readonly dryRun: boolean;
}

export function replayRunId(request: ReplayRequest): string {
  const ids = [...new Set(request.accountIds)].sort();
  return `replay-${hashOf({ ids, date: request.snapshotDate, truth: request.truth ?? 'live', by: request.requestedBy, apply: request.apply, nonce: request.nonce }).slice(0, 16)}`;
}

export async function replayAccounts(
  deps: Pick<PipelineDeps, 'publisher' | 'clock' | 'log'>,
  request: ReplayRequest,
): Promise<ReplayResult> {
  const ids = [...new Set(request.accountIds)].sort();
  const run: RunContext = {
    runId: replayRunId(request),
    system: 'stripe',
    snapshotDate: request.snapshotDate,
    trigger: 'replay',
    requestedBy: request.requestedBy,
    dryRun: !request.apply || request.truth === 'mirror',
  };
  const startedAt = deps.clock.now();
  for (const accountId of ids) {
    const message: StripeDriftAccountMessage = {
      schemaVersion: 1,
      kind: 'stripe_drift_account',
      run,
      accountId,
      ...(request.truth === 'mirror' ? { truth: 'mirror' as const } : {}),
      publishedAt: deps.clock.now().toISOString(),
    };
    await deps.publisher.publish('stripeDriftAccounts', message, { orderingKey: accountId });
    await emitAudit(deps, {
      run,
      stage: 'replay',
      accountId,
      outcome: 'published',
      reason: `replayed by ${request.requestedBy}${request.apply ? '' : ' (dry-run)'}`,
      startedAt,
      finishedAt: deps.clock.now(),
    });
  }
  return { runId: run.runId, published: ids, dryRun: run.dryRun };
}

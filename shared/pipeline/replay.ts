import { z } from 'zod';
import type {
  ReplayOverrides,
  RunContext,
  StripeDriftAccountMessage,
  ViewTruth,
  WwwDriftZoneMessage,
} from '../contracts/messages.js';
import { hashOf } from '../core/canonical.js';
import { blastRadiusVerdict } from '../core/safety.js';
import { Id } from '../domain/common.js';
import { validate } from '../domain/validate.js';
import type { PipelineDeps } from './deps.js';

/**
 * Replay, the operator's side: republish accounts for reprocessing through the same gather -> plan-apply
 * path as a scheduled run, with trigger = replay and who asked. Dry-run unless `apply`. Operators may only
 * publish to the replay entry topics, never audit events (docs/deploy.md, "Publish rights"), so this side
 * checks what it can refuse outright — the ids (with the consumer's schema), the kill switch, the per-run
 * cap and the blast radius — and publishes; the per-account valves (persistent drift, unsupported account
 * types, the cooldown) are applied and audited by gather, a pipeline identity (replay-valves.ts), with
 * the overrides the message carries. The run id is derived from the request.
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
  readonly overrides?: ReplayOverrides;
}

export interface ReplayResult {
  readonly runId: string;
  readonly published: string[];
  /** Set when a valve refused the whole replay: nothing was published. */
  readonly refused: { readonly code: string; readonly reason: string } | null;
  readonly dryRun: boolean;
}

/** The account ids a replay may publish: exactly what the consumer's schema accepts. */
export const ReplayAccountIds = z.array(Id).min(1, 'give at least one account id');

export function replayRunId(request: ReplayRequest): string {
  const ids = [...new Set(request.accountIds)].sort();
  return `replay-${hashOf({ ids, date: request.snapshotDate, truth: request.truth ?? 'live', by: request.requestedBy, apply: request.apply, overrides: request.overrides ?? null, nonce: request.nonce }).slice(0, 16)}`;
}

export async function replayAccounts(
  deps: Pick<PipelineDeps, 'publisher' | 'clock' | 'control'>,
  request: ReplayRequest,
): Promise<ReplayResult> {
  const ids = [...new Set(validate(ReplayAccountIds, 'replay account ids', [...request.accountIds]))].sort();
  const run: RunContext = {
    runId: replayRunId(request),
    system: 'stripe',
    snapshotDate: request.snapshotDate,
    trigger: 'replay',
    requestedBy: request.requestedBy,
    dryRun: !request.apply || request.truth === 'mirror',
  };
  const refused = (code: string, reason: string): ReplayResult => ({
    runId: run.runId,
    published: [],
    refused: { code, reason },
    dryRun: run.dryRun,
  });
  const config = await deps.control.getConfig();
  if (config.killSwitch) return refused('kill_switch', 'the kill switch is on: nothing replayed');
  if (!request.overrides?.ignoreCaps) {
    // A replay is as big a blast as a run: the same limits on how many accounts one request may touch.
    const blast = blastRadiusVerdict(ids.length, ids.length, {
      ...config,
      allowEmptyNewDrift: true,
      maxNewDriftShare: 1,
    });
    if (!blast.ok) return refused(blast.code, `${blast.reason}: nothing replayed (--ignore-caps lifts it)`);
    if (ids.length > config.perRunCap)
      return refused(
        'run_cap',
        `${ids.length} accounts exceed the per-run cap of ${config.perRunCap}: nothing replayed (--ignore-caps lifts it)`,
      );
  }
  for (const accountId of ids) {
    const message: StripeDriftAccountMessage = {
      schemaVersion: 1,
      kind: 'stripe_drift_account',
      run,
      accountId,
      ...(request.truth === 'mirror' ? { truth: 'mirror' as const } : {}),
      ...(request.overrides ? { overrides: request.overrides } : {}),
      publishedAt: deps.clock.now().toISOString(),
    };
    await deps.publisher.publish('stripeDriftAccounts', message, { orderingKey: accountId });
  }
  return { runId: run.runId, published: ids, refused: null, dryRun: run.dryRun };
}

export interface ZoneReplayRequest {
  readonly zones: readonly WwwDriftZoneMessage[];
  readonly requestedBy: string;
  readonly apply: boolean;
  readonly nonce: string;
}

/**
 * Republishes WWW-drift zones (from www-resync's dead letter) under a replay run of their own. www-resync
 * re-reads subs-api and www live, writes only conditionally, and audits every outcome.
 */
export async function replayZones(
  deps: Pick<PipelineDeps, 'publisher' | 'clock' | 'control'>,
  request: ZoneReplayRequest,
): Promise<{ runId: string; published: string[]; refused: boolean; dryRun: boolean }> {
  const zoneIds = [...new Set(request.zones.map((z) => z.zoneId))].sort();
  const snapshotDate = request.zones[0]?.run.snapshotDate ?? deps.clock.now().toISOString().slice(0, 10);
  const run: RunContext = {
    runId: `replay-${hashOf({ zoneIds, by: request.requestedBy, apply: request.apply, nonce: request.nonce }).slice(0, 16)}`,
    system: 'www',
    snapshotDate,
    trigger: 'replay',
    requestedBy: request.requestedBy,
    dryRun: !request.apply,
  };
  if ((await deps.control.getConfig()).killSwitch)
    return { runId: run.runId, published: [], refused: true, dryRun: run.dryRun };
  const published: string[] = [];
  for (const zone of request.zones) {
    if (published.includes(zone.zoneId)) continue;
    const message: WwwDriftZoneMessage = { ...zone, run, publishedAt: deps.clock.now().toISOString() };
    await deps.publisher.publish('wwwDriftZones', message, { orderingKey: zone.zoneId });
    published.push(zone.zoneId);
  }
  return { runId: run.runId, published, refused: false, dryRun: run.dryRun };
}

import { z } from 'zod';
import { Trigger } from '../domain/audit.js';
import { Instant } from '../domain/common.js';
import type { Plan } from '../domain/plan.js';
import { canonicalJson, hashOf } from './canonical.js';

/**
 * The drift lifecycle of one account (docs/design.md, "Drift lifecycle"): one rule for both paths, the
 * nightly run and event-driven checks. Pure: the Firestore adapter applies `observe` in a transaction.
 *
 *   open         drift seen, not healed yet (blocked, dry-run, stale, failed: it is still there)
 *   persistent   open longer than the window (default 24 h, what the snapshot diff means) without a heal
 *   needs_human  drift no automatic path may heal (a finding)
 *   healed       we wrote the changes that healed it
 *   cleared      it went away without our heal (someone else fixed it, or the truth moved)
 *
 * A drift whose signature changes is a new problem, first seen now: it must not hide behind an old one.
 */

export const LifecycleStatus = z.enum(['open', 'persistent', 'needs_human', 'healed', 'cleared']);
export type LifecycleStatus = z.infer<typeof LifecycleStatus>;

export const DriftLifecycle = z.strictObject({
  status: LifecycleStatus,
  /** Stable hash of the drift's kinds and values (null: known only from the snapshot diff). */
  signature: z.string().nullable(),
  firstSeenAt: Instant,
  lastSeenAt: Instant,
  healedAt: Instant.nullable(),
  /** Checks that saw this drift, since it was first seen. */
  attempts: z.number().int().min(0),
  lastOutcome: z.string(),
  lastRunId: z.string(),
  lastTrigger: Trigger,
});
export type DriftLifecycle = z.infer<typeof DriftLifecycle>;

/** What one final plan-apply outcome saw of an account's drift. */
export interface DriftObservation {
  readonly at: string;
  /** null: no drift (the plan is noop). */
  readonly signature: string | null;
  readonly outcome: string;
  readonly runId: string;
  readonly trigger: Trigger;
}

/** Outcomes that heal: the drift is gone because we wrote. */
const HEALING = new Set(['applied']);

/**
 * The drift's signature: its kinds and the values involved — the account drift and, per change a plan
 * would make, block or drop, its kind, target, drift kinds and item changes; per finding its kind and
 * elements. null when there is no drift. The same drift always hashes the same (order does not matter).
 */
export function driftSignature(plan: Plan): string | null {
  if (plan.outcome === 'noop') return null;
  const change = (c: Plan['changes'][number]) =>
    canonicalJson({ kind: c.kind, target: c.target, drift: [...c.drift].sort(), items: c.itemChanges });
  const changes = [...plan.changes, ...plan.blockedChanges, ...plan.droppedChanges.map((d) => d.change)]
    .map(change)
    .sort();
  const findings = plan.findings
    .map((f) => canonicalJson({ kind: f.kind, elements: [...f.elementKeys].sort() }))
    .sort();
  return hashOf({ accountDrift: [...plan.accountDrift].sort(), changes, findings }).slice(0, 32);
}

/**
 * Open drift older than the window, without a heal — judged only on recent evidence: a record not
 * confirmed within the window (last seen longer ago) may describe drift someone has fixed since, so it
 * does not exclude; the check runs and its observation brings the record up to date.
 */
export function isPersistent(record: DriftLifecycle, nowMs: number, windowMs: number): boolean {
  if (nowMs - Date.parse(record.lastSeenAt) >= windowMs) return false;
  if (record.status === 'persistent') return true;
  return record.status === 'open' && nowMs - Date.parse(record.firstSeenAt) >= windowMs;
}

const OPEN: ReadonlySet<LifecycleStatus> = new Set(['open', 'persistent', 'needs_human']);

/**
 * The lifecycle after one observation. null: nothing to record (no drift, and none before). A second
 * observation of the same run changes nothing (a redelivery).
 */
export function observe(
  prev: DriftLifecycle | null,
  obs: DriftObservation,
  windowMs: number,
): DriftLifecycle | null {
  if (prev !== null && prev.lastRunId === obs.runId) return prev;
  const last = { lastOutcome: obs.outcome, lastRunId: obs.runId, lastTrigger: obs.trigger };
  if (obs.signature === null) {
    if (prev === null) return null;
    // Gone without our heal: cleared. Already healed or cleared: stays so.
    return { ...prev, ...last, status: OPEN.has(prev.status) ? 'cleared' : prev.status };
  }
  const sameProblem =
    prev !== null && OPEN.has(prev.status) && (prev.signature === null || prev.signature === obs.signature);
  const firstSeenAt = sameProblem ? prev.firstSeenAt : obs.at;
  const attempts = (sameProblem ? prev.attempts : 0) + 1;
  const base = { ...last, signature: obs.signature, firstSeenAt, lastSeenAt: obs.at, attempts };
  if (HEALING.has(obs.outcome)) return { ...base, status: 'healed', healedAt: obs.at };
  const healedAt = prev?.healedAt ?? null;
  if (obs.outcome === 'needs_human') return { ...base, status: 'needs_human', healedAt };
  const persistent = Date.parse(obs.at) - Date.parse(firstSeenAt) >= windowMs;
  return { ...base, status: persistent ? 'persistent' : 'open', healedAt };
}

/**
 * What the nightly snapshot diff says of an account with persistent drift (present yesterday too): open
 * since at least yesterday's snapshot. A record that knows an older first sighting keeps it; one healed
 * or cleared after the snapshot was taken (`snapshotAt`) is newer evidence than the diff and stays.
 */
export function observePersistent(
  prev: DriftLifecycle | null,
  seenSince: string,
  at: string,
  runId: string,
  snapshotAt: string = seenSince,
): DriftLifecycle {
  if (
    prev !== null &&
    (prev.status === 'healed' || prev.status === 'cleared') &&
    Date.parse(prev.lastSeenAt) >= Date.parse(snapshotAt)
  )
    return prev;
  const sameProblem = prev !== null && OPEN.has(prev.status);
  const firstSeenAt =
    sameProblem && Date.parse(prev.firstSeenAt) < Date.parse(seenSince) ? prev.firstSeenAt : seenSince;
  return {
    status: prev?.status === 'needs_human' && sameProblem ? 'needs_human' : 'persistent',
    signature: sameProblem ? prev.signature : null,
    firstSeenAt,
    lastSeenAt: at,
    healedAt: prev?.healedAt ?? null,
    attempts: sameProblem ? prev.attempts : 0,
    lastOutcome: 'excluded',
    lastRunId: runId,
    lastTrigger: 'scheduled',
  };
}

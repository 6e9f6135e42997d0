import type { DriftControlConfig } from '../domain/config.js';

/**
 * Safety valves (docs/design.md "Safety valves"), pure: the detect-drift function gathers the numbers and audits the
 * verdicts. Each verdict carries a reason an operator can act on.
 */

export interface MirrorPartitionStats {
  readonly snapshotDate: string;
  /** Accounts in the partition (0 when the partition is missing). */
  readonly accounts: number;
  /** Tables the mirror job has not marked complete for this date (no manifest row). */
  readonly missingTables: readonly string[];
  /** Tables marked complete whose partition holds another number of rows than the manifest says. */
  readonly incompleteTables: readonly string[];
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly reason: string };

const OK: Verdict = { ok: true };

/**
 * Both partitions marked complete in every table by the mirror job, with the rows it says it wrote, and
 * account counts within bounds. A failure is retryable (the mirror may still be landing).
 */
export function mirrorVerdict(
  today: MirrorPartitionStats,
  yesterday: MirrorPartitionStats,
  config: Pick<DriftControlConfig, 'minMirrorAccounts' | 'maxMirrorAccountChange'>,
): Verdict {
  for (const p of [today, yesterday]) {
    if (p.missingTables.length > 0) {
      return {
        ok: false,
        code: 'mirror_not_landed',
        reason: `snapshot ${p.snapshotDate} has not landed in ${p.missingTables.join(', ')} (no completion marker)`,
      };
    }
    if (p.incompleteTables.length > 0) {
      return {
        ok: false,
        code: 'mirror_incomplete',
        reason: `snapshot ${p.snapshotDate} of ${p.incompleteTables.join(', ')} holds another row count than its completion marker says`,
      };
    }
    if (p.accounts < config.minMirrorAccounts) {
      return {
        ok: false,
        code: 'mirror_too_small',
        reason: `snapshot ${p.snapshotDate} holds ${p.accounts} accounts, fewer than ${config.minMirrorAccounts}`,
      };
    }
  }
  const change = Math.abs(today.accounts - yesterday.accounts) / Math.max(yesterday.accounts, 1);
  if (change > config.maxMirrorAccountChange) {
    return {
      ok: false,
      code: 'mirror_count_jump',
      reason: `account count moved ${(change * 100).toFixed(1)}% between ${yesterday.snapshotDate} (${yesterday.accounts}) and ${today.snapshotDate} (${today.accounts}), more than ${(config.maxMirrorAccountChange * 100).toFixed(1)}%`,
    };
  }
  return OK;
}

/** An empty or huge new-drift set is a stop signal, never "do all". */
export function blastRadiusVerdict(
  newDrift: number,
  totalAccounts: number,
  config: Pick<DriftControlConfig, 'maxNewDriftAccounts' | 'maxNewDriftShare' | 'allowEmptyNewDrift'>,
): Verdict {
  if (newDrift === 0 && !config.allowEmptyNewDrift) {
    return {
      ok: false,
      code: 'empty_new_drift',
      reason: 'no new drift at all: a broken view looks like a quiet day',
    };
  }
  if (newDrift > config.maxNewDriftAccounts) {
    return {
      ok: false,
      code: 'blast_radius_count',
      reason: `${newDrift} new-drift accounts exceed the limit of ${config.maxNewDriftAccounts}`,
    };
  }
  const share = totalAccounts === 0 ? 1 : newDrift / totalAccounts;
  if (share > config.maxNewDriftShare) {
    return {
      ok: false,
      code: 'blast_radius_share',
      reason: `${newDrift} of ${totalAccounts} accounts (${(share * 100).toFixed(2)}%) exceed the limit of ${(config.maxNewDriftShare * 100).toFixed(2)}%`,
    };
  }
  return OK;
}

export interface Selection<T> {
  readonly publish: T[];
  readonly excluded: { item: T; code: 'cooldown' | 'run_cap'; reason: string }[];
}

/**
 * Applies the per-account cooldown, then the per-run cap, in a stable order (by id) so a retried run
 * selects the same accounts.
 */
export function selectForRun<T>(
  candidates: readonly T[],
  idOf: (t: T) => string,
  lastHealedAtMs: ReadonlyMap<string, number>,
  nowMs: number,
  config: Pick<DriftControlConfig, 'cooldownHours' | 'perRunCap'>,
): Selection<T> {
  const sorted = [...candidates].sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const publish: T[] = [];
  const excluded: Selection<T>['excluded'] = [];
  const cooldownMs = config.cooldownHours * 3_600_000;
  for (const item of sorted) {
    const healed = lastHealedAtMs.get(idOf(item));
    if (healed !== undefined && nowMs - healed < cooldownMs) {
      excluded.push({
        item,
        code: 'cooldown',
        reason: `healed ${new Date(healed).toISOString()}, within the ${config.cooldownHours}h cooldown`,
      });
    } else if (publish.length >= config.perRunCap) {
      excluded.push({ item, code: 'run_cap', reason: `per-run cap of ${config.perRunCap} accounts reached` });
    } else {
      publish.push(item);
    }
  }
  return { publish, excluded };
}

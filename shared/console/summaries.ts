import type { DriftSystem } from '../domain/audit.js';
import type { DailyOutcomeCount, RestrictionCount, RunOutcomeCount } from '../ports/index.js';
import type { ChartPoint } from './charts.js';

/**
 * What the run and trends pages count, from final outcomes (pure; docs/support.md "What the console
 * counts"). Drift found is detection's word per account or zone: published as new, excluded as persistent,
 * or excluded for another reason (unsupported type, cooldown, cap). Heals are the heal stages' final
 * outcomes (plan-apply for Stripe, www-resync for WWW).
 */

export const HEAL_STAGES: ReadonlySet<string> = new Set(['plan_apply', 'www_resync']);

export interface RunSummary {
  readonly runId: string;
  readonly system: DriftSystem;
  readonly trigger: string;
  readonly snapshotDate: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Accounts (zones for WWW) detection published as new drift. */
  readonly newDrift: number;
  readonly persistent: number;
  /** Other exclusions by code (unsupported_account_type, cooldown, run_cap, ...). */
  readonly excluded: Readonly<Record<string, number>>;
  /** The heal stages' final outcomes by outcome. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Gather's final word where it ended the check (failed, excluded), by outcome and code. */
  readonly gatherEnded: Readonly<Record<string, number>>;
  /** The run's halt at detection, if it halted (code). */
  readonly haltedBy: string | null;
}

const add = (m: Record<string, number>, k: string, n: number) => {
  m[k] = (m[k] ?? 0) + n;
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function summariseRuns(counts: readonly RunOutcomeCount[]): RunSummary[] {
  const runs = new Map<
    string,
    Mutable<RunSummary> & {
      excluded: Record<string, number>;
      outcomes: Record<string, number>;
      gatherEnded: Record<string, number>;
    }
  >();
  for (const c of counts) {
    const key = `${c.runId}|${c.system}`;
    const run = runs.get(key) ?? {
      runId: c.runId,
      system: c.system,
      trigger: c.trigger,
      snapshotDate: c.snapshotDate,
      startedAt: c.firstAt,
      finishedAt: c.lastAt,
      newDrift: 0,
      persistent: 0,
      excluded: {},
      outcomes: {},
      gatherEnded: {},
      haltedBy: null,
    };
    runs.set(key, run);
    if (c.firstAt < run.startedAt) run.startedAt = c.firstAt;
    if (c.lastAt > run.finishedAt) run.finishedAt = c.lastAt;
    run.snapshotDate ??= c.snapshotDate;
    if (c.stage === 'detect') {
      if (c.runLevel) {
        if (c.outcome === 'halted') run.haltedBy = c.code ?? 'halted';
      } else if (c.outcome === 'published') run.newDrift += c.count;
      else if (c.outcome === 'excluded' && c.code === 'persistent_drift') run.persistent += c.count;
      else if (c.outcome === 'excluded') add(run.excluded, c.code ?? 'excluded', c.count);
    } else if (HEAL_STAGES.has(c.stage)) {
      if (!c.runLevel) add(run.outcomes, c.outcome, c.count);
    } else if (c.stage === 'gather' && c.outcome !== 'published') {
      add(run.gatherEnded, `${c.outcome}${c.code ? ` (${c.code})` : ''}`, c.count);
    }
  }
  // Newest first.
  return [...runs.values()].sort((a, b) =>
    a.startedAt === b.startedAt ? a.runId.localeCompare(b.runId) : b.startedAt.localeCompare(a.startedAt),
  );
}

export function total(m: Readonly<Record<string, number>>): number {
  return Object.values(m).reduce((a, b) => a + b, 0);
}

/** Every day from `from` to `to` inclusive (YYYY-MM-DD, UTC). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

export interface Trends {
  readonly days: readonly string[];
  /** Drift found per day by kind (new, persistent, excluded) and system. */
  readonly driftFound: readonly ChartPoint[];
  /** Heals applied per day by system. */
  readonly healsApplied: readonly ChartPoint[];
  /** Blocked final outcomes per day by restriction. */
  readonly blockedBy: readonly ChartPoint[];
  /** Needs-a-human final outcomes per day by system. */
  readonly needsHuman: readonly ChartPoint[];
}

function points(map: Map<string, number>): ChartPoint[] {
  return [...map].map(([k, value]) => {
    const [day, series] = k.split('|') as [string, string];
    return { day, series, value };
  });
}

export function trendsOf(
  from: string,
  to: string,
  daily: readonly DailyOutcomeCount[],
  restrictions: readonly RestrictionCount[],
): Trends {
  const drift = new Map<string, number>();
  const heals = new Map<string, number>();
  const human = new Map<string, number>();
  const bump = (m: Map<string, number>, day: string, series: string, n: number) =>
    m.set(`${day}|${series}`, (m.get(`${day}|${series}`) ?? 0) + n);
  for (const d of daily) {
    if (d.runLevel) continue;
    if (d.stage === 'detect' && d.outcome === 'published') bump(drift, d.day, `new · ${d.system}`, d.count);
    else if (d.stage === 'detect' && d.outcome === 'excluded')
      bump(
        drift,
        d.day,
        `${d.code === 'persistent_drift' ? 'persistent' : 'excluded'} · ${d.system}`,
        d.count,
      );
    else if (HEAL_STAGES.has(d.stage) && d.outcome === 'applied') bump(heals, d.day, d.system, d.count);
    else if (HEAL_STAGES.has(d.stage) && d.outcome === 'needs_human') bump(human, d.day, d.system, d.count);
  }
  const blocked = new Map<string, number>();
  for (const r of restrictions) bump(blocked, r.key, r.restriction, r.count);
  return {
    days: daysBetween(from, to),
    driftFound: points(drift),
    healsApplied: points(heals),
    blockedBy: points(blocked),
    needsHuman: points(human),
  };
}

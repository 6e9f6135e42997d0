import type { DriftLifecycle } from '../core/lifecycle.js';
import type { AuditOutcome, AuditRecord, DriftSystem } from '../domain/audit.js';
import type { Plan } from '../domain/plan.js';
import { explainCode } from './reason-codes.js';

/**
 * "Why did (or didn't) remediation fire for this account?" in one sentence (docs/support.md): one pure
 * function over the account's audit rows, its drift lifecycle and, on request, its live plan. The CLI's
 * `explain` and the console's account page both print what this returns, so they cannot disagree.
 */

export type Verdict =
  /** We wrote the changes that healed it. */
  | 'healed'
  /** Drift was there and was not healed: blocked, stale, dry-run, failed for good, halted. */
  | 'not_healed'
  /** Drift no automatic path may heal. */
  | 'needs_human'
  /** Not attempted by design: persistent, unsupported type, cooldown, cap, another run's lease. */
  | 'not_attempted'
  /** Checked, and nothing to heal. */
  | 'no_drift'
  /** Handed on, or failed and being retried: no final word yet. */
  | 'in_progress'
  /** No attempt on record. */
  | 'no_record';

export interface ExplainInput {
  readonly accountId: string;
  /** Every audited attempt that names the account (audit_attempts), in any order. */
  readonly attempts: readonly AuditRecord[];
  /** The drift lifecycle per system as Firestore holds it now (absent: none recorded). */
  readonly lifecycle?: Partial<Record<DriftSystem, DriftLifecycle | null>>;
  /** The plan of the account read live now (`--live`); undefined: not asked for. null: not known live. */
  readonly livePlan?: Plan | null;
  /** Nightly runs whose final word was a halt (detect rows without an account): they checked nothing. */
  readonly halts?: readonly AuditRecord[];
  /** Now (ISO): a retry that has not come for this long is said to be lost, not under way. */
  readonly now?: string;
}

/** A failure that was to be retried, with nothing after it for this long: say it may be dead-lettered. */
export const RETRY_OVERDUE_MS = 6 * 3_600_000;

export interface AccountExplanation {
  readonly accountId: string;
  /** The answer, first: what happened to the account's drift and why, in one sentence. */
  readonly sentence: string;
  readonly verdict: Verdict;
  /** The attempt the sentence is about (null: none). */
  readonly decisive: AuditRecord | null;
  /** The code behind the verdict: an error code, or the restrictions that blocked (null: none). */
  readonly code: string | null;
  /** What a person can do next. */
  readonly action: string;
}

/** Outcomes that are an account's final word on a check (published rows only hand on). */
const DECISIVE: ReadonlySet<AuditOutcome> = new Set([
  'applied',
  'noop',
  'blocked',
  'needs_human',
  'dry_run',
  'halted',
  'excluded',
  'stale',
  'failed',
]);

const byFinish = (a: AuditRecord, b: AuditRecord) =>
  a.finished_at === b.finished_at
    ? a.row_id.localeCompare(b.row_id)
    : a.finished_at.localeCompare(b.finished_at);

function day(instant: string): string {
  return instant.slice(0, 10);
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "price on 1 item, quantity on 2 items; status", from plan-apply's `result_json.drift`. */
export function describeDrift(result: Record<string, unknown>): string | null {
  const drift = result.drift as { account?: unknown; items?: unknown } | undefined;
  if (drift === undefined || drift === null) return null;
  const items = Array.isArray(drift.items) ? (drift.items as { drift?: unknown }[]) : [];
  const perKind = new Map<string, number>();
  for (const item of items)
    for (const kind of Array.isArray(item.drift) ? (item.drift as string[]) : [])
      perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
  const parts = [...perKind].map(([kind, n]) => `${kind.replaceAll('_', ' ')} on ${plural(n, 'item')}`);
  const account = Array.isArray(drift.account) ? (drift.account as string[]) : [];
  parts.push(...account.map((k) => k.replaceAll('_', ' ')));
  return parts.length === 0 ? null : parts.join(', ');
}

function restrictionsClause(row: AuditRecord, result: Record<string, unknown>): string {
  const listed = Array.isArray(result.restrictions)
    ? (result.restrictions as { name?: unknown; reason?: unknown }[]).filter(
        (r) => typeof r.name === 'string' && typeof r.reason === 'string',
      )
    : [];
  if (listed.length > 0) return listed.map((r) => `${r.name} — ${r.reason}`).join('; ');
  if (row.restrictions.length > 0)
    return `${row.restrictions.join(', ')}${row.reason ? ` — ${row.reason}` : ''}`;
  return row.reason ?? 'a restriction';
}

function findingsClause(row: AuditRecord, result: Record<string, unknown>): string {
  const findings = Array.isArray(result.findings)
    ? (result.findings as { detail?: unknown }[]).map((f) => f.detail).filter((d) => typeof d === 'string')
    : [];
  return findings.length > 0 ? findings.join('; ') : (row.reason ?? 'drift no automatic path may heal');
}

function changeCount(row: AuditRecord, result: Record<string, unknown>): number {
  return Array.isArray(result.changes) ? result.changes.length : row.change_ids.length;
}

function meaningOf(code: string | null, fallback: string | null): string {
  const known = code === null ? null : explainCode(code);
  return known?.meaning ?? fallback ?? code ?? 'no reason recorded';
}

function actionOf(code: string | null, fallback: string): string {
  return (code === null ? null : explainCode(code))?.action ?? fallback;
}

interface Clause {
  readonly verdict: Verdict;
  readonly text: string;
  readonly code: string | null;
  readonly action: string;
}

/** Who ran the check, for a replay: "a replay by ops@example.com". */
function byWhom(row: AuditRecord): string {
  return `a ${row.dry_run ? 'dry-run ' : ''}replay by ${row.requested_by ?? 'an operator'}`;
}

/** What one decisive attempt says, as the second half of the sentence. */
export function outcomeClause(row: AuditRecord, nowMs: number | null = null): Clause {
  const result = parseJson(row.result_json);
  const on = day(row.finished_at);
  const code = row.error_code;
  const outcome: AuditOutcome = row.outcome;
  const www = row.system === 'www';
  switch (outcome) {
    case 'applied':
      return {
        verdict: 'healed',
        text: www
          ? `healed on ${on}: www resynced from subs-api (${row.trigger} run ${row.run_id})`
          : `healed on ${on}: ${plural(row.stripe_writes, 'change')} written to Stripe (${row.trigger} run ${row.run_id})`,
        code: null,
        action: www
          ? "Nothing to do; www now holds subs-api's plan level."
          : 'Nothing to do; the heal is in the Stripe dashboard under the change ids.',
      };
    case 'noop':
      return code === null
        ? {
            verdict: 'no_drift',
            text: www
              ? `nothing to heal on ${on}: www already matched subs-api`
              : `nothing to heal on ${on}: Stripe already matched the company's stores`,
            code: null,
            action: 'Nothing to do.',
          }
        : {
            verdict: 'no_drift',
            text: `nothing to heal on ${on}: ${meaningOf(code, row.reason)}`,
            code,
            action: actionOf(code, 'Nothing to do.'),
          };
    case 'blocked': {
      const names = row.restrictions.length > 0 ? row.restrictions.join(', ') : null;
      return {
        verdict: 'not_healed',
        text: `not healed: blocked on ${on} by ${restrictionsClause(row, result)}`,
        code: names,
        action:
          'A restriction is a rule, not a fault: it lifts on its own (an invoice passes, a card is updated) or a billing engineer heals it by hand.',
      };
    }
    case 'needs_human':
      return {
        verdict: 'needs_human',
        text: `not healed: needs a human (${on}) — ${findingsClause(row, result)}`,
        code: null,
        action: 'A billing engineer must fix it by hand; no automatic path will.',
      };
    case 'dry_run':
      if (code === null && row.trigger === 'replay')
        return {
          verdict: 'not_healed',
          text: `not healed: ${byWhom(row)} on ${on} ${www ? 'would have resynced the zone' : `would have applied ${plural(changeCount(row, result), 'change')}`}`,
          code: 'dry_run',
          action: 'Replay it with --apply to heal it (driftcontrol replay --accounts … --apply).',
        };
      return code === null
        ? {
            verdict: 'not_healed',
            text: `not healed: dry-run was on (${on}), ${www ? 'it would have resynced the zone' : `it would have applied ${plural(changeCount(row, result), 'change')}`}`,
            code: 'dry_run',
            action: 'Turn dry-run off (driftcontrol config set dryRun=false) or replay once it is off.',
          }
        : {
            verdict: 'not_healed',
            text: `not healed: ${meaningOf(code, row.reason)} (${on})`,
            code,
            action: actionOf(code, 'Replay it on the live truth.'),
          };
    case 'halted':
      return {
        verdict: 'not_healed',
        text: `not healed: ${meaningOf(code, row.reason)} (${on})`,
        code,
        action: actionOf(code, 'Read the reason on the attempt.'),
      };
    case 'excluded':
      return {
        verdict: 'not_attempted',
        text: `not attempted (${on}): ${meaningOf(code, row.reason)}`,
        code,
        action: actionOf(code, 'Read the reason on the attempt.'),
      };
    case 'stale':
      return {
        verdict: 'not_healed',
        text: `not healed (${on}): ${meaningOf(code, row.reason)}`,
        code,
        action: actionOf(code, 'The next detection re-plans.'),
      };
    case 'failed':
      if (row.will_retry && nowMs !== null && nowMs - Date.parse(row.finished_at) > RETRY_OVERDUE_MS)
        return {
          verdict: 'not_healed',
          text: `not healed: ${row.stage.replace('_', '-')} failed on ${on} because ${meaningOf(code, row.reason)}, and no retry is recorded since`,
          code,
          action:
            'Look for the message in the dead letters (driftcontrol replay --from-dead-letter) or replay the account.',
        };
      return row.will_retry
        ? {
            verdict: 'in_progress',
            text: `not healed yet: ${row.stage.replace('_', '-')} failed on ${on} because ${meaningOf(code, row.reason)}, and will be retried`,
            code,
            action: actionOf(
              code,
              'Wait for the retry; the dead-letter topic keeps the message if it never succeeds.',
            ),
          }
        : {
            verdict: 'not_healed',
            text: `not healed: ${row.stage.replace('_', '-')} failed on ${on} because ${meaningOf(code, row.reason)}`,
            code,
            action: actionOf(code, 'Read the reason on the attempt, then replay the account.'),
          };
    case 'published':
      return {
        verdict: 'in_progress',
        text: `in progress: ${row.stage.replace('_', '-')} handed it on at ${row.finished_at} (${row.trigger} run ${row.run_id}) and no final outcome is recorded yet`,
        code: null,
        action: 'Wait a few minutes; if nothing lands, look for a failed attempt or a dead letter.',
      };
    default: {
      const unexplained: never = outcome;
      throw new Error(`no explanation for outcome ${String(unexplained)}`);
    }
  }
}

/** Outcomes whose row saw the drift itself (detection in the mirror, or a plan on the live stores). */
function sawDrift(row: AuditRecord): boolean {
  if (row.stage === 'detect') return row.outcome === 'published' || row.outcome === 'excluded';
  if (row.stage === 'www_resync') return row.outcome !== 'noop';
  if (row.stage === 'plan_apply')
    return ['applied', 'blocked', 'needs_human', 'dry_run', 'stale'].includes(row.outcome);
  return false;
}

function checkKind(row: AuditRecord): string {
  switch (row.trigger) {
    case 'event':
      return 'An event-triggered check';
    case 'replay':
      return capitalise(byWhom(row));
    case 'manual':
      return 'A manual check';
    case 'scheduled':
      return 'The nightly check';
  }
}

/**
 * "New drift on 2026-11-24 (price on 1 item)": what drifted and since when — claimed only when the row saw
 * drift; a check that ended before seeing any says what kind of check it was.
 */
function driftClause(row: AuditRecord, lifecycle: DriftLifecycle | null | undefined): string {
  if (!sawDrift(row)) return `${checkKind(row)} on ${day(row.finished_at)}`;
  const what = describeDrift(parseJson(row.result_json));
  const subject = row.system === 'www' ? `WWW drift${row.zone_id ? ` on zone ${row.zone_id}` : ''}` : 'drift';
  const persistent = lifecycle?.status === 'persistent' || row.error_code === 'persistent_drift';
  const since = lifecycle?.firstSeenAt
    ? day(lifecycle.firstSeenAt)
    : (row.snapshot_date ?? day(row.started_at));
  const head = persistent
    ? `Persistent ${subject} since ${since}`
    : row.trigger === 'scheduled'
      ? `New ${subject} on ${since}`
      : `${capitalise(subject)} found on ${day(row.finished_at)} by ${lowerFirst(checkKind(row))}`;
  return what === null ? head : `${head} (${what})`;
}

/** What the live plan says now, for `--live`. */
export function livePlanClause(p: Plan | null): string {
  if (p === null) return 'Live now: subs-api does not know the account.';
  switch (p.outcome) {
    case 'noop':
      return 'Live now: no drift — the stores agree.';
    case 'changes':
      return `Live now: drift, and the pipeline would apply ${plural(p.changes.length, 'change')}.`;
    case 'blocked':
      return `Live now: drift, blocked by ${p.restrictions
        .filter((r) => r.applies)
        .map((r) => `${r.name} — ${r.reason}`)
        .join('; ')}.`;
    case 'needs_human':
      return `Live now: drift that needs a human — ${p.findings.map((f) => f.detail).join('; ')}.`;
    default: {
      const unexplained: never = p.outcome;
      throw new Error(`no explanation for plan outcome ${String(unexplained)}`);
    }
  }
}

function lowerFirst(s: string): string {
  return s.length === 0 ? s : `${s[0]?.toLowerCase()}${s.slice(1)}`;
}

function capitalise(s: string): string {
  return s.length === 0 ? s : `${s[0]?.toUpperCase()}${s.slice(1)}`;
}

/** How far along the pipeline a stage is, so the furthest stage of a run has the last word. */
const STAGE_RANK: Readonly<Record<AuditRecord['stage'], number>> = {
  detect: 0,
  events: 0,
  replay: 0,
  audit_writer: 0,
  gather: 1,
  plan_apply: 2,
  www_resync: 2,
};

const isFinal = (r: AuditRecord) => DECISIVE.has(r.outcome) && !(r.outcome === 'failed' && r.will_retry);

/** A run an operator ran to look, not to heal: a dry-run replay or an as-of view of the mirror. */
const isInvestigation = (r: AuditRecord) =>
  (r.trigger === 'replay' && r.dry_run) || r.error_code === 'as_of_view';

/**
 * The attempt that answers for one track (Stripe, or one WWW zone): the latest run's furthest stage — its
 * final word there, or, when that stage has none yet, its newest row (a hand-on or a failure being
 * retried: still under way). Runs an operator ran only to look count when nothing else does.
 */
export function decisiveAttempt(rows: readonly AuditRecord[]): AuditRecord | null {
  const real = rows.filter((r) => !isInvestigation(r));
  const pool = real.length > 0 ? real : [...rows];
  const lastOf = new Map<string, AuditRecord>();
  for (const r of [...pool].sort(byFinish)) lastOf.set(r.run_id, r);
  const latestRun = [...lastOf.values()].sort(byFinish).at(-1);
  if (latestRun === undefined) return null;
  const run = pool.filter((r) => r.run_id === latestRun.run_id).sort(byFinish);
  const furthest = Math.max(...run.map((r) => STAGE_RANK[r.stage]));
  const atFurthest = run.filter((r) => STAGE_RANK[r.stage] === furthest);
  return atFurthest.filter(isFinal).at(-1) ?? atFurthest.at(-1) ?? null;
}

function trackOf(r: AuditRecord): string {
  return r.system === 'stripe' ? 'stripe' : `www:${r.zone_id ?? ''}`;
}

function haltNoteOf(halts: readonly AuditRecord[], system: string, after: string | null): string {
  const last = halts
    .filter((h) => h.system === system && h.outcome === 'halted' && (after === null || h.finished_at > after))
    .sort(byFinish)
    .at(-1);
  if (last === undefined) return '';
  return ` ${after === null ? 'The' : 'Since then the'} ${last.trigger} run of ${last.snapshot_date ?? day(last.finished_at)} halted: ${meaningOf(last.error_code, last.reason)}.`;
}

export function explainAccount(input: ExplainInput): AccountExplanation {
  const rows = input.attempts.filter((r) => r.account_id === input.accountId).sort(byFinish);
  const live = input.livePlan === undefined ? '' : ` ${livePlanClause(input.livePlan)}`;
  const nowMs = input.now === undefined ? null : Date.parse(input.now);
  const halts = input.halts ?? [];
  const tracks = new Map<string, AuditRecord[]>();
  for (const r of rows) tracks.set(trackOf(r), [...(tracks.get(trackOf(r)) ?? []), r]);
  if (tracks.size === 0) {
    return {
      accountId: input.accountId,
      sentence: `No attempt on record for ${input.accountId}: no run has found it drifted.${haltNoteOf(halts, 'stripe', null)}${live}`,
      verdict: 'no_record',
      decisive: null,
      code: null,
      action: 'Run a live check (--live) to see whether it is drifted now.',
    };
  }
  // Stripe first (it is what the customer pays); then each zone's WWW drift, newest first.
  const order = [...tracks.keys()].sort((a, b) =>
    a === 'stripe'
      ? -1
      : b === 'stripe'
        ? 1
        : byFinish(tracks.get(b)?.at(-1) as AuditRecord, tracks.get(a)?.at(-1) as AuditRecord),
  );
  const decided = order
    .map((t) => decisiveAttempt(tracks.get(t) ?? []))
    .filter((r): r is AuditRecord => r !== null);
  const [row, ...others] = decided;
  if (row === undefined) throw new Error('a track without a decisive attempt');
  const clause = outcomeClause(row, nowMs);
  const head =
    clause.verdict === 'no_drift'
      ? `Checked ${row.system === 'www' ? `WWW drift${row.zone_id ? ` on zone ${row.zone_id}` : ''}` : 'Stripe drift'}`
      : driftClause(row, input.lifecycle?.[row.system]);
  const more = others
    .map((o) => ` WWW${o.zone_id ? ` zone ${o.zone_id}` : ''}: ${outcomeClause(o, nowMs).text}.`)
    .join('');
  return {
    accountId: input.accountId,
    sentence: `${capitalise(`${head}; ${clause.text}`)}.${haltNoteOf(halts, row.system, row.finished_at)}${more}${live}`,
    verdict: clause.verdict,
    decisive: row,
    code: clause.code,
    action: clause.action,
  };
}

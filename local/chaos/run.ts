import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Message } from '@google-cloud/pubsub';
import { drainDeadLetters } from '../../shared/cli/dead-letters.js';
import { AUDIT_TABLE, DATASETS, type FunctionName } from '../../shared/contracts/topology.js';
import { plan } from '../../shared/core/planner.js';
import { gatherLive } from '../../shared/pipeline/gather.js';
import { replayAccounts, replayZones } from '../../shared/pipeline/replay.js';
import { type LocalPipeline, startLocalPipeline } from '../run/pipeline.js';
import type { FaultKind } from '../stripe/index.js';
import { accountStates } from '../synthetic/world.js';
import { injectChaosFaults } from './faults.js';
import {
  checkHistory,
  type HistoryVerdict,
  isExecutedWrite,
  type LandedAuditRow,
  outstandingFinals,
} from './history.js';
import { startKiller } from './killer.js';

/**
 * The chaos run (docs/operations.md, "Chaos run"): a nightly cycle on the local stack with every function
 * in its own process, while Stripe fails at a steady rate (faults.ts), function instances are crashed and
 * restarted (killer.ts), Cloud Scheduler's calls overlap and three operators replay overlapping accounts
 * at once through the real CLI. Then the on-call drains the dead letters, a second run goes over the same
 * drift, and the recorded history is checked (history.ts).
 */

export interface ChaosOptions {
  readonly accounts: number;
  readonly seed?: number;
  readonly projectId?: string;
  /** false: use the emulators already running. */
  readonly emulators?: boolean;
  readonly existingPostgres?: { port: number };
  /** How long function instances are being crashed, from the first detect call, in ms (default 45 000). */
  readonly chaosWindowMs?: number;
  /** Time between two crashes, in ms (default 2 500). */
  readonly killIntervalMs?: number;
  /** Accounts each operator replays (default 20). */
  readonly replayAccounts?: number;
  readonly onProgress?: (line: string) => void;
}

export interface OperatorReplay {
  readonly operator: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly runId: string | null;
  readonly published: number;
  readonly refused: string | null;
}

export interface ChaosReport {
  readonly accounts: number;
  readonly seed: number;
  readonly snapshotDate: string;
  readonly elapsedMs: number;
  /** Requests each kind of Stripe fault hit. */
  readonly faults: Record<FaultKind, number>;
  readonly kills: Partial<Record<FunctionName, number>>;
  /** Every overlapping Cloud Scheduler call and what detect-drift answered. */
  readonly detectCalls: readonly { system: string; status: number; answer: string }[];
  readonly replays: readonly OperatorReplay[];
  readonly deadLetters: {
    readonly accounts: number;
    readonly zones: number;
    readonly setAside: number;
    readonly replayRunIds: readonly string[];
  };
  readonly secondRun: {
    readonly detectAnswers: readonly string[];
    readonly replayedAccounts: number;
    readonly writes: number;
  };
  readonly verdict: HistoryVerdict;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLI = fileURLToPath(new URL('../../bin/driftcontrol.mjs', import.meta.url));
const RAW_AUDIT = `${DATASETS.audit}.${AUDIT_TABLE}`;
const FINALS = `${DATASETS.observability}.audit_final_outcomes`;
/**
 * The emulator redelivers a push that failed (a 5xx, or cut off by a crash) only after the subscription's
 * ack deadline, not after the retry policy's backoff (tried on these machines): 600 s as deployed, so the
 * chaos run's subscriptions use 20 s and drain in minutes. A retried attempt's audit row shares its row id
 * with the one before (absorbed as a duplicate), so "quiet" means no new row and no Stripe request for
 * this long: what is still outstanding then was dead-lettered (or lost: the history check says which).
 */
const ACK_DEADLINE_S = 20;
const GIVE_UP_QUIET_MS = (ACK_DEADLINE_S + 25) * 1000;

const AUDIT_COLUMNS =
  'row_id, run_id, system, stage, account_id, zone_id, outcome, will_retry, error_code, change_ids, stripe_writes';

async function query<T>(p: LocalPipeline, sql: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const [rows] = await p.bq.query({ query: sql, params });
  return rows as T[];
}

/** Waits until every expected final row has landed and nothing more arrives, or nothing lands for long. */
async function waitForDrain(
  p: LocalPipeline,
  replayed: Readonly<Record<string, readonly string[]>>,
  timeoutMs = 900_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let since = Date.now();
  while (Date.now() < deadline) {
    const rows = await query<LandedAuditRow>(p, `SELECT ${AUDIT_COLUMNS} FROM ${RAW_AUDIT}`);
    const activity = `${rows.length} ${p.stack.stripe.requests().length}`;
    if (activity !== last) {
      last = activity;
      since = Date.now();
    }
    const quietMs = Date.now() - since;
    const outstanding = outstandingFinals(rows, replayed).length;
    if ((outstanding === 0 && quietMs >= 3000) || quietMs >= GIVE_UP_QUIET_MS) return outstanding;
    await sleep(1000);
  }
  throw new Error(`the pipeline did not drain within ${timeoutMs} ms`);
}

/** `driftcontrol replay …` in its own process, as an operator runs it, with the functions' environment. */
function operatorReplay(
  p: LocalPipeline,
  operator: string,
  args: readonly string[],
): Promise<OperatorReplay> {
  const child = spawn(
    process.execPath,
    [CLI, 'replay', '--requested-by', operator, '--snapshot-date', p.snapshotDate, ...args],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...p.env }, stdio: 'pipe' },
  );
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', () => {});
  return new Promise((resolve) => {
    child.on('exit', (exitCode) => {
      let parsed: { runId?: string | null; accounts?: number; refused?: { code: string } | null } = {};
      try {
        parsed = JSON.parse(stdout);
      } catch {
        // a refusal before publishing prints no JSON; the exit code says it
      }
      resolve({
        operator,
        args,
        exitCode,
        runId: parsed.runId ?? null,
        published: parsed.accounts ?? 0,
        refused: parsed.refused?.code ?? null,
      });
    });
  });
}

/** Accounts of the world with Stripe drift on the snapshot date, new and persistent. */
function driftAccounts(p: LocalPipeline): { fresh: string[]; persistent: string[] } {
  const fresh: string[] = [];
  const persistent: string[] = [];
  for (const state of accountStates(p.world, p.world.dates.length - 1)) {
    if (!state.driftActive || state.stripe === null || !state.scenario.startsWith('drift_')) continue;
    (state.driftWhen === 'persistent' ? persistent : fresh).push(state.accountId);
  }
  return { fresh, persistent };
}

/** The on-call's `replay --from-dead-letter --apply`, in process: which run each dead letter came from. */
async function drainAndReplayDeadLetters(p: LocalPipeline, deadLettered: Set<string>) {
  const batch = await drainDeadLetters(p.projectId, 10_000);
  try {
    const runOf = (m: Message) => {
      try {
        return (JSON.parse(m.data.toString('utf8')) as { run?: { runId?: string } }).run?.runId ?? '';
      } catch {
        return '';
      }
    };
    for (const [accountId, messages] of batch.accounts)
      for (const m of messages) deadLettered.add(`${runOf(m)} ${accountId}`);
    for (const { zone } of batch.zones) deadLettered.add(`${zone.run.runId} ${zone.zoneId}`);
    const nonce = new Date().toISOString();
    const replayRunIds: string[] = [];
    const replayed = { accounts: [] as string[], zones: [] as string[] };
    if (batch.accounts.size > 0) {
      const r = await replayAccounts(p.deps, {
        accountIds: [...batch.accounts.keys()],
        snapshotDate: p.snapshotDate,
        requestedBy: 'chaos-oncall',
        apply: true,
        nonce,
      });
      replayRunIds.push(r.runId);
      replayed.accounts = r.published;
    }
    if (batch.zones.length > 0) {
      const r = await replayZones(p.deps, {
        zones: batch.zones.map((z) => z.zone),
        requestedBy: 'chaos-oncall',
        apply: true,
        nonce,
      });
      replayRunIds.push(r.runId);
      replayed.zones = r.published;
    }
    batch.settle(replayed);
    return {
      accounts: batch.accounts.size,
      zones: batch.zones.length,
      setAside: batch.setAside.length,
      replayRunIds,
      replayedAccounts: replayed.accounts,
    };
  } finally {
    await batch.close();
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const say = options.onProgress ?? (() => {});
  const seed = options.seed ?? 7;
  const p = await startLocalPipeline({
    accounts: options.accounts,
    seed,
    functions: 'processes',
    projectId: options.projectId ?? 'driftcontrol-chaos',
    emulators: options.emulators ?? true,
    ...(options.existingPostgres ? { existingPostgres: options.existingPostgres } : {}),
    // Five delivery attempts, not production's ten (infra/terraform variables.tf): with ten, the emulator
    // stops pushing a message that keeps failing after two or three attempts and never dead-letters it;
    // with five and a 20 s ack deadline it dead-letters (tried on these machines; docs/operations.md).
    pubsub: {
      minimumBackoffSeconds: 1,
      maximumBackoffSeconds: 5,
      maxDeliveryAttempts: 5,
      ackDeadlineSeconds: ACK_DEADLINE_S,
    },
    onProgress: (step) => say(step),
  });
  try {
    // BigQuery's insertId de-duplication at its worst (it is best-effort): every retried row lands again.
    p.bigquery.db.insertIds.windowMs = 0;
    const replayedBy: Record<string, string[]> = {};
    const noteReplay = (
      r: OperatorReplay | { runId: string; published: readonly string[] },
      ids: string[],
    ) => {
      if (r.runId !== null && ('exitCode' in r ? r.published > 0 : r.published.length > 0))
        replayedBy[r.runId] = [...new Set([...(replayedBy[r.runId] ?? []), ...ids])];
    };

    // ---- Phase 1: the nightly cycle under chaos.
    const faults = injectChaosFaults(p.stack.stripe);
    const killer = startKiller(p.functions, {
      victims: ['plan-apply', 'gather', 'audit-writer', 'plan-apply', 'www-resync', 'gather'],
      intervalMs: options.killIntervalMs ?? 2500,
      downMs: 300,
    });
    const chaosStarted = Date.now();
    say('chaos on: Stripe faults injected, function instances being crashed');
    const call = async (system: 'stripe' | 'www') => {
      const r = await p.triggerDetect(system);
      return { system, status: r.status, answer: String((r.body as { status?: string }).status ?? r.status) };
    };
    // Cloud Scheduler's at-least-once delivery: overlapping calls for one run, and a retry shortly after.
    const overlapping = Promise.all([
      call('stripe'),
      call('stripe'),
      call('www'),
      call('stripe'),
      call('www'),
    ]);
    await sleep(1500);
    const late = call('stripe');

    const { fresh, persistent } = driftAccounts(p);
    const n = options.replayAccounts ?? 20;
    const mine = fresh.slice(0, n);
    const alsoPersistent = [...mine.slice(0, Math.ceil(n / 2)), ...persistent.slice(0, Math.ceil(n / 2))];
    const replays = await Promise.all([
      operatorReplay(p, 'chaos-op-a', ['--apply', '--accounts', mine.join(',')]),
      operatorReplay(p, 'chaos-op-b', [
        '--apply',
        '--accounts',
        alsoPersistent.join(','),
        '--include-persistent',
        '--reason',
        'chaos run: persistent drift healed on purpose',
      ]),
      operatorReplay(p, 'chaos-op-c', ['--apply', '--accounts', mine.join(',')]),
    ]);
    noteReplay(replays[0] as OperatorReplay, mine);
    noteReplay(replays[1] as OperatorReplay, alsoPersistent);
    noteReplay(replays[2] as OperatorReplay, mine);
    const detectCalls = [...(await overlapping), await late];
    say(`detect answered ${detectCalls.map((c) => `${c.system}:${c.answer}`).join(', ')}`);
    say(
      `operators replayed: ${replays.map((r) => `${r.operator} ${r.published} (exit ${r.exitCode})`).join(', ')}`,
    );

    await sleep(Math.max(0, (options.chaosWindowMs ?? 45_000) - (Date.now() - chaosStarted)));
    await killer.stop();
    say(`crashes: ${JSON.stringify(killer.kills())}; waiting for the pipeline to drain`);
    await waitForDrain(p, replayedBy);
    const firedFaults = faults.fired();
    faults.clear();
    say(`Stripe faults: ${JSON.stringify(firedFaults)}`);

    // ---- The on-call replays the dead letters, now that Stripe is healthy again.
    const deadLettered = new Set<string>();
    const dead = await drainAndReplayDeadLetters(p, deadLettered);
    if (dead.replayRunIds[0] && dead.replayedAccounts.length > 0)
      noteReplay({ runId: dead.replayRunIds[0], published: dead.replayedAccounts }, dead.replayedAccounts);
    say(`dead letters: ${dead.accounts} account(s), ${dead.zones} zone(s), ${dead.setAside} set aside`);
    if (dead.replayRunIds.length > 0) await waitForDrain(p, replayedBy);

    // ---- The second run: the scheduler fires again, and every account with a plan is replayed again.
    const writesBefore = p.stack.stripe.requests().filter(isExecutedWrite).length;
    const again = [await call('stripe'), await call('www')];
    const planned = await query<{ account_id: string }>(
      p,
      `SELECT DISTINCT account_id FROM ${FINALS} WHERE stage = 'plan_apply' AND account_id IS NOT NULL ORDER BY account_id`,
    );
    const secondIds = planned.map((r) => r.account_id);
    for (let i = 0; i < secondIds.length; i += 500) {
      const ids = secondIds.slice(i, i + 500);
      const r = await replayAccounts(p.deps, {
        accountIds: ids,
        snapshotDate: p.snapshotDate,
        requestedBy: 'chaos-second-run',
        apply: true,
        nonce: `second-${i}`,
        overrides: {
          includePersistent: true,
          ignoreCooldown: true,
          ignoreCaps: true,
          reason: 'chaos run: a second run over the same drift must write nothing',
        },
      });
      noteReplay(r, ids);
    }
    if (secondIds.length > 0) await waitForDrain(p, replayedBy);
    const writesAfter = p.stack.stripe.requests().filter(isExecutedWrite).length;
    say(`second run: ${secondIds.length} account(s) replayed, ${writesAfter - writesBefore} Stripe write(s)`);

    // ---- Every healed account, read live, plans to noop.
    const healed = await query<{ account_id: string }>(
      p,
      `SELECT DISTINCT account_id FROM ${FINALS} WHERE stage = 'plan_apply' AND outcome = 'applied' ORDER BY account_id`,
    );
    const replans: { accountId: string; outcome: string }[] = [];
    for (const { account_id } of healed) {
      const view = await gatherLive(p.deps, account_id);
      replans.push({
        accountId: account_id,
        outcome: view === null ? 'unknown_account' : plan(view).outcome,
      });
    }

    const auditRows = await query<LandedAuditRow>(p, `SELECT ${AUDIT_COLUMNS} FROM ${RAW_AUDIT}`);
    const finalView = await query<{
      row_id: string;
      run_id: string;
      system: string;
      stage: string;
      subject: string;
    }>(
      p,
      `SELECT row_id, run_id, system, stage, COALESCE(zone_id, account_id) AS subject FROM ${FINALS}
       WHERE stage IN ('detect', 'gather', 'plan_apply', 'www_resync') AND COALESCE(zone_id, account_id) IS NOT NULL`,
    );
    const verdict = checkHistory({
      stripeRequests: p.stack.stripe.requests(),
      auditRows,
      finalView,
      replayed: replayedBy,
      deadLettered,
      secondRun: { writesBefore, writesAfter },
      replans,
    });
    return {
      accounts: options.accounts,
      seed,
      snapshotDate: p.snapshotDate,
      elapsedMs: Date.now() - started,
      faults: firedFaults,
      kills: killer.kills(),
      detectCalls,
      replays,
      deadLetters: {
        accounts: dead.accounts,
        zones: dead.zones,
        setAside: dead.setAside,
        replayRunIds: dead.replayRunIds,
      },
      secondRun: {
        detectAnswers: again.map((c) => `${c.system}:${c.answer}`),
        replayedAccounts: secondIds.length,
        writes: writesAfter - writesBefore,
      },
      verdict,
    };
  } finally {
    await p.stop();
  }
}

import { performance } from 'node:perf_hooks';
import { type LocalConsole, startLocalConsole } from '../local/console/start.js';
import { runNightlyCycle } from '../local/run/cycle.js';
import { type LocalPipeline, startLocalPipeline } from '../local/run/pipeline.js';
import { insertAuditHistory, syntheticAuditHistory } from '../local/synthetic/audit-history.js';
import { BigQuerySupportReader } from '../shared/adapters/bigquery-support.js';
import { AUDIT_TABLE, DATASETS } from '../shared/contracts/topology.js';
import type { AuditRecord } from '../shared/domain/audit.js';
import { scheduledRunId } from '../shared/pipeline/detect.js';
import { fmt, median } from './stats.js';

/**
 * The support console's pages from the local warehouse (docs/support.md): "a page in well under a second
 * for 100k audit rows". A nightly cycle of a synthetic world, then synthetic audit history until the
 * audit table holds at least `minAuditRows` rows, then the console in its own process behind the local
 * IAP. Each page is requested over HTTP through the IAP `rounds` times after a warm-up; median, p95 and
 * bytes are reported. Two lower bounds measured in the same run, never asserted against:
 *  - the cheapest page, /static/console.css: the same HTTP path (IAP proxy, JWT verification, front
 *    door, function) without the warehouse;
 *  - per page, its warehouse queries alone: BigQuerySupportReader called directly, from this process,
 *    with the arguments the page uses (shared/console/app.ts, shared/support/account-report.ts), in
 *    parallel as the page runs them.
 * Each page's median is given as a ratio to both, with the console process's peak RSS.
 */

export interface ConsoleBenchOptions {
  /** Accounts in the synthetic world the nightly cycle runs over. */
  readonly accounts: number;
  /** Timed requests per page (after the warm-up). */
  readonly rounds: number;
  /** The audit table holds at least this many rows before the console is measured. */
  readonly minAuditRows: number;
  readonly warmup?: number;
  readonly seed?: number;
}

const AUDIT = `${DATASETS.audit}.${AUDIT_TABLE}`;
const FINAL = `${DATASETS.observability}.audit_final_outcomes`;
const DAY_MS = 86_400_000;
/** The run page's not-healed outcomes and cap (shared/console/app.ts). */
const NOT_HEALED = ['blocked', 'needs_human', 'failed', 'stale', 'excluded', 'halted', 'dry_run'];
const NOT_HEALED_CAP = 200;
/** The account page's look-back for halted runs (shared/support/account-report.ts). */
const HALTS_LOOK_BACK_DAYS = 14;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const minus = (d: Date, days: number) => new Date(d.getTime() - days * DAY_MS);

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

interface PageCase {
  readonly name: string;
  readonly path: string;
  /** Statuses the page answers with (a search with one exact match redirects). */
  readonly expect: readonly number[];
  /** The page's warehouse queries alone, as it runs them; null: it runs none. */
  readonly warehouse: ((r: BigQuerySupportReader) => Promise<unknown>) | null;
}

export interface ConsolePageResult {
  readonly name: string;
  readonly path: string;
  readonly status: number;
  readonly bytes: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly warehouseMedianMs: number | null;
  readonly perWarehouse: number | null;
  readonly perCss: number;
}

async function sql<T = Record<string, unknown>>(
  p: LocalPipeline,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const [rows] = await p.bq.query({ query, params });
  return rows as T[];
}

async function auditCount(p: LocalPipeline): Promise<number> {
  const [row] = await sql<{ n: number }>(p, `SELECT COUNT(*) AS n FROM ${AUDIT}`);
  return Number(row?.n ?? 0);
}

/**
 * History up to today, enough of it that the table reaches `target` rows. The local run's own scheduled
 * run ids (its snapshot date's) are left out of the history so its run page is the run's alone.
 */
function historyFor(options: {
  readonly have: number;
  readonly target: number;
  readonly today: string;
  readonly skipRuns: ReadonlySet<string>;
  readonly seed: number;
}): { rows: AuditRecord[]; accountsPerDay: number } {
  for (let accountsPerDay = 650; ; accountsPerDay += 50) {
    const rows = syntheticAuditHistory({
      days: 35,
      beforeDate: options.today,
      accountsPerDay,
      seed: options.seed,
    }).filter((r) => !options.skipRuns.has(r.run_id));
    if (options.have + rows.length >= options.target) return { rows, accountsPerDay };
  }
}

/** A world account whose final plan-apply word in the local run is `outcome`, and the account's only one. */
async function worldAccount(p: LocalPipeline, runId: string, outcome: string): Promise<string | null> {
  const rows = await sql<{ account_id: string }>(
    p,
    `SELECT f.account_id FROM ${FINAL} AS f
     WHERE f.run_id = @run AND f.stage = 'plan_apply' AND f.outcome = @outcome AND f.account_id IS NOT NULL
       AND NOT STARTS_WITH(f.account_id, 'acc_9')
     ORDER BY f.account_id LIMIT 1`,
    { run: runId, outcome },
  );
  return rows[0]?.account_id ?? null;
}

/** A history account with a retried heal (detect, gather, a failed plan-apply that retried, the heal). */
async function historyAccount(p: LocalPipeline): Promise<string> {
  for (const retried of [true, false]) {
    const rows = await sql<{ account_id: string }>(
      p,
      `SELECT account_id FROM ${AUDIT} WHERE STARTS_WITH(account_id, 'acc_9') AND stage = 'plan_apply'
         AND will_retry = @retried ORDER BY account_id LIMIT 1`,
      { retried },
    );
    if (rows[0]) return rows[0].account_id;
  }
  throw new Error('no history account in the audit table');
}

/** The account page's warehouse reads (accountReport: the account's attempts and the halts, in parallel). */
const accountQueries = (accountId: string) => (r: BigQuerySupportReader) =>
  Promise.all([
    r.accountAttempts(accountId),
    r.halts(new Date(Date.now() - HALTS_LOOK_BACK_DAYS * DAY_MS).toISOString()),
  ]);

async function pageCases(p: LocalPipeline, runId: string): Promise<PageCase[]> {
  const history = await historyAccount(p);
  const world: PageCase[] = [];
  let blocked: string | null = null;
  for (const outcome of ['blocked', 'applied', 'needs_human']) {
    const id = await worldAccount(p, runId, outcome);
    if (id === null) {
      console.error(`  (no ${outcome} account in ${runId}: its page is left out)`);
      continue;
    }
    if (outcome === 'blocked') blocked = id;
    world.push({
      name: `account (${outcome})`,
      path: `/accounts/${id}`,
      expect: [200],
      warehouse: accountQueries(id),
    });
  }
  const live = blocked ?? history;
  // A prefix of the history's account ids that is no account id itself: the search lists (up to 20).
  const prefix = history.slice(0, 9);
  return [
    {
      name: 'home',
      path: '/',
      expect: [200],
      warehouse: (r) => {
        const now = new Date();
        return r.runOutcomes({ fromDate: isoDay(minus(now, 7)), toDate: isoDay(now), trigger: 'scheduled' });
      },
    },
    {
      name: 'account (history)',
      path: `/accounts/${history}`,
      expect: [200],
      warehouse: accountQueries(history),
    },
    ...world,
    {
      name: 'account ?live=1',
      path: `/accounts/${live}?live=1`,
      expect: [200],
      warehouse: accountQueries(live),
    },
    {
      name: 'search by prefix',
      path: `/search?q=${encodeURIComponent(prefix)}`,
      expect: [200],
      warehouse: (r) => Promise.all([r.accountsOfZone(prefix), r.accountsLike(prefix, 20)]),
    },
    {
      name: 'runs (30 days)',
      path: '/runs',
      expect: [200],
      warehouse: (r) => {
        const now = new Date();
        return r.runOutcomes({
          fromDate: isoDay(minus(now, 29)),
          toDate: isoDay(now),
          trigger: 'scheduled',
        });
      },
    },
    {
      name: 'run',
      path: `/runs/${runId}`,
      expect: [200],
      warehouse: (r) =>
        Promise.all([
          r.runOutcomes({ runId }),
          r.blockingRestrictions({ runId }),
          r.runAttempts(runId, ['halted'], 50),
          r.runAttempts(
            runId,
            NOT_HEALED.filter((o) => o !== 'halted'),
            NOT_HEALED_CAP,
          ),
        ]),
    },
    {
      name: 'trends (30 days)',
      path: '/trends?days=30',
      expect: [200],
      warehouse: (r) => {
        const now = new Date();
        const from = isoDay(minus(now, 29));
        const to = isoDay(now);
        return Promise.all([
          r.dailyOutcomes(from, to),
          r.blockingRestrictions({ fromDate: from, toDate: to }),
        ]);
      },
    },
  ];
}

async function get(
  url: string,
  expect: readonly number[],
): Promise<{ ms: number; bytes: number; status: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { redirect: 'manual' });
  const body = await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (!expect.includes(res.status))
    throw new Error(`${url} answered ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
  return { ms, bytes: body.byteLength, status: res.status };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function benchConsole(options: ConsoleBenchOptions) {
  const warmup = options.warmup ?? 3;
  const seed = options.seed ?? 42;
  const t0 = performance.now();
  const p = await startLocalPipeline({ accounts: options.accounts, seed, projectId: 'bench-console' });
  let served: LocalConsole | null = null;
  try {
    const cycle = await runNightlyCycle(p);
    if (!cycle.drained) console.error('  (the nightly cycle did not drain: measuring what landed)');
    const runId = scheduledRunId('stripe', p.snapshotDate);
    const today = isoDay(new Date());
    const fromCycle = await auditCount(p);
    const history = historyFor({
      have: fromCycle,
      target: options.minAuditRows,
      today,
      skipRuns: new Set([runId, scheduledRunId('www', p.snapshotDate)]),
      seed: 7,
    });
    const insertStart = performance.now();
    await insertAuditHistory(p.bq, history.rows);
    const insertMs = performance.now() - insertStart;
    const auditRows = await auditCount(p);
    const [finalRow] = await sql<{ n: number }>(p, `SELECT COUNT(*) AS n FROM ${FINAL}`);
    const finalRows = Number(finalRow?.n ?? 0);
    served = await startLocalConsole({ env: p.env, stripeDashboardUrl: p.stack.stripe.dashboardUrl });
    const setupS = (performance.now() - t0) / 1000;
    const reader = new BigQuerySupportReader(p.bq);
    const cases = await pageCases(p, runId);

    const measure = async (c: PageCase) => {
      const url = `${served?.url}${c.path}`;
      for (let i = 0; i < warmup; i++) {
        await get(url, c.expect);
        if (c.warehouse) await c.warehouse(reader);
      }
      const http: number[] = [];
      const wh: number[] = [];
      let bytes = 0;
      let status = 0;
      // Interleaved, so both see the same machine (a 2-core one shared with the local cloud).
      for (let i = 0; i < options.rounds; i++) {
        const r = await get(url, c.expect);
        http.push(r.ms);
        bytes = r.bytes;
        status = r.status;
        const run = c.warehouse;
        if (run) wh.push(await timed(() => run(reader)));
      }
      return { http, wh, bytes, status };
    };

    const css = await measure({ name: 'css', path: '/static/console.css', expect: [200], warehouse: null });
    const cssMedian = median(css.http);
    const results: ConsolePageResult[] = [
      {
        name: 'lower bound: /static/console.css',
        path: '/static/console.css',
        status: css.status,
        bytes: css.bytes,
        medianMs: cssMedian,
        p95Ms: percentile(css.http, 95),
        warehouseMedianMs: null,
        perWarehouse: null,
        perCss: 1,
      },
    ];
    for (const c of cases) {
      const m = await measure(c);
      const med = median(m.http);
      const whMed = m.wh.length > 0 ? median(m.wh) : null;
      results.push({
        name: c.name,
        path: c.path,
        status: m.status,
        bytes: m.bytes,
        medianMs: med,
        p95Ms: percentile(m.http, 95),
        warehouseMedianMs: whMed,
        perWarehouse: whMed === null ? null : med / whMed,
        perCss: med / cssMedian,
      });
    }
    const peakRss = served.served.peakRssBytes();
    const benchRss = process.resourceUsage().maxRSS * 1024;

    console.log(
      `console (${options.accounts} accounts, one nightly cycle: ${fmt(fromCycle, 0)} audit rows; + ${fmt(history.rows.length, 0)} synthetic history rows, 35 days at ~${history.accountsPerDay} accounts a day, inserted in ${fmt(insertMs / 1000)} s)`,
    );
    console.log(
      `  audit table: ${fmt(auditRows, 0)} rows (COUNT(*)), ${fmt(finalRows, 0)} final outcomes; set-up ${fmt(setupS)} s; ${options.rounds} requests per page after ${warmup} warm-up, over HTTP through the local IAP`,
    );
    const head = ['page', 'median ms', 'p95 ms', 'bytes', 'warehouse ms', '× warehouse', '× css'];
    const rows = results.map((r) => [
      `${r.name}${r.status === 200 ? '' : ` (${r.status})`}`,
      fmt(r.medianMs),
      fmt(r.p95Ms),
      fmt(r.bytes, 0),
      r.warehouseMedianMs === null ? '—' : fmt(r.warehouseMedianMs),
      r.perWarehouse === null ? '—' : fmt(r.perWarehouse, 2),
      fmt(r.perCss, 1),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const line = (cells: readonly string[]) =>
      `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`;
    console.log(line(head));
    for (const r of rows) console.log(line(r));
    const pages = results.slice(1);
    const slowest = pages.reduce((a, b) => (b.p95Ms > a.p95Ms ? b : a));
    console.log(
      `  slowest page: ${slowest.name}, median ${fmt(slowest.medianMs)} ms, p95 ${fmt(slowest.p95Ms)} ms; console process peak RSS ${peakRss === null ? 'n/a' : `${fmt(peakRss / 2 ** 20, 0)} MiB`}; bench process (local BigQuery, emulator clients, in-process functions) peak RSS ${fmt(benchRss / 2 ** 20, 0)} MiB`,
    );
    const summary = {
      bench: 'console',
      accounts: options.accounts,
      auditRows,
      finalRows,
      historyRows: history.rows.length,
      rounds: options.rounds,
      cssMedianMs: cssMedian,
      consolePeakRssBytes: peakRss,
      pages: pages.map((r) => ({
        name: r.name,
        path: r.path,
        status: r.status,
        bytes: r.bytes,
        medianMs: Number(r.medianMs.toFixed(2)),
        p95Ms: Number(r.p95Ms.toFixed(2)),
        warehouseMedianMs: r.warehouseMedianMs === null ? null : Number(r.warehouseMedianMs.toFixed(2)),
        perWarehouse: r.perWarehouse === null ? null : Number(r.perWarehouse.toFixed(3)),
        perCss: Number(r.perCss.toFixed(3)),
      })),
    };
    console.log(JSON.stringify(summary));
    return summary;
  } finally {
    await served?.stop();
    await p.stop();
  }
}

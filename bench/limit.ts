import { performance } from 'node:perf_hooks';
import { runNightlyCycle } from '../local/run/cycle.js';
import { type LocalPipeline, startLocalPipeline } from '../local/run/pipeline.js';
import type { StripeRequestRecord } from '../local/stripe/index.js';
import { AUDIT_TABLE, DATASETS } from '../shared/contracts/topology.js';
import { fmt } from './stats.js';

/**
 * The pipeline at Stripe's rate limit (docs/design.md, "Stripe's rate limit"): the nightly cycle of a large
 * world with every function in its own process(es), several instances of gather and plan-apply, against
 * the local Stripe API enforcing a limit as Stripe does (429 past it). The lower bound is the limit
 * itself: accounts per minute can be no more than the limit divided by the Stripe requests an account
 * needs (measured here). It reports how close the deployment gets to that, the 429s it still met and
 * whether any attempt failed on one, and peak memory per function; then detect-drift's peak memory as
 * its new-drift set grows.
 */

export interface LimitBenchOptions {
  readonly accounts: number;
  readonly readsPerSecond: number;
  readonly writesPerSecond: number;
  /** The budgets the deployment is configured with, as a share of the limit (config stripe*PerSecond). */
  readonly budgetShare: number;
  readonly gatherInstances: number;
  readonly planApplyInstances: number;
  /** World sizes for detect-drift's memory curve (each a separate pipeline, detect only). */
  readonly detectSizes: readonly number[];
}

/** Backlog (accounts published, not finished) from which work counts as queued. */
const QUEUED_ACCOUNTS = 20;

interface Window {
  readonly reads: number;
  readonly writes: number;
  readonly seconds: number;
  readonly peakReadsInASecond: number;
  readonly peakWritesInASecond: number;
}

/** Requests per kind over the span from the first to the last request, and the busiest second of each. */
function window(requests: readonly StripeRequestRecord[]): Window {
  const sent = requests.filter((r) => r.status !== 429);
  if (sent.length === 0)
    return { reads: 0, writes: 0, seconds: 0, peakReadsInASecond: 0, peakWritesInASecond: 0 };
  const first = Math.min(...sent.map((r) => r.timestamp));
  const last = Math.max(...sent.map((r) => r.timestamp));
  const perSecond = (method: (m: string) => boolean) => {
    const counts = new Map<number, number>();
    for (const r of sent.filter((x) => method(x.method))) {
      const s = Math.floor((r.timestamp - first) / 1000);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    return Math.max(0, ...counts.values());
  };
  return {
    reads: sent.filter((r) => r.method === 'GET').length,
    writes: sent.filter((r) => r.method !== 'GET').length,
    seconds: Math.max((last - first) / 1000, 0.001),
    peakReadsInASecond: perSecond((m) => m === 'GET'),
    peakWritesInASecond: perSecond((m) => m !== 'GET'),
  };
}

async function failedOn429(
  p: LocalPipeline,
): Promise<{ failed: number; retried: number; queueTimeouts: number }> {
  const [rows] = await p.bq.query({
    query: `SELECT will_retry, error_code, COUNT(*) AS n FROM ${DATASETS.audit}.${AUDIT_TABLE}
            WHERE error_code IN ('stripe_rate_limit', 'stripe_queue_timeout') GROUP BY will_retry, error_code`,
  });
  let failed = 0;
  let retried = 0;
  let queueTimeouts = 0;
  for (const r of rows as { will_retry: boolean; error_code: string; n: number }[]) {
    if (r.error_code === 'stripe_queue_timeout') queueTimeouts += Number(r.n);
    else if (r.will_retry) retried += Number(r.n);
    else failed += Number(r.n);
  }
  return { failed, retried, queueTimeouts };
}

async function detectPeak(accounts: number): Promise<{ newDrift: number; peakMiB: number | null }> {
  const p = await startLocalPipeline({
    accounts,
    seed: 42,
    functions: 'processes',
    projectId: `bench-detect-${accounts}`,
    dryRun: true,
  });
  try {
    const r = await p.triggerDetect('stripe');
    const summary = (r.body as { summary?: { newDrift?: number } }).summary;
    const peak = p.functions.find((f) => f.name === 'detect-drift')?.peakRssBytes() ?? null;
    return { newDrift: summary?.newDrift ?? 0, peakMiB: peak === null ? null : peak / 2 ** 20 };
  } finally {
    await p.stop();
  }
}

export async function benchLimit(options: LimitBenchOptions): Promise<void> {
  const limit = { readsPerSecond: options.readsPerSecond, writesPerSecond: options.writesPerSecond };
  const budgets = {
    stripeReadsPerSecond: Math.round(options.readsPerSecond * options.budgetShare * 10) / 10,
    stripeWritesPerSecond: Math.round(options.writesPerSecond * options.budgetShare * 10) / 10,
  };
  const startup = performance.now();
  const p = await startLocalPipeline({
    accounts: options.accounts,
    seed: 42,
    functions: 'processes',
    instances: { gather: options.gatherInstances, 'plan-apply': options.planApplyInstances },
    stripeRateLimit: limit,
    config: budgets,
    projectId: 'bench-limit',
  });
  const startupMs = performance.now() - startup;
  try {
    p.stack.stripe.clearRequests();
    let lastReport = 0;
    // When work was queued: accounts published but not yet finished (the backlog) at each progress poll.
    const backlog: { at: number; queued: number }[] = [];
    const summary = await runNightlyCycle(p, {
      timeoutMs: 3_600_000,
      onProgress: (progress) => {
        backlog.push({ at: Date.now(), queued: progress.published - progress.done });
        if (Date.now() - lastReport < 15_000) return;
        lastReport = Date.now();
        const sent = p.stack.stripe.requests();
        console.error(
          `  … ${progress.done}/${progress.published} accounts done, ${sent.length} Stripe requests (${sent.filter((r) => r.status === 429).length} refused)`,
        );
      },
    });
    const requests = p.stack.stripe.requests();
    const w = window(requests);
    // The span in which at least QUEUED_ACCOUNTS accounts waited: Stripe was the limit only then.
    const busy = backlog.filter((b) => b.queued >= QUEUED_ACCOUNTS);
    const busyFrom = busy[0]?.at ?? 0;
    const busyTo = busy.at(-1)?.at ?? 0;
    const inBusy = requests.filter(
      (r) => r.status !== 429 && r.timestamp >= busyFrom && r.timestamp <= busyTo,
    );
    const busyS = Math.max((busyTo - busyFrom) / 1000, 0.001);
    const busyReads = inBusy.filter((r) => r.method === 'GET').length;
    const seen429 = requests.filter((r) => r.status === 429).length;
    const on429 = await failedOn429(p);
    const published = summary.stripe.published;
    const readsPerAccount = w.reads / Math.max(published, 1);
    const writesPerAccount = w.writes / Math.max(published, 1);
    const boundPerMin =
      60 *
      Math.min(
        options.readsPerSecond / Math.max(readsPerAccount, 1e-9),
        writesPerAccount > 0 ? options.writesPerSecond / writesPerAccount : Number.POSITIVE_INFINITY,
      );
    const stripePhaseMin = w.seconds / 60;
    const perMin = published / Math.max(stripePhaseMin, 1e-9);
    console.log(
      `limit (${options.accounts} accounts, ${published} new-drift accounts; gather x${options.gatherInstances}, plan-apply x${options.planApplyInstances}, each its own process)`,
    );
    console.log(
      `  Stripe limit ${options.readsPerSecond} reads/s, ${options.writesPerSecond} writes/s; budgets ${budgets.stripeReadsPerSecond} / ${budgets.stripeWritesPerSecond} (config); start-up ${fmt(startupMs / 1000)} s; cycle ${fmt(summary.elapsedMs / 1000)} s${summary.drained ? '' : ' (DID NOT DRAIN)'}`,
    );
    console.log(
      `  reads: ${w.reads} in ${fmt(w.seconds)} s of Stripe traffic = ${fmt(w.reads / w.seconds, 1)}/s, ${fmt((100 * w.reads) / w.seconds / options.readsPerSecond, 1)}% of the limit (busiest second ${w.peakReadsInASecond})`,
    );
    console.log(
      `  while ${QUEUED_ACCOUNTS}+ accounts were queued (${fmt(busyS)} s): ${fmt(busyReads / busyS, 1)} reads/s = ${fmt((100 * busyReads) / busyS / options.readsPerSecond, 1)}% of the limit (goal 90%)`,
    );
    console.log(
      `  writes: ${w.writes} = ${fmt(w.writes / w.seconds, 1)}/s, ${fmt((100 * w.writes) / w.seconds / options.writesPerSecond, 1)}% of the limit (busiest second ${w.peakWritesInASecond})`,
    );
    console.log(
      `  429s seen: ${seen429} (${fmt((100 * seen429) / Math.max(requests.length, 1), 2)}% of requests); attempts failed by a 429: ${on429.failed} (retried by redelivery: ${on429.retried}; refused after waiting for a slot: ${on429.queueTimeouts})`,
    );
    console.log(
      `  accounts per minute: ${fmt(perMin, 0)} during Stripe traffic; the limit allows at most ${fmt(boundPerMin, 0)} at ${fmt(readsPerAccount, 2)} reads and ${fmt(writesPerAccount, 2)} writes per account; ratio ${fmt(boundPerMin / Math.max(perMin, 1e-9), 2)}`,
    );
    console.log(`  outcomes: ${JSON.stringify(summary.stripe.outcomes)}`);
    if (process.env.LIMIT_BENCH_TRACE) {
      const t0 = Math.min(...requests.map((r) => r.timestamp));
      const per5 = new Map<number, number>();
      for (const r of requests)
        per5.set(
          Math.floor((r.timestamp - t0) / 5000),
          (per5.get(Math.floor((r.timestamp - t0) / 5000)) ?? 0) + 1,
        );
      console.log(
        `  requests per 5 s: ${[...per5.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([, n]) => n)
          .join(' ')}`,
      );
    }
    for (const f of p.functions) {
      const peak = f.peakRssBytes();
      console.log(
        `  peak RSS ${f.name.padEnd(13)} ${peak === null ? 'n/a' : `${fmt(peak / 2 ** 20, 0)} MiB`} (largest of ${f.instances()} instance${f.instances() === 1 ? '' : 's'})`,
      );
    }
  } finally {
    await p.stop();
  }
  for (const size of options.detectSizes) {
    const d = await detectPeak(size);
    console.log(
      `  detect-drift peak RSS with ${size} accounts (${d.newDrift} new-drift rows): ${d.peakMiB === null ? 'n/a' : `${fmt(d.peakMiB, 0)} MiB`}`,
    );
  }
}

import { performance } from 'node:perf_hooks';
import { runNightlyCycle } from '../local/run/cycle.js';
import { startLocalPipeline } from '../local/run/pipeline.js';
import { AUDIT_TABLE, DATASETS } from '../shared/contracts/topology.js';
import { fmt } from './stats.js';

/**
 * The local pipeline end to end (issue 5): the nightly cycle over N synthetic accounts on the real local
 * stack. Reported against lower bounds measured in the same run:
 * - throughput against the data-access floor: the same Stripe account reads gather makes, done directly
 *   and sequentially through the adapter, with nothing else (no Pub/Sub, no BigQuery, no planning);
 * - Stripe writes per healed account against the objects that actually needed a change (target 1.0),
 *   and writes for no-op accounts (target 0).
 * Memory: each function runs in its own process, configured only by the environment as deployed
 * (local/run/serve-function.ts); its peak resident memory (VmHWM) is reported.
 */
export async function benchPipeline(options: { accounts: number }): Promise<void> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const startup = performance.now();
  // Each function in its own process, configured only by the environment: the deployed shape.
  const p = await startLocalPipeline({ accounts: options.accounts, seed: 42, functions: 'processes' });
  const startupMs = performance.now() - startup;
  try {
    const summary = await runNightlyCycle(p, { timeoutMs: 1_200_000 });
    const [rows] = await p.bq.query({
      query: `SELECT account_id, outcome, ARRAY_LENGTH(change_ids) AS changes, stripe_writes FROM ${DATASETS.audit}.${AUDIT_TABLE} WHERE stage = 'plan_apply' AND NOT will_retry`,
    });
    const finals = rows as { account_id: string; outcome: string; changes: number; stripe_writes: number }[];
    const applied = finals.filter((r) => r.outcome === 'applied');
    const noop = finals.filter((r) => r.outcome === 'noop');
    const neededObjects = applied.reduce((n, r) => n + Number(r.changes), 0);

    // Lower bound: the same account reads, directly and sequentially.
    const ids = finals.map((r) => r.account_id);
    const customers: string[] = [];
    for (const id of ids) {
      const parts = await p.deps.mirror.accountParts(id, p.snapshotDate);
      if (parts?.subsCustomer.data.stripeCustomerId) customers.push(parts.subsCustomer.data.stripeCustomerId);
    }
    const floorStart = performance.now();
    // The reads gather makes per account, counted by the local Stripe's request log (gather itself ran
    // in its own process): the same adapter, built by the same factory from the same environment.
    const logBefore = p.stack.stripe.requests().length;
    for (const c of customers) await p.deps.stripe.readAccount(c);
    const readCalls = p.stack.stripe.requests().length - logBefore;
    const gathered = customers.length;
    const floorMs = performance.now() - floorStart;
    const pipelineMs = summary.elapsedMs;

    console.log(
      `pipeline (${options.accounts} accounts; ${summary.stripe.published} new-drift accounts published, ${summary.www.published} zones)`,
    );
    console.log(`  local stack start-up and seeding: ${fmt(startupMs / 1000)} s`);
    if (!summary.drained)
      console.log('  WARNING: the cycle did not drain fully; figures cover what finished');
    console.log(
      `  nightly cycle: ${fmt(pipelineMs / 1000)} s, ${fmt((summary.stripe.published / pipelineMs) * 60_000, 0)} accounts/min end to end`,
    );
    console.log(
      `  lower bound (the same ${customers.length} account reads, direct): ${fmt(floorMs / 1000, 2)} s; ratio ${fmt(pipelineMs / Math.max(floorMs, 1), 1)}`,
    );
    console.log(
      `  Stripe reads per gather: ${fmt(readCalls / Math.max(gathered, 1), 2)} calls (${readCalls} calls / ${gathered} gathers)`,
    );
    console.log(
      `  Stripe writes per healed account: ${fmt(summary.stripeWrites / Math.max(applied.length, 1), 2)}; per object that needed a change: ${fmt(summary.stripeWrites / Math.max(neededObjects, 1), 2)} (target 1.00; ${summary.stripeWrites} writes, ${neededObjects} objects, ${applied.length} accounts)`,
    );
    console.log(
      `  writes for no-op accounts: ${noop.reduce((n, r) => n + Number(r.stripe_writes), 0)} (target 0, ${noop.length} accounts)`,
    );
    console.log(`  outcomes: ${JSON.stringify(summary.stripe.outcomes)}; audit rows ${summary.auditRows}`);
    for (const f of p.functions) {
      const peak = f.peakRssBytes();
      console.log(
        `  peak RSS ${f.name.padEnd(13)} ${peak === null ? 'n/a' : `${fmt(peak / 2 ** 20, 0)} MiB`} (its own process)`,
      );
    }
    console.log(`  peak RSS of the local stack's servers (this process): ${fmt(peakRss / 2 ** 20, 0)} MiB`);
  } finally {
    clearInterval(sampler);
    await p.stop();
  }
}

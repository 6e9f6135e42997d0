import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { runNightlyCycle } from '../local/run/cycle.js';
import type { LocalPipeline } from '../local/run/pipeline.js';
import { startLocalPipeline } from '../local/run/pipeline.js';
import { STORES, type Store } from '../local/stores/schema.js';
import { createAdapters } from '../shared/adapters/factory.js';
import { AUDIT_TABLE, DATASETS } from '../shared/contracts/topology.js';
import { gatherLive } from '../shared/pipeline/gather.js';
import { fmt, median } from './stats.js';

/**
 * Transactions each store's database has committed (pg_stat_database): one per query in autocommit.
 * A backend flushes its counts when its session ends, so callers close their connections first.
 */
async function storeTransactions(p: LocalPipeline): Promise<Record<Store, number>> {
  await new Promise((r) => setTimeout(r, 500));
  const out = {} as Record<Store, number>;
  for (const store of STORES) {
    const r = await p.stores.query(store, 'SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [
      p.stores.databases[store],
    ]);
    out[store] = Number(r.rows[0]?.xact_commit ?? 0);
  }
  return out;
}

/**
 * Gather's cost per account, against the bare reads of the same stores: live gathers of `ids`, one after
 * another (latency), with the reads each made per store counted where they land (the local Stripe and
 * subs-api request logs, PostgreSQL's transaction counters); then the same reads issued directly, with the
 * same concurrency (subs-api, OPE, billing_prod, cf_prod and the gates at once, then Stripe), without
 * assembling or validating a view.
 */
async function benchGather(p: LocalPipeline, ids: readonly string[]): Promise<void> {
  const log = pino({ level: 'silent' });
  // Adapters of their own (the factory, the functions' environment): closing them ends their database
  // sessions, which is when PostgreSQL counts their transactions.
  const g = await createAdapters(p.env, { log });
  const storesBefore = await storeTransactions(p);
  const stripeBefore = p.stack.stripe.requests().length;
  const subsBefore = p.stack.subsApi.requests().length;
  const gatherMs: number[] = [];
  for (const id of ids) {
    const t = performance.now();
    await gatherLive(g, id);
    gatherMs.push(performance.now() - t);
  }
  const stripeReads = p.stack.stripe.requests().length - stripeBefore;
  const subsReads = p.stack.subsApi.requests().length - subsBefore;
  await g.close();
  const storesAfter = await storeTransactions(p);
  const perGather = (n: number) => fmt(n / Math.max(ids.length, 1), 2);
  const reads = {
    stripe: stripeReads,
    'subs-api': subsReads,
    ...Object.fromEntries(STORES.map((s) => [s, storesAfter[s] - storesBefore[s]])),
  };
  const d = await createAdapters(p.env, { log });
  const bareMs: number[] = [];
  for (const id of ids) {
    const t = performance.now();
    const [account] = await Promise.all([
      d.subsApi.account(id),
      d.ope.subscriptions(id),
      d.billingProd.catalogue(),
      d.cfProd.account(id),
      d.control.getGates(id),
    ]);
    const customer = account?.subsCustomer.data.stripeCustomerId;
    if (customer) await d.stripe.readAccount(customer);
    bareMs.push(performance.now() - t);
  }
  await d.close();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  console.log(
    `  live gather (${ids.length} accounts, one after another): p50 ${fmt(median(gatherMs), 1)} ms; bare reads of the same stores p50 ${fmt(median(bareMs), 1)} ms; ratio ${fmt(sum(gatherMs) / Math.max(sum(bareMs), 1), 2)}`,
  );
  console.log(
    `  reads per gather, per store: ${Object.entries(reads)
      .map(([store, n]) => `${store} ${perGather(n)}`)
      .join(', ')}`,
  );
}

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
      const customer = (await p.deps.subsApi.account(id))?.subsCustomer.data.stripeCustomerId;
      if (customer) customers.push(customer);
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
    await benchGather(p, ids.slice(0, 200));
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

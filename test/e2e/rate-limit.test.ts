import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CycleSummary, runNightlyCycle } from '../../local/run/cycle.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { DATASETS } from '../../shared/contracts/topology.js';
import { startTestPipeline } from './support.js';

/**
 * A burst past Stripe's limit (docs/design.md, "Stripe's rate limit"): the local Stripe API enforces a
 * limit well under the budgets the deployment is (mis)configured with, so the shared budget cannot keep
 * every request under it and Stripe answers 429s — which are retried inside the attempt, with backoff.
 * Every new-drift account still ends with its final outcome recorded, and no attempt failed on a 429.
 */
describe('a nightly burst against a rate-limited Stripe', () => {
  let p: LocalPipeline;
  let summary: CycleSummary;

  beforeAll(async () => {
    p = await startTestPipeline({
      accounts: 250,
      seed: 5,
      stripeRateLimit: { readsPerSecond: 6, writesPerSecond: 4 },
      config: { stripeReadsPerSecond: 40, stripeWritesPerSecond: 40 },
      webhooks: false,
    });
    summary = await runNightlyCycle(p, { timeoutMs: 600_000 });
  }, 660_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('met 429s and still recorded every account’s final outcome', async () => {
    expect(summary.drained).toBe(true);
    const refused = p.stack.stripe.requests().filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.fault === 'rate_limit' && !r.applied)).toBe(true);
    const [rows] = await p.bq.query({
      query: `SELECT COUNT(DISTINCT account_id) AS n FROM ${DATASETS.observability}.audit_final_outcomes
              WHERE stage = 'plan_apply' AND run_id = @run`,
      params: { run: `sched-stripe-${p.snapshotDate}` },
    });
    expect(Number((rows[0] as { n: number }).n)).toBe(summary.stripe.published);
  });

  it('failed no attempt on a 429, finally or on the way (no redelivery was needed for one)', async () => {
    const [rows] = await p.bq.query({
      query: `SELECT stage, outcome, error_code, will_retry FROM ${DATASETS.observability}.audit_attempts
              WHERE error_code IN ('stripe_rate_limit', 'stripe_queue_timeout')`,
    });
    expect(rows).toEqual([]);
    expect(summary.stripe.outcomes.failed ?? 0).toBe(0);
  });
});

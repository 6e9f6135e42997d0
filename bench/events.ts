import { formatEventDemo, percentile, runEventDemo } from '../local/run/event-demo.js';
import { startLocalPipeline } from '../local/run/pipeline.js';

/**
 * The event path (docs/design.md, "Events"): drift-to-heal latency of items changed directly in the local
 * Stripe, healed through signed webhooks, stripe-events, event-sweeper, gather and plan-apply with every
 * function in its own process, against the settle delay — the lower bound: no check may start sooner.
 */
export async function benchEvents(options: { accounts: number; changes: number; settleSeconds: number }) {
  const p = await startLocalPipeline({
    accounts: options.accounts,
    seed: 42,
    functions: 'processes',
    projectId: 'driftcontrol-bench-events',
  });
  try {
    // A first round starts every function's instance (a cold start each: adapters, pools, clients), so
    // the measured round sees warm instances, as a deployment with traffic does.
    await runEventDemo(p, { changes: 2, settleSeconds: options.settleSeconds, sweepEveryMs: 500 });
    const result = await runEventDemo(p, {
      changes: options.changes,
      settleSeconds: options.settleSeconds,
      sweepEveryMs: 500,
    });
    console.log(formatEventDemo(result));
    const lat = result.heals.flatMap((h) => (h.latencyMs === null ? [] : [h.latencyMs]));
    const p50 = percentile(lat, 0.5);
    if (p50 !== null)
      console.log(
        `  ratio p50 / settle delay ${(p50 / result.settleMs).toFixed(2)} (sweeps every 0.5 s here; every 60 s deployed)`,
      );
  } finally {
    await p.stop();
  }
}

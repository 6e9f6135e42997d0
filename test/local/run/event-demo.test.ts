import { describe, expect, it } from 'vitest';
import { formatEventDemo, percentile } from '../../../local/run/event-demo.js';

describe('percentile (nearest rank)', () => {
  it.each([
    [[], 0.5, null],
    [[7], 0.95, 7],
    [[4, 1, 3, 2], 0.5, 2],
    [[4, 1, 3, 2], 0.95, 4],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95, 100],
  ])('%j at %s -> %s', (values, q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });
});

describe('formatEventDemo', () => {
  it('reports the latency of the heals beside the settle delay, and why the others did not heal', () => {
    const text = formatEventDemo({
      settleMs: 2000,
      stripeReadsPerCheck: 8.5,
      webhooksDelivered: 6,
      heals: [
        { accountId: 'acc_1', outcome: 'applied', reason: 'healed', latencyMs: 2600 },
        { accountId: 'acc_2', outcome: 'applied', reason: 'healed', latencyMs: 3000 },
        { accountId: 'acc_3', outcome: 'blocked', reason: 'InvoiceDateTooNear: in 2 days', latencyMs: 2900 },
        { accountId: 'acc_4', outcome: null, reason: null, latencyMs: null },
      ],
    });
    expect(text).toContain('4 item(s) changed directly in Stripe; 2 healed');
    expect(text).toContain('p50 2.6 s, p95 3.0 s, max 3.0 s (settle delay 2.0 s)');
    expect(text).toContain('Stripe reads per check 8.50');
    expect(text).toContain('acc_3: blocked — InvoiceDateTooNear: in 2 days');
    expect(text).toContain('acc_4: no final row within the timeout');
  });
});

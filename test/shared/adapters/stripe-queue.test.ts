import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/server.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { StripeCallError } from '../../../shared/ports/errors.js';
import { adapterSeed, changeFor, NOW } from './stripe-seed.js';

/**
 * A write that waited too long in the rate limiter must not be sent (its account lease may have run out):
 * it fails as retryable, so the message is redelivered and re-checked under a fresh lease.
 */
describe('rate-limiter queue bound', () => {
  let server: LocalStripeServer;
  beforeAll(async () => {
    server = await startLocalStripe({ seed: adapterSeed(), now: () => NOW });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('sends what starts in time and refuses, retryably and without a request, what waited too long', async () => {
    // 1 write/s: starts 1 s apart; a bound of 1.5 s lets the first two start (0 s, 1 s) and stops the rest
    // (2 s, 3 s, 4 s), with 500 ms of margin either side for a loaded machine.
    const adapter = new StripeAdapter({
      apiKey: 'sk_test_local',
      ...server.clientConfig(),
      maxNetworkRetries: 0,
      budgets: async () => ({ read: 100, write: 1 }),
      maxQueueWaitMs: 1500,
    });
    const target = { object: 'customer' as const, id: 'cus_bare' };
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        adapter.write(
          changeFor(
            'customer_update',
            target,
            'customers.update',
            { metadata: { n: String(i) } },
            `chg_${String(i).padStart(20, '0')}`,
          ),
          { metadata: { n: String(i) } },
          `driftcontrol-queue-test-${i}`,
        ),
      ),
    );
    const sent = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(sent).toHaveLength(2);
    expect(refused).toHaveLength(3);
    for (const e of refused) {
      expect(e).toBeInstanceOf(StripeCallError);
      expect(e).toMatchObject({ retryable: true, failure: { code: 'queue_timeout' } });
    }
    expect(server.requests({ objectId: 'cus_bare', method: 'POST' })).toHaveLength(2);
  });
});

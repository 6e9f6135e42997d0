import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/server.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { LIVE_CHANGE_ID_FIELD, preconditionVerdict } from '../../../shared/core/apply-policy.js';
import { stampRunId } from '../../../shared/core/stamp.js';
import { adapterSeed, changeFor, NOW } from './stripe-seed.js';

/**
 * A heal that cancels a subscription stamps its run and change in cancellation_details.comment (Stripe's
 * cancel takes no metadata). Reading it back is what lets a redelivered cancel recognise its own write.
 */
describe('cancel stamps read back', () => {
  let server: LocalStripeServer;
  let adapter: StripeAdapter;
  beforeAll(async () => {
    server = await startLocalStripe({ seed: adapterSeed(), now: () => NOW });
    adapter = new StripeAdapter({ apiKey: 'sk_test_local', ...server.clientConfig(), maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a cancelled subscription reports the change that cancelled it, so a redelivery is already_applied', async () => {
    const target = { object: 'subscription' as const, id: 'sub_full_live' };
    const live = await adapter.readLive(target);
    const change = {
      ...changeFor('subscription_cancel', target, 'subscriptions.cancel', {
        prorate: false,
        invoice_now: false,
      }),
      preconditions: [{ field: 'status', expected: live.status ?? null }],
    };
    expect(preconditionVerdict(change, live).verdict).toBe('fresh');
    await adapter.write(change, stampRunId(change, 'run_7'), 'driftcontrol-cancel-test');
    const after = await adapter.readLive(target);
    expect(after.status).toBe('canceled');
    expect(after[LIVE_CHANGE_ID_FIELD]).toBe(change.id);
    expect(preconditionVerdict(change, after).verdict).toBe('already_applied');
  });
});

import { Firestore } from '@google-cloud/firestore';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../../local/net.js';
import type { LocalStack } from '../../local/stack.js';
import { uniqueProjectId } from '../setup/emulators.js';
import { startTestStack } from '../setup/stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({
    seed: {
      stripe: { customers: [{ id: 'cus_helper' }] },
      subsApi: { zones: [{ zoneId: 'zone-h', accountId: 'acct-h', planLevel: 'business' }] },
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('startTestStack', () => {
  it('joins the global emulators and PostgreSQL with per-file HTTP services', async () => {
    expect(stack.emulators).toBeUndefined();
    expect(stack.postgres?.pid).toBeUndefined();
    expect(stack.endpoints.postgres).toBe(`${stack.postgres?.host}:${stack.postgres?.port}`);
    expect(stack.env.FIRESTORE_EMULATOR_HOST).toBe(stack.endpoints.firestore);
    expect(stack.env.PUBSUB_EMULATOR_HOST).toBe(stack.endpoints.pubsub);
    const db = new Firestore({ projectId: uniqueProjectId('helper') });
    try {
      await db.doc('probe/one').set({ ok: true });
      expect((await db.doc('probe/one').get()).get('ok')).toBe(true);
    } finally {
      await db.terminate();
    }
    const stripe = new Stripe('sk_test_local', { ...stack.stripe.clientConfig(), maxNetworkRetries: 0 });
    expect((await stripe.customers.retrieve('cus_helper')).id).toBe('cus_helper');
    expect((await (await fetch(`${stack.endpoints.subsApi}/v1/zones/zone-h`)).json()).planLevel).toBe(
      'business',
    );
  });

  it('stops its own services and leaves the shared emulators running', async () => {
    const own = await startTestStack();
    const stripeUrl = own.endpoints.stripe;
    await own.stop();
    await expect(fetch(`${stripeUrl}/_admin/health`)).rejects.toThrow();
    expect((await fetch(`http://${stack.endpoints.firestore}/`)).status).toBe(200);
    expect(await isPortOpen(stack.postgres?.port ?? 0)).toBe(true);
  });
});

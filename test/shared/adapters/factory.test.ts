import { Firestore } from '@google-cloud/firestore';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../local/net.js';
import { ensureTopology } from '../../../local/provision/pubsub.js';
import { type LocalStack, startLocalStack } from '../../../local/stack.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import { BigQuerySupportReader } from '../../../shared/adapters/bigquery-support.js';
import { InvalidEnvironmentError } from '../../../shared/adapters/environment.js';
import { type Adapters, createAdapters, createPipelineDeps } from '../../../shared/adapters/factory.js';
import { IapJwtVerifier } from '../../../shared/adapters/iap.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
import { StripeReadOnlyError } from '../../../shared/adapters/stripe/read-only.js';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../../../shared/contracts/topology.js';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';
import { changeFor } from './stripe-seed.js';

const SECRET = 'sk_live_fake_do_not_leak';
const base = {
  GOOGLE_CLOUD_PROJECT: 'drift-prod',
  STRIPE_API_KEY: 'sk_test_local',
  SUBS_API_URL: 'http://127.0.0.1:8081',
  WWW_API_URL: 'http://127.0.0.1:8082',
};

describe('a function without the Stripe key or zone URLs (least privilege)', () => {
  // What detect-drift and audit-writer get from Terraform: no Stripe secret, no zone URLs.
  const detectDriftEnv = {
    GOOGLE_CLOUD_PROJECT: 'drift-prod',
    BIGQUERY_LOCATION: 'US',
    LOG_LEVEL: 'silent',
    K_SERVICE: 'detect-drift',
  };

  it('builds its deps, and the Stripe and zone ports fail on use, naming the variable and function', async () => {
    const deps = await createPipelineDeps(detectDriftEnv);
    const stripeErr = await deps.stripe.readAccount('cus_1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(stripeErr).toBeInstanceOf(InvalidEnvironmentError);
    expect((stripeErr as InvalidEnvironmentError).message).toMatch(
      /STRIPE_API_KEY: is not set for function detect-drift, which called stripe\.readAccount/,
    );
    expect((stripeErr as InvalidEnvironmentError).missing).toEqual({
      variable: 'STRIPE_API_KEY',
      functionName: 'detect-drift',
      use: 'stripe.readAccount',
    });
    await expect(deps.stripe.write({} as never, {}, 'k')).rejects.toThrow(/STRIPE_API_KEY/);
    await expect(deps.subsApi.zone('z')).rejects.toThrow(
      /SUBS_API_URL: is not set for function detect-drift/,
    );
    await expect(deps.www.setPlanLevel('z', 'pro', 'free')).rejects.toThrow(
      /WWW_API_URL: is not set for function detect-drift, which called www\.setPlanLevel/,
    );
    await expect(deps.subsApi.account('acc_1')).rejects.toThrow(
      /SUBS_API_URL: is not set for function detect-drift, which called subsApi\.account/,
    );
    await expect(deps.ope.subscriptions('acc_1')).rejects.toThrow(
      /OPE_DATABASE_URL: is not set for function detect-drift, which called ope\.subscriptions/,
    );
    await expect(deps.billingProd.catalogue()).rejects.toThrow(/BILLING_PROD_DATABASE_URL: is not set/);
    await expect(deps.cfProd.account('acc_1')).rejects.toThrow(/CF_PROD_DATABASE_URL: is not set/);
  });

  it('names the function from options, and never an unrelated key', async () => {
    const a = await createAdapters(
      { ...detectDriftEnv, K_SERVICE: undefined, SUBS_API_URL: 'http://127.0.0.1:1' },
      { functionName: 'audit-writer' },
    );
    try {
      expect(a.stripe).not.toBeInstanceOf(StripeAdapter);
      await expect(a.stripe.readLive({ object: 'customer', id: 'cus_1' } as never)).rejects.toThrow(
        /function audit-writer/,
      );
      await expect(a.www.zone('z')).rejects.toBeInstanceOf(InvalidEnvironmentError);
    } finally {
      await a.close();
    }
  });

  it('a function with the key gets the real Stripe adapter', async () => {
    const a = await createAdapters(
      { ...detectDriftEnv, STRIPE_API_KEY: SECRET },
      { log: pino({ level: 'silent' }) },
    );
    try {
      expect(a.stripe).toBeInstanceOf(StripeAdapter);
    } finally {
      await a.close();
    }
  });

  it('wires BigQueryMirror for both warehouse ports by default', async () => {
    const a = await createAdapters({
      ...detectDriftEnv,
      BIGQUERY_EMULATOR_HOST: '127.0.0.1:9050',
      BIGQUERY_LOCATION: 'EU',
    });
    try {
      expect(a.mirror).toBeInstanceOf(BigQueryMirror);
      expect(a.auditTable).toBe(a.mirror);
      const bq = (a.mirror as BigQueryMirror).bq;
      expect(bq.projectId).toBe('drift-prod');
      expect(bq.location).toBe('EU');
      expect((bq as unknown as { apiEndpoint: string }).apiEndpoint).toBe('http://127.0.0.1:9050');
    } finally {
      await a.close();
    }
  });
});

describe('createAdapters on the local stack', () => {
  let stack: LocalStack;
  let adapters: Adapters;
  let projectId: string;
  // Raw clients on the emulators, for what the local cloud provisions (topics, the config document).
  let pubsub: PubSub;
  let firestore: Firestore;
  const logLines: string[] = [];
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const hosts = await useEmulators();
    projectId = uniqueProjectId('fac');
    stack = await startLocalStack({
      emulators: false,
      postgres: false,
      seed: {
        stripe: { customers: [{ id: 'cus_factory', metadata: { cf_account_id: 'acct_factory' } }] },
        subsApi: { zones: [{ zoneId: 'zone-f', accountId: 'acct_factory', planLevel: 'pro' }] },
        www: { zones: [{ zoneId: 'zone-f', accountId: 'acct_factory', planLevel: 'free' }] },
      },
    });
    // The clients must take the emulators from the env object given, not from process.env.
    for (const k of ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST']) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
    pubsub = new PubSub({ projectId, apiEndpoint: hosts.pubsubHost, emulatorMode: true });
    firestore = new Firestore({ projectId, host: hosts.firestoreHost, ssl: false });
    adapters = await createAdapters(
      {
        GOOGLE_CLOUD_PROJECT: projectId,
        PUBSUB_EMULATOR_HOST: hosts.pubsubHost,
        FIRESTORE_EMULATOR_HOST: hosts.firestoreHost,
        STRIPE_API_KEY: 'sk_test_factorysecret',
        STRIPE_API_BASE: stack.stripe.url,
        SUBS_API_URL: stack.subsApi.url,
        WWW_API_URL: stack.www.url,
        BIGQUERY_API_ENDPOINT: 'http://127.0.0.1:9050',
      },
      {
        log: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
        budgetTtlMs: 0,
      },
    );
  });
  afterAll(async () => {
    await adapters?.close();
    await Promise.allSettled([pubsub?.close(), firestore?.terminate()]);
    await stack?.stop();
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  });

  it('wires every adapter to its local endpoint', async () => {
    expect(await adapters.control.getConfig()).toMatchObject({ dryRun: true });
    const parts = await adapters.stripe.readAccount('cus_factory');
    expect(parts.customer.data).toMatchObject({
      id: 'cus_factory',
      metadata: { cf_account_id: 'acct_factory' },
    });
    expect(await adapters.subsApi.zone('zone-f')).toMatchObject({ planLevel: 'pro' });
    expect(await adapters.www.zone('zone-f')).toMatchObject({ planLevel: 'free' });

    await ensureTopology(pubsub, { pushEndpoints: {} });
    const received: Message[] = [];
    const sub = pubsub.subscription('audit-writer-sub');
    sub.on('message', (m: Message) => {
      received.push(m);
      m.ack();
    });
    try {
      await adapters.publisher.publish('auditEvents', { hello: 'factory' });
      for (let i = 0; i < 100 && received.length === 0; i++) await sleep(100);
      expect(received.map((m) => JSON.parse(m.data.toString('utf8')))).toEqual([{ hello: 'factory' }]);
    } finally {
      await sub.close();
    }
    expect((adapters.mirror as BigQueryMirror).bq.projectId).toBe(projectId);
    expect((adapters.mirror as unknown as { bq: { apiEndpoint: string } }).bq.apiEndpoint).toBe(
      'http://127.0.0.1:9050',
    );
    expect(logLines.join('')).toContain('adapters created');
    expect(logLines.join('')).not.toContain('factorysecret');
  });

  it('read-only (the console, explain): reads Stripe without leasing a share in Firestore and refuses every write', async () => {
    const env = {
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: adapters.env.pubsubEmulatorHost,
      FIRESTORE_EMULATOR_HOST: adapters.env.firestoreEmulatorHost,
      STRIPE_API_KEY: 'sk_test_factorysecret',
      STRIPE_API_BASE: stack.stripe.url,
      STRIPE_READ_ONLY: 'true',
    } as Record<string, string>;
    const a = await createAdapters(env, { log: pino({ level: 'silent' }), functionName: 'console' });
    const writesBefore = stack.stripe.writes().length;
    try {
      await a.stripe.readLive({ object: 'customer', id: 'cus_factory' });
      const change = changeFor(
        'customer_update',
        { object: 'customer', id: 'cus_factory' },
        'customers.update',
        {},
      );
      await expect(a.stripe.write(change, { metadata: { x: 'y' } }, 'read-only-key')).rejects.toBeInstanceOf(
        StripeReadOnlyError,
      );
      expect(stack.stripe.writes().length).toBe(writesBefore);
      for (const kind of ['read', 'write']) {
        const doc = await firestore.collection(COLLECTIONS.stripeRateShares).doc(kind).get();
        const leases = Object.values((doc.get('leases') ?? {}) as Record<string, Record<string, unknown>>);
        expect(leases.filter((l) => l.functionName === 'console')).toEqual([]);
      }
    } finally {
      await a.close();
    }
  });

  it('takes the Stripe budgets from Firestore config and leases its share where every instance sees it', async () => {
    await firestore
      .collection(COLLECTIONS.config)
      .doc(CONFIG_DOCUMENT_ID)
      .set({ stripeWritesPerSecond: 3, stripeReadsPerSecond: 7 });
    const env = {
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: adapters.env.pubsubEmulatorHost,
      FIRESTORE_EMULATOR_HOST: adapters.env.firestoreEmulatorHost,
      STRIPE_API_KEY: 'sk_test_factorysecret',
      STRIPE_API_BASE: stack.stripe.url,
    } as Record<string, string>;
    const a = await createAdapters(env, {
      log: pino({ level: 'silent' }),
      functionName: 'plan-apply',
    });
    try {
      const change = changeFor(
        'customer_update',
        { object: 'customer', id: 'cus_factory' },
        'customers.update',
        {},
      );
      await a.stripe.write(change, { metadata: { budget: 'read' } }, 'factory-budget');
      await a.stripe.readLive({ object: 'customer', id: 'cus_factory' });
      const stats = (a.stripe as StripeAdapter).rateStats();
      // Other instances of this test project may hold part of the budget: a share, never more.
      expect(stats.sharePerSecond.read).toBeGreaterThan(0);
      expect(stats.sharePerSecond.read).toBeLessThanOrEqual(7);
      expect(stats.sharePerSecond.write).toBeGreaterThan(0);
      expect(stats.sharePerSecond.write).toBeLessThanOrEqual(3);
      expect(stats.sent).toEqual({ read: 1, write: 1 });
      const mine = async (kind: string) => {
        const doc = await firestore.collection(COLLECTIONS.stripeRateShares).doc(kind).get();
        const leases = Object.values(doc.get('leases') as Record<string, Record<string, unknown>>);
        return leases.filter((l) => l.functionName === 'plan-apply').map((l) => l.sharePerSecond);
      };
      // One lease per kind for this instance, within its budget (a renewal may have moved it since).
      const reads = (await mine('read')) as number[];
      const writes = (await mine('write')) as number[];
      expect(reads).toHaveLength(1);
      expect(writes).toHaveLength(1);
      expect(reads[0]).toBeGreaterThan(0);
      expect(reads[0]).toBeLessThanOrEqual(7);
      expect(writes[0]).toBeGreaterThan(0);
      expect(writes[0]).toBeLessThanOrEqual(3);
    } finally {
      await a.close();
    }
  });

  it('builds the ports and nothing else (no raw client reaches a core), the BigQuery ones one BigQueryMirror', async () => {
    const deps = await createAdapters(
      { ...base, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent' },
      { log: pino({ level: 'silent' }) },
    );
    try {
      expect(Object.keys(deps).sort()).toEqual(
        [
          'auditTable',
          'billingProd',
          'cfProd',
          'clock',
          'close',
          'consoleSettings',
          'control',
          'env',
          'events',
          'identity',
          'lifecycle',
          'log',
          'mirror',
          'ope',
          'publisher',
          'stripe',
          'subsApi',
          'support',
          'ticketRuns',
          'ticketSettings',
          'ticketStore',
          'tickets',
          'webhooks',
          'www',
        ].sort(),
      );
      expect(deps.mirror).toBeInstanceOf(BigQueryMirror);
      expect(deps.auditTable).toBe(deps.mirror);
      expect(deps.support).toBeInstanceOf(BigQuerySupportReader);
      expect(deps.identity).toBeInstanceOf(IapJwtVerifier);
      // A test-mode key: the dashboard's test-mode pages.
      expect(deps.consoleSettings.stripeDashboardUrl).toBe('https://dashboard.stripe.com/test');
    } finally {
      await deps.close();
    }
  });

  it('instances built by the factory share one budget: together they never hold more than it', async () => {
    const env = {
      GOOGLE_CLOUD_PROJECT: projectId,
      PUBSUB_EMULATOR_HOST: adapters.env.pubsubEmulatorHost,
      FIRESTORE_EMULATOR_HOST: adapters.env.firestoreEmulatorHost,
      STRIPE_API_KEY: 'sk_test_factorysecret',
      STRIPE_API_BASE: stack.stripe.url,
    } as Record<string, string>;
    await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set({ stripeWritesPerSecond: 20 });
    const instances = await Promise.all(
      ['plan-apply', 'plan-apply', 'gather'].map((fn) =>
        createAdapters(env, { log: pino({ level: 'silent' }), budgetTtlMs: 0, functionName: fn }),
      ),
    );
    try {
      const change = changeFor(
        'customer_update',
        { object: 'customer', id: 'cus_factory' },
        'customers.update',
        {},
      );
      // Sample the leases while the writes run: the held shares never add up to more than the budget.
      let maxHeld = 0;
      let maxHolders = 0;
      let running = true;
      const sampler = (async () => {
        while (running) {
          const doc = await firestore.collection(COLLECTIONS.stripeRateShares).doc('write').get();
          const leases = Object.values(
            (doc.get('leases') ?? {}) as Record<string, { sharePerSecond: number; expiresAtMs: number }>,
          );
          const held = leases.filter((l) => l.expiresAtMs > Date.now());
          maxHolders = Math.max(maxHolders, held.length);
          maxHeld = Math.max(
            maxHeld,
            held.reduce((sum, l) => sum + l.sharePerSecond, 0),
          );
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await Promise.all(
        instances.flatMap((a, i) =>
          Array.from({ length: 30 }, (_, n) =>
            a.stripe.write(change, { metadata: { budget: `split-${i}-${n}` } }, `factory-split-${i}-${n}`),
          ),
        ),
      );
      running = false;
      await sampler;
      expect(maxHolders).toBe(3);
      expect(maxHeld).toBeGreaterThan(0);
      expect(maxHeld).toBeLessThanOrEqual(20 + 1e-9);
    } finally {
      await Promise.all(instances.map((a) => a.close()));
    }
    // Closing gives the shares back.
    const left = await firestore.collection(COLLECTIONS.stripeRateShares).doc('write').get();
    expect(
      Object.values(left.get('leases') as Record<string, { functionName: string }>).map(
        (l) => l.functionName,
      ),
    ).not.toContain('gather');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { type Message, PubSub } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../local/net.js';
import { ensureTopology } from '../../../local/provision/pubsub.js';
import { type LocalStack, startLocalStack } from '../../../local/stack.js';
import { BigQueryMirror } from '../../../shared/adapters/bigquery.js';
import {
  type Adapters,
  createAdapters,
  createPipelineDeps,
  describeEnvironment,
  InvalidEnvironmentError,
  KNOWN_ENV_VARS,
  parseAdapterEnv,
} from '../../../shared/adapters/factory.js';
import { StripeAdapter } from '../../../shared/adapters/stripe/adapter.js';
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

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseAdapterEnv(env);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEnvironmentError);
    return [...(err as InvalidEnvironmentError).problems];
  }
  throw new Error('expected the environment to be rejected');
}

describe('environment', () => {
  it('requires only the project at start: the Stripe key and zone URLs are per adapter', () => {
    expect(problemsOf({})).toEqual(['GOOGLE_CLOUD_PROJECT: is required']);
    const env = parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'drift-prod' });
    expect(env.stripe.apiKey).toBeUndefined();
    expect(env.subsApiUrl).toBeUndefined();
    expect(env.wwwApiUrl).toBeUndefined();
    expect(describeEnvironment(env)).toMatchObject({
      stripe: { key: 'not set' },
      subsApiUrl: null,
      wwwApiUrl: null,
    });
  });

  it('still lists every problem of what is set in one error', () => {
    const problems = problemsOf({
      SUBS_API_URL: 'not a url',
      WWW_API_URL: 'ftp://www',
      STRIPE_API_KEY: 'pk_test_publishable',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'GOOGLE_CLOUD_PROJECT',
      'SUBS_API_URL',
      'WWW_API_URL',
      'STRIPE_API_KEY',
    ]);
  });

  it('KNOWN_ENV_VARS lists what the schema reads', () => {
    expect(KNOWN_ENV_VARS).toEqual(
      expect.arrayContaining(['GOOGLE_CLOUD_PROJECT', 'STRIPE_API_KEY', 'SUBS_API_URL', 'WWW_API_URL']),
    );
    expect(KNOWN_ENV_VARS).not.toContain('STRIPE_SECRET_KEY');
    expect(KNOWN_ENV_VARS).not.toContain('LOG_FORMAT');
  });

  it.each([
    [{ PUBSUB_EMULATOR_HOST: 'http://127.0.0.1:8085' }, /^PUBSUB_EMULATOR_HOST: must be host:port/],
    [{ FIRESTORE_EMULATOR_HOST: 'localhost' }, /^FIRESTORE_EMULATOR_HOST: must be host:port/],
    [{ STRIPE_API_BASE: 'ftp://127.0.0.1' }, /^STRIPE_API_BASE: must be an http\(s\) URL/],
    [{ SUBS_API_URL: 'not a url' }, /^SUBS_API_URL: must be an http\(s\) URL/],
    [{ GOOGLE_CLOUD_PROJECT: 'X' }, /^GOOGLE_CLOUD_PROJECT: must be a project id/],
    [{ STRIPE_MAX_NETWORK_RETRIES: 'many' }, /^STRIPE_MAX_NETWORK_RETRIES: must be a whole number/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL:/],
    [{ WWW_API_URL: 'www.internal' }, /^WWW_API_URL: must be an http\(s\) URL/],
    [{ STRIPE_WRITE_INSTANCES: '0' }, /^STRIPE_WRITE_INSTANCES: must be between 1 and 1000/],
    [{ STRIPE_API_KEY: 'pk_test_publishable' }, /^STRIPE_API_KEY: not a Stripe secret/],
  ])('%j is refused, naming the variable', (override, message) => {
    const problems = problemsOf({ ...base, ...override });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('never echoes the Stripe key in an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'factory-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, SECRET);
      for (const env of [
        { ...base, STRIPE_API_KEY: SECRET, STRIPE_API_KEY_FILE: file },
        { ...base, STRIPE_API_KEY: `${SECRET}!`, GOOGLE_CLOUD_PROJECT: undefined },
      ]) {
        const err = (() => {
          try {
            parseAdapterEnv(env);
          } catch (e) {
            return e as Error;
          }
          throw new Error('expected a rejection');
        })();
        expect(err.message).not.toContain('DoNotLeakThis');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the key from a mounted secret file, trimmed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'factory-'));
    try {
      const file = join(dir, 'stripe-key');
      writeFileSync(file, `${SECRET}\n`);
      const env = parseAdapterEnv({ ...base, STRIPE_API_KEY: undefined, STRIPE_API_KEY_FILE: file });
      expect(env.stripe.apiKey).toBe(SECRET);
      expect(JSON.stringify(describeEnvironment(env))).not.toContain('DoNotLeakThis');
      expect(describeEnvironment(env)).toMatchObject({ stripe: { key: 'live key', base: 'api.stripe.com' } });
      expect(
        problemsOf({ ...base, STRIPE_API_KEY: undefined, STRIPE_API_KEY_FILE: join(dir, 'none') }),
      ).toEqual([expect.stringMatching(/^STRIPE_API_KEY_FILE: cannot read .* \(ENOENT\)$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['http://127.0.0.1:12111', { host: '127.0.0.1', port: 12111, protocol: 'http' }],
    [
      'https://stripe-proxy.example.test',
      { host: 'stripe-proxy.example.test', port: 443, protocol: 'https' },
    ],
    [undefined, { host: undefined, port: undefined, protocol: undefined, writeInstances: 1 }],
  ])('STRIPE_API_BASE %s -> %j', (apiBase, expected) => {
    expect(parseAdapterEnv({ ...base, STRIPE_API_BASE: apiBase }).stripe).toMatchObject(expected);
  });

  it('passes the BigQuery endpoint to the warehouse slot', () => {
    expect(parseAdapterEnv({ ...base, BIGQUERY_EMULATOR_HOST: '127.0.0.1:9050' }).bigquery).toEqual({
      projectId: 'drift-prod',
      apiEndpoint: 'http://127.0.0.1:9050',
      location: undefined,
    });
  });
});

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
        writeBudgetTtlMs: 0,
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

  it('takes the Stripe write budget from Firestore config', async () => {
    await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set({ stripeWritesPerSecond: 3 });
    const change = changeFor(
      'customer_update',
      { object: 'customer', id: 'cus_factory' },
      'customers.update',
      {},
    );
    await adapters.stripe.write(change, { metadata: { budget: 'read' } }, 'factory-budget');
    expect((adapters.stripe as StripeAdapter).writesPerSecond()).toBe(3);
    expect(stack.stripe.writes()).toHaveLength(1);
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
          'clock',
          'close',
          'control',
          'env',
          'log',
          'mirror',
          'publisher',
          'stripe',
          'subsApi',
          'www',
        ].sort(),
      );
      expect(deps.mirror).toBeInstanceOf(BigQueryMirror);
      expect(deps.auditTable).toBe(deps.mirror);
    } finally {
      await deps.close();
    }
  });

  it('splits the Firestore write budget across STRIPE_WRITE_INSTANCES', async () => {
    const a = await createAdapters(
      {
        GOOGLE_CLOUD_PROJECT: projectId,
        PUBSUB_EMULATOR_HOST: adapters.env.pubsubEmulatorHost,
        FIRESTORE_EMULATOR_HOST: adapters.env.firestoreEmulatorHost,
        STRIPE_API_KEY: 'sk_test_factorysecret',
        STRIPE_API_BASE: stack.stripe.url,
        STRIPE_WRITE_INSTANCES: '4',
      },
      { log: pino({ level: 'silent' }), writeBudgetTtlMs: 0 },
    );
    try {
      await firestore
        .collection(COLLECTIONS.config)
        .doc(CONFIG_DOCUMENT_ID)
        .set({ stripeWritesPerSecond: 20 });
      const change = changeFor(
        'customer_update',
        { object: 'customer', id: 'cus_factory' },
        'customers.update',
        {},
      );
      await a.stripe.write(change, { metadata: { budget: 'split' } }, 'factory-budget-split');
      expect((a.stripe as StripeAdapter).writesPerSecond()).toBe(5);
    } finally {
      await a.close();
    }
  });
});

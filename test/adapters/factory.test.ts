import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Adapters,
  type BigQueryEnv,
  createAdapters,
  createPipelineDeps,
  describeEnvironment,
  InvalidEnvironmentError,
  parseAdapterEnv,
  WarehouseNotWiredError,
} from '../../shared/adapters/factory.js';
import { ensureTopology } from '../../shared/adapters/pubsub.js';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../../shared/contracts/topology.js';
import { sleep } from '../../shared/local/net.js';
import { type LocalStack, startLocalStack } from '../../shared/local/stack.js';
import { uniqueProjectId, useEmulators } from '../setup/emulators.js';
import { changeFor } from './stripe-seed.js';

const SECRET = 'sk_live_DoNotLeakThis123';
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
  it('lists every missing variable in one error', () => {
    const problems = problemsOf({});
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'GOOGLE_CLOUD_PROJECT',
      'SUBS_API_URL',
      'WWW_API_URL',
      'STRIPE_API_KEY',
    ]);
  });

  it.each([
    [{ PUBSUB_EMULATOR_HOST: 'http://127.0.0.1:8085' }, /^PUBSUB_EMULATOR_HOST: must be host:port/],
    [{ FIRESTORE_EMULATOR_HOST: 'localhost' }, /^FIRESTORE_EMULATOR_HOST: must be host:port/],
    [{ STRIPE_API_BASE: 'ftp://127.0.0.1' }, /^STRIPE_API_BASE: must be an http\(s\) URL/],
    [{ SUBS_API_URL: 'not a url' }, /^SUBS_API_URL: must be an http\(s\) URL/],
    [{ GOOGLE_CLOUD_PROJECT: 'X' }, /^GOOGLE_CLOUD_PROJECT: must be a project id/],
    [{ STRIPE_MAX_NETWORK_RETRIES: 'many' }, /^STRIPE_MAX_NETWORK_RETRIES: must be a whole number/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL:/],
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
    [undefined, { host: undefined, port: undefined, protocol: undefined }],
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

describe('createAdapters on the local stack', () => {
  let stack: LocalStack;
  let adapters: Adapters;
  let projectId: string;
  const logLines: string[] = [];
  const seenBigQuery: BigQueryEnv[] = [];
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
        warehouse: (bq) => {
          seenBigQuery.push(bq);
          const unused = () => Promise.reject(new Error('not used in this test'));
          return {
            mirror: { health: unused, newStripeDrift: unused, newWwwDrift: unused, accountParts: unused },
            auditTable: { insert: unused },
          };
        },
        writeBudgetTtlMs: 0,
      },
    );
  });
  afterAll(async () => {
    await adapters?.close();
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

    await ensureTopology(adapters.pubsub, { pushEndpoints: {} });
    const received: Message[] = [];
    const sub = adapters.pubsub.subscription('audit-writer-sub');
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
    expect(seenBigQuery).toEqual([{ projectId, apiEndpoint: 'http://127.0.0.1:9050', location: undefined }]);
    expect(logLines.join('')).toContain('adapters created');
    expect(logLines.join('')).not.toContain('factorysecret');
  });

  it('takes the Stripe write budget from Firestore config', async () => {
    await adapters.firestore
      .collection(COLLECTIONS.config)
      .doc(CONFIG_DOCUMENT_ID)
      .set({ stripeWritesPerSecond: 3 });
    const change = changeFor(
      'customer_update',
      { object: 'customer', id: 'cus_factory' },
      'customers.update',
      {},
    );
    await adapters.stripe.write(change, { metadata: { budget: 'read' } }, 'factory-budget');
    expect(adapters.stripe.writesPerSecond()).toBe(3);
    expect(stack.stripe.writes()).toHaveLength(1);
  });

  it('without a warehouse factory the BigQuery ports fail loudly', async () => {
    const deps = await createPipelineDeps(
      { ...base, GOOGLE_CLOUD_PROJECT: projectId, LOG_LEVEL: 'silent' },
      { log: pino({ level: 'silent' }) },
    );
    expect(Object.keys(deps).sort()).toEqual(
      ['auditTable', 'clock', 'control', 'log', 'mirror', 'publisher', 'stripe', 'subsApi', 'www'].sort(),
    );
    await expect(deps.mirror.health('stripe', '2026-11-01')).rejects.toBeInstanceOf(WarehouseNotWiredError);
    await expect(deps.auditTable.insert([])).rejects.toThrow(/no BigQuery adapter is wired/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeEnvironment,
  InvalidEnvironmentError,
  KNOWN_ENV_VARS,
  parseAdapterEnv,
} from '../../../shared/adapters/environment.js';

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
    [{ JIRA_PROJECTS: 'bill,custesc' }, /^JIRA_PROJECTS: must be Jira project keys/],
    [{ JIRA_ACCOUNT_ID_FIELD: 'account' }, /^JIRA_ACCOUNT_ID_FIELD: must be a custom field id/],
    [{ TICKET_ACCOUNT_ID_PATTERN: '([' }, /^TICKET_ACCOUNT_ID_PATTERN: must be a regular expression/],
    [{ JIRA_API_TOKEN: 'short' }, /^JIRA_API_TOKEN: not a Jira API token/],
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

  it('reads the replica URLs from the variable or a mounted secret file, and logs no credentials', () => {
    const dir = mkdtempSync(join(tmpdir(), 'environment-'));
    try {
      const file = join(dir, 'cf-prod-url');
      writeFileSync(file, 'postgres://reader:DoNotLeakThis@10.0.0.9:5432/cf_prod\n');
      const env = parseAdapterEnv({
        ...base,
        OPE_DATABASE_URL: 'postgresql://reader:DoNotLeakThis@10.0.0.7:5432/ope',
        CF_PROD_DATABASE_URL_FILE: file,
      });
      expect(env.replicas).toEqual({
        ope: 'postgresql://reader:DoNotLeakThis@10.0.0.7:5432/ope',
        billingProd: undefined,
        cfProd: 'postgres://reader:DoNotLeakThis@10.0.0.9:5432/cf_prod',
      });
      expect(describeEnvironment(env).replicas).toEqual({
        ope: 'postgresql://10.0.0.7:5432/ope',
        billingProd: null,
        cfProd: 'postgres://10.0.0.9:5432/cf_prod',
      });
      expect(JSON.stringify(describeEnvironment(env))).not.toContain('DoNotLeakThis');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      { OPE_DATABASE_URL: 'mysql://reader:DoNotLeakThis@db/ope' },
      /^OPE_DATABASE_URL: not a postgres:\/\/ URL$/,
    ],
    [
      { BILLING_PROD_DATABASE_URL: 'postgres://h/b', BILLING_PROD_DATABASE_URL_FILE: '/x' },
      /^BILLING_PROD_DATABASE_URL and BILLING_PROD_DATABASE_URL_FILE: set one, not both$/,
    ],
    [
      { CF_PROD_DATABASE_URL_FILE: '/nonexistent/cf' },
      /^CF_PROD_DATABASE_URL_FILE: cannot read .* \(ENOENT\)$/,
    ],
    [{ STORE_TIMEOUT_MS: '5' }, /^STORE_TIMEOUT_MS: must be between 100 and 60000/],
    [
      { FIRESTORE_DATABASE: 'Drift Control' },
      /^FIRESTORE_DATABASE: must be \(default\) or a Firestore database id/,
    ],
    [
      { STRIPE_API_KEY: 'sk_live_DoNotLeakThis', STRIPE_API_BASE: 'http://127.0.0.1:12111' },
      /^STRIPE_API_BASE: a live Stripe key may only be sent to https:\/\/api\.stripe\.com$/,
    ],
    [
      { STRIPE_API_KEY: 'rk_live_DoNotLeakThis', STRIPE_API_BASE: 'https://stripe-proxy.example.test' },
      /^STRIPE_API_BASE: a live Stripe key may only be sent to https:\/\/api\.stripe\.com$/,
    ],
    [{ STORE_READ_RETRIES: '9' }, /^STORE_READ_RETRIES: must be between 0 and 5/],
  ])('%j is refused, naming the variable and never echoing the value', (override, message) => {
    const problems = problemsOf({ ...base, ...override });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).not.toContain('DoNotLeakThis');
  });

  it.each([
    ['a test key to the local server', 'sk_test_local', 'http://127.0.0.1:12111'],
    ['a live key to Stripe itself', 'rk_live_reader', 'https://api.stripe.com'],
    ['a live key with the default base', 'sk_live_writer', undefined],
  ])('accepts %s', (_case, key, apiBase) => {
    expect(parseAdapterEnv({ ...base, STRIPE_API_KEY: key, STRIPE_API_BASE: apiBase }).stripe.apiKey).toBe(
      key,
    );
  });

  it('names the Firestore database, (default) unless set', () => {
    expect(parseAdapterEnv(base).firestoreDatabase).toBe('(default)');
    expect(parseAdapterEnv({ ...base, FIRESTORE_DATABASE: 'driftcontrol' }).firestoreDatabase).toBe(
      'driftcontrol',
    );
  });

  it('passes the BigQuery endpoint to the warehouse slot', () => {
    expect(parseAdapterEnv({ ...base, BIGQUERY_EMULATOR_HOST: '127.0.0.1:9050' }).bigquery).toEqual({
      projectId: 'drift-prod',
      apiEndpoint: 'http://127.0.0.1:9050',
      location: undefined,
    });
  });
});

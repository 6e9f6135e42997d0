import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { Clock, StripePort, SubsApiPort, WwwPort } from '../ports/index.js';
import { BigQueryMirror, bigQueryClient } from './bigquery.js';
import { FirestoreControlStore } from './firestore.js';
import { PubSubPublisher } from './pubsub.js';
import { StripeAdapter } from './stripe/adapter.js';
import { SubsApiClient, WwwClient } from './zones.js';

/**
 * Builds every adapter from one validated environment. Production and local runs differ only in the
 * variables: emulator hosts, STRIPE_API_BASE (the local Stripe server), the service URLs.
 *
 *   GOOGLE_CLOUD_PROJECT        required
 *   PUBSUB_EMULATOR_HOST        optional host:port (local)      FIRESTORE_EMULATOR_HOST  optional host:port
 *   STRIPE_API_KEY              or STRIPE_API_KEY_FILE (a Secret Manager volume mount): needed by the
 *                               functions that call Stripe (gather, plan-apply)
 *   STRIPE_API_BASE             optional URL, e.g. http://127.0.0.1:12111 (default: api.stripe.com)
 *   STRIPE_MAX_NETWORK_RETRIES  optional, default 2             STRIPE_TIMEOUT_MS        optional, default 20000
 *   STRIPE_WRITE_INSTANCES      optional, default 1: instances sharing the Stripe write budget (each
 *                               enforces config stripeWritesPerSecond / this)
 *   SUBS_API_URL, WWW_API_URL   URLs, needed by the function that calls the zone APIs (www-resync)
 *   ZONE_API_TIMEOUT_MS         optional, default 10000
 *   BIGQUERY_API_ENDPOINT       optional URL (or BIGQUERY_EMULATOR_HOST); BIGQUERY_LOCATION optional
 *   LOG_LEVEL                   optional pino level, default info
 *
 * Everything that is set is validated up front, every problem listed in one error. A Stripe key or zone
 * URL that is missing is not an error at start (least privilege: detect-drift and audit-writer get no
 * Stripe secret): the port that needs it rejects with an InvalidEnvironmentError naming the variable
 * and the function on first use.
 * Secrets never appear in errors or logs: `describeEnvironment` is the loggable form.
 */

export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
  constructor(
    readonly problems: readonly string[],
    /** Set when a port was used without the variable it needs (see `missingPort`). */
    readonly missing?: { readonly variable: string; readonly functionName: string; readonly use: string },
  ) {
    super(
      `invalid environment (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
  }
}

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8085 (no scheme)');
const httpUrl = z
  .string()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL');
const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= 0 && n <= max, `must be between 0 and ${max}`);
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const EnvSchema = z.object({
  GOOGLE_CLOUD_PROJECT: z
    .string({ error: 'is required' })
    .regex(
      /^[a-z][a-z0-9-]{2,62}$/,
      'must be a project id (lower-case letters, digits, hyphens; 3+ characters)',
    ),
  PUBSUB_EMULATOR_HOST: optional(hostPort),
  FIRESTORE_EMULATOR_HOST: optional(hostPort),
  // The key itself is checked after reading (it may come from a file) and never echoed.
  STRIPE_API_KEY: optional(z.string()),
  STRIPE_API_KEY_FILE: optional(z.string()),
  STRIPE_API_BASE: optional(httpUrl),
  STRIPE_MAX_NETWORK_RETRIES: optional(positiveInt(10)),
  STRIPE_TIMEOUT_MS: optional(positiveInt(600_000)),
  STRIPE_WRITE_INSTANCES: optional(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 1000, 'must be between 1 and 1000'),
  ),
  SUBS_API_URL: optional(httpUrl),
  WWW_API_URL: optional(httpUrl),
  ZONE_API_TIMEOUT_MS: optional(positiveInt(600_000)),
  BIGQUERY_API_ENDPOINT: optional(httpUrl),
  BIGQUERY_EMULATOR_HOST: optional(z.string()),
  BIGQUERY_LOCATION: optional(z.string().min(1)),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
});

/**
 * Every variable the factory reads, from the schema itself (so it cannot drift). Terraform may set only
 * these on a function (test/infra/env-wiring.test.ts).
 */
export const KNOWN_ENV_VARS: readonly (keyof typeof EnvSchema.shape)[] = Object.freeze(
  Object.keys(EnvSchema.shape) as (keyof typeof EnvSchema.shape)[],
);

/** The variables each port needs and reads lazily: unset, the port fails on use, not the function at start. */
export const LAZY_ENV_VARS = {
  stripe: ['STRIPE_API_KEY', 'STRIPE_API_KEY_FILE'],
  subsApi: ['SUBS_API_URL'],
  www: ['WWW_API_URL'],
} as const satisfies Record<string, readonly (keyof typeof EnvSchema.shape)[]>;

const STRIPE_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

/** Where BigQuery is. */
export interface BigQueryEnv {
  readonly projectId: string;
  /** Undefined in production (the client's default endpoint). */
  readonly apiEndpoint: string | undefined;
  readonly location: string | undefined;
}

export interface AdapterEnv {
  readonly projectId: string;
  readonly pubsubEmulatorHost: string | undefined;
  readonly firestoreEmulatorHost: string | undefined;
  readonly stripe: {
    /** Undefined when neither STRIPE_API_KEY nor STRIPE_API_KEY_FILE is set: the Stripe port fails on use. */
    readonly apiKey: string | undefined;
    readonly host: string | undefined;
    readonly port: number | undefined;
    readonly protocol: 'http' | 'https' | undefined;
    readonly maxNetworkRetries: number;
    readonly timeoutMs: number;
    /** Instances sharing the write budget of the Firestore config (STRIPE_WRITE_INSTANCES). */
    readonly writeInstances: number;
  };
  /** Undefined when unset: the subs-api port fails on use. */
  readonly subsApiUrl: string | undefined;
  /** Undefined when unset: the www port fails on use. */
  readonly wwwApiUrl: string | undefined;
  readonly zoneTimeoutMs: number;
  readonly bigquery: BigQueryEnv;
  readonly logLevel: string;
}

type EnvInput = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment; every problem with what is set is listed in one error. Reads
 * STRIPE_API_KEY_FILE. A missing Stripe key or zone URL is not a problem here (see the module comment).
 */
export function parseAdapterEnv(env: EnvInput): AdapterEnv {
  const problems: string[] = [];
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const raw = parsed.success ? parsed.data : undefined;

  let apiKey: string | undefined;
  const keyFile = env.STRIPE_API_KEY_FILE === '' ? undefined : env.STRIPE_API_KEY_FILE;
  const keyVar = env.STRIPE_API_KEY === '' ? undefined : env.STRIPE_API_KEY;
  if (keyVar !== undefined && keyFile !== undefined) {
    problems.push('STRIPE_API_KEY and STRIPE_API_KEY_FILE: set one, not both');
  } else if (keyFile !== undefined) {
    try {
      apiKey = readFileSync(keyFile, 'utf8').trim();
    } catch (err) {
      problems.push(
        `STRIPE_API_KEY_FILE: cannot read ${keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else if (keyVar !== undefined) {
    apiKey = keyVar.trim();
  }
  if (apiKey !== undefined && !STRIPE_KEY.test(apiKey)) {
    problems.push(
      `${keyFile !== undefined ? 'STRIPE_API_KEY_FILE' : 'STRIPE_API_KEY'}: not a Stripe secret or restricted key (sk_/rk_ + test_/live_)`,
    );
  }
  if (problems.length > 0 || raw === undefined) throw new InvalidEnvironmentError(problems);

  let host: string | undefined;
  let port: number | undefined;
  let protocol: 'http' | 'https' | undefined;
  if (raw.STRIPE_API_BASE !== undefined) {
    const url = new URL(raw.STRIPE_API_BASE);
    protocol = url.protocol === 'http:' ? 'http' : 'https';
    host = url.hostname;
    port = url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port);
  }
  const bigqueryEndpoint =
    raw.BIGQUERY_API_ENDPOINT ??
    (raw.BIGQUERY_EMULATOR_HOST === undefined
      ? undefined
      : /^https?:\/\//.test(raw.BIGQUERY_EMULATOR_HOST)
        ? raw.BIGQUERY_EMULATOR_HOST
        : `http://${raw.BIGQUERY_EMULATOR_HOST}`);
  return {
    projectId: raw.GOOGLE_CLOUD_PROJECT,
    pubsubEmulatorHost: raw.PUBSUB_EMULATOR_HOST,
    firestoreEmulatorHost: raw.FIRESTORE_EMULATOR_HOST,
    stripe: {
      apiKey,
      host,
      port,
      protocol,
      maxNetworkRetries: raw.STRIPE_MAX_NETWORK_RETRIES ?? 2,
      timeoutMs: raw.STRIPE_TIMEOUT_MS ?? 20_000,
      writeInstances: raw.STRIPE_WRITE_INSTANCES ?? 1,
    },
    subsApiUrl: raw.SUBS_API_URL,
    wwwApiUrl: raw.WWW_API_URL,
    zoneTimeoutMs: raw.ZONE_API_TIMEOUT_MS ?? 10_000,
    bigquery: {
      projectId: raw.GOOGLE_CLOUD_PROJECT,
      apiEndpoint: bigqueryEndpoint,
      location: raw.BIGQUERY_LOCATION,
    },
    logLevel: raw.LOG_LEVEL ?? 'info',
  };
}

/** The environment as it may be logged: the Stripe key is reduced to its mode. */
export function describeEnvironment(env: AdapterEnv): Record<string, unknown> {
  return {
    projectId: env.projectId,
    pubsubEmulatorHost: env.pubsubEmulatorHost ?? null,
    firestoreEmulatorHost: env.firestoreEmulatorHost ?? null,
    stripe: {
      key:
        env.stripe.apiKey === undefined
          ? 'not set'
          : env.stripe.apiKey.includes('_live_')
            ? 'live key'
            : 'test key',
      base:
        env.stripe.host === undefined
          ? 'api.stripe.com'
          : `${env.stripe.protocol}://${env.stripe.host}:${env.stripe.port}`,
      maxNetworkRetries: env.stripe.maxNetworkRetries,
      writeInstances: env.stripe.writeInstances,
    },
    subsApiUrl: env.subsApiUrl ?? null,
    wwwApiUrl: env.wwwApiUrl ?? null,
    bigquery: env.bigquery,
  };
}

// ---------------------------------------------------------------- ports whose variable is missing

/**
 * A port whose every method rejects with an InvalidEnvironmentError naming the variable and the
 * function: what a function gets for an adapter it was not configured for.
 */
function missingPort<T extends object>(
  port: string,
  methods: readonly (keyof T & string)[],
  variable: string,
  hint: string,
  functionName: string,
): T {
  const out: Record<string, () => Promise<never>> = {};
  for (const method of methods) {
    const use = `${port}.${method}`;
    out[method] = () =>
      Promise.reject(
        new InvalidEnvironmentError(
          [`${variable}: is not set for function ${functionName}, which called ${use} (${hint})`],
          { variable, functionName, use },
        ),
      );
  }
  return out as unknown as T;
}

// ---------------------------------------------------------------- the factory

export interface CreateAdaptersOptions {
  clock?: Clock;
  log?: Logger;
  /** How long a read of the Stripe write budget from Firestore config is reused. Default 60 s. */
  writeBudgetTtlMs?: number;
  /**
   * The function these adapters serve, for errors. Default: K_SERVICE (set by Cloud Functions gen2 /
   * Cloud Run to the function name), then FUNCTION_TARGET.
   */
  functionName?: string;
}

/** Every port, built from one environment: what a function's core gets (PipelineDeps), plus its env. */
export interface Adapters extends PipelineDeps {
  readonly env: AdapterEnv;
  /** Rejects with InvalidEnvironmentError on use when no Stripe key is set. */
  readonly stripe: StripePort;
  /** Rejects with InvalidEnvironmentError on use when SUBS_API_URL is not set. */
  readonly subsApi: SubsApiPort;
  /** Rejects with InvalidEnvironmentError on use when WWW_API_URL is not set. */
  readonly www: WwwPort;
  /** Flushes publishes, waits for queued Stripe writes, closes the clients. */
  close(): Promise<void>;
}

export async function createAdapters(env: EnvInput, options: CreateAdaptersOptions = {}): Promise<Adapters> {
  const config = parseAdapterEnv(env);
  const log = options.log ?? pino({ level: config.logLevel, base: { component: 'driftcontrol' } });
  const clock: Clock = options.clock ?? { now: () => new Date() };
  const functionName =
    options.functionName ??
    (env.K_SERVICE || undefined) ??
    (env.FUNCTION_TARGET || undefined) ??
    '(unknown: K_SERVICE not set)';

  // Explicit emulator settings, so an env object other than process.env is honoured too.
  const firestore = new Firestore({
    projectId: config.projectId,
    ignoreUndefinedProperties: true,
    ...(config.firestoreEmulatorHost ? { host: config.firestoreEmulatorHost, ssl: false } : {}),
  });
  const pubsub = new PubSub({
    projectId: config.projectId,
    ...(config.pubsubEmulatorHost ? { apiEndpoint: config.pubsubEmulatorHost, emulatorMode: true } : {}),
  });
  const control = new FirestoreControlStore(firestore, { now: () => clock.now() });
  const apiKey = config.stripe.apiKey;
  const stripeAdapter =
    apiKey === undefined
      ? undefined
      : new StripeAdapter({
          apiKey,
          ...(config.stripe.host !== undefined ? { host: config.stripe.host } : {}),
          ...(config.stripe.port !== undefined ? { port: config.stripe.port } : {}),
          ...(config.stripe.protocol !== undefined ? { protocol: config.stripe.protocol } : {}),
          maxNetworkRetries: config.stripe.maxNetworkRetries,
          timeoutMs: config.stripe.timeoutMs,
          now: () => clock.now(),
          // The budget lives in Firestore config (operators change it without a deploy) and is the
          // deployment's: each of the STRIPE_WRITE_INSTANCES instances enforces its share.
          writeBudget: async () =>
            (await control.getConfig()).stripeWritesPerSecond / config.stripe.writeInstances,
          writeBudgetTtlMs: options.writeBudgetTtlMs ?? 60_000,
        });
  const stripe: StripePort =
    stripeAdapter ??
    missingPort<StripePort>(
      'stripe',
      ['readAccount', 'readLive', 'write'],
      'STRIPE_API_KEY',
      'set STRIPE_API_KEY, or STRIPE_API_KEY_FILE, from the Stripe secret',
      functionName,
    );
  const publisher = new PubSubPublisher(pubsub);
  const subsApi: SubsApiPort =
    config.subsApiUrl === undefined
      ? missingPort<SubsApiPort>('subsApi', ['zone'], 'SUBS_API_URL', 'the subs-api base URL', functionName)
      : new SubsApiClient({ baseUrl: config.subsApiUrl, timeoutMs: config.zoneTimeoutMs });
  const www: WwwPort =
    config.wwwApiUrl === undefined
      ? missingPort<WwwPort>(
          'www',
          ['zone', 'setPlanLevel'],
          'WWW_API_URL',
          'the www API base URL',
          functionName,
        )
      : new WwwClient({ baseUrl: config.wwwApiUrl, timeoutMs: config.zoneTimeoutMs });
  const bq = bigQueryClient(config.bigquery.projectId, config.bigquery.apiEndpoint);
  // Jobs run where the datasets are; unset, BigQuery infers the location from the tables a query reads.
  if (config.bigquery.location !== undefined) bq.location = config.bigquery.location;
  const mirror = new BigQueryMirror(bq);
  log.debug({ env: describeEnvironment(config), function: functionName }, 'adapters created');

  let closed: Promise<void> | undefined;
  return {
    env: config,
    stripe,
    control,
    publisher,
    subsApi,
    www,
    mirror,
    auditTable: mirror,
    clock,
    log,
    close: () => {
      closed ??= (async () => {
        await Promise.allSettled([publisher.close(), stripeAdapter?.close()]);
        await Promise.allSettled([pubsub.close(), firestore.terminate()]);
      })();
      return closed;
    },
  };
}

/** What the function runtime (shared/runtime/deps.ts) injects into the pipeline cores. */
export function createPipelineDeps(
  env: EnvInput,
  options: CreateAdaptersOptions = {},
): Promise<PipelineDeps> {
  return createAdapters(env, options);
}

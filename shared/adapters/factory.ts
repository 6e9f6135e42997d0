import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { AuditTablePort, Clock, MirrorPort } from '../ports/index.js';
import { FirestoreControlStore } from './firestore.js';
import { PubSubPublisher } from './pubsub.js';
import { StripeAdapter } from './stripe.js';
import { SubsApiClient, WwwClient } from './zones.js';

/**
 * Builds every adapter from one validated environment. Production and local runs differ only in the
 * variables: emulator hosts, STRIPE_API_BASE (the local Stripe server), the service URLs.
 *
 *   GOOGLE_CLOUD_PROJECT        required
 *   PUBSUB_EMULATOR_HOST        optional host:port (local)      FIRESTORE_EMULATOR_HOST  optional host:port
 *   STRIPE_API_KEY              or STRIPE_API_KEY_FILE (a Secret Manager volume mount): one is required
 *   STRIPE_API_BASE             optional URL, e.g. http://127.0.0.1:12111 (default: api.stripe.com)
 *   STRIPE_MAX_NETWORK_RETRIES  optional, default 2             STRIPE_TIMEOUT_MS        optional, default 20000
 *   SUBS_API_URL, WWW_API_URL   required URLs                   ZONE_API_TIMEOUT_MS      optional, default 10000
 *   BIGQUERY_API_ENDPOINT       optional URL (or BIGQUERY_EMULATOR_HOST); BIGQUERY_LOCATION optional
 *   LOG_LEVEL                   optional pino level, default info
 * Secrets never appear in errors or logs: `describeEnvironment` is the loggable form.
 */

export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
  constructor(readonly problems: readonly string[]) {
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
  SUBS_API_URL: z.string({ error: 'is required' }).pipe(httpUrl),
  WWW_API_URL: z.string({ error: 'is required' }).pipe(httpUrl),
  ZONE_API_TIMEOUT_MS: optional(positiveInt(600_000)),
  BIGQUERY_API_ENDPOINT: optional(httpUrl),
  BIGQUERY_EMULATOR_HOST: optional(z.string()),
  BIGQUERY_LOCATION: optional(z.string().min(1)),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
});

const STRIPE_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

/** Where BigQuery is: what the warehouse adapter (the lead's) needs to build MirrorPort and AuditTablePort. */
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
    readonly apiKey: string;
    readonly host: string | undefined;
    readonly port: number | undefined;
    readonly protocol: 'http' | 'https' | undefined;
    readonly maxNetworkRetries: number;
    readonly timeoutMs: number;
  };
  readonly subsApiUrl: string;
  readonly wwwApiUrl: string;
  readonly zoneTimeoutMs: number;
  readonly bigquery: BigQueryEnv;
  readonly logLevel: string;
}

type EnvInput = Readonly<Record<string, string | undefined>>;

/** Validates the environment; every problem is listed in one error. Reads STRIPE_API_KEY_FILE. */
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
  } else {
    problems.push('STRIPE_API_KEY: is required (or STRIPE_API_KEY_FILE, a file holding the key)');
  }
  if (apiKey !== undefined && !STRIPE_KEY.test(apiKey)) {
    problems.push(
      `${keyFile !== undefined ? 'STRIPE_API_KEY_FILE' : 'STRIPE_API_KEY'}: not a Stripe secret or restricted key (sk_/rk_ + test_/live_)`,
    );
  }
  if (problems.length > 0 || raw === undefined || apiKey === undefined)
    throw new InvalidEnvironmentError(problems);

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
      key: env.stripe.apiKey.includes('_live_') ? 'live key' : 'test key',
      base:
        env.stripe.host === undefined
          ? 'api.stripe.com'
          : `${env.stripe.protocol}://${env.stripe.host}:${env.stripe.port}`,
      maxNetworkRetries: env.stripe.maxNetworkRetries,
    },
    subsApiUrl: env.subsApiUrl,
    wwwApiUrl: env.wwwApiUrl,
    bigquery: env.bigquery,
  };
}

// ---------------------------------------------------------------- the warehouse slot

/** The BigQuery side of the ports. The warehouse adapter (not this module) provides it. */
export interface WarehouseAdapters {
  readonly mirror: MirrorPort;
  readonly auditTable: AuditTablePort;
}
export type WarehouseFactory = (bigquery: BigQueryEnv) => WarehouseAdapters | Promise<WarehouseAdapters>;

/** Thrown by the placeholders when no warehouse factory was given: loud, never a silent no-op. */
export class WarehouseNotWiredError extends Error {
  override readonly name = 'WarehouseNotWiredError';
}

function unwiredWarehouse(): WarehouseAdapters {
  const fail = (what: string) => () =>
    Promise.reject(
      new WarehouseNotWiredError(
        `${what}: no BigQuery adapter is wired (pass options.warehouse to createAdapters)`,
      ),
    );
  return {
    mirror: {
      health: fail('mirror.health'),
      newStripeDrift: fail('mirror.newStripeDrift'),
      newWwwDrift: fail('mirror.newWwwDrift'),
      accountParts: fail('mirror.accountParts'),
    },
    auditTable: { insert: fail('auditTable.insert') },
  };
}

// ---------------------------------------------------------------- the factory

export interface CreateAdaptersOptions {
  /** Builds the BigQuery adapters. Omitted: placeholders that throw WarehouseNotWiredError. */
  warehouse?: WarehouseFactory;
  clock?: Clock;
  log?: Logger;
  /** How long a read of the Stripe write budget from Firestore config is reused. Default 60 s. */
  writeBudgetTtlMs?: number;
}

export interface Adapters extends WarehouseAdapters {
  readonly env: AdapterEnv;
  readonly stripe: StripeAdapter;
  readonly control: FirestoreControlStore;
  readonly publisher: PubSubPublisher;
  readonly subsApi: SubsApiClient;
  readonly www: WwwClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** The raw clients, for topology setup and tests. */
  readonly pubsub: PubSub;
  readonly firestore: Firestore;
  /** Flushes publishes, waits for queued Stripe writes, closes the clients. */
  close(): Promise<void>;
}

export async function createAdapters(env: EnvInput, options: CreateAdaptersOptions = {}): Promise<Adapters> {
  const config = parseAdapterEnv(env);
  const log = options.log ?? pino({ level: config.logLevel, base: { component: 'driftcontrol' } });
  const clock: Clock = options.clock ?? { now: () => new Date() };

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
  const stripe = new StripeAdapter({
    apiKey: config.stripe.apiKey,
    ...(config.stripe.host !== undefined ? { host: config.stripe.host } : {}),
    ...(config.stripe.port !== undefined ? { port: config.stripe.port } : {}),
    ...(config.stripe.protocol !== undefined ? { protocol: config.stripe.protocol } : {}),
    maxNetworkRetries: config.stripe.maxNetworkRetries,
    timeoutMs: config.stripe.timeoutMs,
    now: () => clock.now(),
    // The budget lives in Firestore config (operators change it without a deploy).
    writeBudget: async () => (await control.getConfig()).stripeWritesPerSecond,
    writeBudgetTtlMs: options.writeBudgetTtlMs ?? 60_000,
  });
  const publisher = new PubSubPublisher(pubsub);
  const subsApi = new SubsApiClient({ baseUrl: config.subsApiUrl, timeoutMs: config.zoneTimeoutMs });
  const www = new WwwClient({ baseUrl: config.wwwApiUrl, timeoutMs: config.zoneTimeoutMs });
  // SLOT (warehouse): the BigQuery MirrorPort / AuditTablePort come from the warehouse factory.
  const warehouse = options.warehouse ? await options.warehouse(config.bigquery) : unwiredWarehouse();
  log.debug({ env: describeEnvironment(config) }, 'adapters created');

  let closed: Promise<void> | undefined;
  return {
    env: config,
    stripe,
    control,
    publisher,
    subsApi,
    www,
    mirror: warehouse.mirror,
    auditTable: warehouse.auditTable,
    clock,
    log,
    pubsub,
    firestore,
    close: () => {
      closed ??= (async () => {
        await Promise.allSettled([publisher.close(), stripe.close()]);
        await Promise.allSettled([pubsub.close(), firestore.terminate()]);
      })();
      return closed;
    },
  };
}

/** What the function runtime (shared/runtime/deps.ts) injects into the pipeline cores. */
export async function createPipelineDeps(
  env: EnvInput,
  options: CreateAdaptersOptions = {},
): Promise<PipelineDeps> {
  const a = await createAdapters(env, options);
  return {
    mirror: a.mirror,
    auditTable: a.auditTable,
    stripe: a.stripe,
    control: a.control,
    publisher: a.publisher,
    subsApi: a.subsApi,
    www: a.www,
    clock: a.clock,
    log: a.log,
  };
}

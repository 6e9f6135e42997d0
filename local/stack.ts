import { type Emulators, type StartEmulatorsOptions, startEmulators } from './emulators.js';
import {
  attachLocalPostgres,
  type LocalPostgres,
  type StartPostgresOptions,
  startLocalPostgres,
} from './postgres.js';
import type { StripeSeed } from './stripe/seed.js';
import { type LocalStripeOptions, type LocalStripeServer, startLocalStripe } from './stripe/server.js';
import { type LocalSubsApi, type LocalSubsApiOptions, startLocalSubsApi } from './zones/subs-api.js';
import type { SubsApiSeed } from './zones/subs-api-seed.js';
import type { ZoneSeed } from './zones/table.js';
import { type LocalWww, type LocalWwwOptions, startLocalWww } from './zones/www.js';

/**
 * One entry for the whole local stack: Pub/Sub and Firestore emulators, a PostgreSQL server (for the
 * company databases gather reads live), local Stripe, subs-api and www, plus any extra service (the local
 * BigQuery joins through `extraServices`). Everything listens on loopback; `stop()` ends all of it, and the
 * emulators' and PostgreSQL's process groups are also ended on process exit.
 */

export interface StackSeed {
  stripe?: StripeSeed;
  subsApi?: SubsApiSeed;
  www?: ZoneSeed;
}

/** What an extra service (e.g. the local BigQuery) sees when it starts. */
export interface ExtraServiceContext {
  /** Undefined when the stack started no emulators (none, or `existingEmulators`). */
  emulators: Emulators | undefined;
  /** Endpoints of the services started so far (emulator hosts included). */
  endpoints: Readonly<Record<string, string>>;
}

export interface StartedExtraService {
  /** Where it listens, e.g. `http://127.0.0.1:9050`. */
  endpoint: string;
  /** Variables clients need (e.g. BIGQUERY_EMULATOR_HOST); merged into the stack's `env`. */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

export interface ExtraService {
  name: string;
  start(context: ExtraServiceContext): Promise<StartedExtraService>;
}

export interface LocalStackOptions {
  /** Start the emulators (default true), optionally with fixed ports / timeouts. */
  emulators?: boolean | StartEmulatorsOptions;
  /**
   * Use emulators that are already running (e.g. the vitest global setup's) instead of starting any;
   * they appear in `endpoints` and `env` but `stop()` leaves them alone.
   */
  existingEmulators?: { pubsubHost: string; firestoreHost: string };
  /** Start a PostgreSQL server (default true), optionally on a fixed port. */
  postgres?: boolean | StartPostgresOptions;
  /** Use a PostgreSQL server that is already running (the test run's); `stop()` leaves it alone. */
  existingPostgres?: { port: number };
  stripe?: LocalStripeOptions;
  subsApi?: LocalSubsApiOptions;
  www?: LocalWwwOptions;
  seed?: StackSeed;
  /** Started after the built-in services, in order, once the emulators answer. */
  extraServices?: ExtraService[];
  /** Also export the stack's `env` into this process's environment. Default false. */
  exportEnv?: boolean;
}

export interface LocalStackEndpoints {
  /** `127.0.0.1:PORT` hosts (no scheme), as the emulator variables expect. */
  pubsub?: string;
  firestore?: string;
  /** `127.0.0.1:PORT` of the PostgreSQL server (user postgres, trust authentication). */
  postgres?: string;
  /** Base URLs. */
  stripe: string;
  subsApi: string;
  www: string;
  [extra: string]: string | undefined;
}

export interface LocalStack {
  emulators: Emulators | undefined;
  /** Undefined with `postgres: false`. */
  postgres: LocalPostgres | undefined;
  stripe: LocalStripeServer;
  subsApi: LocalSubsApi;
  www: LocalWww;
  extras: Record<string, StartedExtraService>;
  endpoints: LocalStackEndpoints;
  /**
   * PUBSUB_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST, METADATA_SERVER_DETECTION, LOCAL_STRIPE_URL,
   * SUBS_API_URL, WWW_API_URL, plus whatever extra services add.
   */
  env: Record<string, string>;
  /** Milliseconds each part took to come up (emulators: until they answered HTTP). */
  startupMs: Record<string, number>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = Date.now();
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    const results = await Promise.allSettled(
      stoppers
        .splice(0)
        .reverse()
        .map((s) => s()),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((f) => f.reason),
        'stopping the local stack failed',
      );
  };
  try {
    const startupMs: Record<string, number> = {};
    // The Java emulators take seconds, the in-process servers milliseconds: start both at once.
    const emulatorsStarting =
      options.emulators !== false && options.existingEmulators === undefined
        ? startEmulators(options.emulators === true ? {} : (options.emulators ?? {}))
        : undefined;
    // Whatever happens below, emulators that did come up are stopped with the rest.
    stoppers.push(async () => {
      const started = await emulatorsStarting?.catch(() => undefined);
      await started?.stop();
    });
    // Marks the rejection handled until it is awaited below (no unhandled-rejection crash meanwhile).
    emulatorsStarting?.catch(() => undefined);
    const postgresStarting = startPostgres(options).then((pg) => {
      startupMs.postgres = Date.now() - started;
      return pg;
    });
    stoppers.push(async () => {
      const started = await postgresStarting.catch(() => undefined);
      await started?.stop();
    });
    postgresStarting.catch(() => undefined);
    const http = await Promise.allSettled([
      startLocalStripe({ ...options.stripe, ...(options.seed?.stripe ? { seed: options.seed.stripe } : {}) }),
      startLocalSubsApi({
        ...options.subsApi,
        ...(options.seed?.subsApi ? { seed: options.seed.subsApi } : {}),
      }),
      startLocalWww({ ...options.www, ...(options.seed?.www ? { seed: options.seed.www } : {}) }),
    ]);
    for (const r of http) if (r.status === 'fulfilled') stoppers.push(() => r.value.stop());
    const failed = http.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [stripe, subsApi, www] = http.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
      LocalStripeServer,
      LocalSubsApi,
      LocalWww,
    ];
    startupMs.http = Date.now() - started;
    const postgres = await postgresStarting;
    const emulators: Emulators | undefined = await emulatorsStarting;
    if (emulators) {
      startupMs.pubsub = emulators.pubsub.startupMs() ?? 0;
      startupMs.firestore = emulators.firestore.startupMs() ?? 0;
    }

    const endpoints: LocalStackEndpoints = { stripe: stripe.url, subsApi: subsApi.url, www: www.url };
    if (postgres) endpoints.postgres = `${postgres.host}:${postgres.port}`;
    const env: Record<string, string> = {
      METADATA_SERVER_DETECTION: 'none',
      LOCAL_STRIPE_URL: stripe.url,
      SUBS_API_URL: subsApi.url,
      WWW_API_URL: www.url,
    };
    if (emulators) {
      endpoints.pubsub = emulators.pubsub.host;
      endpoints.firestore = emulators.firestore.host;
      Object.assign(env, emulators.env);
    } else if (options.existingEmulators) {
      endpoints.pubsub = options.existingEmulators.pubsubHost;
      endpoints.firestore = options.existingEmulators.firestoreHost;
      env.PUBSUB_EMULATOR_HOST = options.existingEmulators.pubsubHost;
      env.FIRESTORE_EMULATOR_HOST = options.existingEmulators.firestoreHost;
    }
    const extras: Record<string, StartedExtraService> = {};
    for (const extra of options.extraServices ?? []) {
      const t = Date.now();
      const service = await extra.start({ emulators, endpoints: { ...endpoints } as Record<string, string> });
      stoppers.push(() => service.stop());
      extras[extra.name] = service;
      endpoints[extra.name] = service.endpoint;
      Object.assign(env, service.env ?? {});
      startupMs[extra.name] = Date.now() - t;
    }
    if (options.exportEnv) Object.assign(process.env, env);
    startupMs.total = Date.now() - started;

    let stopped: Promise<void> | undefined;
    return {
      emulators,
      postgres,
      stripe,
      subsApi,
      www,
      extras,
      endpoints,
      env,
      startupMs,
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

/** The stack's PostgreSQL: a running one, a new one, or none. */
async function startPostgres(options: LocalStackOptions): Promise<LocalPostgres | undefined> {
  if (options.existingPostgres) return attachLocalPostgres(options.existingPostgres.port);
  if (options.postgres === false) return undefined;
  return startLocalPostgres(options.postgres === true ? {} : (options.postgres ?? {}));
}

import type { BigQuery } from '@google-cloud/bigquery';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import pino, { type Logger } from 'pino';
import { bigQueryClient } from '../../shared/adapters/bigquery.js';
import { type Adapters, createAdapters } from '../../shared/adapters/factory.js';
import { createFirestore } from '../../shared/adapters/firestore.js';
import { createPubSub } from '../../shared/adapters/pubsub.js';
import type { OpeChangeMessage } from '../../shared/contracts/messages.js';
import {
  COLLECTIONS,
  CONFIG_DOCUMENT_ID,
  type FunctionName,
  TOPICS,
} from '../../shared/contracts/topology.js';
import type { DriftSystem } from '../../shared/domain/audit.js';
import { DEFAULT_CONFIG, type DriftControlConfig } from '../../shared/domain/config.js';
import { SYNTHETIC_ACCOUNT_ID } from '../../shared/tickets/account-ids.js';
import { type LocalBigQuery, startLocalBigQuery } from '../bigquery/index.js';
import type { StartEmulatorsOptions } from '../emulators.js';
import {
  ACCOUNT_ID_FIELD,
  DEV_JIRA_CREDENTIALS,
  type LocalJira,
  startLocalJira,
  syntheticTickets,
} from '../jira/index.js';
import { ensureTopology } from '../provision/pubsub.js';
import { deployWarehouse } from '../provision/warehouse.js';
import { type LocalStack, startLocalStack } from '../stack.js';
import { createLocalStores, type LocalStores } from '../stores/local-stores.js';
import type { RateLimit } from '../stripe/rate-limiter.js';
import { loadWorld } from '../synthetic/load.js';
import { createWorld, type World } from '../synthetic/world.js';
import { seedsFromWorld } from '../synthetic/world-seed.js';
import { type ServedFunction, serveFunctions, stopFunctions } from './functions.js';
import { LiveTruth } from './truth.js';

/**
 * The whole nightly cycle on one machine, on real parts: Pub/Sub and Firestore emulators, the local
 * BigQuery (DuckDB) holding a synthetic mirror, the company databases (OPE, billing_prod, cf_prod) on a
 * local PostgreSQL and the local Stripe / subs-api / www, all seeded from the same world, and the
 * functions served by functions-framework over real HTTP behind push subscriptions.
 *
 * One wiring path: the runner provisions the local cloud (what Terraform does in the cloud), then only
 * produces the environment a deployed function gets (`env`); the functions build their adapters from it
 * with the same factory as in production (shared/adapters/factory.ts), in this process or in their own.
 */

export interface LocalPipelineOptions {
  readonly accounts: number;
  readonly seed?: number;
  /** Run the pipeline in dry-run (default false: the local Stripe is written to). */
  readonly dryRun?: boolean;
  /** Distinct per test so emulator state never leaks between runs. */
  readonly projectId?: string;
  /** false: use the emulators already running (PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST). */
  readonly emulators?: boolean | StartEmulatorsOptions;
  /**
   * A PostgreSQL server already running (the test run's) to hold this pipeline's databases; by default
   * the pipeline starts its own. Databases are named after `projectId`, so pipelines share a server.
   */
  readonly existingPostgres?: { port: number };
  readonly config?: Partial<DriftControlConfig>;
  /** Pub/Sub redelivery policy; short by default so a local run drains quickly. */
  readonly pubsub?: {
    minimumBackoffSeconds?: number;
    maximumBackoffSeconds?: number;
    maxDeliveryAttempts?: number;
    /** Default 600 (production's). A push cut off by a crash is redelivered only after it (local/chaos). */
    ackDeadlineSeconds?: number;
  };
  /** The log of the functions served in this process. Default: silent unless LOG_LEVEL says otherwise. */
  readonly log?: Logger;
  readonly onProgress?: (step: string) => void;
  /**
   * `in-process` (default): the functions share this process. `processes`: each runs in its own process
   * configured only by the environment, as deployed (slower to start; memory per function).
   */
  readonly functions?: 'in-process' | 'processes';
  /** With `processes`: how many instances serve each function (default 1), behind one front door each. */
  readonly instances?: Partial<Record<FunctionName, number>>;
  /**
   * Stripe's rate limit on the local Stripe API (read and write token buckets, 429 as Stripe answers);
   * default none, so tests that need speed are not slowed (docs/local-stack.md, "Rate limit").
   */
  readonly stripeRateLimit?: RateLimit;
  /** Extra environment for every function (optional knobs of the env contract, e.g. a test's). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /**
   * Stripe's webhooks (default true): the local Stripe sends its change events, signed, to stripe-events.
   */
  readonly webhooks?: boolean;
  /**
   * Calls event-sweeper this often, as Cloud Scheduler does every minute in the cloud; unset: only when
   * `sweepEvents()` is called.
   */
  readonly eventSweepEveryMs?: number;
}

export interface LocalPipeline {
  readonly world: World;
  readonly snapshotDate: string;
  readonly projectId: string;
  readonly stack: LocalStack;
  readonly bigquery: LocalBigQuery;
  /** OPE, billing_prod and cf_prod, seeded with the mirror's rows of `snapshotDate`. */
  readonly stores: LocalStores;
  /** Changes live truth (OPE, cf_prod, subs-api) after the mirror landed. */
  readonly truth: LiveTruth;
  /**
   * The environment of every function (the variables Terraform sets in the cloud, pointing here). The
   * operator commands read the same ones (`driftcontrol gather`, `replay`, `config`).
   */
  readonly env: Readonly<Record<string, string>>;
  /** The adapters the in-process functions use, built by the factory from `env`. */
  readonly deps: Adapters;
  /** Raw clients on the local cloud, for provisioning, queries and tests. */
  readonly bq: BigQuery;
  readonly firestore: Firestore;
  readonly pubsub: PubSub;
  /** Base URL of each function's server. */
  readonly functionUrls: Readonly<Record<FunctionName, string>>;
  readonly functions: readonly ServedFunction[];
  readonly config: DriftControlConfig;
  setConfig(patch: Partial<DriftControlConfig>): Promise<void>;
  /**
   * Publishes an OPE change event for these accounts, as the company's OPE does after it changed their
   * subscriptions (the local OPE stand-in; change the truth first with `truth`). Returns the message id.
   */
  publishOpeChange(accountIds: readonly string[]): Promise<string>;
  /** POSTs to event-sweeper as Cloud Scheduler would: due event checks go to gather. */
  sweepEvents(): Promise<{ status: number; body: unknown }>;
  /**
   * The local Jira Cloud stand-in, seeded with the world's 27 weeks of BILL and CUSTESC tickets (drift
   * accounts file the tickets their drift would cause; local/jira/tickets.ts).
   */
  readonly jira: LocalJira;
  /** POSTs to classify-tickets (`{}`: as the weekly Scheduler job does; or a week, version, force). */
  classifyTickets(body?: {
    week?: string;
    taxonomyVersion?: string;
    force?: boolean;
  }): Promise<{ status: number; body: unknown }>;
  /** POSTs to detect-drift as Cloud Scheduler would. */
  triggerDetect(
    system: DriftSystem,
    options?: { snapshotDate?: string; scheduled?: boolean },
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

/** The thresholds of a local world: its new-drift share is far above production's, by design. */
export function localConfig(
  accounts: number,
  dryRun: boolean,
  patch: Partial<DriftControlConfig> = {},
): DriftControlConfig {
  return {
    ...DEFAULT_CONFIG,
    dryRun,
    maxNewDriftAccounts: Math.max(accounts, 1),
    maxNewDriftShare: 0.6,
    perRunCap: Math.max(accounts, 1),
    cooldownHours: 72,
    stripeWritesPerSecond: 100,
    ...patch,
  };
}

/** The local Stripe accepts any test key: the factory still validates its form, as for a real one. */
const LOCAL_STRIPE_KEY = 'sk_test_local';
/** The signing secret of the local Stripe's webhook endpoint (stripe-events). */
export const LOCAL_WEBHOOK_SECRET = 'whsec_local_driftcontrol';

/** What a deployed function's environment holds (docs/deploy.md, "code contract"), pointing at this stack. */
function functionEnvironment(
  stack: LocalStack,
  bigquery: LocalBigQuery,
  stores: LocalStores,
  projectId: string,
  jira: LocalJira,
) {
  // Emulators this stack started, or (emulators: false) the ones already running; never the cloud.
  const emulator = (name: 'PUBSUB_EMULATOR_HOST' | 'FIRESTORE_EMULATOR_HOST') => {
    const host = stack.env[name] ?? process.env[name];
    if (!host) throw new Error(`${name} is not set: a local pipeline runs on emulators only`);
    return host;
  };
  return {
    GOOGLE_CLOUD_PROJECT: projectId,
    PUBSUB_EMULATOR_HOST: emulator('PUBSUB_EMULATOR_HOST'),
    FIRESTORE_EMULATOR_HOST: emulator('FIRESTORE_EMULATOR_HOST'),
    BIGQUERY_EMULATOR_HOST: bigquery.url,
    STRIPE_API_BASE: stack.endpoints.stripe,
    STRIPE_API_KEY: LOCAL_STRIPE_KEY,
    STRIPE_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRET,
    SUBS_API_URL: stack.endpoints.subsApi,
    WWW_API_URL: stack.endpoints.www,
    ...stores.env,
    // The local Jira's development identity and the synthetic world's account ids (acc_ + 7 digits).
    JIRA_BASE_URL: jira.url,
    JIRA_EMAIL: DEV_JIRA_CREDENTIALS.email,
    JIRA_API_TOKEN: DEV_JIRA_CREDENTIALS.token,
    JIRA_ACCOUNT_ID_FIELD: ACCOUNT_ID_FIELD,
    TICKET_ACCOUNT_ID_PATTERN: SYNTHETIC_ACCOUNT_ID.source,
    METADATA_SERVER_DETECTION: 'none',
  };
}

async function writeControlState(
  firestore: Firestore,
  config: DriftControlConfig,
  gates: Map<string, unknown>,
): Promise<void> {
  await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set(config);
  const entries = [...gates.entries()];
  for (let i = 0; i < entries.length; i += 400) {
    const batch = firestore.batch();
    for (const [accountId, g] of entries.slice(i, i + 400))
      batch.set(firestore.collection(COLLECTIONS.gates).doc(accountId), g as Record<string, unknown>);
    await batch.commit();
  }
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const log = options.log ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const progress = options.onProgress ?? (() => {});
  const projectId = options.projectId ?? 'driftcontrol-local';
  const world = createWorld({ accounts: options.accounts, seed: options.seed ?? 42 });
  const snapshotDate = world.dates[world.dates.length - 1] as string;
  progress(`world of ${options.accounts} accounts, snapshots ${world.dates.join(', ')}`);
  const seeds = seedsFromWorld(world);

  let bigquery: LocalBigQuery | undefined;
  let jira: LocalJira | undefined;
  const stack = await startLocalStack({
    emulators: options.emulators ?? true,
    ...(options.existingPostgres ? { existingPostgres: options.existingPostgres } : {}),
    seed: { stripe: seeds.stripe, subsApi: seeds.subsApi, www: seeds.www },
    ...(options.stripeRateLimit ? { stripe: { rateLimit: options.stripeRateLimit } } : {}),
    // The raw clients below find the emulators through PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST.
    exportEnv: true,
    extraServices: [
      {
        name: 'jira',
        start: async () => {
          jira = await startLocalJira({ issues: syntheticTickets({ world }) });
          const j = jira;
          return { endpoint: j.url, env: {}, stop: () => j.stop() };
        },
      },
      {
        name: 'bigquery',
        start: async () => {
          bigquery = await startLocalBigQuery();
          const b = bigquery;
          return { endpoint: b.url, env: { BIGQUERY_EMULATOR_HOST: b.url }, stop: () => b.stop() };
        },
      },
    ],
  });
  let served: ServedFunction[] = [];
  let sweeper: NodeJS.Timeout | undefined;
  let deps: Adapters | undefined;
  const clients: { firestore?: Firestore; pubsub?: PubSub } = {};
  let stores: LocalStores | undefined;
  const teardown = async () => {
    clearInterval(sweeper);
    stack.stripe.webhooks.clearEndpoints();
    await stack.stripe.webhooks.settled();
    await stopFunctions(served);
    await Promise.allSettled([deps?.close(), clients.pubsub?.close(), clients.firestore?.terminate()]);
    // A shared server outlives this pipeline, so its databases go with it; an own server takes them along.
    await (options.existingPostgres ? stores?.drop() : stores?.close())?.catch(() => undefined);
    await stack.stop();
  };
  try {
    if (bigquery === undefined) throw new Error('local BigQuery did not start');
    if (jira === undefined) throw new Error('local Jira did not start');
    if (stack.postgres === undefined) throw new Error('local PostgreSQL did not start');
    progress('local stack up');

    // The company databases gather reads live: the mirror's rows of today, under this project's names.
    stores = await createLocalStores(stack.postgres, projectId, seeds.stores);
    progress(`OPE, billing_prod and cf_prod seeded (${Math.round(stores.seedMs)} ms)`);

    // Provision what Terraform provisions in the cloud: the warehouse, the control state, the topics.
    const bq = bigQueryClient(projectId, bigquery.url);
    await deployWarehouse(bq);
    await loadWorld(bigquery.db, world);
    progress('mirror loaded');
    const firestore = createFirestore(projectId);
    clients.firestore = firestore;
    const config = localConfig(options.accounts, options.dryRun ?? false, options.config);
    await writeControlState(firestore, config, seeds.gates);
    progress('Firestore config and gates written');

    const env = { ...functionEnvironment(stack, bigquery, stores, projectId, jira), ...options.functionEnv };
    deps = await createAdapters(env, { log });
    served =
      options.functions === 'processes'
        ? await serveFunctions({
            kind: 'processes',
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
            ...(options.instances ? { instances: options.instances } : {}),
          })
        : await serveFunctions({ kind: 'in-process', deps });
    const functionUrls = Object.fromEntries(served.map((f) => [f.name, f.url])) as Record<
      FunctionName,
      string
    >;
    const pubsub = createPubSub(projectId);
    clients.pubsub = pubsub;
    await ensureTopology(pubsub, {
      pushEndpoints: functionUrls,
      minimumBackoffSeconds: options.pubsub?.minimumBackoffSeconds ?? 1,
      maximumBackoffSeconds: options.pubsub?.maximumBackoffSeconds ?? 5,
      maxDeliveryAttempts: options.pubsub?.maxDeliveryAttempts ?? 5,
      ...(options.pubsub?.ackDeadlineSeconds
        ? { ackDeadlineSeconds: options.pubsub.ackDeadlineSeconds }
        : {}),
      // The emulator stalls an ordered push subscription for every key once one message exhausts its
      // delivery attempts, and never dead-letters it. Production keeps ordering (per-account leases make
      // correctness independent of it); locally it is off so dead-lettering works as in production.
      enableMessageOrdering: false,
    });
    progress('functions serving behind push subscriptions');

    const pipeline: LocalPipeline = {
      world,
      snapshotDate,
      projectId,
      stack,
      bigquery,
      stores,
      truth: new LiveTruth(stores, stack.endpoints.subsApi),
      env,
      deps,
      bq,
      firestore,
      pubsub,
      functionUrls,
      functions: served,
      config,
      async setConfig(patch) {
        Object.assign(pipeline.config, patch);
        await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set(pipeline.config);
      },
      publishOpeChange(accountIds) {
        const message: OpeChangeMessage = {
          schemaVersion: 1,
          kind: 'ope_subscriptions_changed',
          accountIds: [...accountIds],
          changedAt: new Date().toISOString(),
        };
        return pubsub.topic(TOPICS.opeChanges).publishMessage({ json: message });
      },
      async sweepEvents() {
        const res = await fetch(functionUrls['event-sweeper'], {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-CloudScheduler': 'true' },
          body: '{}',
        });
        return { status: res.status, body: await res.json() };
      },
      jira,
      async classifyTickets(body = {}) {
        const res = await fetch(functionUrls['classify-tickets'], {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'X-CloudScheduler': 'true' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      },
      async triggerDetect(system, o = {}) {
        const date = o.snapshotDate ?? snapshotDate;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (o.scheduled ?? true) {
          headers['X-CloudScheduler'] = 'true';
          headers['X-CloudScheduler-ScheduleTime'] = `${date}T06:00:00Z`;
        }
        const res = await fetch(functionUrls['detect-drift'], {
          method: 'POST',
          headers,
          body: JSON.stringify({ system, snapshotDate: date }),
        });
        return { status: res.status, body: await res.json() };
      },
      stop: teardown,
    };
    // Stripe's webhook endpoint, configured as in Stripe's dashboard (docs/deploy.md, "Stripe webhooks").
    if (options.webhooks ?? true)
      stack.stripe.addWebhookEndpoint({ url: functionUrls['stripe-events'], secret: LOCAL_WEBHOOK_SECRET });
    if (options.eventSweepEveryMs !== undefined)
      sweeper = setInterval(() => {
        pipeline.sweepEvents().catch((error: unknown) => log.warn({ err: error }, 'event sweep failed'));
      }, options.eventSweepEveryMs);
    return pipeline;
  } catch (error) {
    await teardown().catch(() => {});
    throw error;
  }
}

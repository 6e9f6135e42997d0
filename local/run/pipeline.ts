import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Firestore } from '@google-cloud/firestore';
import type { PubSub } from '@google-cloud/pubsub';
import pino, { type Logger } from 'pino';
import { BigQueryMirror, bigQueryClient, ensureAuditTable } from '../../shared/adapters/bigquery.js';
import { createFirestore, FirestoreControlStore } from '../../shared/adapters/firestore.js';
import {
  type ConsumerFunctionName,
  createPubSub,
  ensureTopology,
  PubSubPublisher,
} from '../../shared/adapters/pubsub.js';
import { StripeAdapter } from '../../shared/adapters/stripe.js';
import { SubsApiClient, WwwClient } from '../../shared/adapters/zones.js';
import { COLLECTIONS, CONFIG_DOCUMENT_ID, FUNCTIONS } from '../../shared/contracts/topology.js';
import type { DriftSystem } from '../../shared/domain/audit.js';
import { DEFAULT_CONFIG, type DriftControlConfig } from '../../shared/domain/config.js';
import type { PipelineDeps } from '../../shared/pipeline/deps.js';
import { setDepsProvider } from '../../shared/runtime/deps.js';
import { type LocalBigQuery, startLocalBigQuery } from '../bigquery/index.js';
import type { StartEmulatorsOptions } from '../emulators.js';
import { deployWarehouse } from '../provision/warehouse.js';
import { type LocalStack, startLocalStack } from '../stack.js';
import { loadWorld } from '../synthetic/load.js';
import { createWorld, type World } from '../synthetic/world.js';
import { seedsFromWorld } from '../synthetic/world-seed.js';

/**
 * The whole nightly cycle on one machine, on real parts: Pub/Sub and Firestore emulators, the local
 * BigQuery (DuckDB) holding a synthetic mirror, the local Stripe / subs-api / www seeded from the same
 * world, and the five functions served by functions-framework over real HTTP behind push subscriptions.
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
  readonly config?: Partial<DriftControlConfig>;
  /** Pub/Sub redelivery policy; short by default so a local run drains quickly. */
  readonly pubsub?: {
    minimumBackoffSeconds?: number;
    maximumBackoffSeconds?: number;
    maxDeliveryAttempts?: number;
  };
  readonly log?: Logger;
  readonly onProgress?: (step: string) => void;
  /**
   * `in-process` (default): the five functions share this process. `processes`: each runs in its own
   * process configured only by the environment, as deployed (slower to start; memory per function).
   */
  readonly functions?: 'in-process' | 'processes';
}

export interface FunctionProcess {
  readonly name: string;
  readonly pid: number;
  /** Peak resident memory of the process so far (VmHWM), in bytes; null where /proc is unavailable. */
  peakRssBytes(): number | null;
}

export interface LocalPipeline {
  readonly world: World;
  readonly snapshotDate: string;
  readonly projectId: string;
  readonly stack: LocalStack;
  readonly bigquery: LocalBigQuery;
  readonly bq: BigQuery;
  readonly firestore: Firestore;
  readonly pubsub: PubSub;
  readonly deps: PipelineDeps;
  readonly stripeAdapter: StripeAdapter;
  /** Base URL of each function's server. */
  readonly functionUrls: Record<string, string>;
  /** In `processes` mode, the function processes. */
  readonly functionProcesses: readonly FunctionProcess[];
  readonly config: DriftControlConfig;
  setConfig(patch: Partial<DriftControlConfig>): Promise<void>;
  /** POSTs to detect-drift as Cloud Scheduler would. */
  triggerDetect(
    system: DriftSystem,
    options?: { snapshotDate?: string; scheduled?: boolean },
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

interface SpawnedFunction extends FunctionProcess {
  readonly url: string;
  stop(): Promise<void>;
}

/** One function in its own process (local/run/serve-function.ts), resolved once it listens. */
async function spawnFunction(name: string, env: Record<string, string>): Promise<SpawnedFunction> {
  const script = fileURLToPath(new URL('./serve-function.ts', import.meta.url));
  // `node --import tsx` (not the tsx CLI, which runs the script in a child of its own): this pid is the function.
  const child = spawn(process.execPath, ['--import', 'tsx', script, name], {
    env,
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`function ${name} did not start: ${stderr}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`function ${name} exited (${code}): ${stderr}`)));
  });
  const pid = child.pid as number;
  return {
    name,
    pid,
    url: `http://127.0.0.1:${port}`,
    peakRssBytes() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : null;
      } catch {
        return null;
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

let functionsLoaded: Promise<void> | null = null;

/** Registers the five handlers with functions-framework (each module registers one on import). */
function loadFunctions(): Promise<void> {
  functionsLoaded ??= (async () => {
    await import('../../functions/detect-drift/index.js');
    await import('../../functions/gather/index.js');
    await import('../../functions/plan-apply/index.js');
    await import('../../functions/www-resync/index.js');
    await import('../../functions/audit-writer/index.js');
  })();
  return functionsLoaded;
}

async function serveFunction(entryPoint: string): Promise<{ server: Server; url: string }> {
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const server = getTestServer(entryPoint);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
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

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const log = options.log ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const progress = options.onProgress ?? (() => {});
  const projectId = options.projectId ?? 'driftcontrol-local';
  const world = createWorld({ accounts: options.accounts, seed: options.seed ?? 42 });
  const snapshotDate = world.dates[world.dates.length - 1] as string;
  progress(`world of ${options.accounts} accounts, snapshots ${world.dates.join(', ')}`);
  const seeds = seedsFromWorld(world);

  let bigquery: LocalBigQuery | undefined;
  const stack = await startLocalStack({
    emulators: options.emulators ?? true,
    seed: { stripe: seeds.stripe, subsApi: seeds.subsApi, www: seeds.www },
    exportEnv: true,
    extraServices: [
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
  const servers: Server[] = [];
  const children: SpawnedFunction[] = [];
  const stopChildren = async () => {
    await Promise.allSettled(children.map((c) => c.stop()));
  };
  try {
    if (bigquery === undefined) throw new Error('local BigQuery did not start');
    progress('local stack up');
    process.env.GOOGLE_CLOUD_PROJECT = projectId;
    const bq = bigQueryClient(projectId, bigquery.url);
    await deployWarehouse(bq);
    await ensureAuditTable(bq);
    await loadWorld(bigquery.db, world);
    progress('mirror loaded');

    const firestore = createFirestore(projectId);
    const config = localConfig(options.accounts, options.dryRun ?? false, options.config);
    await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set(config);
    const gates = [...seeds.gates.entries()];
    for (let i = 0; i < gates.length; i += 400) {
      const batch = firestore.batch();
      for (const [accountId, g] of gates.slice(i, i + 400))
        batch.set(firestore.collection(COLLECTIONS.gates).doc(accountId), g);
      await batch.commit();
    }
    progress('Firestore config and gates written');

    const pubsub = createPubSub(projectId);
    const stripeUrl = new URL(stack.endpoints.stripe);
    const stripeAdapter = new StripeAdapter({
      apiKey: 'sk_test_local',
      host: stripeUrl.hostname,
      port: Number(stripeUrl.port),
      protocol: 'http',
      writesPerSecond: config.stripeWritesPerSecond,
    });
    const mirror = new BigQueryMirror(bq);
    const deps: PipelineDeps = {
      mirror,
      auditTable: mirror,
      stripe: stripeAdapter,
      control: new FirestoreControlStore(firestore),
      publisher: new PubSubPublisher(pubsub),
      subsApi: new SubsApiClient({ baseUrl: stack.endpoints.subsApi }),
      www: new WwwClient({ baseUrl: stack.endpoints.www }),
      clock: { now: () => new Date() },
      log,
    };
    setDepsProvider(async () => deps);
    const functionUrls: Record<string, string> = {};
    if (options.functions === 'processes') {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        GOOGLE_CLOUD_PROJECT: projectId,
        PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST ?? '',
        FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '',
        BIGQUERY_EMULATOR_HOST: bigquery.url,
        STRIPE_API_BASE: stack.endpoints.stripe,
        STRIPE_API_KEY: 'sk_test_local',
        SUBS_API_URL: stack.endpoints.subsApi,
        WWW_API_URL: stack.endpoints.www,
        METADATA_SERVER_DETECTION: 'none',
        LOG_LEVEL: 'warn',
      };
      for (const fn of FUNCTIONS) {
        const child = await spawnFunction(fn.name, env);
        children.push(child);
        functionUrls[fn.name] = child.url;
      }
    } else {
      await loadFunctions();
      for (const fn of FUNCTIONS) {
        const { server, url } = await serveFunction(fn.entryPoint);
        servers.push(server);
        functionUrls[fn.name] = url;
      }
    }
    const pushEndpoints = Object.fromEntries(
      FUNCTIONS.filter((f) => f.trigger.kind === 'pubsub').map((f) => [f.name, functionUrls[f.name]]),
    ) as Record<ConsumerFunctionName, string>;
    await ensureTopology(pubsub, {
      pushEndpoints,
      minimumBackoffSeconds: options.pubsub?.minimumBackoffSeconds ?? 1,
      maximumBackoffSeconds: options.pubsub?.maximumBackoffSeconds ?? 5,
      maxDeliveryAttempts: options.pubsub?.maxDeliveryAttempts ?? 5,
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
      bq,
      firestore,
      pubsub,
      deps,
      stripeAdapter,
      functionUrls,
      functionProcesses: children,
      config,
      async setConfig(patch) {
        Object.assign(pipeline.config, patch);
        await firestore.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID).set(pipeline.config);
      },
      async triggerDetect(system, o = {}) {
        const date = o.snapshotDate ?? snapshotDate;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (o.scheduled ?? true) {
          headers['X-CloudScheduler'] = 'true';
          headers['X-CloudScheduler-ScheduleTime'] = `${date}T06:00:00Z`;
        }
        const res = await fetch(functionUrls['detect-drift'] as string, {
          method: 'POST',
          headers,
          body: JSON.stringify({ system, snapshotDate: date }),
        });
        return { status: res.status, body: await res.json() };
      },
      async stop() {
        setDepsProvider(null);
        await Promise.allSettled(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
        await stopChildren();
        await Promise.allSettled([pubsub.close(), firestore.terminate()]);
        await stack.stop();
      },
    };
    return pipeline;
  } catch (error) {
    await Promise.allSettled(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await stopChildren();
    await stack.stop().catch(() => {});
    throw error;
  }
}

import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { type Logger, pino } from 'pino';
import { RATE_LIMITED_RETRY } from '../core/apply-policy.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type {
  BillingProdPort,
  CfProdPort,
  Clock,
  OpePort,
  StripePort,
  SubsApiPort,
  TicketSourcePort,
  WebhookVerifierPort,
  WwwPort,
} from '../ports/index.js';
import { dashboardBaseFor } from '../support/stripe-links.js';
import { BigQueryMirror, bigQueryClient } from './bigquery.js';
import { BigQuerySupportReader } from './bigquery-support.js';
import { BigQueryTicketStore } from './bigquery-tickets.js';
import {
  type AdapterEnv,
  describeEnvironment,
  type EnvInput,
  InvalidEnvironmentError,
  parseAdapterEnv,
} from './environment.js';
import { FirestoreControlStore } from './firestore.js';
import { FirestoreEventLedger } from './firestore-events.js';
import { FirestoreLifecycleStore } from './firestore-lifecycle.js';
import { FirestoreRateShares } from './firestore-rate-shares.js';
import { FirestoreTicketRuns } from './firestore-ticket-runs.js';
import { IapJwtVerifier } from './iap.js';
import { JiraTicketSource } from './jira.js';
import { PubSubPublisher } from './pubsub.js';
import { BillingProdReplica } from './replica/billing-prod.js';
import { CfProdReplica } from './replica/cf-prod.js';
import { OpeReplica } from './replica/ope.js';
import { ReadReplica, type ReplicaStore } from './replica/replica.js';
import { StripeAdapter } from './stripe/adapter.js';
import { readOnlyStripe } from './stripe/read-only.js';
import { StripeWebhookVerifier } from './stripe/webhooks.js';
import { SubsApiClient } from './subs-api.js';
import { WwwClient } from './www.js';

/**
 * Builds every adapter from one validated environment (environment.ts lists the variables). Production,
 * the local stack and the operator CLI all come through here; they differ only in the variables.
 */

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
  /** How long a read of the Stripe budgets from Firestore config is reused. Default 30 s. */
  budgetTtlMs?: number;
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
  /** The live stores' replicas; each rejects on use when its URL is not set. */
  readonly ope: OpePort;
  readonly billingProd: BillingProdPort;
  readonly cfProd: CfProdPort;
  /** Flushes publishes, waits for queued Stripe writes, closes the clients and the replica pools. */
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
    databaseId: config.firestoreDatabase,
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
          rateLimitedRetry: { ...RATE_LIMITED_RETRY, maxRetries: config.stripe.rateLimitRetries },
          now: () => clock.now(),
          // The budgets live in Firestore config (operators change them without a deploy) and are the
          // deployment's: every instance that calls Stripe leases a share (docs/design.md, "Stripe's
          // rate limit"). A read-only caller (the console) reads on a small budget of its own and leases
          // nothing, so it needs no Firestore write (docs/support.md).
          ...(config.console.stripeReadOnly
            ? {
                // The upcoming-invoice preview is a POST, paced as a write: the same small budget for both.
                budgets: async () => ({
                  read: config.console.stripeReadsPerSecond,
                  write: config.console.stripeReadsPerSecond,
                }),
              }
            : {
                budgets: async () => {
                  const c = await control.getConfig();
                  return { read: c.stripeReadsPerSecond, write: c.stripeWritesPerSecond };
                },
                shares: new FirestoreRateShares(firestore),
              }),
          budgetTtlMs: options.budgetTtlMs ?? 30_000,
          functionName,
        });
  const stripe: StripePort =
    (stripeAdapter && config.console.stripeReadOnly ? readOnlyStripe(stripeAdapter) : stripeAdapter) ??
    missingPort<StripePort>(
      'stripe',
      ['readAccount', 'readLive', 'write'],
      'STRIPE_API_KEY',
      'set STRIPE_API_KEY, or STRIPE_API_KEY_FILE, from the Stripe secret',
      functionName,
    );
  const events = new FirestoreEventLedger(firestore);
  const lifecycle = new FirestoreLifecycleStore(
    firestore,
    async () => (await control.getConfig()).persistentAfterHours * 3_600_000,
  );
  const webhookSecret = config.stripe.webhookSecret;
  const webhooks: WebhookVerifierPort =
    webhookSecret === undefined
      ? missingPort<WebhookVerifierPort>(
          'webhooks',
          ['verify'],
          'STRIPE_WEBHOOK_SECRET',
          'set STRIPE_WEBHOOK_SECRET, or STRIPE_WEBHOOK_SECRET_FILE, from the webhook signing secret',
          functionName,
        )
      : new StripeWebhookVerifier(webhookSecret, config.stripe.webhookToleranceS);
  const publisher = new PubSubPublisher(pubsub);
  const readRetry = { retries: config.storeReadRetries, minBackoffMs: 100, maxBackoffMs: 1000 };
  const subsApi: SubsApiPort =
    config.subsApiUrl === undefined
      ? missingPort<SubsApiPort>(
          'subsApi',
          ['zone', 'account', 'accountsOfCustomer'],
          'SUBS_API_URL',
          'the subs-api base URL',
          functionName,
        )
      : new SubsApiClient({
          baseUrl: config.subsApiUrl,
          timeoutMs: config.zoneTimeoutMs,
          retry: readRetry,
          now: () => clock.now(),
        });
  const replicas: ReadReplica[] = [];
  const replica = <T extends object>(
    store: ReplicaStore,
    url: string | undefined,
    variable: string,
    build: (r: ReadReplica) => T,
    methods: readonly (keyof T & string)[],
  ): T => {
    if (url === undefined)
      return missingPort<T>(store, methods, variable, `the ${store} read replica's URL`, functionName);
    const r = new ReadReplica(store, { url, timeoutMs: config.storeTimeoutMs, retry: readRetry });
    replicas.push(r);
    return build(r);
  };
  const now = () => clock.now();
  const ope = replica<OpePort>(
    'ope',
    config.replicas.ope,
    'OPE_DATABASE_URL',
    (r) => new OpeReplica(r, now),
    ['subscriptions'],
  );
  const billingProd = replica<BillingProdPort>(
    'billing_prod',
    config.replicas.billingProd,
    'BILLING_PROD_DATABASE_URL',
    (r) => new BillingProdReplica(r, now),
    ['catalogue'],
  );
  const cfProd = replica<CfProdPort>(
    'cf_prod',
    config.replicas.cfProd,
    'CF_PROD_DATABASE_URL',
    (r) => new CfProdReplica(r, now),
    ['account'],
  );
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
  const jira = config.jira;
  const tickets: TicketSourcePort =
    jira.baseUrl === undefined || jira.email === undefined || jira.apiToken === undefined
      ? missingPort<TicketSourcePort>(
          'tickets',
          ['ticketsCreated'],
          jira.baseUrl === undefined
            ? 'JIRA_BASE_URL'
            : jira.email === undefined
              ? 'JIRA_EMAIL'
              : 'JIRA_API_TOKEN',
          'set JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN (or JIRA_API_TOKEN_FILE, from the Jira token secret)',
          functionName,
        )
      : new JiraTicketSource({
          baseUrl: jira.baseUrl,
          email: jira.email,
          apiToken: jira.apiToken,
          projects: jira.projects,
          accountIdField: jira.accountIdField,
        });
  log.debug({ env: describeEnvironment(config), function: functionName }, 'adapters created');

  let closed: Promise<void> | undefined;
  return {
    env: config,
    stripe,
    control,
    events,
    lifecycle,
    webhooks,
    publisher,
    subsApi,
    www,
    ope,
    billingProd,
    cfProd,
    tickets,
    ticketStore: new BigQueryTicketStore(bq),
    ticketRuns: new FirestoreTicketRuns(firestore),
    ticketSettings: {
      ...(config.taxonomyVersion ? { taxonomyVersion: config.taxonomyVersion } : {}),
      ...(config.ticketAccountIdPattern ? { accountIdPattern: config.ticketAccountIdPattern } : {}),
    },
    mirror,
    auditTable: mirror,
    support: new BigQuerySupportReader(bq),
    identity: new IapJwtVerifier({
      audience: config.console.iapAudience,
      ...(config.console.iapPublicKeysUrl ? { publicKeysUrl: config.console.iapPublicKeysUrl } : {}),
    }),
    consoleSettings: {
      stripeDashboardUrl: config.console.stripeDashboardUrl ?? dashboardBaseFor(apiKey),
    },
    clock,
    log,
    close: () => {
      closed ??= (async () => {
        await Promise.allSettled([publisher.close(), stripeAdapter?.close()]);
        await Promise.allSettled([pubsub.close(), firestore.terminate(), ...replicas.map((r) => r.close())]);
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

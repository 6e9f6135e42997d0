import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RATE_LIMITED_RETRY } from '../core/apply-policy.js';

/**
 * The environment every adapter is built from (the contract between Terraform and the code, docs/deploy.md).
 * Production and local runs differ only in these values: emulator hosts, STRIPE_API_BASE (the local Stripe
 * server), the service URLs and replica URLs.
 *
 *   GOOGLE_CLOUD_PROJECT        required
 *   PUBSUB_EMULATOR_HOST        optional host:port (local)      FIRESTORE_EMULATOR_HOST  optional host:port
 *   FIRESTORE_DATABASE          optional, default (default): the Firestore database holding driftcontrol's
 *                               control state (a dedicated one narrows IAM to it)
 *   STRIPE_API_KEY              or STRIPE_API_KEY_FILE (a Secret Manager volume mount): needed by the
 *                               functions that call Stripe (gather, plan-apply)
 *   STRIPE_API_BASE             optional URL, e.g. http://127.0.0.1:12111 (default: api.stripe.com); a
 *                               live key is only ever sent to https://api.stripe.com
 *   STRIPE_MAX_NETWORK_RETRIES  optional, default 2             STRIPE_TIMEOUT_MS        optional, default 20000
 *   STRIPE_RATE_LIMIT_RETRIES   optional, default 7: retries of a 429 inside one call (about 24 s in all)
 *   STRIPE_WEBHOOK_SECRET       or STRIPE_WEBHOOK_SECRET_FILE: the webhook endpoint's signing secret
 *                               (whsec_…), needed by stripe-events only
 *   STRIPE_WEBHOOK_TOLERANCE_S  optional, default 300: how old a signed webhook may be
 *   SUBS_API_URL, WWW_API_URL   URLs: subs-api (gather, plan-apply, www-resync), www (www-resync)
 *   ZONE_API_TIMEOUT_MS         optional, default 10000
 *   OPE_DATABASE_URL, BILLING_PROD_DATABASE_URL, CF_PROD_DATABASE_URL
 *                               postgres:// URLs of the stores' read replicas (or *_FILE, a Secret
 *                               Manager mount): needed by the functions that read live truth
 *   STORE_TIMEOUT_MS            optional, default 5000: connect and statement timeout of a live read
 *   STORE_READ_RETRIES          optional, default 2: tries after the first of a failed live read
 *   BIGQUERY_API_ENDPOINT       optional URL (or BIGQUERY_EMULATOR_HOST); BIGQUERY_LOCATION optional
 *   LOG_LEVEL                   optional pino level, default info
 *   JIRA_BASE_URL, JIRA_EMAIL   Jira Cloud (https://<site>.atlassian.net) and its API user (classify-tickets)
 *   JIRA_API_TOKEN              or JIRA_API_TOKEN_FILE (a Secret Manager mount): the API user's token
 *   JIRA_PROJECTS               optional, default BILL,CUSTESC
 *   JIRA_ACCOUNT_ID_FIELD       optional custom field holding the account ids a ticket names
 *   TICKET_ACCOUNT_ID_PATTERN   optional regex of account ids in ticket text (default 32 hex characters)
 *   TAXONOMY_VERSION            optional, default the newest in shared/tickets/taxonomy/
 *   STRIPE_READ_ONLY            optional true|false, default false: the Stripe port refuses every write and
 *                               reads on its own small budget (STRIPE_READS_PER_SECOND, default 10) without
 *                               leasing a share in Firestore (the console: docs/support.md)
 *   STRIPE_DASHBOARD_URL        optional URL of the Stripe dashboard the console links to (default by the
 *                               key's mode: https://dashboard.stripe.com[/test])
 *   IAP_AUDIENCE                the console's IAP audience (/projects/N/global/backendServices/M or
 *                               /projects/N/locations/R/services/S): unset, the console refuses everyone
 *   IAP_PUBLIC_KEYS_URL         optional, default Google's (https://www.gstatic.com/iap/verify/public_key);
 *                               the local stack points it at its IAP stand-in
 *
 * Everything that is set is validated up front, every problem listed in one error. A secret or URL that
 * is missing is not an error at start (least privilege: detect-drift and audit-writer get no Stripe key
 * and no replica): the port that needs it rejects on first use, naming the variable and the function.
 * Secrets never appear in errors or logs: `describeEnvironment` is the loggable form.
 */

export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
  constructor(
    readonly problems: readonly string[],
    /** Set when a port was used without the variable it needs (the factory's missing ports). */
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
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);
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
  FIRESTORE_DATABASE: optional(
    z
      .string()
      .regex(/^(\(default\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$/, 'must be (default) or a Firestore database id'),
  ),
  // Secrets are checked after reading (they may come from a file) and never echoed.
  STRIPE_API_KEY: optional(z.string()),
  STRIPE_API_KEY_FILE: optional(z.string()),
  STRIPE_API_BASE: optional(httpUrl),
  STRIPE_MAX_NETWORK_RETRIES: optional(wholeNumber(0, 10)),
  STRIPE_TIMEOUT_MS: optional(wholeNumber(0, 600_000)),
  STRIPE_RATE_LIMIT_RETRIES: optional(wholeNumber(0, 10)),
  STRIPE_WEBHOOK_SECRET: optional(z.string()),
  STRIPE_WEBHOOK_SECRET_FILE: optional(z.string()),
  STRIPE_WEBHOOK_TOLERANCE_S: optional(wholeNumber(1, 3600)),
  SUBS_API_URL: optional(httpUrl),
  WWW_API_URL: optional(httpUrl),
  ZONE_API_TIMEOUT_MS: optional(wholeNumber(0, 600_000)),
  OPE_DATABASE_URL: optional(z.string()),
  OPE_DATABASE_URL_FILE: optional(z.string()),
  BILLING_PROD_DATABASE_URL: optional(z.string()),
  BILLING_PROD_DATABASE_URL_FILE: optional(z.string()),
  CF_PROD_DATABASE_URL: optional(z.string()),
  CF_PROD_DATABASE_URL_FILE: optional(z.string()),
  STORE_TIMEOUT_MS: optional(wholeNumber(100, 60_000)),
  STORE_READ_RETRIES: optional(wholeNumber(0, 5)),
  BIGQUERY_API_ENDPOINT: optional(httpUrl),
  BIGQUERY_EMULATOR_HOST: optional(z.string()),
  BIGQUERY_LOCATION: optional(z.string().min(1)),
  LOG_LEVEL: optional(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  // The weekly ticket signal (classify-tickets; docs/tickets.md).
  JIRA_BASE_URL: optional(httpUrl),
  JIRA_EMAIL: optional(z.string().email('must be the email of the Jira API user')),
  JIRA_API_TOKEN: optional(z.string()),
  JIRA_API_TOKEN_FILE: optional(z.string()),
  JIRA_PROJECTS: optional(
    z
      .string()
      .regex(
        /^[A-Z][A-Z0-9_]*(,[A-Z][A-Z0-9_]*)*$/,
        'must be Jira project keys, comma-separated (BILL,CUSTESC)',
      ),
  ),
  JIRA_ACCOUNT_ID_FIELD: optional(
    z.string().regex(/^customfield_\d+$/, 'must be a custom field id, e.g. customfield_10042'),
  ),
  TICKET_ACCOUNT_ID_PATTERN: optional(
    z.string().refine((v) => {
      try {
        new RegExp(v);
        return true;
      } catch {
        return false;
      }
    }, 'must be a regular expression'),
  ),
  TAXONOMY_VERSION: optional(z.string().regex(/^v\d+$/, 'must be a taxonomy version such as v6')),
  // The support console (docs/support.md).
  STRIPE_READ_ONLY: optional(z.enum(['true', 'false'], { error: 'must be true or false' })),
  STRIPE_READS_PER_SECOND: optional(wholeNumber(1, 100)),
  STRIPE_DASHBOARD_URL: optional(httpUrl),
  IAP_AUDIENCE: optional(
    z
      .string()
      .regex(
        /^\/projects\/\d+\/(global\/backendServices\/\d+|locations\/[a-z0-9-]+\/services\/[a-z0-9-]+|apps\/[a-z0-9-]+)$/,
        'must be an IAP audience: /projects/NUMBER/global/backendServices/ID or /projects/NUMBER/locations/REGION/services/NAME',
      ),
  ),
  IAP_PUBLIC_KEYS_URL: optional(httpUrl),
});

export type EnvVar = keyof typeof EnvSchema.shape;

/**
 * Every variable the factory reads, from the schema itself (so it cannot drift). Terraform may set only
 * these on a function (test/infra/env-wiring.test.ts).
 */
export const KNOWN_ENV_VARS: readonly EnvVar[] = Object.freeze(Object.keys(EnvSchema.shape) as EnvVar[]);

/** The variables each port needs and reads lazily: unset, the port fails on use, not the function at start. */
export const LAZY_ENV_VARS = {
  stripe: ['STRIPE_API_KEY', 'STRIPE_API_KEY_FILE'],
  webhooks: ['STRIPE_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_SECRET_FILE'],
  subsApi: ['SUBS_API_URL'],
  www: ['WWW_API_URL'],
  ope: ['OPE_DATABASE_URL', 'OPE_DATABASE_URL_FILE'],
  billingProd: ['BILLING_PROD_DATABASE_URL', 'BILLING_PROD_DATABASE_URL_FILE'],
  cfProd: ['CF_PROD_DATABASE_URL', 'CF_PROD_DATABASE_URL_FILE'],
} as const satisfies Record<string, readonly EnvVar[]>;

const STRIPE_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

const isPostgresUrl = (v: string) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol);

/** Where BigQuery is. */
export interface BigQueryEnv {
  readonly projectId: string;
  /** Undefined in production (the client's default endpoint). */
  readonly apiEndpoint: string | undefined;
  readonly location: string | undefined;
}

/** postgres:// URLs of the stores' read replicas; undefined when unset (the port fails on use). */
export interface ReplicaUrls {
  readonly ope: string | undefined;
  readonly billingProd: string | undefined;
  readonly cfProd: string | undefined;
}

export interface AdapterEnv {
  readonly projectId: string;
  readonly pubsubEmulatorHost: string | undefined;
  readonly firestoreEmulatorHost: string | undefined;
  readonly firestoreDatabase: string;
  readonly stripe: {
    /** Undefined when neither STRIPE_API_KEY nor STRIPE_API_KEY_FILE is set: the Stripe port fails on use. */
    readonly apiKey: string | undefined;
    readonly host: string | undefined;
    readonly port: number | undefined;
    readonly protocol: 'http' | 'https' | undefined;
    readonly maxNetworkRetries: number;
    readonly timeoutMs: number;
    /** Retries of a 429 inside one call (RATE_LIMITED_RETRY's backoff). */
    readonly rateLimitRetries: number;
    /** Undefined when unset: the webhook verifier fails on use (stripe-events answers 500, Stripe retries). */
    readonly webhookSecret: string | undefined;
    readonly webhookToleranceS: number;
  };
  /** Undefined when unset: the subs-api port fails on use. */
  readonly subsApiUrl: string | undefined;
  /** Undefined when unset: the www port fails on use. */
  readonly wwwApiUrl: string | undefined;
  readonly zoneTimeoutMs: number;
  readonly replicas: ReplicaUrls;
  readonly storeTimeoutMs: number;
  readonly storeReadRetries: number;
  readonly bigquery: BigQueryEnv;
  readonly logLevel: string;
  readonly jira: {
    /** Undefined when unset: the ticket source fails on use (classify-tickets only). */
    readonly baseUrl: string | undefined;
    readonly email: string | undefined;
    readonly apiToken: string | undefined;
    readonly projects: readonly string[];
    readonly accountIdField: string | null;
  };
  /** The account id format named in ticket text (default: Cloudflare's, 32 hex characters). */
  readonly ticketAccountIdPattern: string | undefined;
  /** The taxonomy classify-tickets uses when a call names none (default: the newest shipped). */
  readonly taxonomyVersion: string | undefined;
  /** The support console (docs/support.md). */
  readonly console: {
    /** Stripe writes refused, reads on an own budget, no Firestore share (STRIPE_READ_ONLY). */
    readonly stripeReadOnly: boolean;
    readonly stripeReadsPerSecond: number;
    readonly stripeDashboardUrl: string | undefined;
    /** Unset: every request is refused. */
    readonly iapAudience: string | undefined;
    readonly iapPublicKeysUrl: string | undefined;
  };
}

export type EnvInput = Readonly<Record<string, string | undefined>>;

/**
 * A secret from NAME or NAME_FILE (a Secret Manager volume mount), trimmed; undefined when neither is
 * set. Problems (both set, an unreadable file, a value `valid` refuses) are pushed without the value.
 */
function secretFrom(
  env: EnvInput,
  name: EnvVar,
  valid: (value: string) => boolean,
  expected: string,
  problems: string[],
): string | undefined {
  const file = env[`${name}_FILE`] || undefined;
  const direct = env[name] || undefined;
  let value: string | undefined;
  if (direct !== undefined && file !== undefined) {
    problems.push(`${name} and ${name}_FILE: set one, not both`);
    return undefined;
  }
  if (file !== undefined) {
    try {
      value = readFileSync(file, 'utf8').trim();
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  } else if (direct !== undefined) {
    value = direct.trim();
  }
  if (value !== undefined && !valid(value)) {
    problems.push(`${file !== undefined ? `${name}_FILE` : name}: not ${expected}`);
    return undefined;
  }
  return value;
}

/**
 * Validates the environment; every problem with what is set is listed in one error. Reads the *_FILE
 * secrets. A missing secret or URL is not a problem here (see the module comment).
 */
export function parseAdapterEnv(env: EnvInput): AdapterEnv {
  const problems: string[] = [];
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const raw = parsed.success ? parsed.data : undefined;
  const apiKey = secretFrom(
    env,
    'STRIPE_API_KEY',
    (v) => STRIPE_KEY.test(v),
    'a Stripe secret or restricted key (sk_/rk_ + test_/live_)',
    problems,
  );
  const webhookSecret = secretFrom(
    env,
    'STRIPE_WEBHOOK_SECRET',
    (v) => /^whsec_[A-Za-z0-9_]+$/.test(v),
    'a Stripe webhook signing secret (whsec_…)',
    problems,
  );
  const jiraToken = secretFrom(
    env,
    'JIRA_API_TOKEN',
    (v) => /^\S{8,}$/.test(v),
    'a Jira API token (8+ characters, no spaces)',
    problems,
  );
  const replica = (name: EnvVar) => secretFrom(env, name, isPostgresUrl, 'a postgres:// URL', problems);
  const replicas: ReplicaUrls = {
    ope: replica('OPE_DATABASE_URL'),
    billingProd: replica('BILLING_PROD_DATABASE_URL'),
    cfProd: replica('CF_PROD_DATABASE_URL'),
  };
  // A live key moves real money: it is never sent in clear text or anywhere but Stripe.
  if (apiKey?.includes('_live_') && raw?.STRIPE_API_BASE !== undefined) {
    const base = new URL(raw.STRIPE_API_BASE);
    if (base.protocol !== 'https:' || base.hostname !== 'api.stripe.com')
      problems.push('STRIPE_API_BASE: a live Stripe key may only be sent to https://api.stripe.com');
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
    firestoreDatabase: raw.FIRESTORE_DATABASE ?? '(default)',
    stripe: {
      apiKey,
      host,
      port,
      protocol,
      maxNetworkRetries: raw.STRIPE_MAX_NETWORK_RETRIES ?? 2,
      timeoutMs: raw.STRIPE_TIMEOUT_MS ?? 20_000,
      rateLimitRetries: raw.STRIPE_RATE_LIMIT_RETRIES ?? RATE_LIMITED_RETRY.maxRetries,
      webhookSecret,
      webhookToleranceS: raw.STRIPE_WEBHOOK_TOLERANCE_S ?? 300,
    },
    subsApiUrl: raw.SUBS_API_URL,
    wwwApiUrl: raw.WWW_API_URL,
    zoneTimeoutMs: raw.ZONE_API_TIMEOUT_MS ?? 10_000,
    replicas,
    storeTimeoutMs: raw.STORE_TIMEOUT_MS ?? 5000,
    storeReadRetries: raw.STORE_READ_RETRIES ?? 2,
    bigquery: {
      projectId: raw.GOOGLE_CLOUD_PROJECT,
      apiEndpoint: bigqueryEndpoint,
      location: raw.BIGQUERY_LOCATION,
    },
    logLevel: raw.LOG_LEVEL ?? 'info',
    jira: {
      baseUrl: raw.JIRA_BASE_URL,
      email: raw.JIRA_EMAIL,
      apiToken: jiraToken,
      projects: (raw.JIRA_PROJECTS ?? 'BILL,CUSTESC').split(','),
      accountIdField: raw.JIRA_ACCOUNT_ID_FIELD ?? null,
    },
    ticketAccountIdPattern: raw.TICKET_ACCOUNT_ID_PATTERN,
    taxonomyVersion: raw.TAXONOMY_VERSION,
    console: {
      stripeReadOnly: raw.STRIPE_READ_ONLY === 'true',
      // A live gather is about five reads spaced 1/budget apart: 10 a second answers it in about half a second.
      stripeReadsPerSecond: raw.STRIPE_READS_PER_SECOND ?? 10,
      stripeDashboardUrl: raw.STRIPE_DASHBOARD_URL,
      iapAudience: raw.IAP_AUDIENCE,
      iapPublicKeysUrl: raw.IAP_PUBLIC_KEYS_URL,
    },
  };
}

/** A replica URL as it may be logged: host and database, never the user or password. */
function replicaForLog(url: string | undefined): string | null {
  if (url === undefined) return null;
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** The environment as it may be logged: the Stripe key reduced to its mode, no credentials. */
export function describeEnvironment(env: AdapterEnv): Record<string, unknown> {
  return {
    projectId: env.projectId,
    pubsubEmulatorHost: env.pubsubEmulatorHost ?? null,
    firestoreEmulatorHost: env.firestoreEmulatorHost ?? null,
    firestoreDatabase: env.firestoreDatabase,
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
      webhookSecret: env.stripe.webhookSecret === undefined ? 'unset' : 'set',
    },
    subsApiUrl: env.subsApiUrl ?? null,
    wwwApiUrl: env.wwwApiUrl ?? null,
    replicas: {
      ope: replicaForLog(env.replicas.ope),
      billingProd: replicaForLog(env.replicas.billingProd),
      cfProd: replicaForLog(env.replicas.cfProd),
    },
    bigquery: env.bigquery,
  };
}

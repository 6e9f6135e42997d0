// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Holds the environment Terraform sets on each function to the adapter factory that reads it
 * (shared/adapters/environment.ts, shared/adapters/factory.ts): every variable set is one the factory
 * knows (KNOWN_ENV_VARS, the keys of its schema), every function gets what its adapters need, each
 * secret (each function's own Stripe restricted key, the webhook signing secret, the read replicas'
 * URLs, the Jira API token) only where it is used and only as a secret from its own Secret Manager
 * secret, FIRESTORE_DATABASE exactly where a Firestore grant is (naming the database that grant is
 * conditioned on: classify-tickets' its ledger's own, never the control state's), the Jira settings only for
 * classify-tickets (the optional ones only when set), the console's read-only Stripe switch and IAP
 * audience only for the console (the audience naming its own IAP backend service), the VPC connector only
 * for the functions that reach the company network, and the environment a function gets is one the
 * factory accepts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type EnvVar,
  KNOWN_ENV_VARS,
  LAZY_ENV_VARS,
  parseAdapterEnv,
} from '../../shared/adapters/environment.js';
import { createAdapters } from '../../shared/adapters/factory.js';
import { JiraTicketSource } from '../../shared/adapters/jira.js';
import { BillingProdReplica } from '../../shared/adapters/replica/billing-prod.js';
import { CfProdReplica } from '../../shared/adapters/replica/cf-prod.js';
import { OpeReplica } from '../../shared/adapters/replica/ope.js';
import { StripeAdapter } from '../../shared/adapters/stripe/adapter.js';
import { StripeReadOnlyError } from '../../shared/adapters/stripe/read-only.js';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/webhooks.js';
import { SubsApiClient } from '../../shared/adapters/subs-api.js';
import { WwwClient } from '../../shared/adapters/www.js';
import { FUNCTIONS, type FunctionName } from '../../shared/contracts/topology.js';
import { evaluateModuleCall, evaluateRoot, type ProbedInstance, SAMPLE_VARS } from './evaluate.js';
import { asBody, asStringList, type Body, block, loadModule, resource, type TfModule } from './hcl.js';

let root: TfModule;
let mod: TfModule;
/** module.function evaluated by Terraform with the sample deployment's variables. */
let deployed: Record<string, ProbedInstance>;
/** The same with one operator extra per function (EXTRA_<FUNCTION>), to see whose extras reach whom. */
let withExtras: Record<string, ProbedInstance>;

const extraName = (fn: string) => `EXTRA_${fn.toUpperCase().replace(/-/g, '_')}`;

beforeAll(async () => {
  root = await loadModule('root');
  mod = await loadModule('function');
  deployed = await evaluateModuleCall(root, 'function');
  withExtras = await evaluateModuleCall(root, 'function', {
    ...SAMPLE_VARS,
    extra_environment_variables: Object.fromEntries(
      FUNCTIONS.map((f) => [f.name, { [extraName(f.name)]: 'x' }]),
    ),
  });
}, 120_000);

// ---------------------------------------------------------------- reading the env Terraform computes

/** The environment Terraform gives one function: plain name -> value, secret name -> secret id. */
interface FunctionEnv {
  readonly plain: Record<string, string>;
  readonly secret: Record<string, string>;
}

function envOf(instances: Record<string, ProbedInstance>, fn: string): FunctionEnv {
  const i = instances[fn];
  if (i === undefined) throw new Error(`module.function has no instance ${fn}`);
  const plain = Object.fromEntries(
    Object.entries(asBody(i.inputs.environment_variables)).map(([k, v]) => [k, String(v)]),
  );
  const list = i.inputs.secret_environment_variables;
  if (!Array.isArray(list)) throw new Error(`${fn}: secret_environment_variables is not a list`);
  const secret = Object.fromEntries(list.map(asBody).map((x) => [String(x.key), String(x.secret_id)]));
  return { plain, secret };
}

const terraformEnv = (fn: FunctionName): FunctionEnv => envOf(deployed, fn);

/**
 * Each function's own Stripe restricted key: the stand-in of google_secret_manager_secret.stripe_key[fn]
 * carries the secret id its variable names (evaluate.ts), so the two are told apart.
 */
const STRIPE_SECRET_OF: Readonly<Partial<Record<FunctionName, string>>> = {
  gather: SAMPLE_VARS.stripe_gather_secret_id,
  'plan-apply': SAMPLE_VARS.stripe_plan_apply_secret_id,
  console: SAMPLE_VARS.stripe_console_secret_id,
};

// ---------------------------------------------------------------- the contract

/**
 * The variables each port reads lazily (LAZY_ENV_VARS), and the ticket source's: the factory builds
 * JiraTicketSource only with all three of JIRA_BASE_URL, JIRA_EMAIL and the token (JIRA_API_TOKEN or
 * its _FILE form), and a port that rejects on use otherwise (shared/adapters/factory.ts), so each is a
 * port of its own here.
 */
const PORT_VARS = {
  ...LAZY_ENV_VARS,
  jiraSite: ['JIRA_BASE_URL'],
  jiraUser: ['JIRA_EMAIL'],
  jiraToken: ['JIRA_API_TOKEN', 'JIRA_API_TOKEN_FILE'],
} as const satisfies Record<string, readonly EnvVar[]>;

type Port = keyof typeof PORT_VARS;

/** Jira Cloud: the ticket source classify-tickets reads (site, API user, the user's token). */
const JIRA: readonly Port[] = ['jiraSite', 'jiraUser', 'jiraToken'];

/** The live stores gather and plan-apply read (subs-api and the three read replicas). */
const LIVE_TRUTH: readonly Port[] = ['subsApi', 'ope', 'billingProd', 'cfProd'];

/** The functions whose Stripe port refuses every write (STRIPE_READ_ONLY): the console alone. */
const READ_ONLY_STRIPE: readonly FunctionName[] = ['console'];

/**
 * The ports each function's core uses that need a lazily read variable (shared/pipeline/*.ts).
 * stripe-events verifies the webhook's signature and maps its customer through subs_customer, read live
 * from subs-api; it calls no Stripe API and reads no replica. event-sweeper needs only Firestore,
 * BigQuery and Pub/Sub (no lazily read variable); ope-events only Firestore (the config, the pending
 * checks) and Pub/Sub (its audit rows); classify-tickets Jira, and Firestore (the week's ledger, in a
 * database of its own) and BigQuery (its rows, the digest's views); the console, for search and a live
 * gather on request, what gather reads (Stripe, read-only, subs-api and the three replicas), besides
 * BigQuery (the audit) and Firestore (config, gates, lifecycle).
 */
const NEEDS: Readonly<Record<FunctionName, readonly Port[]>> = {
  'detect-drift': [],
  gather: ['stripe', ...LIVE_TRUTH],
  'plan-apply': ['stripe', ...LIVE_TRUTH],
  'www-resync': ['subsApi', 'www'],
  'audit-writer': [],
  'stripe-events': ['webhooks', 'subsApi'],
  'event-sweeper': [],
  'ope-events': [],
  'classify-tickets': JIRA,
  console: ['stripe', ...LIVE_TRUTH],
};

/** The ports whose variable is a secret, and the secret it is mounted from. */
type SecretPort = 'stripe' | 'webhooks' | 'ope' | 'billingProd' | 'cfProd' | 'jiraToken';
type ReplicaPort = Exclude<SecretPort, 'stripe' | 'webhooks' | 'jiraToken'>;

/**
 * Per read replica: the variable Terraform mounts, the secret it names (the replica secret ids of
 * SAMPLE_VARS, which the stand-ins of google_secret_manager_secret.replica_database_url carry), and what
 * a running function reads from it (Secret Manager resolves it). The Stripe key is per function:
 * STRIPE_SECRET_OF; the webhook signing secret is stripe-events' alone: WEBHOOK_SECRET.
 */
const REPLICA_SECRETS: Readonly<Record<ReplicaPort, { variable: string; secret: string; value: string }>> = {
  ope: {
    variable: 'OPE_DATABASE_URL',
    secret: SAMPLE_VARS.ope_database_url_secret_id,
    value: 'postgres://driftcontrol_ro:fake@10.20.0.5:5432/ope',
  },
  billingProd: {
    variable: 'BILLING_PROD_DATABASE_URL',
    secret: SAMPLE_VARS.billing_prod_database_url_secret_id,
    value: 'postgres://driftcontrol_ro:fake@10.20.0.6:5432/billing_prod',
  },
  cfProd: {
    variable: 'CF_PROD_DATABASE_URL',
    secret: SAMPLE_VARS.cf_prod_database_url_secret_id,
    value: 'postgresql://driftcontrol_ro:fake@10.20.0.7:5432/cf_prod',
  },
};
/** The webhook endpoint's signing secret: the stand-in of google_secret_manager_secret.stripe_webhook. */
const WEBHOOK_SECRET = SAMPLE_VARS.stripe_webhook_secret_id;
/** The Jira API user's token: the stand-in of google_secret_manager_secret.jira_api_token. */
const JIRA_TOKEN_SECRET = SAMPLE_VARS.jira_api_token_secret_id;
const SECRET_VARIABLE: Readonly<Record<SecretPort, string>> = {
  stripe: 'STRIPE_API_KEY',
  webhooks: 'STRIPE_WEBHOOK_SECRET',
  ope: REPLICA_SECRETS.ope.variable,
  billingProd: REPLICA_SECRETS.billingProd.variable,
  cfProd: REPLICA_SECRETS.cfProd.variable,
  jiraToken: 'JIRA_API_TOKEN',
};
const SECRET_PORTS = Object.keys(SECRET_VARIABLE) as SecretPort[];

/**
 * The secret a function's port is mounted from: the function's own Stripe key, the webhook signing
 * secret, the Jira token, or the store's secret.
 */
function secretOf(port: SecretPort, fn: FunctionName): string {
  if (port === 'webhooks') return WEBHOOK_SECRET;
  if (port === 'jiraToken') return JIRA_TOKEN_SECRET;
  if (port !== 'stripe') return REPLICA_SECRETS[port].secret;
  const own = STRIPE_SECRET_OF[fn];
  if (own === undefined) throw new Error(`${fn} has no Stripe key of its own`);
  return own;
}

/** What a running function reads for the secret Terraform names (the Stripe keys are restricted keys). */
const SECRET_VALUES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.values(REPLICA_SECRETS).map((s) => [s.secret, s.value])),
  [SAMPLE_VARS.stripe_gather_secret_id]: 'rk_live_fake_gather_read_only',
  [SAMPLE_VARS.stripe_plan_apply_secret_id]: 'rk_live_fake_plan_apply_heal',
  [SAMPLE_VARS.stripe_console_secret_id]: 'rk_live_fake_console_read_only',
  [WEBHOOK_SECRET]: 'whsec_fake_endpoint_signing_secret',
  [JIRA_TOKEN_SECRET]: 'ATATT3xFakeJiraApiToken0123',
};

const COMMON = ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL'];
/** The functions that use Firestore (the control store) are told which database: the dedicated one. */
const FIRESTORE = 'FIRESTORE_DATABASE';
const LIVE_TRUTH_SECRETS = [
  'STRIPE_API_KEY',
  'OPE_DATABASE_URL',
  'BILLING_PROD_DATABASE_URL',
  'CF_PROD_DATABASE_URL',
];
/** Every secret the factory reads for a secret port. */
const ALL_SECRETS = [...LIVE_TRUTH_SECRETS, 'STRIPE_WEBHOOK_SECRET', 'JIRA_API_TOKEN'];
/** What classify-tickets always gets to read Jira; the optional ticket settings only when set. */
const JIRA_PLAIN = ['JIRA_BASE_URL', 'JIRA_EMAIL', 'JIRA_PROJECTS'];
const TICKET_OPTIONS = ['JIRA_ACCOUNT_ID_FIELD', 'TICKET_ACCOUNT_ID_PATTERN', 'TAXONOMY_VERSION'];
/** What the console always gets: its Stripe port read-only, and the audience of its IAP backend. */
const CONSOLE_PLAIN = ['STRIPE_READ_ONLY', 'IAP_AUDIENCE'];
/** The console's optional settings, only when set: the dashboard it links to, its own Stripe read rate. */
const CONSOLE_OPTIONS = ['STRIPE_DASHBOARD_URL', 'STRIPE_READS_PER_SECOND'];

/**
 * What the stand-ins of the project and of the console's backend service stand for at runtime: the
 * project number and the backend's numeric id (evaluate.ts gives a reference to a computed attribute a
 * marker naming it).
 */
const PROJECT_NUMBER_MARKER = 'data.google_project.console.console.number';
const BACKEND_ID_MARKER = 'google_compute_backend_service.console.console.generated_id';
const RUNTIME_VALUES: Readonly<Record<string, string>> = {
  [PROJECT_NUMBER_MARKER]: '123456789012',
  [BACKEND_ID_MARKER]: '5814283927381092615',
};
const atRuntime = (value: string) =>
  Object.entries(RUNTIME_VALUES).reduce((v, [marker, real]) => v.split(marker).join(real), value);

/** The whole contract per function (docs/deploy.md shows the same table). */
const CONTRACT: Readonly<Record<FunctionName, { plain: readonly string[]; secret: readonly string[] }>> = {
  'detect-drift': { plain: [...COMMON, FIRESTORE], secret: [] },
  gather: { plain: [...COMMON, FIRESTORE, 'SUBS_API_URL'], secret: LIVE_TRUTH_SECRETS },
  'plan-apply': {
    plain: [...COMMON, FIRESTORE, 'SUBS_API_URL'],
    secret: LIVE_TRUTH_SECRETS,
  },
  'www-resync': { plain: [...COMMON, FIRESTORE, 'SUBS_API_URL', 'WWW_API_URL'], secret: [] },
  'audit-writer': { plain: COMMON, secret: [] },
  // The signing secret only: no Stripe API key, no replica.
  'stripe-events': { plain: [...COMMON, FIRESTORE, 'SUBS_API_URL'], secret: ['STRIPE_WEBHOOK_SECRET'] },
  'event-sweeper': { plain: [...COMMON, FIRESTORE], secret: [] },
  // The OPE change message carries the account ids: no Stripe key, no replica, no subs-api, no VPC.
  'ope-events': { plain: [...COMMON, FIRESTORE], secret: [] },
  // Jira (on the internet: no VPC) with the API user's token; its ledger in Firestore (the ticket
  // ledger's own database). No Stripe key, no replica, no subs-api.
  'classify-tickets': { plain: [...COMMON, FIRESTORE, ...JIRA_PLAIN], secret: ['JIRA_API_TOKEN'] },
  // Reads the control state (viewer), subs-api and the replicas for a live gather (through the VPC),
  // Stripe with its own read-only key and a port that refuses writes; serves only what IAP signed for
  // its own backend service.
  console: {
    plain: [...COMMON, FIRESTORE, 'SUBS_API_URL', ...CONSOLE_PLAIN],
    secret: LIVE_TRUTH_SECRETS,
  },
};

/** The functions that reach the company network (subs-api, www, the replicas): those using such a port. */
const NETWORK_PORTS: readonly Port[] = ['subsApi', 'www', 'ope', 'billingProd', 'cfProd'];
const reachesNetwork = (fn: FunctionName) => NEEDS[fn].some((p) => NETWORK_PORTS.includes(p));

const names = FUNCTIONS.map((f) => f.name);

describe('Terraform sets on each function only what the adapter factory reads', () => {
  it('the contract covers every function of topology.ts', () => {
    expect(Object.keys(CONTRACT).sort()).toEqual([...names].sort());
  });

  it.each(names)('%s: every variable (plain or secret) is in KNOWN_ENV_VARS', (fn) => {
    const env = terraformEnv(fn);
    const known: readonly string[] = KNOWN_ENV_VARS;
    for (const name of [...Object.keys(env.plain), ...Object.keys(env.secret)]) {
      expect(known, `${fn} gets ${name}, which the factory does not read`).toContain(name);
    }
  });

  it.each(names)('%s: gets exactly its contract, and the operators’ extras for itself', (fn) => {
    const env = terraformEnv(fn);
    expect(Object.keys(env.plain).sort()).toEqual([...CONTRACT[fn].plain].sort());
    expect(Object.keys(env.secret).sort()).toEqual([...CONTRACT[fn].secret].sort());
    const extras = envOf(withExtras, fn);
    expect(Object.keys(extras.plain).sort()).toEqual([...CONTRACT[fn].plain, extraName(fn)].sort());
    expect(extras.secret).toEqual(env.secret);
  });

  it.each(names)('%s: gets GOOGLE_CLOUD_PROJECT and every variable its adapters need', (fn) => {
    const env = terraformEnv(fn);
    const all = { ...env.plain, ...env.secret };
    expect(all.GOOGLE_CLOUD_PROJECT).toBe(SAMPLE_VARS.project_id);
    expect(all.BIGQUERY_LOCATION).toBe(SAMPLE_VARS.bigquery_location);
    expect(all.LOG_LEVEL).toBe(SAMPLE_VARS.log_level);
    for (const port of NEEDS[fn]) {
      const options: readonly string[] = PORT_VARS[port];
      expect(
        options.filter((v) => v in all),
        `${fn} uses ${port}, so it needs one of ${options.join(', ')}`,
      ).toHaveLength(1);
    }
  });

  it('the secret variables of the contract are the ones the factory reads for its secret ports', () => {
    for (const port of SECRET_PORTS) {
      const options: readonly string[] = PORT_VARS[port];
      expect(options, port).toContain(SECRET_VARIABLE[port]);
    }
    expect(SECRET_PORTS.map((p) => SECRET_VARIABLE[p]).sort()).toEqual([...ALL_SECRETS].sort());
  });

  it.each(names)(
    '%s: each secret (its own Stripe key, the webhook signing secret, replica URLs, the Jira token) only where its port is used, only as a secret, from its own secret',
    (fn) => {
      const env = terraformEnv(fn);
      for (const port of SECRET_PORTS) {
        const vars: readonly string[] = PORT_VARS[port];
        for (const v of vars)
          expect(env.plain, `${fn}: ${v} must not be a plain variable`).not.toHaveProperty(v);
        const mounted = vars.filter((v) => v in env.secret);
        expect(mounted, `${fn} ${port}`).toEqual(NEEDS[fn].includes(port) ? [SECRET_VARIABLE[port]] : []);
        if (mounted.length > 0) expect(env.secret[SECRET_VARIABLE[port]]).toBe(secretOf(port, fn));
      }
      // Every mount reads the latest version, resolved when an instance starts.
      const list = deployed[fn]?.inputs.secret_environment_variables as Body[];
      for (const s of list) expect(s.version, `${fn} ${String(s.key)}`).toBe('latest');
      // The module grants the runtime account access to exactly the secrets it mounts (for_each keys).
      expect(
        deployed[fn]?.resources['google_secret_manager_secret_iam_member.runtime_secret_accessor'],
      ).toEqual(Object.keys(env.secret).sort());
    },
  );

  it('the replica secrets of secrets.tf are mounted under the names the replica ports read', async () => {
    const out = await evaluateRoot(root, {
      outputs: { dbs: '${local.replica_databases}' },
      vars: SAMPLE_VARS,
    });
    const entry = (port: ReplicaPort) => ({
      env: REPLICA_SECRETS[port].variable,
      secret_id: REPLICA_SECRETS[port].secret,
    });
    expect(out.dbs).toEqual({
      ope: entry('ope'),
      billing_prod: entry('billingProd'),
      cf_prod: entry('cfProd'),
    });
  });

  it.each(names)('%s: the factory accepts the environment and wires the ports it needs', async (fn) => {
    const env = terraformEnv(fn);
    const values: Record<string, string> = Object.fromEntries(
      Object.entries(env.plain).map(([k, v]) => [k, atRuntime(v)]),
    );
    for (const [name, secret] of Object.entries(env.secret)) {
      const value = SECRET_VALUES[secret];
      expect(value, `no value for ${name} from secret ${secret} (add one to SECRET_VALUES)`).toBeDefined();
      values[name] = value as string;
    }
    expect(() => parseAdapterEnv(values)).not.toThrow();
    const a = await createAdapters(values, { functionName: fn });
    try {
      // A read-only Stripe port wraps the adapter and refuses every write before it leaves the process.
      const readOnly = READ_ONLY_STRIPE.includes(fn);
      expect(parseAdapterEnv(values).console.stripeReadOnly, fn).toBe(readOnly);
      expect(a.stripe instanceof StripeAdapter).toBe(NEEDS[fn].includes('stripe') && !readOnly);
      if (readOnly)
        await expect(
          a.stripe.write(
            { id: 'chg_1' } as unknown as Parameters<typeof a.stripe.write>[0],
            { cancel_at_period_end: true },
            'driftcontrol-chg_1',
          ),
        ).rejects.toBeInstanceOf(StripeReadOnlyError);
      expect(a.webhooks instanceof StripeWebhookVerifier).toBe(NEEDS[fn].includes('webhooks'));
      expect(a.subsApi instanceof SubsApiClient).toBe(NEEDS[fn].includes('subsApi'));
      expect(a.www instanceof WwwClient).toBe(NEEDS[fn].includes('www'));
      expect(a.ope instanceof OpeReplica).toBe(NEEDS[fn].includes('ope'));
      expect(a.billingProd instanceof BillingProdReplica).toBe(NEEDS[fn].includes('billingProd'));
      expect(a.cfProd instanceof CfProdReplica).toBe(NEEDS[fn].includes('cfProd'));
      expect(a.tickets instanceof JiraTicketSource).toBe(JIRA.every((p) => NEEDS[fn].includes(p)));
    } finally {
      await a.close();
    }
  });

  it('gather, plan-apply, www-resync, stripe-events and the console reach the company network through the VPC connector, the others do not', async () => {
    expect(names.filter(reachesNetwork).sort()).toEqual([
      'console',
      'gather',
      'plan-apply',
      'stripe-events',
      'www-resync',
    ]);
    for (const f of names) {
      expect(deployed[f]?.inputs.vpc_connector, f).toBe(reachesNetwork(f) ? SAMPLE_VARS.vpc_connector : null);
      // Private ranges only by default: Stripe and Google APIs are reached directly, not through the VPC.
      expect(deployed[f]?.inputs.vpc_connector_egress_settings, f).toBe('PRIVATE_RANGES_ONLY');
    }
    const allTraffic = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      vpc_connector_egress_settings: 'ALL_TRAFFIC',
    });
    for (const f of names.filter(reachesNetwork))
      expect(allTraffic[f]?.inputs.vpc_connector_egress_settings, f).toBe('ALL_TRAFFIC');
    // Without a connector (services reachable otherwise), no function gets one.
    const none = await evaluateModuleCall(root, 'function', { ...SAMPLE_VARS, vpc_connector: null });
    for (const f of names) expect(none[f]?.inputs.vpc_connector, f).toBeNull();
    // The module sets the egress only with a connector.
    const sc = block(resource(mod, 'google_cloudfunctions2_function', 'this').body, 'service_config') as Body;
    expect(sc.vpc_connector).toBe('${var.vpc_connector}');
    expect(sc.vpc_connector_egress_settings).toBe(
      '${var.vpc_connector == null ? null : var.vpc_connector_egress_settings}',
    );
  });

  it('FIRESTORE_DATABASE reaches exactly the functions with a Firestore grant, naming the database the grants are conditioned on', async () => {
    const out = await evaluateRoot(root, {
      outputs: {
        roles: '${local.firestore_roles}',
        database: '${local.firestore_database}',
        tickets: '${local.tickets_firestore_functions}',
        tickets_database: '${local.tickets_firestore_database}',
      },
      vars: SAMPLE_VARS,
    });
    expect(out.database).toBe('driftcontrol');
    expect(out.tickets_database).toBe('driftcontrol-tickets');
    const onControlState = Object.keys(out.roles as Body).sort();
    const onTickets = asStringList(out.tickets).sort();
    expect(onTickets).toEqual(['classify-tickets']);
    const withGrant = [...onControlState, ...onTickets].sort();
    expect(names.filter((f) => FIRESTORE in terraformEnv(f).plain).sort()).toEqual(withGrant);
    for (const f of onControlState) expect(envOf(deployed, f).plain[FIRESTORE], f).toBe(out.database);
    // classify-tickets is pointed at its ledger's database, never at the control state's.
    for (const f of onTickets) expect(envOf(deployed, f).plain[FIRESTORE], f).toBe(out.tickets_database);
    // The code reads it (default (default) otherwise) and accepts the value.
    expect(
      parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'acme-drift', [FIRESTORE]: 'driftcontrol' }).firestoreDatabase,
    ).toBe('driftcontrol');
    expect(
      parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'acme-drift', [FIRESTORE]: 'driftcontrol-tickets' })
        .firestoreDatabase,
    ).toBe('driftcontrol-tickets');
    // Each follows its variable (e.g. a deployment still on (default) until its state is copied).
    const onDefault = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      firestore_database_id: '(default)',
      tickets_firestore_database_id: 'billing-ticket-weeks',
    });
    for (const f of onControlState) expect(envOf(onDefault, f).plain[FIRESTORE], f).toBe('(default)');
    for (const f of onTickets) expect(envOf(onDefault, f).plain[FIRESTORE], f).toBe('billing-ticket-weeks');
  });

  it('subs-api’s URL reaches gather, plan-apply, www-resync, stripe-events and the console, www’s only www-resync', () => {
    for (const f of names) {
      const plain = terraformEnv(f).plain;
      expect(plain.SUBS_API_URL, f).toBe(
        NEEDS[f].includes('subsApi') ? SAMPLE_VARS.subs_api_base_url : undefined,
      );
      expect(plain.WWW_API_URL, f).toBe(NEEDS[f].includes('www') ? SAMPLE_VARS.www_base_url : undefined);
    }
  });

  it('every log level Terraform allows is one the factory accepts', () => {
    const validation = block(asBody(root.variables.log_level), 'validation');
    const allowed = [...String(validation?.condition).matchAll(/"([a-z]+)"/g)].map((m) => m[1] as string);
    expect(allowed.length).toBeGreaterThan(0);
    for (const level of allowed) {
      expect(parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'acme-drift', LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  it('the Jira settings reach classify-tickets alone: its site, API user and projects always, the optional ticket settings only when set', async () => {
    const fn: FunctionName = 'classify-tickets';
    for (const f of names.filter((x) => x !== fn))
      for (const v of [...JIRA_PLAIN, ...TICKET_OPTIONS])
        expect(terraformEnv(f).plain, `${f} ${v}`).not.toHaveProperty(v);
    const plain = terraformEnv(fn).plain;
    expect(plain.JIRA_BASE_URL).toBe(SAMPLE_VARS.jira_base_url);
    expect(plain.JIRA_EMAIL).toBe(SAMPLE_VARS.jira_email);
    expect(plain.JIRA_PROJECTS).toBe('BILL,CUSTESC');
    // Unset, the code's defaults apply: no custom field, Cloudflare's account ids, the newest taxonomy.
    for (const v of TICKET_OPTIONS) expect(plain, v).not.toHaveProperty(v);
    const token = { JIRA_API_TOKEN: SECRET_VALUES[JIRA_TOKEN_SECRET] };
    const byDefault = parseAdapterEnv({ ...plain, ...token });
    expect(byDefault.jira.projects).toEqual(['BILL', 'CUSTESC']);
    expect(byDefault.jira.accountIdField).toBeNull();
    expect(byDefault.ticketAccountIdPattern).toBeUndefined();
    expect(byDefault.taxonomyVersion).toBeUndefined();
    // Set, each reaches classify-tickets under the name the code reads, and nothing else changes.
    const set = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      jira_projects: ['BILL', 'CUSTESC', 'SUPPORT_2'],
      jira_account_id_field: 'customfield_10042',
      ticket_account_id_pattern: '\\b[0-9a-f]{32}\\b',
      taxonomy_version: 'v6',
    });
    const setEnv = envOf(set, fn).plain;
    expect(Object.keys(setEnv).sort()).toEqual([...CONTRACT[fn].plain, ...TICKET_OPTIONS].sort());
    const parsed = parseAdapterEnv({ ...setEnv, ...token });
    expect(parsed.jira.projects).toEqual(['BILL', 'CUSTESC', 'SUPPORT_2']);
    expect(parsed.jira.accountIdField).toBe('customfield_10042');
    expect(parsed.ticketAccountIdPattern).toBe('\\b[0-9a-f]{32}\\b');
    expect(parsed.taxonomyVersion).toBe('v6');
    for (const f of names.filter((x) => x !== fn)) expect(set[f], f).toEqual(deployed[f]);
  });

  it('the console alone reads Stripe read-only and checks an IAP audience, which names its own IAP backend service; the dashboard URL only when set', async () => {
    const fn: FunctionName = 'console';
    for (const f of names.filter((x) => x !== fn))
      for (const v of [...CONSOLE_PLAIN, ...CONSOLE_OPTIONS, 'IAP_PUBLIC_KEYS_URL'])
        expect(terraformEnv(f).plain, `${f} ${v}`).not.toHaveProperty(v);
    const plain = terraformEnv(fn).plain;
    expect(plain.STRIPE_READ_ONLY).toBe('true');
    // /projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID: the project's number and the numeric id
    // of the backend service IAP is enabled on (console.tf), both read from their resources.
    expect(plain.IAP_AUDIENCE).toBe(
      `/projects/${PROJECT_NUMBER_MARKER}/global/backendServices/${BACKEND_ID_MARKER}`,
    );
    const audience = await evaluateRoot(root, {
      outputs: { a: '${local.console_iap_audiences}' },
      vars: SAMPLE_VARS,
    });
    expect(audience.a).toEqual({ console: plain.IAP_AUDIENCE });
    // Unset, the code's defaults apply: the dashboard by the key's mode, 10 Stripe reads a second, Google's
    // IAP keys. Every write refused, the audience the code checks is the one Terraform gave.
    for (const v of CONSOLE_OPTIONS) expect(plain, v).not.toHaveProperty(v);
    const key = { STRIPE_API_KEY: SECRET_VALUES[SAMPLE_VARS.stripe_console_secret_id] };
    const values = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, atRuntime(v)]));
    const parsed = parseAdapterEnv({ ...values, ...key });
    expect(parsed.console).toEqual({
      stripeReadOnly: true,
      stripeReadsPerSecond: 10,
      stripeDashboardUrl: undefined,
      iapAudience: '/projects/123456789012/global/backendServices/5814283927381092615',
      iapPublicKeysUrl: undefined,
    });
    // Set, the dashboard URL reaches the console under the name the code reads, and nothing else changes.
    const set = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      console_stripe_dashboard_url: 'https://dashboard.stripe.com/acct_1Acme',
    });
    const setEnv = envOf(set, fn).plain;
    expect(Object.keys(setEnv).sort()).toEqual([...CONTRACT[fn].plain, 'STRIPE_DASHBOARD_URL'].sort());
    expect(
      parseAdapterEnv({ ...setEnv, ...key, IAP_AUDIENCE: parsed.console.iapAudience as string }).console
        .stripeDashboardUrl,
    ).toBe('https://dashboard.stripe.com/acct_1Acme');
    for (const f of names.filter((x) => x !== fn)) expect(set[f], f).toEqual(deployed[f]);
    // The console's key is its own: never gather's, plan-apply's, the webhook secret or the Jira token.
    const secret = terraformEnv(fn).secret;
    expect(secret.STRIPE_API_KEY).toBe(SAMPLE_VARS.stripe_console_secret_id);
    for (const other of [
      SAMPLE_VARS.stripe_gather_secret_id,
      SAMPLE_VARS.stripe_plan_apply_secret_id,
      SAMPLE_VARS.stripe_webhook_secret_id,
      SAMPLE_VARS.jira_api_token_secret_id,
    ])
      expect(Object.values(secret), other).not.toContain(other);
  });

  it('the module passes both lists to the function unchanged', () => {
    const fn = resource(mod, 'google_cloudfunctions2_function', 'this');
    const sc = block(fn.body, 'service_config') as Body;
    expect(sc.environment_variables).toBe('${var.environment_variables}');
    const secretBlock = block(asBody(sc.dynamic), 'secret_environment_variables');
    expect(secretBlock).toBeDefined();
    if (secretBlock === undefined) return;
    expect(secretBlock.for_each).toBe('${var.secret_environment_variables}');
    expect(block(secretBlock, 'content')?.key).toBe('${secret_environment_variables.value.key}');
  });
});

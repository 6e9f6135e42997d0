// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Least privilege and secrets: no public principal but the one deliberate grant (anyone may invoke
 * stripe-events, Stripe's webhook receiver, which checks Stripe's signature itself), no primitive or
 * authoritative IAM, invokers limited to push identities, the scheduler, (classify-tickets) the
 * operators and (the console) IAP's service agent otherwise, people reaching the console only through
 * IAP, the secrets (each Stripe restricted key, the webhook signing secret, the read replicas' URLs, the
 * Jira API token) never in Terraform, mounted only into the functions that use them, readable only by
 * those. The findings of the
 * least-privilege review (publish rights, the split Stripe key, the audit insert role, Firestore
 * conditions, ingress, the public webhook receiver) are held in least-privilege.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS, FUNCTIONS, type FunctionName } from '../../shared/contracts/topology.js';
import {
  evaluateModuleCall,
  evaluateRoot,
  instancesOf,
  type ProbedInstance,
  SAMPLE_VARS,
  WITHOUT_JIRA,
} from './evaluate.js';
import {
  asBody,
  asStringList,
  attr,
  type Body,
  block,
  blocks,
  loadAll,
  loadModule,
  type Resource,
  resource,
  resourcesOf,
  str,
  type TfModule,
} from './hcl.js';

let all: TfModule[];
let root: TfModule;
let mod: TfModule;
let iam: Resource[];
/** module.function as Terraform evaluates it for the sample deployment. */
let deployed: Record<string, ProbedInstance>;

beforeAll(async () => {
  all = await loadAll();
  root = await loadModule('root');
  mod = await loadModule('function');
  iam = all.flatMap((m) => m.resources.filter((r) => /_iam_(member|binding|policy)$/.test(r.type)));
  deployed = await evaluateModuleCall(root, 'function');
}, 120_000);

function deployedAs(fn: string): ProbedInstance {
  const i = deployed[fn];
  if (i === undefined) throw new Error(`module.function has no instance ${fn}`);
  return i;
}

const PRIMITIVE_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'];
const PUBLIC_PRINCIPALS = ['allUsers', 'allAuthenticatedUsers'];
/** The one grant to a public principal: modules/function's run.invoker for allUsers, when asked for. */
const PUBLIC_INVOKER = 'function:google_cloud_run_service_iam_member.public_invoker';
const isPublicInvoker = (r: Resource) => `${r.module}:${r.type}.${r.name}` === PUBLIC_INVOKER;
/** The one function anyone may invoke: Stripe's webhooks cannot authenticate with Google IAM. */
const PUBLIC_FUNCTION: FunctionName = 'stripe-events';

/** Project-wide roles this system may grant; anything broader must be argued for in review. */
const ALLOWED_PROJECT_ROLES = [
  'roles/bigquery.jobUser',
  'roles/datastore.user',
  'roles/datastore.viewer',
  'roles/logging.logWriter',
];

function members(r: Resource): string[] {
  const m = r.body.member;
  const ms = r.body.members;
  return [...(typeof m === 'string' ? [m] : []), ...(Array.isArray(ms) ? ms.map(String) : [])];
}

describe('IAM', () => {
  it('there are IAM grants to check', () => {
    expect(iam.length).toBeGreaterThan(10);
  });

  it('no public principal in the Terraform but the one public invoker grant of modules/function', () => {
    for (const m of all) {
      // Never allAuthenticatedUsers, not even in a comment.
      expect(m.text.includes('allAuthenticatedUsers'), `${m.key} mentions allAuthenticatedUsers`).toBe(false);
      // allUsers as a value (comments may name it) only in the module's public invoker grant.
      expect(m.text.split('"allUsers"').length - 1, `${m.key} "allUsers"`).toBe(m.key === 'function' ? 1 : 0);
    }
    const publicGrants = iam.filter((r) => members(r).some((x) => PUBLIC_PRINCIPALS.includes(x)));
    expect(publicGrants.map((r) => `${r.module}:${r.type}.${r.name}`)).toEqual([PUBLIC_INVOKER]);
    const g = resource(mod, 'google_cloud_run_service_iam_member', 'public_invoker').body;
    expect(g.member).toBe('allUsers');
    expect(g.role).toBe('roles/run.invoker');
    expect(g.service).toBe('${google_cloudfunctions2_function.this.name}');
    expect(g.count).toBe('${var.allow_unauthenticated ? 1 : 0}');
  });

  it('every grant names a role that is not primitive (a predefined role, or a custom role defined here)', () => {
    const customRoles = resourcesOf(root, 'google_project_iam_custom_role').map((r) => r.name);
    for (const r of iam) {
      const role = String(r.body.role);
      expect(role, `${r.module}:${r.type}.${r.name}`).toMatch(
        /^roles\/|^\$\{each\.value\}$|^\$\{google_project_iam_custom_role\.[a-z_]+\.id\}$/,
      );
      const custom = /^\$\{google_project_iam_custom_role\.([a-z_]+)\.id\}$/.exec(role);
      if (custom !== null)
        expect(customRoles, `${r.name} names an undefined custom role`).toContain(custom[1]);
      expect(PRIMITIVE_ROLES).not.toContain(role);
    }
  });

  it('every grant is additive (_iam_member), never an authoritative binding or policy', () => {
    for (const r of iam) expect(r.type, `${r.module}:${r.name}`).toMatch(/_iam_member$/);
  });

  it('every member is a single principal, non-public but for the public invoker grant', () => {
    for (const r of iam) {
      const ms = members(r);
      expect(ms.length, `${r.module}:${r.type}.${r.name}`).toBe(1);
      if (isPublicInvoker(r)) continue;
      for (const m of ms) for (const p of PUBLIC_PRINCIPALS) expect(m).not.toContain(p);
    }
  });

  it('project-level grants stay within the allowed roles', () => {
    const projectGrants = iam.filter((r) => r.type === 'google_project_iam_member');
    expect(projectGrants.length).toBeGreaterThan(0);
    const firestoreRoles = Object.values(root.locals.firestore_roles as Body).map(String);
    for (const r of projectGrants) {
      const role = String(r.body.role);
      const roles = role === '${each.value}' ? firestoreRoles : [role];
      for (const x of roles) expect(ALLOWED_PROJECT_ROLES, `${r.name}`).toContain(x);
    }
  });

  it('operator principals are validated to user:, group: or serviceAccount:', () => {
    const v = root.variables.operator_members;
    const validation = blocks(v ?? {}, 'validation')[0];
    expect(String(validation?.condition)).toContain('^(user|group|serviceAccount):');
  });
});

describe('who may invoke whom', () => {
  const invokerGrants = () =>
    iam.filter((r) => ['roles/run.invoker', 'roles/cloudfunctions.invoker'].includes(String(r.body.role)));

  it('invoker grants exist only in the module: its push identity, the principals the caller names, or anyone when asked', () => {
    const who = invokerGrants().map((r) => `${r.module}:${r.name}:${members(r).join(',')}`);
    expect(who.sort()).toEqual(
      [
        'function:invoker:${each.value}',
        'function:public_invoker:allUsers',
        'function:push_invoker:serviceAccount:${google_service_account.push[0].email}',
      ].sort(),
    );
    expect(resource(mod, 'google_cloud_run_service_iam_member', 'invoker').body.for_each).toBe(
      '${var.invoker_members}',
    );
  });

  it('an invoker grant is on the module’s own function only', () => {
    for (const g of invokerGrants())
      expect(g.body.service).toBe('${google_cloudfunctions2_function.this.name}');
  });

  // Every principal that can invoke each function, as Terraform evaluates the module call.
  const invokers = (fn: string): string[] => {
    const i = deployedAs(fn);
    return [
      ...Object.values(i.inputs.invoker_members as Record<string, string>),
      ...(instancesOf(i, 'google_cloud_run_service_iam_member.push_invoker') === 1
        ? [`push identity of ${fn}`]
        : []),
      ...(instancesOf(i, 'google_cloud_run_service_iam_member.public_invoker') === 1 ? ['allUsers'] : []),
    ];
  };

  const SCHEDULER = 'serviceAccount:google_service_account.scheduler.email';
  /** IAP's service agent (the stand-in of google_project_service_identity.iap, evaluate.ts). */
  const IAP_AGENT = 'serviceAccount:google_project_service_identity.iap.console.email';
  /** Who may invoke each HTTP function; each Pub/Sub-fed one is invoked by its own push identity only. */
  const HTTP_INVOKERS: Readonly<Partial<Record<FunctionName, readonly string[]>>> = {
    'detect-drift': [SCHEDULER],
    'event-sweeper': [SCHEDULER],
    // The weekly call; the operators too, when the deployment names any (below).
    'classify-tickets': [SCHEDULER],
    // Stripe's webhooks: anyone, and the code checks Stripe's signature.
    'stripe-events': ['allUsers'],
    // People, through IAP only: IAP's service agent forwards what IAP let through; nobody else.
    console: [IAP_AGENT],
  };

  it('every HTTP function of topology.json has its invokers listed here', () => {
    expect(Object.keys(HTTP_INVOKERS).sort()).toEqual(
      FUNCTIONS.filter((f) => f.trigger.kind === 'http')
        .map((f) => f.name)
        .sort(),
    );
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s is invoked only by whom it must be', (name, fn) => {
    expect(invokers(name)).toEqual(
      fn.trigger.kind === 'http' ? [...(HTTP_INVOKERS[name] ?? [])] : [`push identity of ${name}`],
    );
    expect(Object.keys(deployedAs(name).inputs.invoker_members as Body)).toEqual(
      deployedAs(name).resources['google_cloud_run_service_iam_member.invoker'],
    );
  });

  it('stripe-events is the only function with an unauthenticated invoker', () => {
    const open = FUNCTIONS.filter((f) => invokers(f.name).includes('allUsers')).map((f) => f.name);
    expect(open).toEqual([PUBLIC_FUNCTION]);
    for (const f of FUNCTIONS)
      expect(deployedAs(f.name).inputs.allow_unauthenticated, f.name).toBe(f.name === PUBLIC_FUNCTION);
    expect(
      Object.entries(asBody(root.locals.function_allow_unauthenticated)).filter(([, v]) => v === true),
    ).toEqual([[PUBLIC_FUNCTION, true]]);
    expect(mod.variables.allow_unauthenticated?.default).toBe(false);
    expect((root.modules.function as Body).allow_unauthenticated).toBe(
      '${local.function_allow_unauthenticated[each.key]}',
    );
  });

  it('the console has no public invoker and no person or operator as invoker: IAP’s service agent alone, behind its load balancer', async () => {
    const i = deployedAs('console');
    expect(invokers('console')).toEqual([IAP_AGENT]);
    expect(i.inputs.allow_unauthenticated).toBe(false);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.public_invoker')).toBe(0);
    expect(root.locals.function_allow_unauthenticated).toMatchObject({ console: false });
    expect(i.inputs.ingress_settings).toBe('ALLOW_INTERNAL_AND_GCLB');
    // The invoker is the agent of IAP (service-PROJECT_NUMBER@gcp-sa-iap.iam.gserviceaccount.com).
    const agent = resource(root, 'google_project_service_identity', 'iap').body;
    expect(agent.service).toBe('iap.googleapis.com');
    expect(asBody(root.locals.function_invoker_members).console).toBe(
      '${{ for fn in local.console_functions : "iap" => "serviceAccount:${google_project_service_identity.iap[fn].email}" }}',
    );
    // However many operators and members a deployment names, none becomes an invoker.
    const withPeople = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      operator_members: ['group:billing-oncall@example.com'],
      console_members: ['group:billing-support@example.com', 'user:someone@example.com'],
    });
    expect(withPeople.console?.inputs.invoker_members).toEqual({ iap: IAP_AGENT });
    // People get IAP's accessor role on the console's backend service, and nothing that reaches a
    // function: no run.invoker, no role on the project.
    const people = iam.filter((r) => JSON.stringify(r.body).includes('var.console_members'));
    expect(people.map((r) => `${r.type}.${r.name} ${String(r.body.role)}`)).toEqual([
      'google_iap_web_backend_service_iam_member.console_access roles/iap.httpsResourceAccessor',
    ]);
  });

  it('classify-tickets is invocable by the scheduler and the operators only; no other function by an operator', async () => {
    const operators = ['group:billing-oncall@example.com', 'user:oncall-lead@example.com'];
    const withOperators = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      operator_members: operators,
    });
    const i = withOperators['classify-tickets'];
    expect(i?.inputs.invoker_members).toEqual({
      scheduler: SCHEDULER,
      ...Object.fromEntries(operators.map((m) => [`operator/${m}`, m])),
    });
    expect(i?.resources['google_cloud_run_service_iam_member.invoker']).toEqual(
      Object.keys(i?.inputs.invoker_members as Body).sort(),
    );
    expect(i?.inputs.allow_unauthenticated).toBe(false);
    expect(i?.inputs.ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    for (const f of FUNCTIONS.filter((x) => x.name !== 'classify-tickets'))
      expect(withOperators[f.name]?.inputs.invoker_members, f.name).toEqual(
        deployedAs(f.name).inputs.invoker_members,
      );
  });

  it('classify-tickets is called by the scheduler weekly with OIDC (POST {}, UTC, retried), and only when it is deployed', async () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'classify_tickets');
    expect(job.body.for_each).toBe('${toset(local.tickets_job_functions)}');
    expect(job.body.schedule).toBe('${var.tickets_schedule}');
    expect(root.variables.tickets_schedule?.default).toBe('0 6 * * 1');
    expect(job.body.time_zone).toBe('Etc/UTC');
    expect(job.body.paused).toBe('${var.scheduler_paused}');
    const target = block(job.body, 'http_target');
    expect(target?.http_method).toBe('POST');
    expect(str(target, 'uri')).toBe('${module.function[each.key].function_uri}');
    expect(str(target, 'body')).toBe('${base64encode(jsonencode({}))}');
    const oidc = block(target ?? {}, 'oidc_token');
    expect(str(oidc, 'service_account_email')).toBe('${google_service_account.scheduler.email}');
    expect(str(oidc, 'audience')).toBe('${module.function[each.key].function_uri}');
    expect(block(job.body, 'retry_config')?.retry_count).toBe('${var.scheduler_retry_count}');
    const forEach = String(job.body.for_each).slice(2, -1);
    const deadline = String(job.body.attempt_deadline)
      .replace(/^\$\{([\s\S]*)\}s$/, '$1')
      .replace(/\beach\.key\b/g, 'k');
    const jobs = async (vars: Record<string, unknown>) =>
      evaluateRoot(root, {
        outputs: {
          keys: job.body.for_each,
          deadline: `\${{ for k in ${forEach} : k => "\${${deadline}}s" }}`,
          body: `\${base64decode(${String(str(target, 'body')).slice(2, -1)})}`,
        },
        vars,
      });
    const named = await jobs(SAMPLE_VARS);
    expect(named.keys).toEqual(['classify-tickets']);
    // The function's 300 s timeout and 30 s more, within Cloud Scheduler's 15-1800 s.
    expect(named.deadline).toEqual({ 'classify-tickets': '330s' });
    expect(named.body).toBe('{}');
    expect((await jobs(WITHOUT_JIRA)).keys).toEqual([]);
  });

  it('event-sweeper is invocable only by the scheduler, which calls it with OIDC every minute once it may', async () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'event_sweeper');
    expect(job.body.for_each).toBeUndefined();
    expect(job.body.schedule).toBe('* * * * *');
    const target = block(job.body, 'http_target');
    expect(str(target, 'uri')).toBe('${local.event_sweeper_uri}');
    const oidc = block(target ?? {}, 'oidc_token');
    expect(str(oidc, 'service_account_email')).toBe('${google_service_account.scheduler.email}');
    expect(str(oidc, 'audience')).toBe('${local.event_sweeper_uri}');
    const out = await evaluateRoot(root, { outputs: { uri: '${local.event_sweeper_uri}' } });
    expect(out.uri).toBe('module.function.event-sweeper.function_uri');
  });

  it('detect-drift is invocable only by the scheduler, which calls it with OIDC once it may', async () => {
    const job = resource(root, 'google_cloud_scheduler_job', 'detect_drift');
    const oidc = block(block(job.body, 'http_target') ?? {}, 'oidc_token');
    expect(str(oidc, 'service_account_email')).toBe('${google_service_account.scheduler.email}');
    expect(str(oidc, 'audience')).toBe('${local.detect_drift_uri}');
    const out = await evaluateRoot(root, { outputs: { uri: '${local.detect_drift_uri}' } });
    expect(out.uri).toBe('module.function.detect-drift.function_uri');
    // The module's URI output waits for the invoker grants, so the job never calls before it may.
    expect(asStringList(mod.outputs.function_uri?.depends_on).sort()).toEqual(
      [
        '${google_cloud_run_service_iam_member.invoker}',
        '${google_cloud_run_service_iam_member.public_invoker}',
        '${google_cloud_run_service_iam_member.push_invoker}',
      ].sort(),
    );
  });

  it('the module refuses invokers for a Pub/Sub-fed function and public invokers for any; allow_unauthenticated is HTTP only, alone', () => {
    const conditions = blocks(mod.variables.invoker_members ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(conditions).toContain('${var.trigger_topic_name == null || length(var.invoker_members) == 0}');
    expect(conditions.join('\n')).toContain('^(user|group|serviceAccount):');
    const open = blocks(mod.variables.allow_unauthenticated ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(open.sort()).toEqual(
      [
        '${!var.allow_unauthenticated || var.trigger_topic_name == null}',
        '${!var.allow_unauthenticated || length(var.invoker_members) == 0}',
      ].sort(),
    );
  });

  it('the Pub/Sub service agent may mint tokens for the push identity only (not project-wide)', () => {
    const g = resource(mod, 'google_service_account_iam_member', 'pubsub_agent_token_creator');
    expect(g.body.service_account_id).toBe('${google_service_account.push[0].name}');
    expect(g.body.role).toBe('roles/iam.serviceAccountTokenCreator');
    expect(g.body.member).toBe('serviceAccount:${var.pubsub_service_agent_email}');
    const projectWide = iam.filter(
      (r) => r.type === 'google_project_iam_member' && r.body.role === 'roles/iam.serviceAccountTokenCreator',
    );
    expect(projectWide).toEqual([]);
  });

  it('every function runs as its own service account', () => {
    expect(resource(mod, 'google_service_account', 'runtime').body.account_id).toBe(
      '${var.service_account_id}',
    );
    expect(resource(mod, 'google_service_account', 'push').body.account_id).toBe(
      '${var.service_account_id}-push',
    );
    expect(
      resourcesOf(root, 'google_service_account')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['build', 'scheduler']);
    const ids = FUNCTIONS.map((f) => String(deployedAs(f.name).inputs.service_account_id));
    expect(new Set(ids).size).toBe(FUNCTIONS.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{4,24}[a-z0-9]$/);
    for (const id of ['dc-build', 'dc-functions-build', 'dc-scheduler']) expect(ids).not.toContain(id);
  });

  it('builds run as a dedicated build account, not the default compute account', () => {
    const fns = [
      ...resourcesOf(root, 'google_cloudfunctions2_function'),
      ...resourcesOf(mod, 'google_cloudfunctions2_function'),
    ];
    expect(fns.length).toBeGreaterThan(0);
    for (const f of fns) {
      expect(str(block(f.body, 'build_config'), 'service_account')).toMatch(/build_service_account_id/);
    }
    for (const f of FUNCTIONS)
      expect(deployedAs(f.name).inputs.build_service_account_id, f.name).toBe(
        'google_service_account.build.id',
      );
  });

  it('every function keeps its ingress setting (internal-only by default, stripe-events alone ALLOW_ALL, the console ALLOW_INTERNAL_AND_GCLB), labels and build ordering', () => {
    const call = root.modules.function as Body;
    expect(call.ingress_settings).toBe('${local.function_ingress_settings[each.key]}');
    expect(call.labels).toBe('${local.labels}');
    expect(asStringList(call.depends_on).sort()).toEqual(
      [
        '${google_project_service.enabled}',
        '${google_project_iam_member.build_log_writer}',
        '${google_artifact_registry_repository_iam_member.build_writer}',
        '${google_storage_bucket_iam_member.build_source_reader}',
      ].sort(),
    );
    for (const f of FUNCTIONS) {
      expect(deployedAs(f.name).inputs.ingress_settings, f.name).toBe(
        f.name === PUBLIC_FUNCTION
          ? 'ALLOW_ALL'
          : f.name === 'console'
            ? 'ALLOW_INTERNAL_AND_GCLB'
            : 'ALLOW_INTERNAL_ONLY',
      );
      expect(deployedAs(f.name).locals.labels).toEqual({ app: 'driftcontrol', function: f.name });
    }
  });
});

describe('secrets (the Stripe restricted keys, the webhook signing secret, the read replicas’ URLs, the Jira API token)', () => {
  /** What gather or plan-apply mounts, as Terraform evaluates it (stand-ins of the secrets, evaluate.ts). */
  const liveTruthSecrets = (stripeSecretId: string) => [
    {
      key: 'BILLING_PROD_DATABASE_URL',
      secret_id: SAMPLE_VARS.billing_prod_database_url_secret_id,
      version: 'latest',
    },
    { key: 'CF_PROD_DATABASE_URL', secret_id: SAMPLE_VARS.cf_prod_database_url_secret_id, version: 'latest' },
    { key: 'OPE_DATABASE_URL', secret_id: SAMPLE_VARS.ope_database_url_secret_id, version: 'latest' },
    { key: 'STRIPE_API_KEY', secret_id: stripeSecretId, version: 'latest' },
  ];
  /** Each function's own Stripe restricted key (the stand-in carries the secret id of its variable). */
  const STRIPE_SECRET_OF: Record<string, string> = {
    gather: SAMPLE_VARS.stripe_gather_secret_id,
    'plan-apply': SAMPLE_VARS.stripe_plan_apply_secret_id,
    console: SAMPLE_VARS.stripe_console_secret_id,
  };
  const LIVE_TRUTH_SECRET_KEYS = liveTruthSecrets('').map((s) => s.key);
  /** What stripe-events mounts: the webhook endpoint's signing secret, nothing else. */
  const WEBHOOK_SECRETS = [
    { key: 'STRIPE_WEBHOOK_SECRET', secret_id: SAMPLE_VARS.stripe_webhook_secret_id, version: 'latest' },
  ];
  /** What classify-tickets mounts: the Jira API user's token, nothing else. */
  const JIRA_SECRETS = [
    { key: 'JIRA_API_TOKEN', secret_id: SAMPLE_VARS.jira_api_token_secret_id, version: 'latest' },
  ];

  it('the secrets are created but no version: no value ever enters code or state', async () => {
    const stripe = resource(root, 'google_secret_manager_secret', 'stripe_key');
    expect(stripe.body.for_each).toBe('${local.stripe_keys}');
    expect(stripe.body.secret_id).toBe('${each.value.secret_id}');
    const replicas = resource(root, 'google_secret_manager_secret', 'replica_database_url');
    expect(replicas.body.for_each).toBe('${local.replica_databases}');
    expect(replicas.body.secret_id).toBe('${each.value.secret_id}');
    const webhook = resource(root, 'google_secret_manager_secret', 'stripe_webhook');
    expect(webhook.body.secret_id).toBe('${var.stripe_webhook_secret_id}');
    expect(webhook.body.for_each).toBeUndefined();
    const jira = resource(root, 'google_secret_manager_secret', 'jira_api_token');
    expect(jira.body.for_each).toBe('${local.jira_token_secrets}');
    expect(jira.body.secret_id).toBe('${each.value.secret_id}');
    expect(
      resourcesOf(root, 'google_secret_manager_secret')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['jira_api_token', 'replica_database_url', 'stripe_key', 'stripe_webhook']);
    // One secret per store and one Stripe key per function that calls Stripe, named by its variable.
    const out = await evaluateRoot(root, {
      outputs: {
        ids: '${{ for k, v in local.replica_databases : k => v.secret_id }}',
        stripe: '${{ for k, v in local.stripe_keys : k => v.secret_id }}',
      },
      vars: SAMPLE_VARS,
    });
    expect(out.ids).toEqual({
      ope: SAMPLE_VARS.ope_database_url_secret_id,
      billing_prod: SAMPLE_VARS.billing_prod_database_url_secret_id,
      cf_prod: SAMPLE_VARS.cf_prod_database_url_secret_id,
    });
    expect(out.stripe).toEqual(STRIPE_SECRET_OF);
    // The Jira token's secret exists only with classify-tickets (jira_base_url set), named by its variable.
    const jiraSecrets = async (vars: Record<string, unknown>) =>
      (
        await evaluateRoot(root, {
          outputs: {
            ids: `\${{ for k, v in ${String(jira.body.for_each).slice(2, -1)} : k => v.secret_id }}`,
          },
          vars,
        })
      ).ids;
    expect(await jiraSecrets(SAMPLE_VARS)).toEqual({
      'classify-tickets': SAMPLE_VARS.jira_api_token_secret_id,
    });
    expect(await jiraSecrets(WITHOUT_JIRA)).toEqual({});
    for (const m of all) {
      expect(resourcesOf(m, 'google_secret_manager_secret_version')).toEqual([]);
      expect(m.text).not.toMatch(/secret_data|sk_live_|sk_test_|rk_live_|whsec_[A-Za-z0-9]/);
      // No database URL with credentials (user:password@) anywhere.
      expect(m.text).not.toMatch(/postgres(ql)?:\/\/[^\s"'@/]+:[^\s"'@]*@/);
    }
  });

  /** What each function mounts, at runtime; a function not named here mounts nothing. */
  const MOUNTS: Readonly<Partial<Record<FunctionName, readonly Body[]>>> = {
    gather: liveTruthSecrets(SAMPLE_VARS.stripe_gather_secret_id),
    'plan-apply': liveTruthSecrets(SAMPLE_VARS.stripe_plan_apply_secret_id),
    'stripe-events': WEBHOOK_SECRETS,
    'classify-tickets': JIRA_SECRETS,
    // Its own read-only key (never gather's or plan-apply's) and the replicas, for a live gather.
    console: liveTruthSecrets(SAMPLE_VARS.stripe_console_secret_id),
  };

  it.each(FUNCTIONS.map((f) => [f.name] as const))(
    '%s mounts exactly its secrets (gather, plan-apply, the console: its own Stripe key and the three replica URLs; stripe-events: the webhook signing secret; classify-tickets: the Jira token; others none)',
    (fn) => {
      const mounted = [...(deployedAs(fn).inputs.secret_environment_variables as Body[])].sort((a, b) =>
        String(a.key).localeCompare(String(b.key)),
      );
      expect(mounted).toEqual([...(MOUNTS[fn] ?? [])]);
    },
  );

  it('only gather, plan-apply, stripe-events, classify-tickets and the console receive secrets; only stripe-events the webhook signing secret, only classify-tickets the Jira token, and neither a Stripe key or replica; each Stripe key only its function', () => {
    const withSecret = FUNCTIONS.filter(
      (f) => (deployedAs(f.name).inputs.secret_environment_variables as unknown[]).length > 0,
    ).map((f) => f.name);
    expect(withSecret.sort()).toEqual([
      'classify-tickets',
      'console',
      'gather',
      'plan-apply',
      'stripe-events',
    ]);
    const reading = (secretId: string) =>
      FUNCTIONS.filter((f) =>
        (deployedAs(f.name).inputs.secret_environment_variables as Body[]).some(
          (s) => s.secret_id === secretId,
        ),
      ).map((f) => f.name);
    expect(reading(SAMPLE_VARS.stripe_webhook_secret_id)).toEqual([PUBLIC_FUNCTION]);
    expect(Object.keys(STRIPE_SECRET_OF)).not.toContain(PUBLIC_FUNCTION);
    expect(reading(SAMPLE_VARS.jira_api_token_secret_id)).toEqual(['classify-tickets']);
    expect(Object.keys(STRIPE_SECRET_OF)).not.toContain('classify-tickets');
    // plan-apply's key (the one that may write) reaches plan-apply alone: never the console.
    for (const [fn, secret] of Object.entries(STRIPE_SECRET_OF)) expect(reading(secret), fn).toEqual([fn]);
  });

  it('the module grants secretAccessor on exactly the secrets it mounts, before deploying', () => {
    const g = resource(mod, 'google_secret_manager_secret_iam_member', 'runtime_secret_accessor');
    expect(String(g.body.for_each)).toContain('var.secret_environment_variables');
    expect(g.body.secret_id).toBe('${each.value.secret_id}');
    expect(g.body.role).toBe('roles/secretmanager.secretAccessor');
    expect(g.body.member).toBe('serviceAccount:${google_service_account.runtime.email}');
    const fn = resource(mod, 'google_cloudfunctions2_function', 'this');
    expect(asStringList(fn.body.depends_on)).toContain(
      '${google_secret_manager_secret_iam_member.runtime_secret_accessor}',
    );
    for (const f of FUNCTIONS) {
      const mounted = (deployedAs(f.name).inputs.secret_environment_variables as Body[]).map((x) => x.key);
      expect(
        deployedAs(f.name).resources['google_secret_manager_secret_iam_member.runtime_secret_accessor'],
      ).toEqual(mounted.sort());
    }
  });

  it('no other grant on a secret: no accessor outside modules/function, none project-wide', () => {
    const secretGrants = iam.filter((r) => r.type.startsWith('google_secret_manager_secret_iam_'));
    expect(secretGrants.map((r) => `${r.module}:${r.name}`)).toEqual(['function:runtime_secret_accessor']);
    const projectWide = iam.filter(
      (r) => r.type === 'google_project_iam_member' && String(r.body.role).startsWith('roles/secretmanager.'),
    );
    expect(projectWide).toEqual([]);
  });

  it('no secret can be set as a plain variable through extra_environment_variables', async () => {
    const out = await evaluateRoot(root, {
      outputs: { names: '${local.secret_environment_names}' },
      vars: SAMPLE_VARS,
    });
    const secretKeys = [...LIVE_TRUTH_SECRET_KEYS, 'STRIPE_WEBHOOK_SECRET', 'JIRA_API_TOKEN'];
    expect(asStringList(out.names).sort()).toEqual(
      [...secretKeys, ...secretKeys.map((k) => `${k}_FILE`)].sort(),
    );
    const conditions = blocks(root.variables.extra_environment_variables ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(conditions.join('\n')).toContain('local.secret_environment_names');
  });
});

describe('Firestore', () => {
  it('the config document (kill switch) is never a Terraform resource', () => {
    for (const m of all) expect(resourcesOf(m, 'google_firestore_document')).toEqual([]);
  });

  it('indexes only reference collections of topology.json', async () => {
    expect(root.locals.collections).toBe('${local.topology.collections}');
    const out = await evaluateRoot(root, { outputs: { collections: '${local.collections}' } });
    expect(out.collections).toEqual({ ...COLLECTIONS });
    const indexes = resourcesOf(root, 'google_firestore_index');
    expect(indexes.length).toBeGreaterThan(0);
    for (const idx of indexes) {
      const m = /^\$\{local\.collections\.([a-zA-Z]+)\}$/.exec(String(idx.body.collection));
      expect(m, `${idx.name} collection`).not.toBeNull();
      expect(Object.keys(COLLECTIONS)).toContain(m?.[1]);
    }
  });

  it('TTL policies on expireAt for the event ledger and the event budget, in the functions’ database, unindexed', async () => {
    const ttl = resource(root, 'google_firestore_field', 'expire_at_ttl').body;
    expect(ttl.for_each).toBe('${toset(local.firestore_ttl_collections)}');
    expect(ttl.collection).toBe('${local.collections[each.key]}');
    expect(ttl.database).toBe('${local.firestore_database}');
    expect(ttl.field).toBe('expireAt');
    expect(ttl.ttl_config).toEqual([{}]);
    expect(ttl.index_config).toEqual([{}]);
    expect(asStringList(ttl.depends_on)).toContain('${google_firestore_database.driftcontrol}');
    expect(resourcesOf(root, 'google_firestore_field').map((r) => r.name)).toEqual(['expire_at_ttl']);
    const out = await evaluateRoot(root, {
      outputs: {
        collections: `\${[for k in ${String(ttl.for_each).slice(2, -1)} : local.collections[k]]}`,
        database: ttl.database,
      },
      vars: SAMPLE_VARS,
    });
    expect(asStringList(out.collections).sort()).toEqual(
      [COLLECTIONS.events, COLLECTIONS.eventBudget].sort(),
    );
    expect(out.database).toBe('driftcontrol');
  });

  it('the databases (driftcontrol’s, the ticket ledger’s) are protected from deletion', () => {
    for (const name of ['driftcontrol', 'tickets']) {
      const db: Body = resource(root, 'google_firestore_database', name).body;
      expect(attr(db, 'delete_protection_state'), name).toBe('DELETE_PROTECTION_ENABLED');
      expect(attr(db, 'deletion_policy'), name).toBe('ABANDON');
    }
    expect(
      resourcesOf(root, 'google_firestore_database')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['driftcontrol', 'tickets']);
  });
});

describe('least privilege per function (the whole grant table, evaluated by Terraform)', () => {
  // What each runtime identity holds besides publishing to its topics and reading its secrets. A
  // Firestore role is granted on the project, conditioned on driftcontrol's database only (classify-
  // tickets': on its ledger's database only).
  const expected: Record<string, string[]> = {
    'detect-drift': [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.user',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    gather: [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.user',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    'plan-apply': ['firestore database driftcontrol roles/datastore.user'],
    'www-resync': ['firestore database driftcontrol roles/datastore.user'],
    'audit-writer': [
      'table cfbill_migrations_audit custom role driftcontrolAuditInsert (bigquery.tables.get, bigquery.tables.updateData)',
    ],
    // The event ledger and pending checks; nothing in BigQuery.
    'stripe-events': ['firestore database driftcontrol roles/datastore.user'],
    // Pending checks and the budget; one query on the mirror's manifest: the mirror only, not the views.
    'event-sweeper': [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.user',
      'dataset billing_mirror roles/bigquery.dataViewer',
    ],
    // The pending checks it writes and the config it reads; nothing in BigQuery (its audit rows go
    // through auditEvents, a topic grant: least-privilege.test.ts).
    'ope-events': ['firestore database driftcontrol roles/datastore.user'],
    // The week's ledger, in a database of its own (nothing on driftcontrol's: it reads untrusted ticket
    // text and has internet egress); its rows streamed into its own table (the insert-only role); the
    // digest's queries on the ticket views and what they read (the ticket table, the audit's final
    // outcomes).
    'classify-tickets': [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol-tickets roles/datastore.user',
      'dataset billing_observability roles/bigquery.dataViewer',
      'dataset billing_audit roles/bigquery.dataViewer',
      'dataset billing_tickets roles/bigquery.dataViewer',
      'table ticket_classifications custom role driftcontrolAuditInsert (bigquery.tables.get, bigquery.tables.updateData)',
    ],
    // Read only, for people: the control state (viewer: config, gates, lifecycle), the audit and the
    // views over it, the tickets that name an account; nothing it could write, no mirror.
    console: [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.viewer',
      'dataset billing_audit roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
      'dataset billing_tickets roles/bigquery.dataViewer',
    ],
  };

  it('the table names every function of topology.json', () => {
    expect(Object.keys(expected).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  let out: Record<string, unknown>;
  beforeAll(async () => {
    out = await evaluateRoot(root, {
      outputs: {
        firestore_roles: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
        firestore_condition: '${local.firestore_iam_condition.expression}',
        tickets_firestore: resource(root, 'google_project_iam_member', 'runtime_tickets_firestore').body
          .for_each,
        tickets_firestore_condition: '${local.tickets_firestore_iam_condition.expression}',
        bigquery_job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body
          .for_each,
        readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
        datasets: '${local.datasets}',
        audit_table: '${local.audit_table}',
        audit_permissions: '${local.audit_insert_permissions}',
        ticket_writers: resource(root, 'google_bigquery_table_iam_member', 'ticket_classifications_writer')
          .body.for_each,
        ticket_table: '${local.ticket_classifications_table}',
      },
      // The sample deployment names the OPE change topic, so ope-events is deployed and granted.
      vars: SAMPLE_VARS,
    });
  }, 60_000);

  it.each(Object.entries(expected))('%s holds exactly its grants', (fn, grants) => {
    const datasets = out.datasets as Record<string, string>;
    // The one condition every Firestore grant carries (least-privilege.test.ts checks each carries it).
    const databaseOf = (condition: unknown) =>
      /^resource\.name == "projects\/[^/]+\/databases\/([^"]+)"$/.exec(String(condition))?.[1];
    const database = databaseOf(out.firestore_condition);
    expect(
      resource(root, 'google_project_iam_member', 'runtime_firestore').body.condition,
      'the runtime Firestore grants are conditioned',
    ).toEqual([expect.objectContaining({ expression: '${local.firestore_iam_condition.expression}' })]);
    expect(
      resource(root, 'google_project_iam_member', 'runtime_tickets_firestore').body.condition,
      'classify-tickets’ Firestore grant is conditioned on its ledger’s database',
    ).toEqual([
      expect.objectContaining({ expression: '${local.tickets_firestore_iam_condition.expression}' }),
    ]);
    const actual = [
      ...Object.entries(out.firestore_roles as Record<string, string>)
        .filter(([f]) => f === fn)
        .map(([, role]) => `firestore database ${String(database)} ${role}`),
      ...asStringList(out.tickets_firestore)
        .filter((f) => f === fn)
        .map(
          () =>
            `firestore database ${String(databaseOf(out.tickets_firestore_condition))} roles/datastore.user`,
        ),
      ...(out.bigquery_job_users as string[])
        .filter((f) => f === fn)
        .map(() => 'project roles/bigquery.jobUser'),
      ...Object.values(out.readers as Record<string, { fn: string; dataset: string }>)
        .filter((r) => r.fn === fn)
        .map((r) => `dataset ${datasets[r.dataset]} roles/bigquery.dataViewer`),
    ];
    const roleId = String(resource(root, 'google_project_iam_custom_role', 'audit_insert').body.role_id);
    const permissions = asStringList(out.audit_permissions).join(', ');
    const table = resource(root, 'google_bigquery_table_iam_member', 'audit_writer');
    if (String(table.body.member).includes(`["${fn}"]`)) {
      expect(table.body.role).toBe('${google_project_iam_custom_role.audit_insert.id}');
      actual.push(`table ${String(out.audit_table)} custom role ${roleId} (${permissions})`);
    }
    const tickets = resource(root, 'google_bigquery_table_iam_member', 'ticket_classifications_writer');
    expect(tickets.body.member).toBe('serviceAccount:${local.runtime_service_accounts[each.key]}');
    expect(tickets.body.role).toBe('${google_project_iam_custom_role.audit_insert.id}');
    expect(tickets.body.table_id).toBe('${google_bigquery_table.tickets.table_id}');
    if (asStringList(out.ticket_writers).includes(fn))
      actual.push(`table ${String(out.ticket_table)} custom role ${roleId} (${permissions})`);
    expect(actual.sort()).toEqual([...grants].sort());
  });
});

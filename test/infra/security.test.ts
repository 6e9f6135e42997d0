// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Least privilege and secrets: no public principals, no primitive or authoritative IAM, invokers
 * limited to push identities and the scheduler, the secrets (each Stripe restricted key, the read
 * replicas' URLs) never in Terraform, mounted only into the functions that use them, readable only by
 * those. The findings of the least-privilege review (publish rights, the split Stripe key, the audit
 * insert role, Firestore conditions, ingress) are held in least-privilege.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COLLECTIONS, FUNCTIONS } from '../../shared/contracts/topology.js';
import {
  evaluateModuleCall,
  evaluateRoot,
  instancesOf,
  type ProbedInstance,
  SAMPLE_VARS,
} from './evaluate.js';
import {
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

  it('no public principal anywhere in the Terraform text', () => {
    for (const m of all) {
      for (const p of PUBLIC_PRINCIPALS) expect(m.text.includes(p), `${m.key} mentions ${p}`).toBe(false);
    }
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

  it('every member is a single non-public principal', () => {
    for (const r of iam) {
      const ms = members(r);
      expect(ms.length, `${r.module}:${r.type}.${r.name}`).toBe(1);
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

  it('invoker grants exist only in the module: its push identity, or the principals the caller names', () => {
    const who = invokerGrants().map((r) => `${r.module}:${r.name}:${members(r).join(',')}`);
    expect(who.sort()).toEqual(
      [
        'function:invoker:${each.value}',
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
    ];
  };

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s is invoked only by whom it must be', (name, fn) => {
    expect(invokers(name)).toEqual(
      fn.trigger.kind === 'http'
        ? ['serviceAccount:google_service_account.scheduler.email']
        : [`push identity of ${name}`],
    );
    expect(Object.keys(deployedAs(name).inputs.invoker_members as Body)).toEqual(
      deployedAs(name).resources['google_cloud_run_service_iam_member.invoker'],
    );
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
        '${google_cloud_run_service_iam_member.push_invoker}',
      ].sort(),
    );
  });

  it('the module refuses invokers for a Pub/Sub-fed function and public invokers for any', () => {
    const conditions = blocks(mod.variables.invoker_members ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(conditions).toContain('${var.trigger_topic_name == null || length(var.invoker_members) == 0}');
    expect(conditions.join('\n')).toContain('^(user|group|serviceAccount):');
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

  it('every function keeps its ingress setting (internal-only by default), labels and build ordering', () => {
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
      expect(deployedAs(f.name).inputs.ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
      expect(deployedAs(f.name).locals.labels).toEqual({ app: 'driftcontrol', function: f.name });
    }
  });
});

describe('secrets (the Stripe restricted keys, the read replicas’ URLs)', () => {
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
  };
  const LIVE_TRUTH_SECRET_KEYS = liveTruthSecrets('').map((s) => s.key);

  it('the secrets are created but no version: no value ever enters code or state', async () => {
    const stripe = resource(root, 'google_secret_manager_secret', 'stripe_key');
    expect(stripe.body.for_each).toBe('${local.stripe_keys}');
    expect(stripe.body.secret_id).toBe('${each.value.secret_id}');
    const replicas = resource(root, 'google_secret_manager_secret', 'replica_database_url');
    expect(replicas.body.for_each).toBe('${local.replica_databases}');
    expect(replicas.body.secret_id).toBe('${each.value.secret_id}');
    expect(
      resourcesOf(root, 'google_secret_manager_secret')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['replica_database_url', 'stripe_key']);
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
    for (const m of all) {
      expect(resourcesOf(m, 'google_secret_manager_secret_version')).toEqual([]);
      expect(m.text).not.toMatch(/secret_data|sk_live_|sk_test_|rk_live_/);
      // No database URL with credentials (user:password@) anywhere.
      expect(m.text).not.toMatch(/postgres(ql)?:\/\/[^\s"'@/]+:[^\s"'@]*@/);
    }
  });

  it('only gather and plan-apply receive secrets: its own Stripe key and the three replica URLs, at runtime', () => {
    const withSecret = FUNCTIONS.filter(
      (f) => (deployedAs(f.name).inputs.secret_environment_variables as unknown[]).length > 0,
    ).map((f) => f.name);
    expect(withSecret.sort()).toEqual(['gather', 'plan-apply']);
    for (const f of withSecret) {
      const mounted = [...(deployedAs(f).inputs.secret_environment_variables as Body[])].sort((a, b) =>
        String(a.key).localeCompare(String(b.key)),
      );
      expect(mounted).toEqual(liveTruthSecrets(STRIPE_SECRET_OF[f] as string));
    }
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
    const secretKeys = LIVE_TRUTH_SECRET_KEYS;
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

  it('the database is protected from deletion', () => {
    const db: Body = resource(root, 'google_firestore_database', 'driftcontrol').body;
    expect(attr(db, 'delete_protection_state')).toBe('DELETE_PROTECTION_ENABLED');
    expect(attr(db, 'deletion_policy')).toBe('ABANDON');
    expect(resourcesOf(root, 'google_firestore_database').map((r) => r.name)).toEqual(['driftcontrol']);
  });
});

describe('least privilege per function (the whole grant table, evaluated by Terraform)', () => {
  // What each runtime identity holds besides publishing to its topics and reading its secrets. A
  // Firestore role is granted on the project, conditioned on driftcontrol's database only.
  const expected: Record<string, string[]> = {
    'detect-drift': [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.user',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    gather: [
      'project roles/bigquery.jobUser',
      'firestore database driftcontrol roles/datastore.viewer',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    'plan-apply': ['firestore database driftcontrol roles/datastore.user'],
    'www-resync': ['firestore database driftcontrol roles/datastore.user'],
    'audit-writer': [
      'table cfbill_migrations_audit custom role driftcontrolAuditInsert (bigquery.tables.get, bigquery.tables.updateData)',
    ],
  };

  let out: Record<string, unknown>;
  beforeAll(async () => {
    out = await evaluateRoot(root, {
      outputs: {
        firestore_roles: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
        firestore_condition: '${local.firestore_iam_condition.expression}',
        bigquery_job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body
          .for_each,
        readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
        datasets: '${local.datasets}',
        audit_table: '${local.audit_table}',
        audit_permissions: '${local.audit_insert_permissions}',
      },
      vars: { project_id: SAMPLE_VARS.project_id },
    });
  }, 60_000);

  it.each(Object.entries(expected))('%s holds exactly its grants', (fn, grants) => {
    const datasets = out.datasets as Record<string, string>;
    // The one condition every Firestore grant carries (least-privilege.test.ts checks each carries it).
    const database = /^resource\.name == "projects\/[^/]+\/databases\/([^"]+)"$/.exec(
      String(out.firestore_condition),
    )?.[1];
    expect(
      resource(root, 'google_project_iam_member', 'runtime_firestore').body.condition,
      'the runtime Firestore grants are conditioned',
    ).toEqual([expect.objectContaining({ expression: '${local.firestore_iam_condition.expression}' })]);
    const actual = [
      ...Object.entries(out.firestore_roles as Record<string, string>)
        .filter(([f]) => f === fn)
        .map(([, role]) => `firestore database ${String(database)} ${role}`),
      ...(out.bigquery_job_users as string[])
        .filter((f) => f === fn)
        .map(() => 'project roles/bigquery.jobUser'),
      ...Object.values(out.readers as Record<string, { fn: string; dataset: string }>)
        .filter((r) => r.fn === fn)
        .map((r) => `dataset ${datasets[r.dataset]} roles/bigquery.dataViewer`),
    ];
    const table = resource(root, 'google_bigquery_table_iam_member', 'audit_writer');
    if (String(table.body.member).includes(`["${fn}"]`)) {
      expect(table.body.role).toBe('${google_project_iam_custom_role.audit_insert.id}');
      const permissions = asStringList(out.audit_permissions).join(', ');
      actual.push(
        `table ${String(out.audit_table)} custom role ${String(resource(root, 'google_project_iam_custom_role', 'audit_insert').body.role_id)} (${permissions})`,
      );
    }
    expect(actual.sort()).toEqual([...grants].sort());
  });
});

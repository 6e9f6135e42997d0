// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Least privilege and secrets: no public principals, no primitive or authoritative IAM, invokers
 * limited to push identities and the scheduler, the Stripe key never in Terraform.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../shared/contracts/topology.js';
import { evalTerraform } from './fixtures.js';
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

beforeAll(async () => {
  all = await loadAll();
  root = await loadModule('root');
  mod = await loadModule('eventFunction');
  iam = all.flatMap((m) => m.resources.filter((r) => /_iam_(member|binding|policy)$/.test(r.type)));
});

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

  it('every grant names a role that is not primitive', () => {
    for (const r of iam) {
      const role = String(r.body.role);
      expect(role, `${r.module}:${r.type}.${r.name}`).toMatch(/^roles\/|^\$\{each\.value\}$/);
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
    const firestoreRoles = Object.values(asBody(root.locals.firestore_roles)).map(String);
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

  it('only push identities and the scheduler hold an invoker role', () => {
    const who = invokerGrants().map((r) => `${r.module}:${members(r).join(',')}`);
    expect(who.sort()).toEqual(
      [
        'eventFunction:serviceAccount:${google_service_account.push.email}',
        'root:serviceAccount:${google_service_account.scheduler.email}',
      ].sort(),
    );
  });

  it('a push identity may invoke only its own function', () => {
    const g = resource(mod, 'google_cloud_run_service_iam_member', 'push_invoker');
    expect(g.body.service).toBe('${google_cloudfunctions2_function.this.name}');
  });

  it('detect-drift is invocable only by the scheduler, which calls it with OIDC', () => {
    const grants = invokerGrants().filter((r) => String(r.body.service).includes('detect_drift'));
    expect(grants).toHaveLength(1);
    expect(members(grants[0] as Resource)).toEqual([
      'serviceAccount:${google_service_account.scheduler.email}',
    ]);
    const job = resource(root, 'google_cloud_scheduler_job', 'detect_drift');
    const oidc = block(block(job.body, 'http_target') ?? {}, 'oidc_token');
    expect(str(oidc, 'service_account_email')).toBe('${google_service_account.scheduler.email}');
    expect(str(oidc, 'audience')).toBe('${local.detect_drift_uri}');
  });

  it('the Pub/Sub service agent may mint tokens for the push identity only (not project-wide)', () => {
    const g = resource(mod, 'google_service_account_iam_member', 'pubsub_agent_token_creator');
    expect(g.body.service_account_id).toBe('${google_service_account.push.name}');
    expect(g.body.role).toBe('roles/iam.serviceAccountTokenCreator');
    expect(g.body.member).toBe('serviceAccount:${var.pubsub_service_agent_email}');
    const projectWide = iam.filter(
      (r) => r.type === 'google_project_iam_member' && r.body.role === 'roles/iam.serviceAccountTokenCreator',
    );
    expect(projectWide).toEqual([]);
  });

  it('every function runs as its own service account', () => {
    const ids = [
      str(resource(root, 'google_service_account', 'detect_drift').body, 'account_id'),
      ...Object.values(root.modules)
        .filter((b) => b.source === './modules/event-function')
        .map((b) => str(b, 'service_account_id')),
    ];
    expect(ids).toHaveLength(FUNCTIONS.length);
    expect(new Set(ids).size).toBe(FUNCTIONS.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{4,24}[a-z0-9]$/);
  });

  it('builds run as a dedicated build account, not the default compute account', () => {
    const fns = [
      ...resourcesOf(root, 'google_cloudfunctions2_function'),
      ...resourcesOf(mod, 'google_cloudfunctions2_function'),
    ];
    for (const f of fns) {
      expect(str(block(f.body, 'build_config'), 'service_account')).toMatch(/build_service_account_id/);
    }
  });
});

describe('Stripe secret', () => {
  it('the secret is created but no version: the value never enters code or state', () => {
    expect(resource(root, 'google_secret_manager_secret', 'stripe').body.secret_id).toBe(
      '${var.stripe_secret_id}',
    );
    for (const m of all) {
      expect(resourcesOf(m, 'google_secret_manager_secret_version')).toEqual([]);
      expect(m.text).not.toMatch(/secret_data|sk_live_|sk_test_|rk_live_/);
    }
  });

  it('only gather and plan-apply receive it, as a runtime secret environment variable', () => {
    const withSecret = Object.values(root.modules)
      .filter((b) => b.secret_environment_variables !== undefined)
      .map((b) => b.name);
    expect(withSecret.sort()).toEqual(['gather', 'plan-apply']);
    const env = root.locals.stripe_secret_env;
    const entry = asBody(Array.isArray(env) ? env[0] : undefined);
    expect(entry.key).toBe('STRIPE_API_KEY');
    expect(entry.secret_id).toBe('${google_secret_manager_secret.stripe.secret_id}');
  });

  it('the module grants secretAccessor on exactly the secrets it mounts, before deploying', () => {
    const g = resource(mod, 'google_secret_manager_secret_iam_member', 'runtime_secret_accessor');
    expect(String(g.body.for_each)).toContain('var.secret_environment_variables');
    expect(g.body.secret_id).toBe('${each.value.secret_id}');
    expect(g.body.member).toBe('serviceAccount:${google_service_account.runtime.email}');
    const fn = resource(mod, 'google_cloudfunctions2_function', 'this');
    expect(asStringList(fn.body.depends_on)).toContain(
      '${google_secret_manager_secret_iam_member.runtime_secret_accessor}',
    );
  });
});

describe('Firestore', () => {
  it('the config document (kill switch) is never a Terraform resource', () => {
    for (const m of all) expect(resourcesOf(m, 'google_firestore_document')).toEqual([]);
  });

  it('indexes only reference collections of topology.ts', async () => {
    const { COLLECTIONS } = await import('../../shared/contracts/topology.js');
    expect(root.locals.collections).toEqual(
      Object.fromEntries(
        Object.entries({
          config: COLLECTIONS.config,
          runs: COLLECTIONS.runs,
          gates: COLLECTIONS.gates,
          account_state: COLLECTIONS.accountState,
        }),
      ),
    );
    for (const idx of resourcesOf(root, 'google_firestore_index')) {
      const m = /^\$\{local\.collections\.([a-z_]+)\}$/.exec(String(idx.body.collection));
      expect(m, `${idx.name} collection`).not.toBeNull();
      expect(Object.keys(asBody(root.locals.collections))).toContain(m?.[1]);
    }
  });

  it('the database is protected from deletion', () => {
    const db: Body = resource(root, 'google_firestore_database', 'default').body;
    expect(attr(db, 'delete_protection_state')).toBe('DELETE_PROTECTION_ENABLED');
    expect(attr(db, 'deletion_policy')).toBe('ABANDON');
  });
});

describe('least privilege per function (the whole grant table, evaluated by Terraform)', () => {
  // What each runtime identity holds besides publishing to its topics and reading its secret.
  const expected: Record<string, string[]> = {
    'detect-drift': [
      'project roles/bigquery.jobUser',
      'project roles/datastore.user',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    gather: [
      'project roles/bigquery.jobUser',
      'project roles/datastore.viewer',
      'dataset billing_mirror roles/bigquery.dataViewer',
      'dataset billing_observability roles/bigquery.dataViewer',
    ],
    'plan-apply': ['project roles/datastore.user'],
    'www-resync': ['project roles/datastore.user'],
    'audit-writer': ['table cfbill_migrations_audit roles/bigquery.dataEditor'],
  };

  it.each(Object.entries(expected))('%s holds exactly its grants', (fn, grants) => {
    const readers = String(
      resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
    );
    const out = evalTerraform(
      {
        firestore_roles: root.locals.firestore_roles,
        bigquery_job_users: root.locals.bigquery_job_users,
        bigquery_readers: root.locals.bigquery_readers,
        datasets: root.locals.datasets,
        readers,
      },
      {},
      ['firestore_roles', 'bigquery_job_users', 'readers', 'datasets'],
    );
    const datasets = out.datasets as Record<string, string>;
    const actual = [
      ...Object.entries(out.firestore_roles as Record<string, string>)
        .filter(([f]) => f === fn)
        .map(([, role]) => `project ${role}`),
      ...(out.bigquery_job_users as string[])
        .filter((f) => f === fn)
        .map(() => 'project roles/bigquery.jobUser'),
      ...Object.values(out.readers as Record<string, { fn: string; dataset: string }>)
        .filter((r) => r.fn === fn)
        .map((r) => `dataset ${datasets[r.dataset]} roles/bigquery.dataViewer`),
    ];
    const table = resource(root, 'google_bigquery_table_iam_member', 'audit_writer');
    if (String(table.body.member).includes(`["${fn}"]`)) {
      actual.push(`table ${String(root.locals.audit_table)} ${String(table.body.role)}`);
    }
    expect(actual.sort()).toEqual([...grants].sort());
  });
});

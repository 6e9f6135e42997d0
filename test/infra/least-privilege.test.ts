// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * The least-privilege review of the deployed shape, one finding per block, each held as Terraform
 * evaluates it (evaluate.ts):
 * - who may publish where: operators only to the replay entry topics (where `driftcontrol replay`
 *   publishes: detection's outputs), gather alone to accountViews, only pipeline identities to
 *   auditEvents; operators pull dead letters with subscriber and nothing more;
 * - Stripe: gather and plan-apply each mount their own restricted key, from different secrets, and hold
 *   Firestore on driftcontrol's database, where they lease their shares of the deployment's Stripe
 *   budgets;
 * - audit-writer and classify-tickets: a custom role with exactly the permissions tabledata.insertAll
 *   names, each on its own table only;
 * - Firestore: every grant conditioned on driftcontrol's own database, none unconditioned, but
 *   classify-tickets', conditioned on its ledger's own database;
 * - ingress: internal-only by default, overridable per function;
 * - the event path: stripe-events alone is public (allUsers, ALLOW_ALL: Stripe's webhooks cannot
 *   authenticate with Google IAM, the code checks Stripe's signature) and alone reads the webhook
 *   signing secret, with no Stripe API key and no replica; event-sweeper is called by the scheduler only
 *   and reads the mirror dataset only;
 * - external topics (the OPE team's change topic): nobody here may publish to one; ope-events, which
 *   reads it, holds datastore.user on driftcontrol's database and publish on auditEvents, and nothing
 *   else (nothing at all when the deployment does not name the topic);
 * - the weekly ticket signal: classify-tickets (untrusted ticket text, internet egress) holds its ledger
 *   in a Firestore database of its own and nothing on driftcontrol's (the kill switch, gates, leases,
 *   Stripe rate shares), inserts into its own table only, reads the ticket views and what they read,
 *   mounts the Jira token alone, and is invoked by the scheduler and the operators only (nothing at all
 *   without Jira);
 * - the support console (people, behind IAP): reads only (datastore.viewer on driftcontrol's database,
 *   dataViewer on the audit and observability datasets, jobs), publishes nothing, writes nothing, mounts
 *   its own read-only Stripe key (never gather's or plan-apply's) and the replica URLs, its Stripe port
 *   refuses writes, and only IAP's service agent may invoke it, through its load balancer (ingress
 *   ALLOW_INTERNAL_AND_GCLB), where only console_members pass IAP (nothing at all without
 *   console_domain).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COLLECTIONS,
  EXTERNAL_TOPICS,
  FUNCTIONS,
  type FunctionName,
  TOPICS,
  type TopicKey,
} from '../../shared/contracts/topology.js';
import {
  evaluateModuleCall,
  evaluateRoot,
  instancesOf,
  type ProbedInstance,
  SAMPLE_VARS,
  WITHOUT_CONSOLE,
  WITHOUT_JIRA,
  WITHOUT_OPE_TOPIC,
} from './evaluate.js';
import {
  asBody,
  asStringList,
  type Body,
  block,
  blocks,
  loadAll,
  loadModule,
  REPO_ROOT,
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

const OPERATOR = 'group:billing-oncall@example.com';
const VARS = { ...SAMPLE_VARS, operator_members: [OPERATOR] };
/** The topics `driftcontrol replay` republishes to (shared/pipeline/replay.ts): accounts, and zones. */
const REPLAY_ENTRIES: readonly TopicKey[] = ['stripeDriftAccounts', 'wwwDriftZones'];
/** The one function anyone may invoke, from anywhere (Stripe's webhooks). */
const PUBLIC_FUNCTION: FunctionName = 'stripe-events';

beforeAll(async () => {
  all = await loadAll();
  root = await loadModule('root');
  mod = await loadModule('function');
  iam = all.flatMap((m) => m.resources.filter((r) => /_iam_(member|binding|policy)$/.test(r.type)));
  deployed = await evaluateModuleCall(root, 'function');
}, 120_000);

function instance(fn: string, instances: Record<string, ProbedInstance> = deployed): ProbedInstance {
  const i = instances[fn];
  if (i === undefined) throw new Error(`module.function has no instance ${fn}`);
  return i;
}

const address = (r: Resource) => `${r.module}:${r.type}.${r.name}`;

/**
 * What the root module grants the runtime identities (their secrets are modules/function's: mounts), as
 * Terraform evaluates it for these inputs (with one operator, whose grants must never be counted here).
 */
async function runtimeGrants(vars: Record<string, unknown>): Promise<Record<string, unknown>> {
  return evaluateRoot(root, {
    outputs: {
      firestore: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
      condition: '${local.firestore_iam_condition.expression}',
      tickets_firestore: resource(root, 'google_project_iam_member', 'runtime_tickets_firestore').body
        .for_each,
      tickets_condition: '${local.tickets_firestore_iam_condition.expression}',
      publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
      job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body.for_each,
      readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
      ticket_writers: resource(root, 'google_bigquery_table_iam_member', 'ticket_classifications_writer').body
        .for_each,
      datasets: '${local.datasets}',
    },
    vars: { ...vars, operator_members: [OPERATOR] },
  });
}

/** Every grant a function's runtime identity holds in the root module, from runtimeGrants. */
function heldBy(out: Record<string, unknown>, fn: string): string[] {
  const datasets = out.datasets as Record<string, string>;
  const auditWriter = resource(root, 'google_bigquery_table_iam_member', 'audit_writer').body.member;
  return [
    ...Object.entries(asBody(out.firestore))
      .filter(([f]) => f === fn)
      .map(([, role]) => `${String(role)} if ${String(out.condition)}`),
    ...asStringList(out.tickets_firestore)
      .filter((f) => f === fn)
      .map(() => `roles/datastore.user if ${String(out.tickets_condition)}`),
    ...Object.values(out.publisher as Record<string, { fn: string; topic: string }>)
      .filter((g) => g.fn === fn)
      .map((g) => `roles/pubsub.publisher on ${g.topic}`),
    ...asStringList(out.job_users)
      .filter((f) => f === fn)
      .map(() => 'roles/bigquery.jobUser'),
    ...Object.values(out.readers as Record<string, { fn: string; dataset: string }>)
      .filter((r) => r.fn === fn)
      .map((r) => `roles/bigquery.dataViewer on ${datasets[r.dataset]}`),
    ...asStringList(out.ticket_writers)
      .filter((f) => f === fn)
      .map(() => 'driftcontrolAuditInsert on the ticket classifications table'),
    ...(String(auditWriter).includes(`["${fn}"]`) ? ['driftcontrolAuditInsert on the audit table'] : []),
  ];
}

// ---------------------------------------------------------------------------------------------------

describe('who may publish where', () => {
  let out: Record<string, unknown>;
  beforeAll(async () => {
    out = await evaluateRoot(root, {
      outputs: {
        publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
        operator: resource(root, 'google_pubsub_topic_iam_member', 'operator_publisher').body.for_each,
        operator_topics: '${local.operator_publish_topic_keys}',
        pull: resource(root, 'google_pubsub_subscription_iam_member', 'operator_dead_letter_subscriber').body
          .for_each,
        dead_letter_subscriptions: '${local.dead_letter_subscriptions}',
      },
      vars: VARS,
    });
  }, 60_000);

  /** Every principal allowed to publish to each hop topic, by topic key. */
  function publishersByTopic(): Record<string, string[]> {
    const by: Record<string, string[]> = Object.fromEntries(Object.keys(TOPICS).map((k) => [k, []]));
    for (const g of Object.values(out.publisher as Record<string, { fn: string; topic: string }>))
      by[g.topic]?.push(`function ${g.fn}`);
    for (const g of Object.values(out.operator as Record<string, { topic: string; member: string }>))
      by[g.topic]?.push(`operator ${g.member}`);
    for (const k of Object.keys(by)) by[k]?.sort();
    return by;
  }

  it('the only publish grants on hop topics are the per-function grants and the operators’ replay grant', () => {
    const topicGrants = iam.filter((r) => r.type === 'google_pubsub_topic_iam_member');
    expect(topicGrants.map(address).sort()).toEqual(
      [
        'function:google_pubsub_topic_iam_member.agent_dead_letter_publisher',
        'root:google_pubsub_topic_iam_member.operator_publisher',
        'root:google_pubsub_topic_iam_member.publisher',
      ].sort(),
    );
    for (const r of topicGrants) expect(r.body.role, address(r)).toBe('roles/pubsub.publisher');
    for (const name of ['publisher', 'operator_publisher'])
      expect(resource(root, 'google_pubsub_topic_iam_member', name).body.topic).toBe(
        '${google_pubsub_topic.hop[each.value.topic].name}',
      );
    expect(resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.member).toBe(
      'serviceAccount:${local.runtime_service_accounts[each.value.fn]}',
    );
    expect(resource(root, 'google_pubsub_topic_iam_member', 'operator_publisher').body.member).toBe(
      '${each.value.member}',
    );
    // The module's one topic grant: the Pub/Sub service agent dead-letters into the function's own
    // dead-letter topic, never a hop topic.
    const agent = resource(mod, 'google_pubsub_topic_iam_member', 'agent_dead_letter_publisher');
    expect(agent.body.topic).toBe('${google_pubsub_topic.dead_letter[0].name}');
    expect(agent.body.member).toBe('serviceAccount:${var.pubsub_service_agent_email}');
    // No Pub/Sub role on the project, which would reach every topic.
    for (const r of iam.filter((x) => x.type === 'google_project_iam_member'))
      expect(String(r.body.role), address(r)).not.toMatch(/^roles\/pubsub\./);
  });

  it('each topic: exactly the functions whose topology.json `publishes` names it, and operators only on the replay entries', () => {
    const expected: Record<string, string[]> = Object.fromEntries(
      (Object.keys(TOPICS) as TopicKey[]).map((k) => [
        k,
        [
          ...FUNCTIONS.filter((f) => f.publishes.includes(k)).map((f) => `function ${f.name}`),
          ...(REPLAY_ENTRIES.includes(k) ? [`operator ${OPERATOR}`] : []),
        ].sort(),
      ]),
    );
    expect(publishersByTopic()).toEqual(expected);
  });

  it.each([...EXTERNAL_TOPICS])('%s (another team’s topic): nobody here may publish to it', (key) => {
    expect(publishersByTopic()[key]).toEqual([]);
  });

  it('no operator may publish an AccountView or an audit row: gather alone publishes views, only pipeline identities audit rows', () => {
    const by = publishersByTopic();
    expect(by.accountViews).toEqual(['function gather']);
    expect(by.auditEvents?.every((p) => p.startsWith('function '))).toBe(true);
    expect(by.auditEvents?.length).toBeGreaterThan(0);
    for (const [topic, principals] of Object.entries(by))
      if (!REPLAY_ENTRIES.includes(topic as TopicKey))
        expect(
          principals.filter((p) => p.startsWith('operator ')),
          topic,
        ).toEqual([]);
    expect(asStringList(out.operator_topics).sort()).toEqual([...REPLAY_ENTRIES].sort());
  });

  it('the operators’ topics are the ones `driftcontrol replay` publishes to, all of them detection’s outputs', () => {
    const replay = readFileSync(join(REPO_ROOT, 'shared', 'pipeline', 'replay.ts'), 'utf8');
    const published = [...replay.matchAll(/publisher\.publish\(\s*'([A-Za-z]+)'/g)].map(
      (m) => m[1] as string,
    );
    expect(published.length).toBeGreaterThan(0);
    expect([...new Set(published)].sort()).toEqual(asStringList(out.operator_topics).sort());
    // A replay enters where detection does: never a hop that carries the pipeline's own decisions.
    const detection = FUNCTIONS.find((f) => f.name === 'detect-drift');
    for (const k of asStringList(out.operator_topics)) {
      expect(detection?.publishes, k).toContain(k);
      expect(['accountViews', 'auditEvents']).not.toContain(k);
    }
  });

  it('operators pull every dead-letter subscription with subscriber only (no viewer, no other subscription)', () => {
    const subGrants = iam.filter((r) => r.type === 'google_pubsub_subscription_iam_member');
    expect(subGrants.map(address).sort()).toEqual(
      [
        'function:google_pubsub_subscription_iam_member.agent_trigger_subscriber',
        'root:google_pubsub_subscription_iam_member.operator_dead_letter_subscriber',
      ].sort(),
    );
    expect(
      resource(root, 'google_pubsub_subscription_iam_member', 'operator_dead_letter_subscriber').body.role,
    ).toBe('roles/pubsub.subscriber');
    const pull = Object.values(out.pull as Record<string, { subscription: string; member: string }>);
    expect(pull.map((g) => g.subscription).sort()).toEqual(
      Object.values(out.dead_letter_subscriptions as Record<string, string>).sort(),
    );
    for (const g of pull) expect(g.member).toBe(OPERATOR);
    for (const r of iam) expect(String(r.body.role), address(r)).not.toBe('roles/pubsub.viewer');
  });

  it('the operators’ whole grant table', () => {
    const operatorGrants = iam
      .filter((r) => JSON.stringify(r.body).includes('var.operator_members'))
      .map((r) => `${r.type}.${r.name} ${String(r.body.role)}`);
    expect(operatorGrants.sort()).toEqual(
      [
        'google_bigquery_dataset_iam_member.operator_reader roles/bigquery.dataViewer',
        'google_project_iam_member.operator_bigquery_job_user roles/bigquery.jobUser',
        'google_project_iam_member.operator_firestore roles/datastore.user',
        'google_pubsub_subscription_iam_member.operator_dead_letter_subscriber roles/pubsub.subscriber',
        'google_pubsub_topic_iam_member.operator_publisher roles/pubsub.publisher',
      ].sort(),
    );
  });

  it('operators read the four datasets (the ticket views read billing_tickets) and invoke classify-tickets, and no other function', async () => {
    const ops = await evaluateRoot(root, {
      outputs: {
        readers: resource(root, 'google_bigquery_dataset_iam_member', 'operator_reader').body.for_each,
        invokers: '${local.function_invoker_members}',
      },
      vars: VARS,
    });
    expect(
      Object.values(ops.readers as Record<string, { dataset: string }>)
        .map((r) => r.dataset)
        .sort(),
    ).toEqual(['audit', 'mirror', 'observability', 'tickets']);
    const invoking = Object.entries(ops.invokers as Record<string, Record<string, string>>)
      .filter(([, members]) => Object.values(members).includes(OPERATOR))
      .map(([fn]) => fn);
    expect(invoking).toEqual(['classify-tickets']);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('Stripe: one restricted key per function that calls Stripe', () => {
  /** Each function that calls Stripe and the secret of its own key (the stand-ins carry the ids). */
  const OWN_KEY: Readonly<Record<string, string>> = {
    gather: SAMPLE_VARS.stripe_gather_secret_id,
    'plan-apply': SAMPLE_VARS.stripe_plan_apply_secret_id,
    console: SAMPLE_VARS.stripe_console_secret_id,
  };
  const stripeMount = (fn: string, instances: Record<string, ProbedInstance> = deployed) =>
    (instance(fn, instances).inputs.secret_environment_variables as Body[]).filter(
      (s) => s.key === 'STRIPE_API_KEY',
    );

  it('gather, plan-apply and the console each mount their own key as STRIPE_API_KEY, from different secrets', () => {
    for (const [fn, secret] of Object.entries(OWN_KEY))
      expect(
        stripeMount(fn).map((s) => s.secret_id),
        fn,
      ).toEqual([secret]);
    expect(new Set(Object.values(OWN_KEY)).size).toBe(Object.keys(OWN_KEY).length);
    for (const f of FUNCTIONS.filter((x) => !(x.name in OWN_KEY)))
      expect(stripeMount(f.name), f.name).toEqual([]);
  });

  it('each may read only its own key: the accessor grants follow the mounts, one per mounted secret', () => {
    for (const fn of Object.keys(OWN_KEY)) {
      const mountedIds = (instance(fn).inputs.secret_environment_variables as Body[]).map((s) => s.secret_id);
      for (const [other, secret] of Object.entries(OWN_KEY))
        if (other !== fn) expect(mountedIds, `${fn} must not reach ${other}'s key`).not.toContain(secret);
    }
    const accessor = resource(mod, 'google_secret_manager_secret_iam_member', 'runtime_secret_accessor');
    expect(accessor.body.secret_id).toBe('${each.value.secret_id}');
    expect(String(accessor.body.for_each)).toContain('var.secret_environment_variables');
  });

  it('by default the two secrets have distinct names, and one Stripe secret per function, labelled with its access', async () => {
    const out = await evaluateRoot(root, {
      outputs: {
        keys: '${local.stripe_keys}',
        ids: '${{ for fn, s in google_secret_manager_secret.stripe_key : fn => s.secret_id }}',
      },
    });
    expect(out.ids).toEqual({
      gather: 'stripe-gather-restricted-key',
      'plan-apply': 'stripe-plan-apply-restricted-key',
    });
    const keys = out.keys as Record<string, { access: string }>;
    expect(keys.gather?.access).toBe('read-only');
    // No console by default (console_domain empty): no key of it either.
    expect(Object.keys(keys).sort()).toEqual(['gather', 'plan-apply']);
    const secret = resource(root, 'google_secret_manager_secret', 'stripe_key');
    expect(String(secret.body.labels)).toContain('function = each.key');
    // With the console, a third secret, its own, labelled read-only like gather's.
    const withConsole = await evaluateRoot(root, {
      outputs: {
        keys: '${local.stripe_keys}',
        ids: '${{ for fn, s in google_secret_manager_secret.stripe_key : fn => s.secret_id }}',
      },
      vars: { ...SAMPLE_VARS, stripe_console_secret_id: 'stripe-console-restricted-key' },
    });
    expect((withConsole.ids as Body).console).toBe('stripe-console-restricted-key');
    expect((withConsole.keys as Record<string, { access: string }>).console?.access).toBe('read-only');
    expect(root.variables.stripe_console_secret_id?.default).toBe('stripe-console-restricted-key');
  });

  it('every function that calls Stripe and leases holds Firestore user on driftcontrol’s database, where it leases its share of the deployment’s Stripe budgets; the read-only console leases nothing and holds viewer', async () => {
    const out = await evaluateRoot(root, {
      outputs: {
        firestore: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
        condition: '${local.firestore_iam_condition.expression}',
      },
      vars: SAMPLE_VARS,
    });
    const callers = FUNCTIONS.filter((f) => stripeMount(f.name).length > 0).map((f) => f.name);
    expect(callers.sort()).toEqual(['console', 'gather', 'plan-apply']);
    const readOnly = callers.filter(
      (fn) => (instance(fn).inputs.environment_variables as Body).STRIPE_READ_ONLY === 'true',
    );
    expect(readOnly).toEqual(['console']);
    // The budgets (config stripeReadsPerSecond, stripeWritesPerSecond) and the leases
    // (driftcontrol_stripe_rate_shares, one document per kind) are in the database the grant names:
    // without it an instance could lease no share and so send Stripe nothing. A read-only port reads on
    // its own small budget and leases nothing (the factory gives it no shares), so viewer is enough.
    for (const fn of callers)
      expect(asBody(out.firestore)[fn], fn).toBe(
        readOnly.includes(fn) ? 'roles/datastore.viewer' : 'roles/datastore.user',
      );
    expect(String(out.condition)).toContain('/databases/driftcontrol"');
    expect(COLLECTIONS.stripeRateShares).toBe('driftcontrol_stripe_rate_shares');
    const factory = readFileSync(join(REPO_ROOT, 'shared', 'adapters', 'factory.ts'), 'utf8');
    expect(factory).toMatch(/shares: new FirestoreRateShares\(firestore\)/);
    expect(factory).toMatch(
      /config\.console\.stripeReadOnly\s*\?\s*\{[\s\S]{0,200}?budgets: async \(\) => \(\{\s*read: config\.console\.stripeReadsPerSecond/,
    );
    const shares = readFileSync(join(REPO_ROOT, 'shared', 'adapters', 'firestore-rate-shares.ts'), 'utf8');
    expect(shares).toContain('collection(COLLECTIONS.stripeRateShares)');
  });

  it('no per-instance split of the Stripe budget is left: nothing sets or names STRIPE_WRITE_INSTANCES', () => {
    for (const m of all) expect(m.text, m.key).not.toContain('STRIPE_WRITE_INSTANCES');
    for (const f of FUNCTIONS)
      expect(Object.keys(instance(f.name).inputs.environment_variables as Body), f.name).not.toContain(
        'STRIPE_WRITE_INSTANCES',
      );
  });

  it('the previous single full key is forgotten by Terraform, never destroyed by it (rolled and deleted by hand)', () => {
    expect(root.removed).toContainEqual({
      from: '${google_secret_manager_secret.stripe}',
      lifecycle: [{ destroy: false }],
    });
    expect(resourcesOf(root, 'google_secret_manager_secret').map((r) => r.name)).not.toContain('stripe');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('audit-writer and classify-tickets: only the permissions tabledata.insertAll needs, each on its own table only', () => {
  let out: Record<string, unknown>;
  beforeAll(async () => {
    out = await evaluateRoot(root, {
      outputs: {
        permissions: '${local.audit_insert_permissions}',
      },
      vars: SAMPLE_VARS,
    });
  }, 60_000);

  it('a custom role defined here with exactly bigquery.tables.updateData and bigquery.tables.get', () => {
    const role = resource(root, 'google_project_iam_custom_role', 'audit_insert');
    expect(role.body.permissions).toBe('${local.audit_insert_permissions}');
    expect(role.body.project).toBe('${var.project_id}');
    expect(asStringList(out.permissions).sort()).toEqual([
      'bigquery.tables.get',
      'bigquery.tables.updateData',
    ]);
    expect(role.body.role_id).toBe('driftcontrolAuditInsert');
    expect(resourcesOf(root, 'google_project_iam_custom_role').map((r) => r.name)).toEqual(['audit_insert']);
  });

  it('bound twice: on the audit table to audit-writer’s own runtime account, on the ticket classifications table to classify-tickets’', async () => {
    const bindings = iam.filter((r) =>
      String(r.body.role).includes('google_project_iam_custom_role.audit_insert'),
    );
    expect(bindings.map(address).sort()).toEqual([
      'root:google_bigquery_table_iam_member.audit_writer',
      'root:google_bigquery_table_iam_member.ticket_classifications_writer',
    ]);
    const b = resource(root, 'google_bigquery_table_iam_member', 'audit_writer').body;
    expect(b.role).toBe('${google_project_iam_custom_role.audit_insert.id}');
    expect(b.dataset_id).toBe('${google_bigquery_table.audit.dataset_id}');
    expect(b.table_id).toBe('${google_bigquery_table.audit.table_id}');
    expect(b.member).toBe('serviceAccount:${local.runtime_service_accounts["audit-writer"]}');
    const t = resource(root, 'google_bigquery_table_iam_member', 'ticket_classifications_writer').body;
    expect(t.role).toBe('${google_project_iam_custom_role.audit_insert.id}');
    expect(t.dataset_id).toBe('${google_bigquery_table.tickets.dataset_id}');
    expect(t.table_id).toBe('${google_bigquery_table.tickets.table_id}');
    expect(t.member).toBe('serviceAccount:${local.runtime_service_accounts[each.key]}');
    // For classify-tickets alone, and only when it is deployed.
    const writers = async (vars: Record<string, unknown>) =>
      asStringList((await evaluateRoot(root, { outputs: { w: t.for_each }, vars })).w);
    expect(await writers(SAMPLE_VARS)).toEqual(['classify-tickets']);
    expect(await writers(WITHOUT_JIRA)).toEqual([]);
  });

  it('audit-writer holds no other grant, and nobody holds dataEditor', () => {
    const naming = iam.filter((r) => String(r.body.member).includes('["audit-writer"]'));
    expect(naming.map(address)).toEqual(['root:google_bigquery_table_iam_member.audit_writer']);
    expect(FUNCTIONS.find((f) => f.name === 'audit-writer')?.publishes).toEqual([]);
    for (const r of iam) expect(String(r.body.role), address(r)).not.toBe('roles/bigquery.dataEditor');
    expect(Object.keys(asBody(root.locals.firestore_roles))).not.toContain('audit-writer');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('Firestore: every grant limited to driftcontrol’s own database (classify-tickets’ to its ledger’s)', () => {
  const firestoreRoles = () => Object.values(asBody(root.locals.firestore_roles)).map(String);
  /** The roles an IAM resource grants: its literal role, or the Firestore role map it iterates. */
  const rolesOf = (r: Resource): string[] =>
    r.body.role === '${each.value}' && String(r.body.for_each).includes('in local.firestore_roles')
      ? firestoreRoles()
      : [String(r.body.role)];

  it('every Firestore grant carries a database condition; none is unconditioned', () => {
    const datastore = iam.filter((r) => rolesOf(r).some((x) => x.startsWith('roles/datastore.')));
    expect(datastore.map(address).sort()).toEqual(
      [
        'root:google_project_iam_member.operator_firestore',
        'root:google_project_iam_member.runtime_firestore',
        'root:google_project_iam_member.runtime_tickets_firestore',
      ].sort(),
    );
    /** The condition each grant carries: classify-tickets' names its ledger's database. */
    const conditionOf = (r: Resource) =>
      r.name === 'runtime_tickets_firestore' ? 'tickets_firestore_iam_condition' : 'firestore_iam_condition';
    for (const r of datastore) {
      const condition = block(r.body, 'condition');
      expect(condition, `${address(r)} has no condition`).toBeDefined();
      expect(blocks(r.body, 'condition')).toHaveLength(1);
      expect(condition).toEqual({
        title: `\${local.${conditionOf(r)}.title}`,
        description: `\${local.${conditionOf(r)}.description}`,
        expression: `\${local.${conditionOf(r)}.expression}`,
      });
    }
    // The only project-wide grants without a condition are the ones that have no finer level.
    for (const r of iam.filter((x) => x.type === 'google_project_iam_member' && !('condition' in x.body)))
      expect(
        rolesOf(r).filter((x) => x.startsWith('roles/datastore.')),
        address(r),
      ).toEqual([]);
    expect(
      firestoreRoles().every((x) => ['roles/datastore.user', 'roles/datastore.viewer'].includes(x)),
    ).toBe(true);
  });

  it('the condition is resource.name == the dedicated database, as Firestore documents it', async () => {
    const cond = async (vars: Record<string, unknown>) =>
      (await evaluateRoot(root, { outputs: { c: '${local.firestore_iam_condition}' }, vars })).c as Record<
        string,
        string
      >;
    const c = await cond(SAMPLE_VARS);
    expect(c.expression).toBe(`resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol"`);
    expect(c.title).toMatch(/^[A-Za-z0-9 _-]{1,100}$/);
    const other = await cond({ ...SAMPLE_VARS, firestore_database_id: 'billing-drift-state' });
    expect(other.expression).toBe(
      `resource.name == "projects/${SAMPLE_VARS.project_id}/databases/billing-drift-state"`,
    );
  });

  it('the functions that write the ledger, leases, final outcomes, the event path’s state and the Stripe rate shares get user on driftcontrol’s database, the console viewer; audit-writer and classify-tickets nothing there', async () => {
    const out = await evaluateRoot(root, { outputs: { roles: '${local.firestore_roles}' } });
    expect(out.roles).toEqual({
      'detect-drift': 'roles/datastore.user',
      gather: 'roles/datastore.user',
      'plan-apply': 'roles/datastore.user',
      'www-resync': 'roles/datastore.user',
      'stripe-events': 'roles/datastore.user',
      'event-sweeper': 'roles/datastore.user',
      'ope-events': 'roles/datastore.user',
      // Reads the config, gates and drift lifecycle for people; leases no Stripe share.
      console: 'roles/datastore.viewer',
    });
  });

  it('classify-tickets gets user on its ledger’s own database only, and only when it is deployed', async () => {
    const grant = resource(root, 'google_project_iam_member', 'runtime_tickets_firestore').body;
    expect(grant.for_each).toBe('${toset(local.tickets_firestore_functions)}');
    expect(grant.role).toBe('roles/datastore.user');
    expect(grant.member).toBe('serviceAccount:${local.runtime_service_accounts[each.key]}');
    expect(asStringList(grant.depends_on)).toContain('${google_firestore_database.tickets}');
    const out = async (vars: Record<string, unknown>) =>
      evaluateRoot(root, {
        outputs: {
          fns: grant.for_each,
          c: '${local.tickets_firestore_iam_condition}',
          main: '${local.firestore_iam_condition.expression}',
        },
        vars,
      });
    const named = await out(SAMPLE_VARS);
    expect(asStringList(named.fns)).toEqual(['classify-tickets']);
    const c = named.c as Record<string, string>;
    expect(c.expression).toBe(
      `resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol-tickets"`,
    );
    expect(c.expression).not.toBe(named.main);
    expect(c.title).toMatch(/^[A-Za-z0-9 _-]{1,100}$/);
    // It follows its variable, which may never name driftcontrol's database (a validation refuses it).
    const other = await out({ ...SAMPLE_VARS, tickets_firestore_database_id: 'billing-ticket-weeks' });
    expect((other.c as Record<string, string>).expression).toBe(
      `resource.name == "projects/${SAMPLE_VARS.project_id}/databases/billing-ticket-weeks"`,
    );
    expect(asStringList((await out(WITHOUT_JIRA)).fns)).toEqual([]);
  });

  it('the ticket ledger’s database is created under its variable’s id, like driftcontrol’s, only with classify-tickets', async () => {
    const db = resource(root, 'google_firestore_database', 'tickets').body;
    const main = resource(root, 'google_firestore_database', 'driftcontrol').body;
    expect(db.name).toBe('${local.tickets_firestore_database}');
    expect(root.locals.tickets_firestore_database).toBe('${var.tickets_firestore_database_id}');
    expect(root.variables.tickets_firestore_database_id?.default).toBe('driftcontrol-tickets');
    for (const attr of [
      'location_id',
      'type',
      'concurrency_mode',
      'app_engine_integration_mode',
      'point_in_time_recovery_enablement',
      'delete_protection_state',
      'deletion_policy',
    ])
      expect(db[attr], attr).toEqual(main[attr]);
    const count = async (vars: Record<string, unknown>) =>
      Number((await evaluateRoot(root, { outputs: { n: db.count }, vars })).n);
    expect(await count(SAMPLE_VARS)).toBe(1);
    expect(await count(WITHOUT_JIRA)).toBe(0);
    // No index or TTL lives there: the ledger is read by document id only.
    for (const r of [
      ...resourcesOf(root, 'google_firestore_index'),
      ...resourcesOf(root, 'google_firestore_field'),
    ])
      expect(r.body.database, r.name).toBe('${local.firestore_database}');
  });

  it('the dedicated database is created under the variable’s id, and the run-ledger index lives in it', async () => {
    const db = resource(root, 'google_firestore_database', 'driftcontrol').body;
    expect(db.name).toBe('${var.firestore_database_id}');
    expect(db.type).toBe('FIRESTORE_NATIVE');
    expect(root.variables.firestore_database_id?.default).toBe('driftcontrol');
    expect(root.locals.firestore_database).toBe('${var.firestore_database_id}');
    const index = resource(root, 'google_firestore_index', 'runs_by_system_and_date').body;
    expect(index.database).toBe('${local.firestore_database}');
    expect(asStringList(index.depends_on)).toContain('${google_firestore_database.driftcontrol}');
    const out = await evaluateRoot(root, { outputs: { db: '${local.firestore_database}' } });
    expect(out.db).toBe('driftcontrol');
  });

  it('the (default) database of the previous layout is forgotten by Terraform, never destroyed by it', () => {
    expect(root.removed).toContainEqual({
      from: '${google_firestore_database.default}',
      lifecycle: [{ destroy: false }],
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('ingress: internal-only by default, but for the public webhook receiver and the console behind its load balancer', () => {
  /** The function people reach through an external load balancer with IAP (console.tf). */
  const LOAD_BALANCED: FunctionName = 'console';

  it('every function is internal-only unless an environment overrides it, stripe-events alone ALLOW_ALL, the console ALLOW_INTERNAL_AND_GCLB', () => {
    for (const f of FUNCTIONS)
      expect(instance(f.name).inputs.ingress_settings, f.name).toBe(
        f.name === PUBLIC_FUNCTION
          ? 'ALLOW_ALL'
          : f.name === LOAD_BALANCED
            ? 'ALLOW_INTERNAL_AND_GCLB'
            : 'ALLOW_INTERNAL_ONLY',
      );
    expect(
      FUNCTIONS.filter((f) => instance(f.name).inputs.ingress_settings === 'ALLOW_ALL').map((f) => f.name),
    ).toEqual([PUBLIC_FUNCTION]);
    expect(root.variables.ingress_settings?.default).toBe('ALLOW_INTERNAL_ONLY');
    expect(mod.variables.ingress_settings?.default).toBe('ALLOW_INTERNAL_ONLY');
    expect(
      block(resource(mod, 'google_cloudfunctions2_function', 'this').body, 'service_config')
        ?.ingress_settings,
    ).toBe('${var.ingress_settings}');
  });

  /**
   * Default ingress of each function for a deployment-wide setting: the public one stays reachable, the
   * console stays behind its load balancer.
   */
  const byDefault = (f: string, setting: string) =>
    f === PUBLIC_FUNCTION ? 'ALLOW_ALL' : f === LOAD_BALANCED ? 'ALLOW_INTERNAL_AND_GCLB' : setting;

  it('an override changes the function it names and no other; the deployment-wide setting changes all the authenticated ones', async () => {
    const one = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      ingress_settings_overrides: {
        'detect-drift': 'ALLOW_ALL',
        [PUBLIC_FUNCTION]: 'ALLOW_INTERNAL_AND_GCLB',
      },
    });
    for (const f of FUNCTIONS)
      expect(instance(f.name, one).inputs.ingress_settings, f.name).toBe(
        f.name === 'detect-drift'
          ? 'ALLOW_ALL'
          : f.name === PUBLIC_FUNCTION || f.name === LOAD_BALANCED
            ? 'ALLOW_INTERNAL_AND_GCLB'
            : 'ALLOW_INTERNAL_ONLY',
      );
    for (const setting of ['ALLOW_INTERNAL_AND_GCLB', 'ALLOW_INTERNAL_ONLY', 'ALLOW_ALL']) {
      const everyone = await evaluateModuleCall(root, 'function', {
        ...SAMPLE_VARS,
        ingress_settings: setting,
      });
      // Stripe calls from the internet: the deployment-wide setting never shuts it out.
      for (const f of FUNCTIONS)
        expect(instance(f.name, everyone).inputs.ingress_settings, `${f.name} ${setting}`).toBe(
          byDefault(f.name, setting),
        );
    }
  });

  it('every caller of an authenticated function is internal: Cloud Scheduler and Pub/Sub push of the function’s own project, on its run.app URI', () => {
    const fn = resource(mod, 'google_cloudfunctions2_function', 'this').body;
    const sub = resource(mod, 'google_pubsub_subscription', 'trigger').body;
    expect(fn.project).toBe('${var.project_id}');
    expect(sub.project).toBe('${var.project_id}');
    const push = block(sub, 'push_config');
    expect(String(push?.push_endpoint)).toMatch(
      /^\$\{google_cloudfunctions2_function\.this\.service_config\[0\]\.uri\}\//,
    );
    for (const name of ['detect_drift', 'event_sweeper', 'classify_tickets'])
      expect(resource(root, 'google_cloud_scheduler_job', name).body.project, name).toBe('${var.project_id}');
    expect(root.modules.function?.project_id).toBe('${var.project_id}');
    expect(mod.outputs.function_uri?.value).toBe(
      '${google_cloudfunctions2_function.this.service_config[0].uri}',
    );
    expect(root.locals.detect_drift_uri).toBe('${module.function["detect-drift"].function_uri}');
    // No other invoker: the only HTTP caller of detect-drift and event-sweeper is the scheduler, each
    // consumer's its push identity.
    for (const fn of ['detect-drift', 'event-sweeper'])
      expect(Object.values(instance(fn).inputs.invoker_members as Body), fn).toEqual([
        'serviceAccount:google_service_account.scheduler.email',
      ]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('the event path: one public function, holding only what verifying and scheduling need', () => {
  const secretIds = (fn: string, instances: Record<string, ProbedInstance> = deployed) =>
    (instance(fn, instances).inputs.secret_environment_variables as Body[]).map((s) => String(s.secret_id));
  const replicas = [
    SAMPLE_VARS.ope_database_url_secret_id,
    SAMPLE_VARS.billing_prod_database_url_secret_id,
    SAMPLE_VARS.cf_prod_database_url_secret_id,
  ];

  let grants: Record<string, unknown>;
  beforeAll(async () => {
    grants = await evaluateRoot(root, {
      outputs: {
        readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
        job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body.for_each,
        publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
      },
      vars: SAMPLE_VARS,
    });
  }, 60_000);

  it('stripe-events alone may be invoked by anyone and from anywhere (allUsers, ALLOW_ALL)', () => {
    for (const f of FUNCTIONS) {
      const i = instance(f.name);
      const open = f.name === PUBLIC_FUNCTION;
      expect(i.inputs.allow_unauthenticated, f.name).toBe(open);
      expect(i.resources['google_cloud_run_service_iam_member.public_invoker'], f.name).toBe(open ? 1 : 0);
      expect(i.inputs.ingress_settings === 'ALLOW_ALL', f.name).toBe(open);
    }
    // Anyone means anyone: no named invoker next to it, and no push identity (it is HTTP).
    expect(instance(PUBLIC_FUNCTION).inputs.invoker_members).toEqual({});
    expect(instance(PUBLIC_FUNCTION).inputs.trigger_topic_name).toBeNull();
  });

  it('stripe-events alone reads the webhook signing secret; it reads no Stripe key and no replica', () => {
    const webhook = SAMPLE_VARS.stripe_webhook_secret_id;
    for (const f of FUNCTIONS)
      expect(secretIds(f.name).includes(webhook), f.name).toBe(f.name === PUBLIC_FUNCTION);
    expect(secretIds(PUBLIC_FUNCTION)).toEqual([webhook]);
    for (const other of [
      SAMPLE_VARS.stripe_gather_secret_id,
      SAMPLE_VARS.stripe_plan_apply_secret_id,
      ...replicas,
    ])
      expect(secretIds(PUBLIC_FUNCTION)).not.toContain(other);
    // The accessor grant follows the mount: one, on that secret, for stripe-events' own account.
    expect(
      instance(PUBLIC_FUNCTION).resources['google_secret_manager_secret_iam_member.runtime_secret_accessor'],
    ).toEqual(['STRIPE_WEBHOOK_SECRET']);
    for (const f of FUNCTIONS.filter((x) => x.name !== PUBLIC_FUNCTION))
      expect(
        instance(f.name).resources['google_secret_manager_secret_iam_member.runtime_secret_accessor'],
        f.name,
      ).not.toContain('STRIPE_WEBHOOK_SECRET');
  });

  it('the webhook secret cannot be one of the Stripe key secrets (a validation refuses it)', () => {
    const conditions = blocks(root.variables.stripe_webhook_secret_id ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(conditions).toContain(
      '${!contains([var.stripe_gather_secret_id, var.stripe_plan_apply_secret_id], var.stripe_webhook_secret_id)}',
    );
  });

  it('stripe-events publishes nothing and holds no BigQuery grant', () => {
    expect(FUNCTIONS.find((f) => f.name === PUBLIC_FUNCTION)?.publishes).toEqual([]);
    const publisher = Object.values(grants.publisher as Record<string, { fn: string }>);
    expect(publisher.filter((g) => g.fn === PUBLIC_FUNCTION)).toEqual([]);
    expect(asStringList(grants.job_users)).not.toContain(PUBLIC_FUNCTION);
    const readers = Object.values(grants.readers as Record<string, { fn: string }>);
    expect(readers.filter((r) => r.fn === PUBLIC_FUNCTION)).toEqual([]);
    const naming = iam.filter((r) => String(r.body.member).includes(`["${PUBLIC_FUNCTION}"]`));
    expect(naming).toEqual([]);
  });

  it('event-sweeper reads the mirror dataset only, runs jobs, publishes to stripeDriftAccounts only, mounts nothing', () => {
    const readers = Object.entries(grants.readers as Record<string, { fn: string; dataset: string }>).filter(
      ([, r]) => r.fn === 'event-sweeper',
    );
    expect(readers).toEqual([['event-sweeper/mirror', { fn: 'event-sweeper', dataset: 'mirror' }]]);
    expect(asStringList(grants.job_users)).toContain('event-sweeper');
    const publishes = Object.values(grants.publisher as Record<string, { fn: string; topic: string }>)
      .filter((g) => g.fn === 'event-sweeper')
      .map((g) => g.topic);
    expect(publishes).toEqual(['stripeDriftAccounts']);
    expect(secretIds('event-sweeper')).toEqual([]);
    expect(instance('event-sweeper').inputs.vpc_connector).toBeNull();
    expect(instance('event-sweeper').inputs.allow_unauthenticated).toBe(false);
  });

  it('the BigQuery read grants keep the keys of the previous layout (no grant is removed and re-added), and classify-tickets’ and the console’s are added', () => {
    expect(Object.keys(grants.readers as Body).sort()).toEqual(
      [
        'detect-drift/mirror',
        'detect-drift/observability',
        'gather/mirror',
        'gather/observability',
        'event-sweeper/mirror',
        'classify-tickets/observability',
        'classify-tickets/audit',
        'classify-tickets/tickets',
        'console/audit',
        'console/observability',
        'console/tickets',
      ].sort(),
    );
  });
});

// ---------------------------------------------------------------------------------------------------

describe('ope-events: the pending checks in driftcontrol’s database and its audit rows, nothing else', () => {
  const FN: FunctionName = 'ope-events';

  it('holds datastore.user conditioned on driftcontrol’s database and publish on auditEvents, and nothing else', async () => {
    const out = await runtimeGrants(SAMPLE_VARS);
    expect(heldBy(out, FN).sort()).toEqual(
      [
        `roles/datastore.user if resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol"`,
        'roles/pubsub.publisher on auditEvents',
      ].sort(),
    );
    expect(FUNCTIONS.find((f) => f.name === FN)?.publishes).toEqual(['auditEvents']);
    // No grant in the Terraform names it directly (the audit table's does audit-writer).
    expect(iam.filter((r) => String(r.body.member).includes(`["${FN}"]`))).toEqual([]);
  });

  it('mounts no secret, reaches no network, is invoked by its own push identity only, internal ingress', () => {
    const i = instance(FN);
    expect(i.inputs.secret_environment_variables).toEqual([]);
    expect(i.resources['google_secret_manager_secret_iam_member.runtime_secret_accessor']).toEqual([]);
    expect(i.inputs.vpc_connector).toBeNull();
    expect(i.inputs.allow_unauthenticated).toBe(false);
    expect(i.inputs.invoker_members).toEqual({});
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.public_invoker')).toBe(0);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.push_invoker')).toBe(1);
    expect(i.inputs.ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
  });

  it('without the OPE change topic it holds nothing, and every other identity holds what it held', async () => {
    const named = await runtimeGrants(SAMPLE_VARS);
    const without = await runtimeGrants(WITHOUT_OPE_TOPIC);
    expect(heldBy(without, FN)).toEqual([]);
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(heldBy(without, f.name).sort(), f.name).toEqual(heldBy(named, f.name).sort());
  });
});

// ---------------------------------------------------------------------------------------------------

describe('classify-tickets: its week ledger, its own table, the ticket views, the Jira token, nothing else', () => {
  const FN: FunctionName = 'classify-tickets';

  it('holds datastore.user conditioned on its ledger’s own database, jobs, the insert role on its table and read on the ticket views and what they read, and nothing else', async () => {
    const out = await runtimeGrants(SAMPLE_VARS);
    expect(heldBy(out, FN).sort()).toEqual(
      [
        `roles/datastore.user if resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol-tickets"`,
        'roles/bigquery.jobUser',
        'roles/bigquery.dataViewer on billing_observability',
        'roles/bigquery.dataViewer on billing_audit',
        'roles/bigquery.dataViewer on billing_tickets',
        'driftcontrolAuditInsert on the ticket classifications table',
      ].sort(),
    );
    // It publishes nothing, and no dataEditor anywhere (the insert role is the narrowest that streams).
    expect(FUNCTIONS.find((f) => f.name === FN)?.publishes).toEqual([]);
    for (const r of iam) expect(String(r.body.role), address(r)).not.toBe('roles/bigquery.dataEditor');
    // Its week ledger lives in that database.
    expect(COLLECTIONS.ticketRuns).toBe('driftcontrol_ticket_runs');
  });

  it('holds nothing on driftcontrol’s database (kill switch, gates, leases, Stripe rate shares), and is pointed at its ledger’s', async () => {
    const out = await runtimeGrants(SAMPLE_VARS);
    expect(Object.keys(asBody(out.firestore))).not.toContain(FN);
    const main = `resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol"`;
    expect(out.condition).toBe(main);
    expect(heldBy(out, FN).filter((g) => g.includes(main))).toEqual([]);
    expect(heldBy(out, FN).filter((g) => g.startsWith('roles/datastore.'))).toHaveLength(1);
    expect(out.tickets_condition).not.toBe(out.condition);
    // Its FIRESTORE_DATABASE (all the code uses for Firestore) is the ledger's database.
    expect((instance(FN).inputs.environment_variables as Body).FIRESTORE_DATABASE).toBe(
      'driftcontrol-tickets',
    );
    // No other identity holds anything on the ledger's database.
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(
        heldBy(out, f.name).filter((g) => g.includes(String(out.tickets_condition))),
        f.name,
      ).toEqual([]);
    // The code's only Firestore use in classify-tickets is the ledger: the factory builds it on the one
    // Firestore client, which opens FIRESTORE_DATABASE.
    const factory = readFileSync(join(REPO_ROOT, 'shared', 'adapters', 'factory.ts'), 'utf8');
    expect(factory).toMatch(/databaseId: config\.firestoreDatabase/);
    expect(factory).toMatch(/ticketRuns: new FirestoreTicketRuns\(firestore\)/);
  });

  it('mounts the Jira token alone, reaches no network of the company, is invoked by the scheduler and the operators only, internal ingress', async () => {
    const i = instance(FN);
    expect(i.inputs.secret_environment_variables).toEqual([
      { key: 'JIRA_API_TOKEN', secret_id: SAMPLE_VARS.jira_api_token_secret_id, version: 'latest' },
    ]);
    expect(i.resources['google_secret_manager_secret_iam_member.runtime_secret_accessor']).toEqual([
      'JIRA_API_TOKEN',
    ]);
    // Jira Cloud is on the internet: default egress, no connector.
    expect(i.inputs.vpc_connector).toBeNull();
    expect(i.inputs.trigger_topic_name).toBeNull();
    expect(i.inputs.allow_unauthenticated).toBe(false);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.public_invoker')).toBe(0);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.push_invoker')).toBe(0);
    expect(i.inputs.invoker_members).toEqual({
      scheduler: 'serviceAccount:google_service_account.scheduler.email',
    });
    expect(i.inputs.ingress_settings).toBe('ALLOW_INTERNAL_ONLY');
    // Nobody else mounts the Jira token.
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(
        (instance(f.name).inputs.secret_environment_variables as Body[]).map((s) => s.key),
        f.name,
      ).not.toContain('JIRA_API_TOKEN');
  });

  it('the Jira token’s secret cannot be one of the other secrets (a validation refuses it)', () => {
    const conditions = blocks(root.variables.jira_api_token_secret_id ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    const distinct = conditions.find((c) => c.startsWith('${!contains('));
    expect(distinct).toBeDefined();
    for (const v of [
      'stripe_gather_secret_id',
      'stripe_plan_apply_secret_id',
      'stripe_webhook_secret_id',
      'ope_database_url_secret_id',
      'billing_prod_database_url_secret_id',
      'cf_prod_database_url_secret_id',
    ])
      expect(distinct, v).toContain(`var.${v}`);
  });

  it('without Jira it holds nothing and has no secret, and every other identity holds what it held', async () => {
    const named = await runtimeGrants(SAMPLE_VARS);
    const without = await runtimeGrants(WITHOUT_JIRA);
    expect(heldBy(without, FN)).toEqual([]);
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(heldBy(without, f.name).sort(), f.name).toEqual(heldBy(named, f.name).sort());
    const instances = await evaluateModuleCall(root, 'function', WITHOUT_JIRA);
    expect(Object.keys(instances)).not.toContain(FN);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('console: reads for people behind IAP, writes nothing, invoked by IAP alone', () => {
  const FN: FunctionName = 'console';
  const CONTROL_STATE = `resource.name == "projects/${SAMPLE_VARS.project_id}/databases/driftcontrol"`;
  /** What IAP's service agent stands for in the sample deployment (evaluate.ts's stand-in). */
  const IAP_AGENT = 'serviceAccount:google_project_service_identity.iap.console.email';
  const mounted = (fn: string) =>
    [...(instance(fn).inputs.secret_environment_variables as Body[])].sort((a, b) =>
      String(a.key).localeCompare(String(b.key)),
    );

  it('holds datastore.viewer conditioned on driftcontrol’s database, jobs and read on the audit, observability and tickets datasets, and nothing else', async () => {
    const out = await runtimeGrants(SAMPLE_VARS);
    expect(heldBy(out, FN).sort()).toEqual(
      [
        `roles/datastore.viewer if ${CONTROL_STATE}`,
        'roles/bigquery.jobUser',
        'roles/bigquery.dataViewer on billing_audit',
        'roles/bigquery.dataViewer on billing_observability',
        'roles/bigquery.dataViewer on billing_tickets',
      ].sort(),
    );
    // No grant in the Terraform names it directly: everything it holds is in the maps above.
    expect(iam.filter((r) => String(r.body.member).includes(`["${FN}"]`))).toEqual([]);
  });

  it('can write nothing: no Firestore role but viewer, no BigQuery write or insert role, no Pub/Sub role', async () => {
    const out = await runtimeGrants(SAMPLE_VARS);
    const held = heldBy(out, FN);
    expect(asBody(out.firestore)[FN]).toBe('roles/datastore.viewer');
    expect(held.filter((g) => g.startsWith('roles/datastore.'))).toEqual([
      `roles/datastore.viewer if ${CONTROL_STATE}`,
    ]);
    for (const g of held) {
      expect(g, 'a Pub/Sub role').not.toMatch(/pubsub/);
      expect(g, 'a BigQuery write').not.toMatch(/dataEditor|dataOwner|bigquery\.admin|Insert/);
      expect(g, 'a Firestore write').not.toMatch(/datastore\.(user|owner|importExportAdmin|indexAdmin)/);
    }
    // It publishes nothing: no topic in topology.json, no publish grant, and none on its ticket ledger.
    expect(FUNCTIONS.find((f) => f.name === FN)?.publishes).toEqual([]);
    expect(Object.values(out.publisher as Record<string, { fn: string }>).filter((g) => g.fn === FN)).toEqual(
      [],
    );
    expect(asStringList(out.tickets_firestore)).not.toContain(FN);
    expect(asStringList(out.ticket_writers)).not.toContain(FN);
  });

  it('mounts its own read-only Stripe key and the replica URLs, never gather’s or plan-apply’s key, the webhook secret or the Jira token; its Stripe port refuses writes', async () => {
    expect(mounted(FN)).toEqual([
      {
        key: 'BILLING_PROD_DATABASE_URL',
        secret_id: SAMPLE_VARS.billing_prod_database_url_secret_id,
        version: 'latest',
      },
      {
        key: 'CF_PROD_DATABASE_URL',
        secret_id: SAMPLE_VARS.cf_prod_database_url_secret_id,
        version: 'latest',
      },
      { key: 'OPE_DATABASE_URL', secret_id: SAMPLE_VARS.ope_database_url_secret_id, version: 'latest' },
      { key: 'STRIPE_API_KEY', secret_id: SAMPLE_VARS.stripe_console_secret_id, version: 'latest' },
    ]);
    expect(instance(FN).resources['google_secret_manager_secret_iam_member.runtime_secret_accessor']).toEqual(
      ['BILLING_PROD_DATABASE_URL', 'CF_PROD_DATABASE_URL', 'OPE_DATABASE_URL', 'STRIPE_API_KEY'],
    );
    const ids = mounted(FN).map((s) => s.secret_id);
    for (const other of [
      SAMPLE_VARS.stripe_plan_apply_secret_id,
      SAMPLE_VARS.stripe_gather_secret_id,
      SAMPLE_VARS.stripe_webhook_secret_id,
      SAMPLE_VARS.jira_api_token_secret_id,
    ])
      expect(ids, other).not.toContain(other);
    // Nobody else mounts the console's key.
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(
        mounted(f.name).map((s) => s.secret_id),
        f.name,
      ).not.toContain(SAMPLE_VARS.stripe_console_secret_id);
    // Its secret is labelled read-only, and a validation keeps it apart from every other secret.
    const keys = await evaluateRoot(root, { outputs: { k: '${local.stripe_keys}' }, vars: SAMPLE_VARS });
    expect((keys.k as Record<string, Body>)[FN]).toEqual({
      secret_id: SAMPLE_VARS.stripe_console_secret_id,
      access: 'read-only',
    });
    const distinct = blocks(root.variables.stripe_console_secret_id ?? {}, 'validation')
      .map((v) => String(v.condition))
      .find((c) => c.startsWith('${!contains('));
    for (const v of [
      'stripe_gather_secret_id',
      'stripe_plan_apply_secret_id',
      'stripe_webhook_secret_id',
      'ope_database_url_secret_id',
      'billing_prod_database_url_secret_id',
      'cf_prod_database_url_secret_id',
      'jira_api_token_secret_id',
    ])
      expect(distinct, v).toContain(`var.${v}`);
    // The port refuses writes whatever the key could do, and no operator extra can turn that off.
    expect((instance(FN).inputs.environment_variables as Body).STRIPE_READ_ONLY).toBe('true');
    const extras = blocks(root.variables.extra_environment_variables ?? {}, 'validation')
      .map((v) => String(v.condition))
      .join('\n');
    for (const name of ['STRIPE_READ_ONLY', 'IAP_AUDIENCE']) expect(extras, name).toContain(`"${name}"`);
  });

  it('is invoked by IAP’s service agent alone: no public invoker, no person, no operator, no push identity; ingress through its load balancer only', async () => {
    const i = instance(FN);
    expect(i.inputs.invoker_members).toEqual({ iap: IAP_AGENT });
    expect(i.resources['google_cloud_run_service_iam_member.invoker']).toEqual(['iap']);
    expect(i.inputs.allow_unauthenticated).toBe(false);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.public_invoker')).toBe(0);
    expect(instancesOf(i, 'google_cloud_run_service_iam_member.push_invoker')).toBe(0);
    expect(i.inputs.trigger_topic_name).toBeNull();
    expect(i.inputs.ingress_settings).toBe('ALLOW_INTERNAL_AND_GCLB');
    // The agent is IAP's (service-PROJECT_NUMBER@gcp-sa-iap.iam.gserviceaccount.com), made to exist
    // before the grant, only with the console.
    const agent = resource(root, 'google_project_service_identity', 'iap').body;
    expect(agent.service).toBe('iap.googleapis.com');
    expect(agent.provider).toBe('${google-beta}');
    expect(agent.for_each).toBe('${toset(local.console_functions)}');
    // Operators invoke classify-tickets, never the console; a deployment-wide ALLOW_ALL leaves it alone,
    // and no override may change it.
    const wide = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      operator_members: [OPERATOR],
      ingress_settings: 'ALLOW_ALL',
    });
    expect(instance(FN, wide).inputs.invoker_members).toEqual({ iap: IAP_AGENT });
    expect(instance(FN, wide).inputs.ingress_settings).toBe('ALLOW_INTERNAL_AND_GCLB');
    const overrides = blocks(root.variables.ingress_settings_overrides ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(overrides).toContain(
      '${lookup(var.ingress_settings_overrides, "console", "ALLOW_INTERNAL_AND_GCLB") == "ALLOW_INTERNAL_AND_GCLB"}',
    );
  });

  it('IAP is on its backend service, whose serverless NEG names the function by name; console_members pass IAP there and hold nothing else', async () => {
    const backend = resource(root, 'google_compute_backend_service', 'console').body;
    expect(block(backend, 'iap')).toEqual({ enabled: true });
    expect(backend.load_balancing_scheme).toBe('EXTERNAL_MANAGED');
    expect(str(block(backend, 'backend'), 'group')).toBe(
      '${google_compute_region_network_endpoint_group.console[each.key].id}',
    );
    const neg = resource(root, 'google_compute_region_network_endpoint_group', 'console').body;
    expect(neg.network_endpoint_type).toBe('SERVERLESS');
    // By the function's name, never module.function's output: the function's IAP_AUDIENCE reads the
    // backend service, so reading the module here would be a cycle.
    expect(block(neg, 'cloud_run')).toEqual({ service: '${each.key}' });
    expect(neg.region).toBe('${var.region}');
    for (const r of resourcesOf(root, 'google_compute_backend_service'))
      expect(JSON.stringify(r.body), r.name).not.toContain('module.function');
    // People: roles/iap.httpsResourceAccessor on that backend service, one grant per member, and the
    // only grants that read var.console_members.
    const access = resource(root, 'google_iap_web_backend_service_iam_member', 'console_access').body;
    expect(access.role).toBe('roles/iap.httpsResourceAccessor');
    expect(access.web_backend_service).toBe('${google_compute_backend_service.console[each.value.fn].name}');
    expect(access.member).toBe('${each.value.member}');
    const people = iam.filter((r) => JSON.stringify(r.body).includes('var.console_members'));
    expect(people.map(address)).toEqual(['root:google_iap_web_backend_service_iam_member.console_access']);
    const out = await evaluateRoot(root, { outputs: { access: access.for_each }, vars: SAMPLE_VARS });
    expect(out.access).toEqual(
      Object.fromEntries(SAMPLE_VARS.console_members.map((m) => [`console/${m}`, { fn: FN, member: m }])),
    );
    // Members are people or groups, never a public principal or a service account (a validation).
    const members = blocks(root.variables.console_members ?? {}, 'validation').map((v) =>
      String(v.condition),
    );
    expect(members.join('\n')).toContain('^(user|group):');
  });

  it('without console_domain it holds nothing and has no secret, invoker, load balancer or IAP, and every other identity holds what it held', async () => {
    const named = await runtimeGrants(SAMPLE_VARS);
    const without = await runtimeGrants(WITHOUT_CONSOLE);
    expect(heldBy(without, FN)).toEqual([]);
    for (const f of FUNCTIONS.filter((x) => x.name !== FN))
      expect(heldBy(without, f.name).sort(), f.name).toEqual(heldBy(named, f.name).sort());
    const instances = await evaluateModuleCall(root, 'function', WITHOUT_CONSOLE);
    expect(Object.keys(instances)).not.toContain(FN);
    const consoleResources = root.resources.filter((r) => r.file === 'console.tf');
    expect(consoleResources.length).toBeGreaterThan(5);
    const keysOf = async (vars: Record<string, unknown>) =>
      evaluateRoot(root, {
        outputs: {
          ...Object.fromEntries(consoleResources.map((r) => [`${r.type}__${r.name}`, r.body.for_each])),
          keys: '${{ for fn, k in local.stripe_keys : fn => k.secret_id }}',
          apis: '${local.apis}',
        },
        vars,
      });
    const on = await keysOf(SAMPLE_VARS);
    const off = await keysOf(WITHOUT_CONSOLE);
    const empty = (v: unknown) =>
      Array.isArray(v) ? v.length === 0 : Object.keys(asBody(v ?? {})).length === 0;
    for (const r of consoleResources) {
      const k = `${r.type}__${r.name}`;
      expect(JSON.stringify(on[k]), `${k} with the console`).toContain(FN);
      expect(empty(off[k]), `${k} without the console`).toBe(true);
    }
    expect(Object.keys(asBody(off.keys)).sort()).toEqual(['gather', 'plan-apply']);
    expect(asStringList(on.apis)).toEqual(
      expect.arrayContaining(['compute.googleapis.com', 'iap.googleapis.com']),
    );
    expect(asStringList(off.apis)).not.toContain('iap.googleapis.com');
    expect(asStringList(off.apis)).not.toContain('compute.googleapis.com');
  });
});

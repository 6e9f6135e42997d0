// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Holds infra/terraform to shared/contracts/topology.ts: Terraform reads the topology from the same
 * topology.json the code reads, and evaluates it (with the real Terraform binary, offline: evaluate.ts)
 * to every function deployed once with its entry point, trigger topic and ordering, every topic the code
 * publishes to created and granted, every subscription named, dead-lettered, retried and consumed,
 * every dead-letter topic drained; and every external topic (another team's: the OPE change topic)
 * subscribed to at the id the deployment gives, never created, granted on or published to, its
 * consumer (ope-events) deployed only when that id is given; classify-tickets deployed only when the
 * deployment names a Jira site; and the support console (with its load balancer and IAP) only when it
 * names the console's hostname.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIT_TABLE,
  COLLECTIONS,
  DATASETS,
  deadLetterSubscriptionName,
  deadLetterTopicName,
  EXTERNAL_TOPICS,
  FUNCTIONS,
  type FunctionSpec,
  subscriptionName,
  TICKET_CLASSIFICATIONS_TABLE,
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
  loadAll,
  loadModule,
  REPO_ROOT,
  resource,
  resourcesOf,
  str,
  type TfModule,
} from './hcl.js';

let root: TfModule;
let mod: TfModule;
let evaluated: Record<string, unknown>;
let instances: Record<string, ProbedInstance>;

beforeAll(async () => {
  root = await loadModule('root');
  mod = await loadModule('function');
  evaluated = await evaluateRoot(root, {
    outputs: {
      topology: '${local.topology}',
      topics: '${local.topics}',
      functions: '${local.functions}',
      publishes: '${local.publishes}',
      datasets: '${local.datasets}',
      audit_table: '${local.audit_table}',
      ticket_classifications_table: '${local.ticket_classifications_table}',
      collections: '${local.collections}',
      hop_names: '${{ for k, t in google_pubsub_topic.hop : k => t.name }}',
      runtime_service_accounts: '${local.runtime_service_accounts}',
      dead_letter_subscriptions: '${local.dead_letter_subscriptions}',
      external_topic_keys: '${local.external_topic_keys}',
      external_topic_ids: '${local.external_topic_ids}',
    },
    vars: SAMPLE_VARS,
  });
  instances = await evaluateModuleCall(root, 'function');
}, 120_000);

const httpFunctions = FUNCTIONS.filter((f) => f.trigger.kind === 'http');
const eventFunctions = FUNCTIONS.filter((f) => f.trigger.kind === 'pubsub');

/**
 * Each external topic of topology.json and the variable that names it in a deployment (its full id,
 * projects/PROJECT/topics/NAME), with the sample deployment's value.
 */
const EXTERNAL_TOPIC_VARIABLES: Readonly<Partial<Record<TopicKey, 'ope_change_topic_id'>>> = {
  opeChanges: 'ope_change_topic_id',
};
const externalKeys = [...EXTERNAL_TOPICS];
/** The topics this deployment creates: every topic but the external ones. */
const HOP_TOPICS = Object.fromEntries(
  Object.entries(TOPICS).filter(([k]) => !EXTERNAL_TOPICS.has(k as TopicKey)),
);

/** Project and name of the topic feeding a Pub/Sub-fed function in the sample deployment. */
function triggerTopicOf(fn: FunctionSpec): { project: string; name: string } | null {
  if (fn.trigger.kind !== 'pubsub') return null;
  const variable = EXTERNAL_TOPIC_VARIABLES[fn.trigger.topic];
  if (variable === undefined) return { project: SAMPLE_VARS.project_id, name: TOPICS[fn.trigger.topic] };
  const m = /^projects\/([^/]+)\/topics\/([^/]+)$/.exec(SAMPLE_VARS[variable]);
  if (m === null) throw new Error(`${variable} is not a topic id`);
  return { project: m[1] as string, name: m[2] as string };
}

function instance(name: string): ProbedInstance {
  const i = instances[name];
  if (i === undefined) throw new Error(`module.function has no instance ${name}`);
  return i;
}

/** Every string in a parsed body (literals and expressions alike). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(strings);
  return [];
}

describe('the topology comes from shared/contracts/topology.json', () => {
  it('main.tf decodes topology.json, found from the module path', () => {
    expect(root.locals.repo_root).toBe('${abspath("${path.module}/../..")}');
    expect(root.locals.topology).toBe(
      '${jsondecode(file("${local.repo_root}/shared/contracts/topology.json"))}',
    );
    const file = JSON.parse(readFileSync(join(REPO_ROOT, 'shared', 'contracts', 'topology.json'), 'utf8'));
    expect(evaluated.topology).toEqual(file);
  });

  it('topics, publish lists, datasets, the audit and ticket classifications tables and collections are read from it', () => {
    expect(root.locals.topics).toBe('${local.topology.topics}');
    expect(root.locals.datasets).toBe('${local.topology.datasets}');
    expect(root.locals.audit_table).toBe('${local.topology.auditTable}');
    expect(root.locals.ticket_classifications_table).toBe('${local.topology.ticketClassificationsTable}');
    expect(evaluated.ticket_classifications_table).toBe(TICKET_CLASSIFICATIONS_TABLE);
    expect(root.locals.collections).toBe('${local.topology.collections}');
    expect(evaluated.topics).toEqual({ ...TOPICS });
    expect(evaluated.publishes).toEqual(Object.fromEntries(FUNCTIONS.map((f) => [f.name, [...f.publishes]])));
    expect(evaluated.datasets).toEqual({ ...DATASETS });
    expect(evaluated.audit_table).toBe(AUDIT_TABLE);
    expect(evaluated.collections).toEqual({ ...COLLECTIONS });
  });

  it('local.functions is every function of topology.ts with its entry point, trigger and ordering', () => {
    expect(String(root.locals.functions)).toContain('in local.topology.functions');
    expect(evaluated.functions).toEqual(
      Object.fromEntries(
        FUNCTIONS.map((f) => [
          f.name,
          {
            entry_point: f.entryPoint,
            description: f.description,
            trigger_topic_key: f.trigger.kind === 'pubsub' ? f.trigger.topic : null,
            message_ordering: f.trigger.kind === 'pubsub' ? f.trigger.messageOrdering : false,
          },
        ]),
      ),
    );
  });

  it('no topic, dataset, table or collection name is typed again in the Terraform', async () => {
    const names = [
      ...Object.values(TOPICS),
      ...Object.values(DATASETS),
      AUDIT_TABLE,
      TICKET_CLASSIFICATIONS_TABLE,
      ...Object.values(COLLECTIONS),
    ];
    for (const m of await loadAll()) {
      const bodies = [
        ...m.resources.map((r) => r.body),
        ...m.data.map((r) => r.body),
        ...Object.values(m.modules),
        ...Object.values(m.outputs),
        m.locals,
      ];
      for (const s of bodies.flatMap(strings)) {
        for (const name of names) {
          const where = `${m.key}: ${s.slice(0, 120)}`;
          expect(s, where).not.toBe(name);
          // Names with a separator are distinctive enough to look for inside text and expressions.
          if (/[-_]/.test(name)) expect(s, where).not.toMatch(new RegExp(`(?<![\\w-])${name}(?![\\w-])`));
        }
      }
    }
  });
});

describe('topics', () => {
  it('one google_pubsub_topic per topic of topology.json but the external ones, keyed by its topic key', () => {
    const hop = resource(root, 'google_pubsub_topic', 'hop');
    expect(hop.body.for_each).toBe('${local.hop_topics}');
    expect(hop.body.name).toBe('${each.value}');
    expect(evaluated.hop_names).toEqual(HOP_TOPICS);
    expect(Object.keys(HOP_TOPICS).length).toBe(Object.keys(TOPICS).length - EXTERNAL_TOPICS.size);
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s may publish to exactly its topics', (name, fn) => {
    const keys = asBody(evaluated.publishes)[name] as string[];
    const topics = evaluated.topics as Record<string, string>;
    expect(keys.map((k) => topics[k]).sort()).toEqual(fn.publishes.map((k) => TOPICS[k]).sort());
  });

  it('publisher grants iterate local.publishes onto the hop topics and each runtime account', () => {
    const pub = resource(root, 'google_pubsub_topic_iam_member', 'publisher');
    expect(String(pub.body.for_each)).toContain('local.publishes');
    expect(pub.body.topic).toBe('${google_pubsub_topic.hop[each.value.topic].name}');
    expect(pub.body.role).toBe('roles/pubsub.publisher');
    expect(pub.body.member).toBe('serviceAccount:${local.runtime_service_accounts[each.value.fn]}');
  });

  it('local.runtime_service_accounts is each function’s own runtime account, for every function', () => {
    expect(evaluated.runtime_service_accounts).toEqual(
      Object.fromEntries(
        FUNCTIONS.map((f) => [f.name, `module.function.${f.name}.runtime_service_account_email`]),
      ),
    );
  });

  it('topics keep messages for seek-based replay', () => {
    const hop = resource(root, 'google_pubsub_topic', 'hop');
    expect(hop.body.message_retention_duration).toBe('${var.topic_message_retention_s}s');
    expect(Number(root.variables.topic_message_retention_s?.default)).toBeGreaterThanOrEqual(7 * 86400);
  });
});

describe('functions', () => {
  it('one module call deploys every function of topology.json, and no function is deployed outside it', () => {
    expect(resourcesOf(root, 'google_cloudfunctions2_function')).toEqual([]);
    const calls = Object.entries(root.modules).filter(([, b]) => b.source === './modules/function');
    expect(calls.map(([n]) => n)).toEqual(['function']);
    expect(root.modules.function?.for_each).toBe('${local.deployed_functions}');
    // The sample deployment names every external topic and a Jira site, so every function is deployed.
    expect(Object.keys(instances).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))(
    '%s is deployed with its name, description, entry point, trigger topic and ordering',
    (name, fn) => {
      const inputs = instance(name).inputs;
      expect(inputs.name).toBe(name);
      expect(inputs.description).toBe(fn.description);
      expect(inputs.entry_point).toBe(fn.entryPoint);
      const topic = triggerTopicOf(fn);
      expect(inputs.trigger_topic_name).toBe(topic?.name ?? null);
      expect(inputs.trigger_topic_project_id).toBe(topic?.project ?? null);
      expect(inputs.enable_message_ordering).toBe(fn.trigger.kind === 'pubsub' && fn.trigger.messageOrdering);
      expect(inputs.source_object).toBe('google_storage_bucket_object.functions_source.name');
      expect(inputs.pubsub_service_agent_email).toBe('google_project_service_identity.pubsub.email');
      expect(inputs.project_id).toBe(SAMPLE_VARS.project_id);
    },
  );

  it('what differs between functions is a map per concern naming exactly the functions of topology.json', () => {
    const call = JSON.stringify(root.modules.function);
    for (const name of [
      'function_settings',
      'function_environment',
      'function_secret_environment',
      'function_vpc_connector',
      'function_invoker_members',
      'function_allow_unauthenticated',
      'function_ingress_settings',
      'function_trigger_topic_names',
      'function_trigger_topic_project_ids',
    ]) {
      expect(call, `the module call looks up local.${name}`).toContain(`local.${name}[each.key]`);
    }
    for (const name of [
      'function_defaults',
      'function_environment',
      'function_secret_environment',
      'function_vpc_connector',
      'function_invoker_members',
      'function_allow_unauthenticated',
      'bigquery_read_datasets',
    ]) {
      expect(Object.keys(asBody(root.locals[name])).sort(), `local.${name}`).toEqual(
        FUNCTIONS.map((f) => f.name).sort(),
      );
    }
  });

  it('the module call is the same for every function: what differs is looked up by function name', () => {
    const call = asBody(root.modules.function);
    for (const [arg, expr] of Object.entries(call)) {
      for (const f of FUNCTIONS) {
        expect(JSON.stringify(expr), `argument ${arg} names ${f.name}`).not.toContain(`\\"${f.name}\\"`);
      }
    }
  });

  it('the module deploys one nodejs22 function named and entered as its inputs say', () => {
    const fns = resourcesOf(mod, 'google_cloudfunctions2_function');
    expect(fns).toHaveLength(1);
    const body = (fns[0] as { body: Body }).body;
    expect(body.name).toBe('${var.name}');
    const build = block(body, 'build_config');
    expect(str(build, 'runtime')).toBe('nodejs22');
    expect(str(build, 'entry_point')).toBe('${var.entry_point}');
    expect(body.event_trigger).toBeUndefined();
    const storage = block(block(build ?? {}, 'source') ?? {}, 'storage_source');
    expect(str(storage, 'object')).toBe('${var.source_object}');
    expect(str(block(body, 'service_config'), 'service_account_email')).toBe(
      '${google_service_account.runtime.email}',
    );
    for (const f of FUNCTIONS)
      expect(instancesOf(instance(f.name), 'google_cloudfunctions2_function.this')).toBe(1);
  });

  it.each(FUNCTIONS.map((f) => [f.name] as const))('%s has sizing defaults set deliberately', (name) => {
    const defaults = asBody(asBody(root.locals.function_defaults)[name]);
    for (const key of [
      'memory_mb',
      'cpu',
      'timeout_s',
      'min_instances',
      'max_instances',
      'max_concurrent_requests',
    ]) {
      expect(defaults[key], `${name}.${key}`).toBeDefined();
      expect(instance(name).inputs[key], `${name}.${key} reaches the module`).toEqual(
        key === 'cpu' ? defaults[key] : Number(defaults[key]),
      );
    }
    if (Number(defaults.max_concurrent_requests) > 1) expect(Number(defaults.cpu)).toBeGreaterThanOrEqual(1);
  });

  it.each(eventFunctions.map((f) => [f.name] as const))(
    '%s times out before its push ack deadline (else Pub/Sub redelivers work in progress)',
    (name) => {
      const inputs = instance(name).inputs;
      expect(inputs.ack_deadline_s).toBe(Number(root.variables.pubsub_ack_deadline_s?.default));
      expect(Number(inputs.timeout_s)).toBeLessThanOrEqual(Number(inputs.ack_deadline_s));
    },
  );
});

/** What modules/function creates for a Pub/Sub-fed function, and not for an HTTP one. */
const PUBSUB_RESOURCES = [
  'google_service_account.push',
  'google_cloud_run_service_iam_member.push_invoker',
  'google_service_account_iam_member.pubsub_agent_token_creator',
  'google_pubsub_topic.dead_letter',
  'google_pubsub_subscription.trigger',
  'google_pubsub_subscription.dead_letter',
  'google_pubsub_topic_iam_member.agent_dead_letter_publisher',
  'google_pubsub_subscription_iam_member.agent_trigger_subscriber',
];

describe('subscriptions', () => {
  const moduleSub = () => resource(mod, 'google_pubsub_subscription', 'trigger');
  const moduleDlq = () => resource(mod, 'google_pubsub_subscription', 'dead_letter');
  const moduleDlqTopic = () => resource(mod, 'google_pubsub_topic', 'dead_letter');

  it.each(eventFunctions.map((f) => [f.name, f] as const))(
    '%s: its subscription, dead-letter topic and dead-letter subscription, named as topology.ts derives them',
    (name, fn) => {
      const i = instance(name);
      for (const r of PUBSUB_RESOURCES) expect(instancesOf(i, r), `${name} ${r}`).toBe(1);
      expect(i.locals.subscription_name).toBe(subscriptionName(fn.name));
      expect(i.locals.dead_letter_topic_name).toBe(deadLetterTopicName(fn.name));
      expect(i.locals.dead_letter_subscription_name).toBe(deadLetterSubscriptionName(fn.name));
      const topic = triggerTopicOf(fn);
      if (topic === null) throw new Error('unreachable');
      expect(i.locals.trigger_topic_id).toBe(`projects/${topic.project}/topics/${topic.name}`);
      expect(moduleSub().body.name).toBe('${local.subscription_name}');
      expect(moduleDlqTopic().body.name).toBe('${local.dead_letter_topic_name}');
      expect(moduleDlq().body.name).toBe('${local.dead_letter_subscription_name}');
    },
  );

  it.each(httpFunctions.map((f) => [f.name] as const))(
    '%s (http) has no subscription, dead letter or push identity',
    (name) => {
      for (const r of PUBSUB_RESOURCES) expect(instancesOf(instance(name), r), `${name} ${r}`).toBe(0);
    },
  );

  it('the trigger subscription reads the trigger topic, in its own project (the function’s by default)', () => {
    expect(mod.locals.trigger_topic_project_id).toBe(
      '${coalesce(var.trigger_topic_project_id, var.project_id)}',
    );
    expect(mod.locals.trigger_topic_id).toBe(
      '${local.pubsub ? "projects/${local.trigger_topic_project_id}/topics/${var.trigger_topic_name}" : null}',
    );
    expect(moduleSub().body.topic).toBe('${local.trigger_topic_id}');
    // The subscription itself, and everything of the module, lives in the function's project.
    expect(moduleSub().body.project).toBe('${var.project_id}');
  });

  // Every subscription in every module: consumer subscriptions need a dead letter, a retry policy and
  // a push consumer; subscriptions on dead-letter topics are the pull consumers kept for replay.
  const allSubs = () => [
    ...resourcesOf(root, 'google_pubsub_subscription'),
    ...resourcesOf(mod, 'google_pubsub_subscription'),
  ];
  const deadLetterTopicRefs = () =>
    allSubs()
      .map((s) => str(block(s.body, 'dead_letter_policy'), 'dead_letter_topic'))
      .filter((x): x is string => x !== undefined);

  it('there are subscriptions to check', () => {
    expect(allSubs().length).toBeGreaterThanOrEqual(2);
  });

  it('every consumer subscription has a dead-letter topic, a retry policy and a push consumer', () => {
    const dlRefs = new Set(deadLetterTopicRefs());
    const consumers = allSubs().filter((s) => !dlRefs.has(String(s.body.topic)));
    expect(consumers.length).toBeGreaterThan(0);
    for (const s of consumers) {
      const where = `${s.module}:${s.type}.${s.name}`;
      const dl = block(s.body, 'dead_letter_policy');
      expect(str(dl, 'dead_letter_topic'), `${where} dead_letter_topic`).toMatch(
        /^\$\{google_pubsub_topic\.\w+(\[0\])?\.id\}$/,
      );
      expect(dl?.max_delivery_attempts, `${where} max_delivery_attempts`).toBeDefined();
      const retry = block(s.body, 'retry_policy');
      expect(str(retry, 'minimum_backoff'), `${where} minimum_backoff`).toMatch(/s$/);
      expect(str(retry, 'maximum_backoff'), `${where} maximum_backoff`).toMatch(/s$/);
      const push = block(s.body, 'push_config');
      // functions-framework needs /projects/P/topics/T to build the CloudEvent (docs/deploy.md,
      // "Contract between Terraform and the code").
      expect(str(push, 'push_endpoint'), `${where} push_endpoint`).toBe(
        '${google_cloudfunctions2_function.this.service_config[0].uri}/${local.trigger_topic_id}',
      );
      expect(str(block(push ?? {}, 'oidc_token'), 'service_account_email')).toBe(
        '${google_service_account.push[0].email}',
      );
      expect(s.body.retain_acked_messages, `${where} keeps acked messages for seek`).toBe(true);
      expect(str(block(s.body, 'expiration_policy'), 'ttl'), `${where} never expires`).toBe('');
    }
  });

  it('every dead-letter topic has a subscription that keeps its messages', () => {
    const refs = deadLetterTopicRefs();
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const drains = allSubs().filter((s) => s.body.topic === ref);
      expect(drains.length, `subscription on ${ref}`).toBeGreaterThanOrEqual(1);
      for (const d of drains) {
        expect(
          block(d.body, 'dead_letter_policy'),
          'a dead-letter subscription is not itself dead-lettered',
        ).toBe(undefined);
        expect(d.body.retain_acked_messages).toBe(true);
        expect(str(block(d.body, 'expiration_policy'), 'ttl')).toBe('');
        // Created exactly when the subscription that dead-letters into the topic is.
        expect(d.body.count).toBe(moduleSub().body.count);
      }
    }
  });

  it('the Pub/Sub service agent may dead-letter: publisher on the dead-letter topic, subscriber on the source', () => {
    const pub = resource(mod, 'google_pubsub_topic_iam_member', 'agent_dead_letter_publisher');
    expect(pub.body.topic).toBe('${google_pubsub_topic.dead_letter[0].name}');
    expect(pub.body.role).toBe('roles/pubsub.publisher');
    expect(pub.body.member).toBe('serviceAccount:${var.pubsub_service_agent_email}');
    const sub = resource(mod, 'google_pubsub_subscription_iam_member', 'agent_trigger_subscriber');
    expect(sub.body.subscription).toBe('${google_pubsub_subscription.trigger[0].name}');
    expect(sub.body.role).toBe('roles/pubsub.subscriber');
  });

  it('retention and delivery-attempt defaults allow a replay and stay inside Pub/Sub limits', () => {
    expect(Number(root.variables.subscription_message_retention_s?.default)).toBe(604800);
    expect(Number(root.variables.dead_letter_message_retention_s?.default)).toBe(604800);
    const attempts = Number(root.variables.pubsub_max_delivery_attempts?.default);
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(100);
    for (const f of eventFunctions) expect(instance(f.name).inputs.max_delivery_attempts).toBe(attempts);
  });

  it('the dead-letter alert and outputs cover every consumer, with its own dead-letter subscription', () => {
    expect(evaluated.dead_letter_subscriptions).toEqual(
      Object.fromEntries(
        eventFunctions.map((f) => [f.name, `module.function.${f.name}.dead_letter_subscription_name`]),
      ),
    );
  });
});

// ---------------------------------------------------------------- external topics

/** The functions an external topic feeds (ope-events: the OPE team's change topic). */
const externalConsumers = FUNCTIONS.filter(
  (f) => f.trigger.kind === 'pubsub' && EXTERNAL_TOPICS.has(f.trigger.topic),
);
const variableOf = (key: TopicKey) => {
  const v = EXTERNAL_TOPIC_VARIABLES[key];
  if (v === undefined) throw new Error(`no variable names the external topic ${key}`);
  return v;
};
const addressOf = (r: { module: string; type: string; name: string }) => `${r.module}:${r.type}.${r.name}`;

describe('external topics: another team’s, subscribed to at the id the deployment gives, never created, granted on or published to', () => {
  const OPERATOR = 'group:billing-oncall@example.com';
  let grants: Record<string, unknown>;
  let modules: TfModule[];
  beforeAll(async () => {
    modules = await loadAll();
    grants = await evaluateRoot(root, {
      outputs: {
        publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
        operator: resource(root, 'google_pubsub_topic_iam_member', 'operator_publisher').body.for_each,
        operator_keys: '${local.operator_topic_grant_keys}',
      },
      vars: { ...SAMPLE_VARS, operator_members: [OPERATOR] },
    });
  }, 60_000);

  it('Terraform reads the external topics of topology.json, and the deployment names each by a variable', () => {
    expect(externalKeys.length).toBeGreaterThan(0);
    expect(root.locals.external_topic_keys).toBe('${toset(local.topology.externalTopics)}');
    expect(asStringList(evaluated.external_topic_keys).sort()).toEqual([...externalKeys].sort());
    expect(Object.keys(EXTERNAL_TOPIC_VARIABLES).sort()).toEqual([...externalKeys].sort());
    expect(evaluated.external_topic_ids).toEqual(
      Object.fromEntries(externalKeys.map((k) => [k, SAMPLE_VARS[variableOf(k)]])),
    );
    for (const k of externalKeys) expect(root.variables[variableOf(k)]?.default, k).toBeNull();
  });

  it.each(externalKeys)('%s: no topic is created for it (nor read: no data source)', (key) => {
    expect(evaluated.hop_names).not.toHaveProperty(key);
    // The only topics Terraform creates: the hop topics and each consumer's own dead-letter topic.
    const created = modules.flatMap((m) => resourcesOf(m, 'google_pubsub_topic').map(addressOf));
    expect(created.sort()).toEqual([
      'function:google_pubsub_topic.dead_letter',
      'root:google_pubsub_topic.hop',
    ]);
    for (const m of modules)
      expect(
        m.data.filter((d) => d.type.startsWith('google_pubsub_')),
        m.key,
      ).toEqual([]);
  });

  it.each(externalKeys)(
    '%s: no publish grant for a function or an operator, and a `publishes` naming it would fail the plan',
    (key) => {
      expect(FUNCTIONS.filter((f) => f.publishes.includes(key)).map((f) => f.name)).toEqual([]);
      const publisher = Object.values(grants.publisher as Record<string, { fn: string; topic: string }>);
      expect(publisher.length).toBeGreaterThan(0);
      expect(publisher.filter((g) => g.topic === key)).toEqual([]);
      const operator = Object.values(grants.operator as Record<string, { topic: string }>);
      expect(operator.length).toBeGreaterThan(0);
      expect(operator.filter((g) => g.topic === key)).toEqual([]);
      expect(grants.operator_keys).not.toHaveProperty(key);
      for (const name of ['publisher', 'operator_publisher']) {
        const lifecycle = block(resource(root, 'google_pubsub_topic_iam_member', name).body, 'lifecycle');
        expect(block(lifecycle ?? {}, 'precondition')?.condition, name).toBe(
          '${!contains(local.external_topic_keys, each.value.topic)}',
        );
      }
    },
  );

  it('every grant on a topic, in every module, is on a topic created here: a hop topic or a dead-letter topic', () => {
    const onTopics = modules.flatMap((m) =>
      m.resources.filter((r) => /^google_pubsub_topic_iam_(member|binding|policy)$/.test(r.type)),
    );
    expect(onTopics.length).toBeGreaterThan(0);
    for (const r of onTopics)
      expect(
        ['${google_pubsub_topic.hop[each.value.topic].name}', '${google_pubsub_topic.dead_letter[0].name}'],
        addressOf(r),
      ).toContain(r.body.topic);
  });

  it.each(externalKeys)(
    '%s: its id reaches the consumers’ subscriptions only, through the module call',
    (key) => {
      const variable = variableOf(key);
      // The variable is read by one local; the parsed ids only by the two trigger maps of the module call.
      const readers = (needle: string) =>
        Object.entries(root.locals)
          .filter(([, v]) => JSON.stringify(v).includes(needle))
          .map(([n]) => n)
          .sort();
      expect(readers(`var.${variable}`)).toEqual(['external_topic_ids']);
      expect(readers('local.external_topic_ids')).toEqual(['deployed_functions', 'external_topics']);
      expect(readers('local.external_topics[')).toEqual([
        'function_trigger_topic_names',
        'function_trigger_topic_project_ids',
      ]);
      for (const m of modules) {
        const bodies = [
          ...m.resources.map((r) => r.body),
          ...m.data.map((r) => r.body),
          ...Object.values(m.outputs),
        ];
        for (const b of bodies) {
          const text = JSON.stringify(b);
          expect(text, m.key).not.toContain(`var.${variable}`);
          expect(text, m.key).not.toContain('local.external_topics');
          expect(text, m.key).not.toContain('local.external_topic_ids');
        }
      }
      // In the module, the trigger topic is read by the trigger subscription alone: nothing is created
      // or granted on it.
      const readTrigger = mod.resources
        .filter((r) => /trigger_topic_(name|id|project_id)/.test(JSON.stringify(r.body)))
        .map((r) => `${r.type}.${r.name}`);
      expect(readTrigger).toEqual(['google_pubsub_subscription.trigger']);
    },
  );

  it.each(externalConsumers.map((f) => [f.name, f] as const))(
    '%s: its push subscription is on the topic the variable names, in that topic’s project, created in this one with a dead letter of its own',
    (name, fn) => {
      if (fn.trigger.kind !== 'pubsub') throw new Error('unreachable');
      const i = instance(name);
      expect(i.locals.trigger_topic_id).toBe(SAMPLE_VARS[variableOf(fn.trigger.topic)]);
      expect(i.inputs.project_id).toBe(SAMPLE_VARS.project_id);
      expect(i.inputs.trigger_topic_project_id).not.toBe(SAMPLE_VARS.project_id);
      for (const r of PUBSUB_RESOURCES) expect(instancesOf(i, r), `${name} ${r}`).toBe(1);
      expect(i.locals.dead_letter_topic_name).toBe(deadLetterTopicName(fn.name));
      expect(asBody(evaluated.dead_letter_subscriptions)[name]).toBe(
        `module.function.${name}.dead_letter_subscription_name`,
      );
      const sub = resource(mod, 'google_pubsub_subscription', 'trigger').body;
      expect(str(block(sub, 'dead_letter_policy'), 'dead_letter_topic')).toBe(
        '${google_pubsub_topic.dead_letter[0].id}',
      );
      expect(i.inputs.enable_message_ordering).toBe(fn.trigger.messageOrdering);
      expect(Number(i.inputs.timeout_s)).toBeLessThanOrEqual(Number(i.inputs.ack_deadline_s));
    },
  );
});

describe('a deployment that does not name an external topic deploys none of its consumers, and nothing else changes', () => {
  const consumerNames: readonly string[] = externalConsumers.map((f) => f.name);
  const rest = FUNCTIONS.map((f) => f.name).filter((n) => !consumerNames.includes(n));
  const outputs = () => {
    const errorRate = asBody(
      resource(root, 'google_monitoring_alert_policy', 'function_error_rate').body.dynamic,
    ).conditions;
    return {
      hop: '${{ for k, t in google_pubsub_topic.hop : k => t.name }}',
      publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
      firestore: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
      job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body.for_each,
      readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
      accounts: '${local.runtime_service_accounts}',
      dead_letters: '${local.dead_letter_subscriptions}',
      error_rate: asBody(Array.isArray(errorRate) ? errorRate[0] : errorRate).for_each,
      subscriptions: root.outputs.subscriptions?.value,
    };
  };
  let named: Record<string, unknown>;
  beforeAll(async () => {
    named = await evaluateRoot(root, { outputs: outputs(), vars: SAMPLE_VARS });
  }, 60_000);

  it('there are consumers of external topics to check', () => {
    expect(consumerNames).toEqual(['ope-events']);
  });

  it.each([
    ['null (the default)', null],
    ['empty', ''],
  ] as const)(
    '%s: no function, grant, subscription, dead letter or alert of the consumers',
    async (_, value) => {
      const vars = { ...WITHOUT_OPE_TOPIC, ope_change_topic_id: value };
      const without = await evaluateModuleCall(root, 'function', vars);
      expect(Object.keys(without).sort()).toEqual([...rest].sort());
      // Every other function is deployed exactly as with the variable.
      for (const fn of rest) expect(without[fn], fn).toEqual(instance(fn));
      const out = await evaluateRoot(root, { outputs: outputs(), vars });
      const drop = (v: unknown) => {
        if (Array.isArray(v)) return v.filter((x) => !consumerNames.includes(String(x)));
        return Object.fromEntries(
          Object.entries(asBody(v)).filter(
            ([k]) => !consumerNames.some((c) => k === c || k.startsWith(`${c}/`)),
          ),
        );
      };
      for (const [name, value] of Object.entries(out)) {
        const text = JSON.stringify(value);
        for (const c of consumerNames) expect(text, `${name} names ${c}`).not.toContain(c);
        expect(value, name).toEqual(drop(named[name]));
      }
      // With the variable set, these did name the consumers (ope-events holds no BigQuery grant).
      for (const name of [
        'publisher',
        'firestore',
        'accounts',
        'dead_letters',
        'error_rate',
        'subscriptions',
      ])
        for (const c of consumerNames) expect(JSON.stringify(named[name]), `${name} names ${c}`).toContain(c);
    },
  );
});

describe('a deployment that does not name a Jira site deploys no classify-tickets, and nothing else changes', () => {
  const FN = 'classify-tickets';
  const rest = FUNCTIONS.map((f) => f.name).filter((n) => n !== FN);
  const outputs = () => {
    const errorRate = asBody(
      resource(root, 'google_monitoring_alert_policy', 'function_error_rate').body.dynamic,
    ).conditions;
    return {
      publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
      firestore: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
      tickets_firestore: resource(root, 'google_project_iam_member', 'runtime_tickets_firestore').body
        .for_each,
      job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body.for_each,
      readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
      ticket_writers: resource(root, 'google_bigquery_table_iam_member', 'ticket_classifications_writer').body
        .for_each,
      secrets: resource(root, 'google_secret_manager_secret', 'jira_api_token').body.for_each,
      jobs: resource(root, 'google_cloud_scheduler_job', 'classify_tickets').body.for_each,
      accounts: '${local.runtime_service_accounts}',
      dead_letters: '${local.dead_letter_subscriptions}',
      error_rate: asBody(Array.isArray(errorRate) ? errorRate[0] : errorRate).for_each,
      tickets_job: root.outputs.tickets_scheduler_job?.value,
      token_secret: root.outputs.jira_api_token_secret?.value,
    };
  };
  let named: Record<string, unknown>;
  beforeAll(async () => {
    named = await evaluateRoot(root, { outputs: outputs(), vars: SAMPLE_VARS });
  }, 60_000);

  it('jira_base_url is the switch: empty by default, and local.deployed_functions reads it through local.optional_functions_enabled', () => {
    expect(root.variables.jira_base_url?.default).toBe('');
    expect(root.variables.jira_base_url?.nullable).toBe(false);
    expect(asBody(root.locals.optional_functions_enabled)[FN]).toBe('${var.jira_base_url != ""}');
    expect(String(root.locals.deployed_functions)).toContain(
      'lookup(local.optional_functions_enabled, name, true)',
    );
  });

  it('empty: no function, identity, grant, secret, ledger database, scheduler job or alert condition of classify-tickets; everything else as with it', async () => {
    const without = await evaluateModuleCall(root, 'function', WITHOUT_JIRA);
    expect(Object.keys(without).sort()).toEqual([...rest].sort());
    for (const fn of rest) expect(without[fn], fn).toEqual(instance(fn));
    const out = await evaluateRoot(root, { outputs: outputs(), vars: WITHOUT_JIRA });
    const drop = (v: unknown) => {
      if (v === null || v === undefined) return null;
      if (Array.isArray(v)) return v.filter((x) => String(x) !== FN);
      return Object.fromEntries(
        Object.entries(asBody(v)).filter(([k]) => k !== FN && !k.startsWith(`${FN}/`)),
      );
    };
    for (const [name, value] of Object.entries(out)) {
      expect(JSON.stringify(value ?? null), `${name} names ${FN}`).not.toContain(FN);
      if (['tickets_job', 'token_secret'].includes(name)) expect(value ?? null, name).toBeNull();
      else expect(value, name).toEqual(drop(named[name]));
    }
    // With the site named, these did name it (classify-tickets publishes nothing and has no dead letter,
    // and holds nothing on driftcontrol's Firestore database: its grant is on its ledger's).
    for (const name of [
      'tickets_firestore',
      'job_users',
      'readers',
      'ticket_writers',
      'secrets',
      'jobs',
      'accounts',
      'error_rate',
    ])
      expect(JSON.stringify(named[name]), `${name} names ${FN}`).toContain(FN);
    expect(named.tickets_job).toEqual({ name: FN, schedule: '0 6 * * 1' });
    expect(named.token_secret).toBe('google_secret_manager_secret.jira_api_token.classify-tickets.id');
    expect(JSON.stringify(named.firestore), 'firestore').not.toContain(FN);
    // Its ledger's database exists only with it.
    const ledger = async (vars: Record<string, unknown>) =>
      Number(
        (
          await evaluateRoot(root, {
            outputs: { n: resource(root, 'google_firestore_database', 'tickets').body.count },
            vars,
          })
        ).n,
      );
    expect(await ledger(SAMPLE_VARS)).toBe(1);
    expect(await ledger(WITHOUT_JIRA)).toBe(0);
  });
});

describe('a deployment that does not name a console hostname deploys no console, and nothing else changes', () => {
  const FN = 'console';
  const rest = FUNCTIONS.map((f) => f.name).filter((n) => n !== FN);
  const outputs = () => {
    const errorRate = asBody(
      resource(root, 'google_monitoring_alert_policy', 'function_error_rate').body.dynamic,
    ).conditions;
    return {
      publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
      firestore: resource(root, 'google_project_iam_member', 'runtime_firestore').body.for_each,
      job_users: resource(root, 'google_project_iam_member', 'runtime_bigquery_job_user').body.for_each,
      readers: resource(root, 'google_bigquery_dataset_iam_member', 'runtime_reader').body.for_each,
      secrets: resource(root, 'google_secret_manager_secret', 'stripe_key').body.for_each,
      accounts: '${local.runtime_service_accounts}',
      dead_letters: '${local.dead_letter_subscriptions}',
      error_rate: asBody(Array.isArray(errorRate) ? errorRate[0] : errorRate).for_each,
      stripe_secrets: root.outputs.stripe_secrets?.value,
      console_url: root.outputs.console_url?.value,
      console_ip: root.outputs.console_ip_address?.value,
      console_backend: root.outputs.console_iap_backend_service?.value,
    };
  };
  let named: Record<string, unknown>;
  beforeAll(async () => {
    named = await evaluateRoot(root, { outputs: outputs(), vars: SAMPLE_VARS });
  }, 60_000);

  it('console_domain is the switch: empty by default, and local.deployed_functions reads it through local.optional_functions_enabled', () => {
    expect(root.variables.console_domain?.default).toBe('');
    expect(root.variables.console_domain?.nullable).toBe(false);
    expect(root.locals.optional_functions_enabled).toEqual({
      'classify-tickets': '${var.jira_base_url != ""}',
      [FN]: '${var.console_domain != ""}',
    });
    expect(root.locals.console_functions).toBe(
      '${[for fn in ["console"] : fn if contains(local.deployed_function_names, fn)]}',
    );
  });

  it('empty: no function, identity, grant, secret, load balancer, IAP or alert condition of the console; everything else as with it', async () => {
    const without = await evaluateModuleCall(root, 'function', WITHOUT_CONSOLE);
    expect(Object.keys(without).sort()).toEqual([...rest].sort());
    for (const fn of rest) expect(without[fn], fn).toEqual(instance(fn));
    const out = await evaluateRoot(root, { outputs: outputs(), vars: WITHOUT_CONSOLE });
    const drop = (v: unknown) => {
      if (v === null || v === undefined) return null;
      if (Array.isArray(v)) return v.filter((x) => String(x) !== FN);
      return Object.fromEntries(
        Object.entries(asBody(v)).filter(([k]) => k !== FN && !k.startsWith(`${FN}/`)),
      );
    };
    for (const [name, value] of Object.entries(out)) {
      expect(JSON.stringify(value ?? null), `${name} names ${FN}`).not.toContain(`"${FN}`);
      if (name.startsWith('console_')) expect(value ?? null, name).toBeNull();
      else expect(value, name).toEqual(drop(named[name]));
    }
    // With the hostname named, these did name it (the console publishes nothing and has no dead letter).
    for (const name of [
      'firestore',
      'job_users',
      'readers',
      'secrets',
      'accounts',
      'error_rate',
      'stripe_secrets',
    ])
      expect(JSON.stringify(named[name]), `${name} names ${FN}`).toContain(FN);
    expect(named.console_url).toBe(`https://${SAMPLE_VARS.console_domain}/`);
    expect(named.console_ip).toBe('google_compute_global_address.console.console.address');
    expect(named.console_backend).toBe('google_compute_backend_service.console.console.name');
  });

  it('the load balancer serves console_domain with a managed certificate (renamed with the domain), TLS 1.2+, HTTPS only (HTTP redirects), on one global address', () => {
    const cert = resource(root, 'google_compute_managed_ssl_certificate', 'console').body;
    expect(block(cert, 'managed')).toEqual({ domains: ['${var.console_domain}'] });
    expect(cert.name).toBe('driftcontrol-${each.key}-${local.console_certificate_suffix}');
    expect(block(cert, 'lifecycle')).toEqual({ create_before_destroy: true });
    const proxy = resource(root, 'google_compute_target_https_proxy', 'console').body;
    expect(proxy.ssl_certificates).toEqual([
      '${google_compute_managed_ssl_certificate.console[each.key].id}',
    ]);
    expect(proxy.ssl_policy).toBe('${google_compute_ssl_policy.console[each.key].id}');
    expect(proxy.url_map).toBe('${google_compute_url_map.console[each.key].id}');
    const policy = resource(root, 'google_compute_ssl_policy', 'console').body;
    expect(policy.min_tls_version).toBe('TLS_1_2');
    expect(policy.profile).toBe('MODERN');
    expect(resource(root, 'google_compute_url_map', 'console').body.default_service).toBe(
      '${google_compute_backend_service.console[each.key].id}',
    );
    const https = resource(root, 'google_compute_global_forwarding_rule', 'console_https').body;
    const http = resource(root, 'google_compute_global_forwarding_rule', 'console_http').body;
    for (const rule of [https, http]) {
      expect(rule.ip_address).toBe('${google_compute_global_address.console[each.key].id}');
      expect(rule.load_balancing_scheme).toBe('EXTERNAL_MANAGED');
    }
    expect(https.port_range).toBe('443');
    expect(https.target).toBe('${google_compute_target_https_proxy.console[each.key].id}');
    expect(http.port_range).toBe('80');
    expect(http.target).toBe('${google_compute_target_http_proxy.console_http_redirect[each.key].id}');
    // Port 80 only redirects: its URL map has no backend at all.
    const redirect = resource(root, 'google_compute_url_map', 'console_http_redirect').body;
    expect(redirect.default_service).toBeUndefined();
    expect(block(redirect, 'default_url_redirect')).toMatchObject({ https_redirect: true });
    expect(resource(root, 'google_compute_backend_service', 'console').body.load_balancing_scheme).toBe(
      'EXTERNAL_MANAGED',
    );
  });
});

describe('the code agrees with the topology Terraform deploys', () => {
  const codeFiles = (dir: string): string[] => {
    if (!existsSync(dir)) return [];
    const out: string[] = [];
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) out.push(...codeFiles(p));
      else if (e.name.endsWith('.ts')) out.push(p);
    }
    return out;
  };

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))(
    'functions/%s/index.ts registers the entry point Terraform deploys, with the matching signature',
    (name, fn) => {
      // The entry module is what scripts/package-functions.mjs ships and Cloud Functions loads.
      const file = join(REPO_ROOT, 'functions', name, 'index.ts');
      expect(existsSync(file), file).toBe(true);
      const registrations = [
        ...readFileSync(file, 'utf8').matchAll(/\b\w+\.(http|cloudEvent)\(\s*['"]([^'"]+)['"]/g),
      ].map((m) => `${m[1]}:${m[2]}`);
      expect(registrations).toEqual([
        `${fn.trigger.kind === 'http' ? 'http' : 'cloudEvent'}:${fn.entryPoint}`,
      ]);
    },
  );

  it('production code names no topic that Terraform does not create', () => {
    const known = new Set<string>([
      ...Object.values(TOPICS),
      ...FUNCTIONS.map((f) => deadLetterTopicName(f.name)),
    ]);
    // The local stack (local/) may create its own test topics; deployed code may not.
    const files = [
      ...codeFiles(join(REPO_ROOT, 'functions')),
      ...codeFiles(join(REPO_ROOT, 'shared')),
    ].filter((f) => !f.includes(`${join('shared', 'local')}`));
    const literal = /\.topic\(\s*['"`]([^'"`$]+)['"`]/g;
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(literal)) {
        expect(known.has(m[1] ?? ''), `${f} publishes to "${m[1]}"`).toBe(true);
      }
    }
  });
});

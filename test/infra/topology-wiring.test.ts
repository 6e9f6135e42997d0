// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Holds infra/terraform to shared/contracts/topology.ts: every function deployed with its entry point
 * and runtime, every topic the code publishes to exists and is granted, every subscription is named,
 * dead-lettered, retried and consumed, every dead-letter topic is drained.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deadLetterSubscriptionName,
  deadLetterTopicName,
  FUNCTIONS,
  type FunctionSpec,
  subscriptionName,
  TOPICS,
} from '../../shared/contracts/topology.js';
import {
  asBody,
  asStringList,
  asStringMap,
  type Body,
  block,
  loadModule,
  REPO_ROOT,
  type Resource,
  resolveHopTopicName,
  resource,
  resourcesOf,
  str,
  substituteVars,
  type TfModule,
} from './hcl.js';

let root: TfModule;
let mod: TfModule;

beforeAll(async () => {
  root = await loadModule('root');
  mod = await loadModule('eventFunction');
});

const httpFunctions = FUNCTIONS.filter((f) => f.trigger.kind === 'http');
const eventFunctions = FUNCTIONS.filter((f) => f.trigger.kind === 'pubsub');

function moduleCallFor(fn: FunctionSpec): Body {
  const calls = Object.entries(root.modules).filter(([, b]) => b.name === fn.name);
  expect(
    calls.map(([n]) => n),
    `exactly one module call deploys ${fn.name}`,
  ).toHaveLength(1);
  const call = calls[0]?.[1];
  if (call === undefined) throw new Error('unreachable');
  expect(call.source).toBe('./modules/event-function');
  return call;
}

function triggerTopic(fn: FunctionSpec): string {
  if (fn.trigger.kind !== 'pubsub') throw new Error(`${fn.name} is not event-triggered`);
  return TOPICS[fn.trigger.topic];
}

describe('topics', () => {
  it('local.topics holds exactly the topics of topology.ts', () => {
    const topics = asStringMap(root.locals.topics);
    expect(Object.values(topics).sort()).toEqual(Object.values(TOPICS).sort());
  });

  it('one google_pubsub_topic per hop, named from local.topics', () => {
    const hop = resource(root, 'google_pubsub_topic', 'hop');
    expect(hop.body.for_each).toBe('${local.topics}');
    expect(hop.body.name).toBe('${each.value}');
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s may publish to exactly its topics', (_n, fn) => {
    const topics = asStringMap(root.locals.topics);
    const publishes = asBody(root.locals.publishes);
    const keys = asStringList(publishes[fn.name]);
    const deployed = keys.map((k) => topics[k]);
    expect(
      deployed.every((t) => t !== undefined),
      `unknown topic key in ${keys.join(',')}`,
    ).toBe(true);
    expect(deployed.sort()).toEqual(fn.publishes.map((k) => TOPICS[k]).sort());
  });

  it('publisher grants iterate local.publishes onto the hop topics and each runtime account', () => {
    const pub = resource(root, 'google_pubsub_topic_iam_member', 'publisher');
    expect(String(pub.body.for_each)).toContain('local.publishes');
    expect(pub.body.topic).toBe('${google_pubsub_topic.hop[each.value.topic].name}');
    expect(pub.body.role).toBe('roles/pubsub.publisher');
    expect(pub.body.member).toBe('serviceAccount:${local.runtime_service_accounts[each.value.fn]}');
  });

  it('local.runtime_service_accounts covers every function', () => {
    expect(Object.keys(asBody(root.locals.runtime_service_accounts)).sort()).toEqual(
      FUNCTIONS.map((f) => f.name).sort(),
    );
  });

  it('topics keep messages for seek-based replay', () => {
    const hop = resource(root, 'google_pubsub_topic', 'hop');
    expect(hop.body.message_retention_duration).toBe('${var.topic_message_retention_s}s');
    expect(Number(root.variables.topic_message_retention_s?.default)).toBeGreaterThanOrEqual(7 * 86400);
  });
});

describe('functions', () => {
  it('deploys exactly the functions of topology.ts, no more', () => {
    const direct = resourcesOf(root, 'google_cloudfunctions2_function').map((r) => str(r.body, 'name'));
    const viaModule = Object.values(root.modules)
      .filter((b) => b.source === './modules/event-function')
      .map((b) => b.name);
    expect([...direct, ...viaModule].sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it.each(httpFunctions.map((f) => [f.name, f] as const))(
    '%s (http) has its entry point, runtime nodejs22 and no event trigger',
    (_n, fn) => {
      const found = resourcesOf(root, 'google_cloudfunctions2_function').filter(
        (r) => r.body.name === fn.name,
      );
      expect(found).toHaveLength(1);
      const body = (found[0] as Resource).body;
      const build = block(body, 'build_config');
      expect(str(build, 'entry_point')).toBe(fn.entryPoint);
      expect(str(build, 'runtime')).toBe('nodejs22');
      expect(body.event_trigger).toBeUndefined();
      const storage = block(block(build ?? {}, 'source') ?? {}, 'storage_source');
      expect(str(storage, 'object')).toBe('${google_storage_bucket_object.functions_source.name}');
    },
  );

  it.each(eventFunctions.map((f) => [f.name, f] as const))(
    '%s (event) is deployed through the module with its entry point and trigger topic',
    (_n, fn) => {
      const call = moduleCallFor(fn);
      expect(call.entry_point).toBe(fn.entryPoint);
      expect(resolveHopTopicName(root, call.trigger_topic_name)).toBe(triggerTopic(fn));
      expect(call.source_object).toBe('${google_storage_bucket_object.functions_source.name}');
      expect(call.pubsub_service_agent_email).toBe('${google_project_service_identity.pubsub.email}');
    },
  );

  it('the module deploys one nodejs22 function named and entered as its inputs say', () => {
    const fns = resourcesOf(mod, 'google_cloudfunctions2_function');
    expect(fns).toHaveLength(1);
    const body = (fns[0] as Resource).body;
    expect(body.name).toBe('${var.name}');
    const build = block(body, 'build_config');
    expect(str(build, 'runtime')).toBe('nodejs22');
    expect(str(build, 'entry_point')).toBe('${var.entry_point}');
    expect(body.event_trigger).toBeUndefined();
    expect(str(block(body, 'service_config'), 'service_account_email')).toBe(
      '${google_service_account.runtime.email}',
    );
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
    }
    if (Number(defaults.max_concurrent_requests) > 1) expect(Number(defaults.cpu)).toBeGreaterThanOrEqual(1);
  });

  it.each(eventFunctions.map((f) => [f.name] as const))(
    '%s times out before its push ack deadline (else Pub/Sub redelivers work in progress)',
    (name) => {
      const defaults = asBody(asBody(root.locals.function_defaults)[name]);
      const ack = Number(root.variables.pubsub_ack_deadline_s?.default);
      expect(Number(defaults.timeout_s)).toBeLessThanOrEqual(ack);
    },
  );
});

describe('subscriptions', () => {
  const moduleSub = () => resource(mod, 'google_pubsub_subscription', 'trigger');
  const moduleDlq = () => resource(mod, 'google_pubsub_subscription', 'dead_letter');
  const moduleDlqTopic = () => resource(mod, 'google_pubsub_topic', 'dead_letter');

  it.each(eventFunctions.map((f) => [f.name, f] as const))(
    '%s: subscription, dead-letter topic and dead-letter subscription named as topology.ts derives them',
    (_n, fn) => {
      const call = moduleCallFor(fn);
      const subName = substituteVars(String(mod.locals.subscription_name), call);
      const dlTopic = substituteVars(String(mod.locals.dead_letter_topic_name), call);
      const dlSub = substituteVars(String(mod.locals.dead_letter_subscription_name), call);
      expect(subName).toBe(subscriptionName(fn.name));
      expect(dlTopic).toBe(deadLetterTopicName(fn.name));
      expect(dlSub).toBe(deadLetterSubscriptionName(fn.name));
      expect(moduleSub().body.name).toBe('${local.subscription_name}');
      expect(moduleDlqTopic().body.name).toBe('${local.dead_letter_topic_name}');
      expect(moduleDlq().body.name).toBe('${local.dead_letter_subscription_name}');
    },
  );

  it('the trigger subscription reads the trigger topic', () => {
    expect(mod.locals.trigger_topic_id).toBe('projects/${var.project_id}/topics/${var.trigger_topic_name}');
    expect(moduleSub().body.topic).toBe('${local.trigger_topic_id}');
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
        /^\$\{google_pubsub_topic\.\w+\.id\}$/,
      );
      expect(dl?.max_delivery_attempts, `${where} max_delivery_attempts`).toBeDefined();
      const retry = block(s.body, 'retry_policy');
      expect(str(retry, 'minimum_backoff'), `${where} minimum_backoff`).toMatch(/s$/);
      expect(str(retry, 'maximum_backoff'), `${where} maximum_backoff`).toMatch(/s$/);
      const push = block(s.body, 'push_config');
      // functions-framework needs /projects/P/topics/T to build the CloudEvent (DESIGN.md 6).
      expect(str(push, 'push_endpoint'), `${where} push_endpoint`).toBe(
        '${google_cloudfunctions2_function.this.service_config[0].uri}/projects/${var.project_id}/topics/${var.trigger_topic_name}',
      );
      expect(str(block(push ?? {}, 'oidc_token'), 'service_account_email')).toBe(
        '${google_service_account.push.email}',
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
      }
    }
  });

  it('the Pub/Sub service agent may dead-letter: publisher on the dead-letter topic, subscriber on the source', () => {
    const pub = resource(mod, 'google_pubsub_topic_iam_member', 'agent_dead_letter_publisher');
    expect(pub.body.topic).toBe('${google_pubsub_topic.dead_letter.name}');
    expect(pub.body.role).toBe('roles/pubsub.publisher');
    expect(pub.body.member).toBe('serviceAccount:${var.pubsub_service_agent_email}');
    const sub = resource(mod, 'google_pubsub_subscription_iam_member', 'agent_trigger_subscriber');
    expect(sub.body.subscription).toBe('${google_pubsub_subscription.trigger.name}');
    expect(sub.body.role).toBe('roles/pubsub.subscriber');
  });

  it('retention and delivery-attempt defaults allow a replay and stay inside Pub/Sub limits', () => {
    expect(Number(root.variables.subscription_message_retention_s?.default)).toBe(604800);
    expect(Number(root.variables.dead_letter_message_retention_s?.default)).toBe(604800);
    const attempts = Number(root.variables.pubsub_max_delivery_attempts?.default);
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(100);
  });

  it('the dead-letter alert and outputs cover every consumer', () => {
    expect(Object.keys(asBody(root.locals.dead_letter_subscriptions)).sort()).toEqual(
      eventFunctions.map((f) => f.name).sort(),
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

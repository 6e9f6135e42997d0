// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * An existing deployment of the previous layout (snake_case topic keys, detect-drift as root resources,
 * one modules/event-function call per consumer) must move to this layout in state, never be destroyed
 * and recreated. Checked twice: each moved block starts at an address of the previous layout and ends at
 * one this layout creates (as Terraform evaluates it), and Terraform itself plans the switch over a state
 * of the previous layout, with the real moved blocks, as moves only, plus the objects added since (the
 * read replicas' secret grants, the functions of the event path and the ticket signal with everything of
 * theirs: ope-events only when the deployment names the OPE change topic, classify-tickets only when it
 * names a Jira site), which are created and nothing else is. The second check builds stand-ins
 * of both layouts from Terraform's built-in terraform_data resource (no provider to download): same
 * addresses, same moved blocks, resource types renamed. A third check plans the least-privilege switch
 * the same way: the previous single Stripe secret and the (default) Firestore database, which this
 * layout no longer declares, are forgotten by the real `removed` blocks, never destroyed, next to the
 * restricted-key secrets and the dedicated database it creates.
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAZY_ENV_VARS } from '../../shared/adapters/environment.js';
import { FUNCTIONS } from '../../shared/contracts/topology.js';
import {
  evaluateModuleCall,
  evaluateRoot,
  OPTIONAL_FUNCTIONS,
  type ProbedInstance,
  SAMPLE_VARS,
} from './evaluate.js';
import { terraform, write } from './fixtures.js';
import { type Body, loadModule, resource, type TfModule } from './hcl.js';

// ---------------------------------------------------------------- the previous layout (a fixed fact)

/** What modules/event-function created per call. */
const OLD_MODULE_RESOURCES = [
  'google_service_account.runtime',
  'google_service_account.push',
  'google_cloudfunctions2_function.this',
  'google_cloud_run_service_iam_member.push_invoker',
  'google_service_account_iam_member.pubsub_agent_token_creator',
  'google_pubsub_topic.dead_letter',
  'google_pubsub_subscription.trigger',
  'google_pubsub_subscription.dead_letter',
  'google_pubsub_topic_iam_member.agent_dead_letter_publisher',
  'google_pubsub_subscription_iam_member.agent_trigger_subscriber',
];
/** Old module call -> the function it deployed. */
const OLD_MODULES: Readonly<Record<string, string>> = {
  gather: 'gather',
  plan_apply: 'plan-apply',
  www_resync: 'www-resync',
  audit_writer: 'audit-writer',
};
const OLD_TOPIC_KEYS: Readonly<Record<string, string>> = {
  stripe_drift_accounts: 'stripeDriftAccounts',
  account_views: 'accountViews',
  www_drift_zones: 'wwwDriftZones',
  audit_events: 'auditEvents',
};
/** Root addresses of the previous layout that this layout names differently. */
const OLD_ROOT = [
  ...Object.keys(OLD_TOPIC_KEYS).map((k) => `google_pubsub_topic.hop["${k}"]`),
  ...[
    'detect-drift/stripe_drift_accounts',
    'detect-drift/www_drift_zones',
    'detect-drift/audit_events',
    'gather/account_views',
    'gather/audit_events',
    'plan-apply/audit_events',
    'www-resync/audit_events',
  ].map((k) => `google_pubsub_topic_iam_member.publisher["${k}"]`),
  'google_service_account.detect_drift',
  'google_cloudfunctions2_function.detect_drift',
  'google_cloud_run_service_iam_member.detect_drift_invoker',
];
/** Every address of the previous layout that changes, module contents included. */
const OLD_ADDRESSES = [
  ...OLD_ROOT,
  ...Object.keys(OLD_MODULES).flatMap((m) => [
    ...OLD_MODULE_RESOURCES.map((r) => `module.${m}.${r}`),
    ...(m === 'gather' || m === 'plan_apply'
      ? [`module.${m}.google_secret_manager_secret_iam_member.runtime_secret_accessor["STRIPE_API_KEY"]`]
      : []),
  ]),
];

/**
 * Functions the previous layout did not have: the event path, the weekly ticket signal and the support
 * console (a fixed fact, like the layout above).
 */
const NEW_FUNCTIONS = ['stripe-events', 'event-sweeper', 'ope-events', 'classify-tickets', 'console'];
/**
 * The ones deployed only when the deployment names what they need: ope-events the OPE team's change
 * topic (ope_change_topic_id), classify-tickets a Jira site (jira_base_url), the console its hostname
 * (console_domain).
 */
const OPTIONAL = Object.keys(OPTIONAL_FUNCTIONS) as (keyof typeof OPTIONAL_FUNCTIONS)[];

/**
 * Objects that the previous layout did not have at all, so no moved block can name them: the accessor
 * grants of gather and plan-apply on the read replicas' URL secrets (live truth), and every object of
 * the new functions (their module instances, and their publish grants in the root). The switch creates
 * exactly these.
 */
const addedSince = (): string[] => [
  ...['gather', 'plan-apply'].flatMap((fn) =>
    [LAZY_ENV_VARS.ope[0], LAZY_ENV_VARS.billingProd[0], LAZY_ENV_VARS.cfProd[0]].map(
      (key) =>
        `module.function["${fn}"].google_secret_manager_secret_iam_member.runtime_secret_accessor["${key}"]`,
    ),
  ),
  ...newModule.filter((a) => NEW_FUNCTIONS.some((fn) => a.startsWith(`module.function["${fn}"].`))),
  ...newRoot.filter((a) =>
    NEW_FUNCTIONS.some((fn) => a.startsWith(`google_pubsub_topic_iam_member.publisher["${fn}/`)),
  ),
];

// ---------------------------------------------------------------- this layout, as Terraform evaluates it

let root: TfModule;
let mod: TfModule;
let instances: Record<string, ProbedInstance>;
let newRoot: string[];
let newModule: string[];
/** The same addresses for a deployment that does not name what an optional function reads, by function. */
const withoutOptional: Record<string, string[]> = {};

const address = (s: unknown) => String(s).replace(/^\$\{([\s\S]*)\}$/, '$1');
const movedPairs = (m: TfModule) => m.moved.map((b) => ({ from: address(b.from), to: address(b.to) }));

/** The addresses of this layout that the moves concern, as Terraform evaluates them for these inputs. */
async function layout(vars: Readonly<Record<string, unknown>>) {
  const fns = await evaluateModuleCall(root, 'function', vars);
  const out = await evaluateRoot(root, {
    outputs: {
      hop: resource(root, 'google_pubsub_topic', 'hop').body.for_each,
      publisher: resource(root, 'google_pubsub_topic_iam_member', 'publisher').body.for_each,
    },
    vars,
  });
  const inRoot = [
    ...Object.keys(out.hop as Body).map((k) => `google_pubsub_topic.hop["${k}"]`),
    ...Object.keys(out.publisher as Body).map((k) => `google_pubsub_topic_iam_member.publisher["${k}"]`),
  ];
  // Every resource instance of every module.function instance: indexed as count / for_each say.
  const inModule = Object.entries(fns).flatMap(([fn, i]) =>
    mod.resources.flatMap((r) => {
      const at = `${r.type}.${r.name}`;
      const shape = i.resources[at];
      const prefix = `module.function["${fn}"].${at}`;
      if (Array.isArray(shape)) return shape.map((k) => `${prefix}["${k}"]`);
      if (r.body.count !== undefined)
        return Array.from({ length: Number(shape) }, (_, n) => `${prefix}[${n}]`);
      return [prefix];
    }),
  );
  return { fns, inRoot, inModule };
}

beforeAll(async () => {
  root = await loadModule('root');
  mod = await loadModule('function');
  const sample = await layout(SAMPLE_VARS);
  instances = sample.fns;
  newRoot = sample.inRoot;
  newModule = sample.inModule;
  for (const fn of OPTIONAL) {
    const without = await layout(OPTIONAL_FUNCTIONS[fn].without);
    withoutOptional[fn] = [...without.inRoot, ...without.inModule];
  }
}, 120_000);

/** Where an old address ends up after the moved blocks (module moves, then resource moves). */
function follow(old: string): string {
  let a = old;
  for (const { from, to } of movedPairs(root)) {
    if (a === from) a = to;
    else if (a.startsWith(`${from}.`)) a = to + a.slice(from.length);
  }
  const m = /^(module\.function\["[^"]+"\]\.)(.+)$/.exec(a);
  if (m !== null) for (const { from, to } of movedPairs(mod)) if (m[2] === from) a = `${m[1]}${to}`;
  return a;
}

describe('moved blocks', () => {
  it('the root moves exactly the addresses of the previous layout that changed', () => {
    const froms = movedPairs(root).map((p) => p.from);
    expect(new Set(froms).size).toBe(froms.length);
    expect(froms.sort()).toEqual([...OLD_ROOT, ...Object.keys(OLD_MODULES).map((m) => `module.${m}`)].sort());
  });

  it('each old module call moves to the instance of its function, and detect-drift into its instance', () => {
    const to = Object.fromEntries(movedPairs(root).map((p) => [p.from, p.to]));
    for (const [m, fn] of Object.entries(OLD_MODULES))
      expect(to[`module.${m}`]).toBe(`module.function["${fn}"]`);
    expect(to['google_cloudfunctions2_function.detect_drift']).toBe(
      'module.function["detect-drift"].google_cloudfunctions2_function.this',
    );
    expect(to['google_service_account.detect_drift']).toBe(
      'module.function["detect-drift"].google_service_account.runtime',
    );
    expect(to['google_cloud_run_service_iam_member.detect_drift_invoker']).toBe(
      'module.function["detect-drift"].google_cloud_run_service_iam_member.invoker["scheduler"]',
    );
    for (const [old, key] of Object.entries(OLD_TOPIC_KEYS))
      expect(to[`google_pubsub_topic.hop["${old}"]`]).toBe(`google_pubsub_topic.hop["${key}"]`);
  });

  it('the module moves each resource of modules/event-function it now counts to index 0, and nothing else', () => {
    // Counted resources modules/event-function never had (the public invoker) have nothing to move.
    const counted = mod.resources
      .filter((r) => r.body.count !== undefined)
      .map((r) => `${r.type}.${r.name}`)
      .filter((a) => OLD_MODULE_RESOURCES.includes(a));
    expect(counted.length).toBeGreaterThan(0);
    expect(OLD_MODULE_RESOURCES).not.toContain('google_cloud_run_service_iam_member.public_invoker');
    expect(movedPairs(mod)).toEqual(expect.arrayContaining(counted.map((a) => ({ from: a, to: `${a}[0]` }))));
    expect(movedPairs(mod)).toHaveLength(counted.length);
  });

  it('every changed address of the previous layout lands on an address this layout creates', () => {
    const created = new Set([...newRoot, ...newModule]);
    const landed = OLD_ADDRESSES.map(follow);
    for (const [i, a] of landed.entries()) expect(created.has(a), `${OLD_ADDRESSES[i]} -> ${a}`).toBe(true);
    expect(new Set(landed).size, 'two old objects land on one address').toBe(landed.length);
    // Nothing this layout creates in those places is left without its old object (it would be created
    // anew next to the old one, which would be destroyed), except the objects added since.
    expect([...created].filter((a) => !landed.includes(a)).sort()).toEqual(addedSince().sort());
    // The new functions come whole: their runtime account and function at least, and stripe-events'
    // public invoker and event-sweeper's scheduler grant among them.
    for (const fn of NEW_FUNCTIONS)
      expect(addedSince()).toContain(`module.function["${fn}"].google_cloudfunctions2_function.this`);
    expect(addedSince()).toContain(
      'module.function["stripe-events"].google_cloud_run_service_iam_member.public_invoker[0]',
    );
    expect(addedSince()).toContain(
      'module.function["event-sweeper"].google_cloud_run_service_iam_member.invoker["scheduler"]',
    );
    expect(addedSince()).toContain(
      'google_pubsub_topic_iam_member.publisher["event-sweeper/stripeDriftAccounts"]',
    );
  });

  it('the function set of topology.json is the set the moves land on', () => {
    expect(Object.keys(instances).sort()).toEqual(FUNCTIONS.map((f) => f.name).sort());
  });

  it.each(OPTIONAL)(
    'without what it reads (its variable unset) the layout is the same but for %s: nothing of it is created',
    (fn) => {
      const ofOptional = (a: string) =>
        a.startsWith(`module.function["${fn}"].`) ||
        a.startsWith(`google_pubsub_topic_iam_member.publisher["${fn}/`);
      const all = [...newRoot, ...newModule];
      const without = withoutOptional[fn] ?? [];
      expect(all.filter(ofOptional).length).toBeGreaterThan(0);
      expect([...without].sort()).toEqual(all.filter((a) => !ofOptional(a)).sort());
      // So the switch for such a deployment is the moves, plus what was added since but that function.
      expect(without.filter(ofOptional)).toEqual([]);
      expect(OPTIONAL_FUNCTIONS[fn].without[OPTIONAL_FUNCTIONS[fn].variable]).toBeFalsy();
    },
  );
});

// ---------------------------------------------------------------- Terraform plans the switch

const ADDR =
  /^(?:module\.([a-z_]+)(?:\["([^"]+)"\])?\.)?([a-z0-9_]+)\.([a-z0-9_]+)(?:\[(?:"([^"]+)"|(\d+))\])?$/;

interface Addr {
  readonly module?: string;
  readonly moduleKey?: string;
  /** Stand-in resource name: TYPE__NAME. */
  readonly res: string;
  readonly key?: string;
  readonly index?: number;
}

function parse(a: string): Addr {
  const m = ADDR.exec(a);
  if (m === null) throw new Error(`cannot read address ${a}`);
  return {
    ...(m[1] === undefined ? {} : { module: m[1] }),
    ...(m[2] === undefined ? {} : { moduleKey: m[2] }),
    res: `${m[3]}__${m[4]}`,
    ...(m[5] === undefined ? {} : { key: m[5] }),
    ...(m[6] === undefined ? {} : { index: Number(m[6]) }),
  };
}

/** The address with every resource TYPE.NAME turned into terraform_data.TYPE__NAME. */
const standInAddress = (a: string) =>
  a.replace(/(^|\.)((?:google|random)_[a-z0-9_]+)\.([a-z0-9_]+)/g, '$1terraform_data.$2__$3');

/** terraform_data resources for a set of addresses of one scope (root or one module instance shape). */
function resourceBlocks(addrs: readonly Addr[], shapeVar: boolean): string {
  const byRes = new Map<string, Addr[]>();
  for (const a of addrs) byRes.set(a.res, [...(byRes.get(a.res) ?? []), a]);
  return [...byRes.entries()]
    .map(([res, as]) => {
      const keyed = as.some((a) => a.key !== undefined);
      const counted = as.some((a) => a.index !== undefined);
      const meta = shapeVar
        ? keyed
          ? `for_each = toset(lookup(var.keys, "${res}", []))`
          : counted
            ? `count = lookup(var.counts, "${res}", 0)`
            : ''
        : keyed
          ? `for_each = toset(${JSON.stringify(as.map((a) => a.key))})`
          : counted
            ? `count = ${Math.max(...as.map((a) => a.index ?? 0)) + 1}`
            : '';
      return `resource "terraform_data" "${res}" {\n  ${meta}\n}\n`;
    })
    .join('\n');
}

/** A stand-in configuration holding exactly these resource instances, plus the given moved blocks. */
function standIn(addresses: readonly string[], moved: { root: string; modules: Record<string, string> }) {
  const files: Record<string, string> = {};
  const all = addresses.map(parse);
  let main = resourceBlocks(
    all.filter((a) => a.module === undefined),
    false,
  );
  const modules = [...new Set(all.flatMap((a) => (a.module === undefined ? [] : [a.module])))];
  for (const name of modules) {
    const inModule = all.filter((a) => a.module === name);
    const shapes = new Map<string, { counts: Record<string, number>; keys: Record<string, string[]> }>();
    for (const a of inModule) {
      const k = a.moduleKey ?? '';
      const s = shapes.get(k) ?? { counts: {}, keys: {} };
      if (a.key !== undefined) s.keys[a.res] = [...(s.keys[a.res] ?? []), a.key];
      if (a.index !== undefined) s.counts[a.res] = Math.max(s.counts[a.res] ?? 0, a.index + 1);
      shapes.set(k, s);
    }
    files[`mod_${name}/main.tf`] =
      'variable "counts" {\n  type = map(number)\n}\nvariable "keys" {\n  type = map(list(string))\n}\n' +
      resourceBlocks(inModule, true) +
      (moved.modules[name] ?? '');
    // JSON objects and lists are HCL expressions too.
    const keyed = inModule.some((a) => a.moduleKey !== undefined);
    const single = shapes.get('');
    main +=
      keyed || single === undefined
        ? `module "${name}" {\n  source   = "./mod_${name}"\n  for_each = ${JSON.stringify(Object.fromEntries(shapes))}\n  counts   = each.value.counts\n  keys     = each.value.keys\n}\n`
        : `module "${name}" {\n  source = "./mod_${name}"\n  counts = ${JSON.stringify(single.counts)}\n  keys   = ${JSON.stringify(single.keys)}\n}\n`;
  }
  files['main.tf'] = main + moved.root;
  return files;
}

function movedText(pairs: readonly { from: string; to: string }[]): string {
  return pairs
    .map((p) => `moved {\n  from = ${standInAddress(p.from)}\n  to   = ${standInAddress(p.to)}\n}\n`)
    .join('');
}

describe('Terraform plans the switch from the previous layout as moves, plus only what was added since', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-moved-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writeConfig = (files: Record<string, string>) => {
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory() && e.name.startsWith('mod_')) rmSync(join(dir, e.name), { recursive: true });
      else if (e.name === 'main.tf') unlinkSync(join(dir, e.name));
    for (const [f, text] of Object.entries(files)) write(join(dir, f), text);
  };

  it('destroys nothing, changes nothing, and creates only the objects added since', () => {
    // A state of the previous layout.
    writeConfig(standIn(OLD_ADDRESSES, { root: '', modules: {} }));
    terraform(dir, ['init', '-input=false', '-no-color']);
    terraform(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
    // This layout's addresses, with the real moved blocks of the root module and modules/function.
    writeConfig(
      standIn([...newRoot, ...newModule], {
        root: movedText(movedPairs(root)),
        modules: { function: movedText(movedPairs(mod)) },
      }),
    );
    terraform(dir, ['init', '-input=false', '-no-color']);
    const plan = terraform(dir, ['plan', '-input=false', '-no-color']);
    expect(plan).toContain(`Plan: ${addedSince().length} to add, 0 to change, 0 to destroy.`);
    const created = [...plan.matchAll(/^ {2}# (\S+) will be created$/gm)].map((m) => m[1]);
    expect(created.sort()).toEqual(addedSince().map(standInAddress).sort());
    const moves = plan.match(/ has moved to /g) ?? [];
    expect(moves).toHaveLength(OLD_ADDRESSES.length);
  });
});

// ---------------------------------------------------------------- the least-privilege switch

/** The `removed` blocks of a module, with their resource types renamed like the stand-ins'. */
function removedText(m: TfModule): string {
  return m.removed
    .map((b) => {
      const lifecycle = Array.isArray(b.lifecycle) ? (b.lifecycle[0] as Body | undefined) : undefined;
      const destroy = lifecycle?.destroy === false ? 'false' : 'true';
      return `removed {\n  from = ${standInAddress(address(b.from))}\n  lifecycle {\n    destroy = ${destroy}\n  }\n}\n`;
    })
    .join('');
}

describe('Terraform plans the least-privilege switch: the full Stripe key and the (default) database are forgotten, never destroyed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-removed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the two restricted-key secrets and the dedicated database, and destroys nothing', async () => {
    // What the previous layout held at the addresses this layout no longer declares.
    const before = ['google_secret_manager_secret.stripe', 'google_firestore_database.default[0]'];
    expect(root.removed.map((b) => address(b.from)).sort()).toEqual(
      ['google_firestore_database.default', 'google_secret_manager_secret.stripe'].sort(),
    );
    const out = await evaluateRoot(root, {
      outputs: {
        stripe: resource(root, 'google_secret_manager_secret', 'stripe_key').body.for_each,
        db: resource(root, 'google_firestore_database', 'driftcontrol').body.count,
      },
    });
    const after = [
      ...Object.keys(out.stripe as Body).map((k) => `google_secret_manager_secret.stripe_key["${k}"]`),
      ...Array.from({ length: Number(out.db) }, (_, n) => `google_firestore_database.driftcontrol[${n}]`),
    ];
    expect(after).toHaveLength(3);
    for (const [f, text] of Object.entries(standIn(before, { root: '', modules: {} })))
      write(join(dir, f), text);
    terraform(dir, ['init', '-input=false', '-no-color']);
    terraform(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
    for (const [f, text] of Object.entries(standIn(after, { root: removedText(root), modules: {} })))
      write(join(dir, f), text);
    const plan = terraform(dir, ['plan', '-input=false', '-no-color']);
    expect(plan).toContain(`Plan: ${after.length} to add, 0 to change, 0 to destroy.`);
    const forgotten = [...plan.matchAll(/^ {1,2}# (\S+) will no longer be managed by Terraform/gm)].map(
      (m) => m[1],
    );
    expect(forgotten.sort()).toEqual(before.map(standInAddress).sort());
    const created = [...plan.matchAll(/^ {2}# (\S+) will be created$/gm)].map((m) => m[1]);
    expect(created.sort()).toEqual(after.map(standInAddress).sort());
  });
});

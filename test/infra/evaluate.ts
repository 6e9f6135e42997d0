// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions, not JS templates.
/**
 * Evaluates parts of the root module offline with the real Terraform binary, so the tests check what
 * Terraform computes from shared/contracts/topology.json rather than what the HCL text looks like:
 *
 * - the named expressions, with every local and variable they reach (variables with their real type,
 *   default and validations);
 * - root module calls, through a probe: the called module minus its resources, i.e. its variables
 *   (types, defaults, validations: each instance is checked as Terraform would check it), its locals,
 *   and the count or for_each keys of each of its resources, per instance.
 *
 * Resources cannot be created without a provider. A reference to one reads a stand-in whose attributes
 * are the resource's own expression when that is a literal, a variable or each.key / each.value (a hop
 * topic's name is its topology name, the webhook secret's id its variable), and otherwise a marker naming
 * the attribute ("google_service_account.scheduler.email",
 * "module.function.gather.runtime_service_account_email"), so a test still sees what is wired to what.
 */
import { resolve } from 'node:path';
import { applyTerraform, jsonVariable } from './fixtures.js';
import { type Body, loadModule, REPO_ROOT, TF_DIRS, type TfDirKey, type TfModule } from './hcl.js';

const RESOURCE_REF =
  /(?<![\w.])(data\.[a-z][a-z0-9_]*|google_[a-z0-9_]+|random_[a-z0-9_]+)\.([a-z][a-z0-9_]*)/g;
const MODULE_REF = /(?<![\w.])module\.([a-z][a-z0-9_]*)/g;
const LOCAL_REF = /(?<![\w.])local\.([a-z][a-z0-9_]*)/g;
const VAR_REF = /(?<![\w.])var\.([a-z][a-z0-9_]*)/g;

/** Sample inputs of a deployment, recognisable in what Terraform computes from them. */
export const SAMPLE_VARS = {
  project_id: 'acme-billing-drift-prod',
  bigquery_location: 'US',
  log_level: 'info',
  subs_api_base_url: 'https://subs-api.internal.example.com',
  www_base_url: 'https://www-api.internal.example.com',
  vpc_connector: 'projects/acme-billing-drift-prod/locations/us-central1/connectors/internal-apis',
  ope_database_url_secret_id: 'sample-ope-replica-url',
  billing_prod_database_url_secret_id: 'sample-billing-prod-replica-url',
  cf_prod_database_url_secret_id: 'sample-cf-prod-replica-url',
  stripe_gather_secret_id: 'sample-stripe-gather-key',
  stripe_plan_apply_secret_id: 'sample-stripe-plan-apply-key',
  stripe_webhook_secret_id: 'sample-stripe-webhook-secret',
  // The OPE team's change topic (external): in their own project, under a name of theirs that is not
  // the local stand-in's of topology.json, so a test sees where each comes from.
  ope_change_topic_id: 'projects/acme-ope-prod/topics/ope-account-changes',
  // The company's Jira Cloud site and its API user: classify-tickets is deployed. The optional ticket
  // settings (custom field, account id pattern, taxonomy version) keep their defaults (null: unset).
  jira_base_url: 'https://acme.atlassian.net',
  jira_email: 'driftcontrol-jira@example.com',
  jira_api_token_secret_id: 'sample-jira-api-token',
  // The support console's hostname, who may pass IAP to it, and its own read-only Stripe key: the
  // console is deployed. Its optional dashboard URL keeps its default (null: unset).
  console_domain: 'driftcontrol.support.example.com',
  console_members: ['group:billing-support@example.com', 'user:support-lead@example.com'],
  stripe_console_secret_id: 'sample-stripe-console-key',
} as const;

/** The sample deployment without the OPE change topic: what a deployment that does not set it gets. */
export const WITHOUT_OPE_TOPIC = { ...SAMPLE_VARS, ope_change_topic_id: null } as const;

/** The sample deployment without Jira (jira_base_url empty, the default): classify-tickets not deployed. */
export const WITHOUT_JIRA = { ...SAMPLE_VARS, jira_base_url: '' } as const;

/** The sample deployment without a console hostname (console_domain empty, the default): no console. */
export const WITHOUT_CONSOLE = { ...SAMPLE_VARS, console_domain: '' } as const;

/** The functions a deployment runs only when it names what they need, and what names it. */
export const OPTIONAL_FUNCTIONS = {
  'ope-events': { variable: 'ope_change_topic_id', without: WITHOUT_OPE_TOPIC },
  'classify-tickets': { variable: 'jira_base_url', without: WITHOUT_JIRA },
  console: { variable: 'console_domain', without: WITHOUT_CONSOLE },
} as const;

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

function stubLocal(type: string, name: string): string {
  return `stub__${type.replace('.', '__')}__${name}`;
}

/** The inside of a `${...}` that is the whole string, or undefined. */
function pureExpression(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{([\s\S]*)\}$/.exec(v);
  return m === null || m[1]?.includes('${') ? undefined : m[1];
}

function omit(body: Body, keys: readonly string[]): Body {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)));
}

function moduleKeyOf(source: unknown): TfDirKey {
  const dir = resolve(TF_DIRS.root, String(source));
  const key = (Object.keys(TF_DIRS) as TfDirKey[]).find((k) => TF_DIRS[k] === dir);
  if (key === undefined) throw new Error(`no loaded module at ${String(source)}`);
  return key;
}

/** Attributes the module's text reads from an object (`TYPE.NAME.attr`, `TYPE.NAME[...].attr`). */
function attributesRead(mod: TfModule, prefix: string): string[] {
  const re = new RegExp(
    `(?<![\\w.])${prefix.replace(/\./g, '\\.')}(?:\\[[^\\]]*\\])?\\.([a-z][a-z0-9_]*)`,
    'g',
  );
  return [...new Set([...mod.text.matchAll(re)].map((m) => m[1] as string))].sort();
}

/**
 * The called module minus its resources: variables (type, default, validations), the locals that read
 * no resource, and per resource its count (a number), its for_each keys, or 1.
 */
function probeModule(mod: TfModule): Body {
  const variable = Object.fromEntries(
    Object.entries(mod.variables).map(([n, def]) => [n, omit(jsonVariable(def), ['description'])]),
  );
  const readsResource = (v: unknown) => {
    const t = JSON.stringify(v);
    return t.match(RESOURCE_REF) !== null || t.match(MODULE_REF) !== null;
  };
  const kept: Body = {};
  let changed = true;
  const candidates = Object.entries(mod.locals).filter(([, v]) => !readsResource(v));
  while (changed) {
    changed = false;
    for (const [n, v] of candidates) {
      if (n in kept) continue;
      const deps = [...JSON.stringify(v).matchAll(LOCAL_REF)].map((m) => m[1] as string);
      if (deps.every((d) => d in kept)) {
        kept[n] = v;
        changed = true;
      }
    }
  }
  const resources: Body = {};
  for (const r of mod.resources) {
    const expr = r.body.count ?? r.body.for_each;
    if (expr !== undefined && readsResource(expr))
      throw new Error(`${r.type}.${r.name}: count/for_each reads a resource`);
    const inner = pureExpression(expr);
    resources[`${r.type}.${r.name}`] =
      r.body.count !== undefined ? r.body.count : inner !== undefined ? `\${keys(${inner})}` : 1;
  }
  return {
    variable,
    ...(Object.keys(kept).length > 0 ? { locals: kept } : {}),
    output: {
      inputs: { value: Object.fromEntries(Object.keys(mod.variables).map((n) => [n, `\${var.${n}}`])) },
      locals: { value: Object.fromEntries(Object.keys(kept).map((n) => [n, `\${local.${n}}`])) },
      resources: { value: resources },
    },
  };
}

export interface EvalOptions {
  /** Output name -> expression as hcl2json renders it (e.g. a resource's for_each). */
  readonly outputs?: Readonly<Record<string, unknown>>;
  /** Root module calls to evaluate through a probe; their output is `module_<name>`. */
  readonly moduleCalls?: readonly string[];
  readonly vars?: Readonly<Record<string, unknown>>;
  /** Locals given literally instead of read from the module (default: repo_root = the checkout). */
  readonly locals?: Readonly<Record<string, unknown>>;
}

/** Evaluates expressions and module calls of the root module as Terraform does (see the file comment). */
export async function evaluateRoot(root: TfModule, opts: EvalOptions): Promise<Record<string, unknown>> {
  const stubs = new Map<string, { kind: 'resource' | 'module'; type: string; name: string }>();
  const rewrite = (v: unknown): unknown =>
    mapStrings(v, (s) =>
      !s.includes('${')
        ? s
        : s
            .replace(RESOURCE_REF, (_w, type: string, name: string) => {
              const n = stubLocal(type, name);
              stubs.set(n, { kind: 'resource', type, name });
              return `local.${n}`;
            })
            .replace(MODULE_REF, (_w, name: string) => {
              const n = stubLocal('module', name);
              stubs.set(n, { kind: 'module', type: 'module', name });
              return `local.${n}`;
            }),
    );

  const buildStub = async (n: string): Promise<unknown> => {
    const s = stubs.get(n);
    if (s === undefined) throw new Error(`unknown stand-in ${n}`);
    if (s.kind === 'module') {
      const call = root.modules[s.name];
      if (call === undefined) throw new Error(`no module call ${s.name}`);
      const outputs = Object.keys((await loadModule(moduleKeyOf(call.source))).outputs);
      const attrs = (marker: string) => `{ ${outputs.map((o) => `${o} = "${marker}.${o}"`).join(', ')} }`;
      const forEach = pureExpression(rewrite(call.for_each));
      if (forEach === undefined) return Object.fromEntries(outputs.map((o) => [o, `module.${s.name}.${o}`]));
      return `\${{ for stub_key, stub_value in ${forEach} : stub_key => ${attrs(`module.${s.name}.\${stub_key}`)} }}`;
    }
    const [kind, type] = s.type.startsWith('data.') ? ['data', s.type.slice(5)] : ['resource', s.type];
    const r = (kind === 'data' ? root.data : root.resources).find(
      (x) => x.type === type && x.name === s.name,
    );
    if (r === undefined) throw new Error(`no ${s.type}.${s.name} in the root module`);
    const attrs = attributesRead(root, `${s.type}.${s.name}`);
    const value = (attr: string, marker: string): string => {
      const own = r.body[attr];
      if (typeof own === 'string' && !own.includes('${')) return JSON.stringify(own);
      const pure = pureExpression(own);
      if (pure !== undefined && /^each\.(key|value)(\.[a-z0-9_]+)*$/.test(pure.trim()))
        return pure.replace(/\beach\.key\b/g, 'stub_key').replace(/\beach\.value\b/g, 'stub_value');
      // A variable is evaluated as itself (declared with its type, default and validations below).
      if (pure !== undefined && /^var\.[a-z][a-z0-9_]*$/.test(pure.trim())) return pure.trim();
      return `"${marker}.${attr}"`;
    };
    const forEach = pureExpression(rewrite(r.body.for_each));
    const count = pureExpression(rewrite(r.body.count));
    if (forEach !== undefined) {
      const obj = attrs.map((a) => `${a} = ${value(a, `${s.type}.${s.name}.\${stub_key}`)}`).join(', ');
      return `\${{ for stub_key, stub_value in ${forEach} : stub_key => { ${obj} } }}`;
    }
    if (count !== undefined) {
      const obj = attrs.map((a) => `${a} = "${s.type}.${s.name}.\${stub_index}.${a}"`).join(', ');
      return `\${[for stub_index in range(${count}) : { ${obj} }]}`;
    }
    const marker = `${s.type}.${s.name}`;
    return `\${{ ${attrs.map((a) => `${a} = ${value(a, marker)}`).join(', ')} }}`;
  };

  const overrides = opts.locals ?? { repo_root: REPO_ROOT };
  const locals: Body = { ...overrides };
  const vars = new Set<string>();
  const output: Body = {};
  for (const [name, expr] of Object.entries(opts.outputs ?? {})) output[name] = { value: rewrite(expr) };
  const module: Body = {};
  const files: Record<string, unknown> = {};
  for (const name of opts.moduleCalls ?? []) {
    const call = root.modules[name];
    if (call === undefined) throw new Error(`no module call ${name}`);
    const probeDir = `probe_${name}`;
    files[`${probeDir}/main.tf.json`] = probeModule(await loadModule(moduleKeyOf(call.source)));
    module[name] = {
      ...(rewrite(omit(call, ['source', 'depends_on', 'providers'])) as Body),
      source: `./${probeDir}`,
    };
    output[`module_${name}`] = { value: `\${module.${name}}` };
  }

  const pending: unknown[] = [output, module, overrides];
  while (pending.length > 0) {
    const text = JSON.stringify(pending.pop());
    for (const m of text.matchAll(LOCAL_REF)) {
      const n = m[1] as string;
      if (n in locals) continue;
      const v = n.startsWith('stub__') ? await buildStub(n) : rewrite(root.locals[n]);
      if (v === undefined) throw new Error(`the root module has no local.${n}`);
      locals[n] = v;
      pending.push(v);
    }
    for (const m of text.matchAll(VAR_REF)) {
      const n = m[1] as string;
      if (vars.has(n)) continue;
      const def = root.variables[n];
      if (def === undefined) throw new Error(`the root module has no var.${n}`);
      vars.add(n);
      pending.push(rewrite(def.validation ?? []));
    }
  }

  const variable = Object.fromEntries(
    [...vars].map((n) => [n, omit(rewrite(jsonVariable(root.variables[n])) as Body, ['description'])]),
  );
  files['main.tf.json'] = {
    ...(vars.size > 0 ? { variable } : {}),
    locals,
    ...(Object.keys(module).length > 0 ? { module } : {}),
    output,
  };
  const tfvars = Object.fromEntries(Object.entries(opts.vars ?? {}).filter(([k]) => vars.has(k)));
  return applyTerraform(files, tfvars, { init: Object.keys(module).length > 0 });
}

/** One instance of a module call as the probe sees it. */
export interface ProbedInstance {
  /** Every variable of the module, as the instance receives it (after type conversion). */
  readonly inputs: Body;
  /** The module's locals that read no resource. */
  readonly locals: Body;
  /** `TYPE.NAME` -> count (number) or for_each keys (string[]) in this instance; 1 without either. */
  readonly resources: Readonly<Record<string, number | readonly string[]>>;
}

/** The instances of a root module call, evaluated through its probe. */
export async function evaluateModuleCall(
  root: TfModule,
  call: string,
  vars: Readonly<Record<string, unknown>> = SAMPLE_VARS,
): Promise<Record<string, ProbedInstance>> {
  const out = await evaluateRoot(root, { moduleCalls: [call], vars });
  return out[`module_${call}`] as Record<string, ProbedInstance>;
}

/** How many instances of a module resource an instance creates (count, number of for_each keys, or 1). */
export function instancesOf(p: ProbedInstance, address: string): number {
  const r = p.resources[address];
  if (r === undefined) throw new Error(`the module has no resource ${address}`);
  return typeof r === 'number' ? r : r.length;
}

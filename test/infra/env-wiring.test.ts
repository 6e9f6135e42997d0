// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Holds the environment Terraform sets on each function to the adapter factory that reads it
 * (shared/adapters/factory.ts): every variable set is one the factory knows (KNOWN_ENV_VARS, the keys
 * of its schema), every function gets what its adapters need, the Stripe key only where it is used
 * and only as a secret, and the environment a function gets is one the factory accepts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createAdapters,
  KNOWN_ENV_VARS,
  LAZY_ENV_VARS,
  parseAdapterEnv,
} from '../../shared/adapters/factory.js';
import { StripeAdapter } from '../../shared/adapters/stripe.js';
import { SubsApiClient, WwwClient } from '../../shared/adapters/zones.js';
import { FUNCTIONS, type FunctionName } from '../../shared/contracts/topology.js';
import { asBody, type Body, block, blocks, loadModule, resource, type TfModule } from './hcl.js';

let root: TfModule;
let mod: TfModule;

beforeAll(async () => {
  root = await loadModule('root');
  mod = await loadModule('eventFunction');
});

// ---------------------------------------------------------------- reading the env out of the HCL

/** Splits `a, {b, c}, f(d, e)` at top-level commas; drops `# ...` comments outside strings. */
function splitTopLevel(text: string, separators: RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      current += c;
      if (c === '\\') current += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      current += '\n';
      continue;
    }
    if (c === '"') inString = true;
    else if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    if (depth === 0 && separators.test(c)) {
      if (current.trim() !== '') parts.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/** The plain variables one function gets: name -> Terraform expression. Extras are the operators'. */
interface FunctionEnv {
  readonly plain: Record<string, string>;
  readonly secret: Record<string, string>;
  /** `try(var.extra_environment_variables["<fn>"], {})` is merged (operator-supplied, not checked here). */
  readonly extrasOf: string | undefined;
}

function plainEnv(expr: unknown, fn: string): Pick<FunctionEnv, 'plain' | 'extrasOf'> {
  if (typeof expr !== 'string') throw new Error(`${fn}: environment_variables is not an expression`);
  const m = /^\$\{merge\(([\s\S]*)\)\}$/.exec(expr.trim());
  if (m === null) throw new Error(`${fn}: environment_variables is not merge(...): ${expr}`);
  const plain: Record<string, string> = {};
  let extrasOf: string | undefined;
  for (const arg of splitTopLevel(m[1] ?? '', /,/)) {
    const extras = /^try\(var\.extra_environment_variables\["([a-z-]+)"\],\s*\{\}\)$/.exec(arg);
    if (arg === 'local.common_env') {
      for (const [k, v] of Object.entries(asBody(root.locals.common_env))) plain[k] = String(v);
    } else if (extras !== null) {
      extrasOf = extras[1];
    } else if (arg.startsWith('{') && arg.endsWith('}')) {
      for (const entry of splitTopLevel(arg.slice(1, -1), /[,\n]/)) {
        const kv = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([\s\S]+)$/.exec(entry);
        if (kv === null) throw new Error(`${fn}: cannot read env entry ${entry}`);
        plain[kv[1] as string] = `\${${(kv[2] as string).trim()}}`;
      }
    } else {
      throw new Error(`${fn}: unknown environment_variables argument ${arg} (teach env-wiring.test.ts)`);
    }
  }
  return { plain, extrasOf };
}

function secretEnv(expr: unknown): Record<string, string> {
  if (expr === undefined) return {};
  const list = expr === '${local.stripe_secret_env}' ? root.locals.stripe_secret_env : expr;
  if (!Array.isArray(list))
    throw new Error(`secret_environment_variables: cannot read ${JSON.stringify(expr)}`);
  const out: Record<string, string> = {};
  for (const s of list.map(asBody)) out[String(s.key)] = String(s.secret_id);
  return out;
}

/** What Terraform sets on each deployed function, from the root module (detect-drift + module calls). */
function terraformEnv(fn: FunctionName): FunctionEnv {
  if (fn === 'detect-drift') {
    const r = resource(root, 'google_cloudfunctions2_function', 'detect_drift');
    const sc = block(r.body, 'service_config') as Body;
    const secret: Record<string, string> = {};
    for (const s of blocks(sc, 'secret_environment_variables')) secret[String(s.key)] = String(s.secret);
    if (sc.dynamic !== undefined)
      throw new Error('detect-drift: dynamic blocks in service_config (teach this test)');
    return { ...plainEnv(sc.environment_variables, fn), secret };
  }
  const call = Object.values(root.modules).find((b) => b.name === fn);
  if (call === undefined) throw new Error(`no module call deploys ${fn}`);
  return {
    ...plainEnv(call.environment_variables, fn),
    secret: secretEnv(call.secret_environment_variables),
  };
}

// ---------------------------------------------------------------- the contract

type Port = keyof typeof LAZY_ENV_VARS;

/** The ports each function's core uses that need a lazily read variable (shared/pipeline/*.ts). */
const NEEDS: Readonly<Record<FunctionName, readonly Port[]>> = {
  'detect-drift': [],
  gather: ['stripe'],
  'plan-apply': ['stripe'],
  'www-resync': ['subsApi', 'www'],
  'audit-writer': [],
};

/** The whole contract per function (docs/deploy.md shows the same table). */
const CONTRACT: Readonly<Record<FunctionName, { plain: readonly string[]; secret: readonly string[] }>> = {
  'detect-drift': { plain: ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL'], secret: [] },
  gather: { plain: ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL'], secret: ['STRIPE_API_KEY'] },
  'plan-apply': {
    plain: ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL', 'STRIPE_WRITE_INSTANCES'],
    secret: ['STRIPE_API_KEY'],
  },
  'www-resync': {
    plain: ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL', 'SUBS_API_URL', 'WWW_API_URL'],
    secret: [],
  },
  'audit-writer': { plain: ['BIGQUERY_LOCATION', 'GOOGLE_CLOUD_PROJECT', 'LOG_LEVEL'], secret: [] },
};

/** Sample values for the Terraform expressions, to run each function's env through the factory. */
const SAMPLE: Readonly<Record<string, string>> = {
  '${var.project_id}': 'acme-billing-drift-prod',
  '${var.bigquery_location}': 'US',
  '${var.log_level}': 'info',
  '${var.subs_api_base_url}': 'https://subs-api.internal.example.com',
  '${var.www_base_url}': 'https://www-api.internal.example.com',
  '${tostring(local.function_settings["plan-apply"].max_instances)}': '4',
  '${google_secret_manager_secret.stripe.secret_id}': 'sk_live_fake_from_secret_manager',
};

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
    expect(env.extrasOf).toBe(fn);
  });

  it.each(names)('%s: gets GOOGLE_CLOUD_PROJECT and every variable its adapters need', (fn) => {
    const env = terraformEnv(fn);
    const all = { ...env.plain, ...env.secret };
    expect(all.GOOGLE_CLOUD_PROJECT).toBe('${var.project_id}');
    for (const port of NEEDS[fn]) {
      const options: readonly string[] = LAZY_ENV_VARS[port];
      expect(
        options.filter((v) => v in all),
        `${fn} uses ${port}, so it needs one of ${options.join(', ')}`,
      ).toHaveLength(1);
    }
  });

  it.each(names)('%s: the Stripe key only where Stripe is used, and only as a secret', (fn) => {
    const env = terraformEnv(fn);
    const stripeVars: readonly string[] = LAZY_ENV_VARS.stripe;
    for (const v of stripeVars)
      expect(env.plain, `${fn}: ${v} must not be a plain variable`).not.toHaveProperty(v);
    const hasKey = stripeVars.some((v) => v in env.secret);
    expect(hasKey).toBe(NEEDS[fn].includes('stripe'));
    if (hasKey) expect(env.secret.STRIPE_API_KEY).toBe('${google_secret_manager_secret.stripe.secret_id}');
  });

  it.each(names)('%s: the factory accepts the environment and wires the ports it needs', async (fn) => {
    const env = terraformEnv(fn);
    const values: Record<string, string> = {};
    for (const [name, expr] of Object.entries({ ...env.plain, ...env.secret })) {
      const value = SAMPLE[expr];
      expect(value, `no sample value for ${name} = ${expr} (add one to SAMPLE)`).toBeDefined();
      values[name] = value as string;
    }
    expect(() => parseAdapterEnv(values)).not.toThrow();
    const a = await createAdapters(values, { functionName: fn });
    try {
      expect(a.stripe instanceof StripeAdapter).toBe(NEEDS[fn].includes('stripe'));
      expect(a.subsApi instanceof SubsApiClient).toBe(NEEDS[fn].includes('subsApi'));
      expect(a.www instanceof WwwClient).toBe(NEEDS[fn].includes('www'));
      if (fn === 'plan-apply') expect(a.env.stripe.writeInstances).toBe(4);
    } finally {
      await a.close();
    }
  });

  it('plan-apply splits the write budget across exactly its max instances', () => {
    const env = terraformEnv('plan-apply');
    expect(env.plain.STRIPE_WRITE_INSTANCES).toBe(
      '${tostring(local.function_settings["plan-apply"].max_instances)}',
    );
    const call = Object.values(root.modules).find((b) => b.name === 'plan-apply');
    expect(call?.max_instances).toBe('${local.function_settings["plan-apply"].max_instances}');
  });

  it('every log level Terraform allows is one the factory accepts', () => {
    const validation = block(asBody(root.variables.log_level), 'validation');
    const allowed = [...String(validation?.condition).matchAll(/"([a-z]+)"/g)].map((m) => m[1] as string);
    expect(allowed.length).toBeGreaterThan(0);
    for (const level of allowed) {
      expect(parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'acme-drift', LOG_LEVEL: level }).logLevel).toBe(level);
    }
  });

  it('the event-function module passes both lists to the function unchanged', () => {
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

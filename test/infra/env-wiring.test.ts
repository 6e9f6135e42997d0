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
import { StripeAdapter } from '../../shared/adapters/stripe/adapter.js';
import { SubsApiClient, WwwClient } from '../../shared/adapters/zones.js';
import { FUNCTIONS, type FunctionName } from '../../shared/contracts/topology.js';
import { evaluateModuleCall, type ProbedInstance, SAMPLE_VARS } from './evaluate.js';
import { asBody, type Body, block, loadModule, resource, type TfModule } from './hcl.js';

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

/** The stand-in of the Stripe secret's id (evaluate.ts), i.e. google_secret_manager_secret.stripe. */
const STRIPE_SECRET = 'google_secret_manager_secret.stripe.secret_id';

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

/** What a running function reads for the secret Terraform names (Secret Manager resolves it). */
const SECRET_VALUES: Readonly<Record<string, string>> = {
  [STRIPE_SECRET]: 'sk_live_fake_from_secret_manager',
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
    if (hasKey) expect(env.secret.STRIPE_API_KEY).toBe(STRIPE_SECRET);
    // The module grants the runtime account access to exactly the secrets it mounts.
    expect(
      deployed[fn]?.resources['google_secret_manager_secret_iam_member.runtime_secret_accessor'],
    ).toEqual(Object.keys(env.secret));
  });

  it.each(names)('%s: the factory accepts the environment and wires the ports it needs', async (fn) => {
    const env = terraformEnv(fn);
    const values: Record<string, string> = { ...env.plain };
    for (const [name, secret] of Object.entries(env.secret)) {
      const value = SECRET_VALUES[secret];
      expect(value, `no value for ${name} from secret ${secret} (add one to SECRET_VALUES)`).toBeDefined();
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

  it('plan-apply splits the write budget across exactly its max instances, overrides included', async () => {
    const defaults = asBody(asBody(root.locals.function_defaults)['plan-apply']);
    expect(terraformEnv('plan-apply').plain.STRIPE_WRITE_INSTANCES).toBe(String(defaults.max_instances));
    expect(deployed['plan-apply']?.inputs.max_instances).toBe(defaults.max_instances);
    const overridden = await evaluateModuleCall(root, 'function', {
      ...SAMPLE_VARS,
      function_settings_overrides: { 'plan-apply': { max_instances: 7 } },
    });
    expect(envOf(overridden, 'plan-apply').plain.STRIPE_WRITE_INSTANCES).toBe('7');
    expect(overridden['plan-apply']?.inputs.max_instances).toBe(7);
  });

  it('www-resync reaches subs-api and www through the VPC connector, and no other function does', () => {
    for (const f of names) {
      expect(deployed[f]?.inputs.vpc_connector, f).toBe(
        f === 'www-resync' ? SAMPLE_VARS.vpc_connector : null,
      );
    }
    expect(terraformEnv('www-resync').plain.SUBS_API_URL).toBe(SAMPLE_VARS.subs_api_base_url);
    expect(terraformEnv('www-resync').plain.WWW_API_URL).toBe(SAMPLE_VARS.www_base_url);
  });

  it('every log level Terraform allows is one the factory accepts', () => {
    const validation = block(asBody(root.variables.log_level), 'validation');
    const allowed = [...String(validation?.condition).matchAll(/"([a-z]+)"/g)].map((m) => m[1] as string);
    expect(allowed.length).toBeGreaterThan(0);
    for (const level of allowed) {
      expect(parseAdapterEnv({ GOOGLE_CLOUD_PROJECT: 'acme-drift', LOG_LEVEL: level }).logLevel).toBe(level);
    }
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

/** Shared fixtures of the infra tests: a built dist/ like tsc emits, and running Terraform offline. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FUNCTIONS } from '../../shared/contracts/topology.js';
import { REPO_ROOT } from './hcl.js';

export const PACKAGE_SCRIPT = join(REPO_ROOT, 'scripts', 'package-functions.mjs');
export const TERRAFORM = process.env.TERRAFORM_BIN ?? 'terraform';

export function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * A dist/ like tsc emits it: the real topology (tsc emits the JSON its module imports), one entry module
 * per function, a shared helper, a query the functions read and a view and DDL file they do not.
 */
export function makeDist(dir: string): void {
  const topology = readFileSync(join(REPO_ROOT, 'shared', 'contracts', 'topology.json'), 'utf8');
  write(join(dir, 'shared', 'contracts', 'topology.json'), topology);
  write(join(dir, 'shared', 'core', 'util.js'), "import { z } from 'zod';\nexport const s = z.string();\n");
  write(join(dir, 'shared', 'warehouse', 'sql', 'queries', 'q_x.sql'), 'SELECT 1 AS x\n');
  write(join(dir, 'shared', 'warehouse', 'sql', 'views', '10_x.sql'), 'SELECT 1 AS x\n');
  write(join(dir, 'shared', 'warehouse', 'sql', 'ddl', 't_x.sql'), 'CREATE TABLE t_x (x INT64)\n');
  // Built but reached by no function: must not be shipped (nor its devDependency imports).
  write(
    join(dir, 'shared', 'cli', 'main.js'),
    "import { Command } from 'commander';\nimport fc from 'fast-check';\nexport { Command, fc };\n",
  );
  for (const f of FUNCTIONS) {
    // Each entry records that it was loaded; its SDK imports sit behind a dynamic import the loader
    // tests never call (like shared/runtime/deps.ts), so no node_modules is needed to load it.
    write(
      join(dir, 'functions', f.name, 'index.js'),
      `globalThis.loadedFunctions = [...(globalThis.loadedFunctions ?? []), ${JSON.stringify(f.name)}];\n` +
        "export const adapters = () => import('./adapters.js');\n",
    );
    write(join(dir, 'functions', f.name, 'index.js.map'), '{"version":3}\n');
    write(join(dir, 'functions', f.name, 'adapters.js'), 'export {};\n');
  }
  write(
    join(dir, 'functions', 'gather', 'adapters.js'),
    "import Stripe from 'stripe';\nimport { Firestore } from '@google-cloud/firestore';\nimport { readFileSync } from 'node:fs';\nimport path from 'path';\nexport { Stripe, Firestore, readFileSync, path };\n",
  );
  write(
    join(dir, 'functions', 'detect-drift', 'adapters.js'),
    "export const load = () => import('@google-cloud/bigquery');\nexport * from '../../shared/core/util.js';\n",
  );
}

export function runPackage(dist: string, out: string) {
  return spawnSync(process.execPath, [PACKAGE_SCRIPT, '--skip-build', '--dist', dist, '--out', out], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

/** A variable block in Terraform's JSON syntax: the type is a bare type expression there. */
export function jsonVariable(def: Record<string, unknown> | undefined): Record<string, unknown> {
  if (def === undefined) return {};
  const out: Record<string, unknown> = { ...def };
  if (typeof def.type === 'string') out.type = def.type.replace(/^\$\{([\s\S]*)\}$/, '$1');
  return out;
}

/**
 * Applies a configuration in Terraform's JSON syntax (file name -> content, folders allowed) with the
 * real Terraform binary, offline, and returns its outputs. A configuration without resources needs no
 * provider, so this runs here; `init` only installs local child modules.
 */
export function applyTerraform(
  files: Record<string, unknown>,
  tfvars: Record<string, unknown>,
  opts: { readonly init?: boolean } = {},
): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'tf-eval-'));
  try {
    for (const [name, content] of Object.entries(files))
      write(join(dir, name), JSON.stringify(content, null, 2));
    writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(tfvars));
    const run = (args: string[]) => terraform(dir, args);
    if (opts.init === true) run(['init', '-input=false', '-no-color', '-backend=false']);
    run(['apply', '-auto-approve', '-input=false', '-no-color']);
    const parsed = JSON.parse(run(['output', '-json'])) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the Terraform binary in a folder (without the machine's CLI config); throws on failure. */
export function terraform(dir: string, args: readonly string[]): string {
  const env = { ...process.env };
  delete env.TF_CLI_CONFIG_FILE;
  const res = spawnSync(TERRAFORM, args, { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  if (res.error !== undefined) throw new Error(`cannot run "${TERRAFORM}": ${res.error.message}`);
  if (res.status !== 0) throw new Error(`terraform ${args[0]} failed:\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

/**
 * Evaluates Terraform expressions with the real Terraform binary, offline: a configuration made only of
 * variables, locals and outputs needs no provider, so `terraform apply` runs here. Expressions are given
 * exactly as hcl2json renders them, which is also Terraform's JSON configuration syntax.
 */
export function evalTerraform(
  locals: Record<string, unknown>,
  vars: Record<string, unknown>,
  outputs: readonly string[],
  /** Variable blocks as hcl2json renders them (type, validation, ...); others are declared untyped. */
  variableDefs: Record<string, Record<string, unknown>> = {},
): Record<string, unknown> {
  const declared = [...new Set([...Object.keys(vars), ...Object.keys(variableDefs)])];
  // An empty "variable" object would read as a block without a label: leave it out.
  const config = {
    ...(declared.length > 0
      ? { variable: Object.fromEntries(declared.map((k) => [k, jsonVariable(variableDefs[k])])) }
      : {}),
    locals,
    output: Object.fromEntries(outputs.map((o) => [o, { value: `\${local.${o}}` }])),
  };
  return applyTerraform({ 'main.tf.json': config }, vars);
}

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * Loads the Terraform under infra/terraform as JSON (via @cdktf/hcl2json) so the wiring tests can hold
 * it to shared/contracts/topology.ts without a provider (none can be downloaded on these machines).
 * hcl2json renders every expression as a `${...}` template, which is also Terraform's JSON syntax, so
 * what is read here can be handed back to Terraform to evaluate (evaluate.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TF_ROOT = join(REPO_ROOT, 'infra', 'terraform');
export const TF_DIRS = {
  root: TF_ROOT,
  function: join(TF_ROOT, 'modules', 'function'),
  example: join(TF_ROOT, 'environments', 'example'),
} as const;
export type TfDirKey = keyof typeof TF_DIRS;

export type Body = Record<string, unknown>;

export interface Resource {
  readonly module: TfDirKey;
  readonly file: string;
  readonly type: string;
  readonly name: string;
  readonly body: Body;
}

export interface TfModule {
  readonly key: TfDirKey;
  readonly dir: string;
  readonly files: readonly string[];
  readonly resources: readonly Resource[];
  readonly data: readonly Resource[];
  readonly modules: Readonly<Record<string, Body>>;
  readonly variables: Readonly<Record<string, Body>>;
  readonly outputs: Readonly<Record<string, Body>>;
  readonly locals: Readonly<Body>;
  readonly terraform: readonly Body[];
  /** `moved` blocks: `from` and `to` as `${address}` strings. */
  readonly moved: readonly Body[];
  /** `removed` blocks: `from` as an `${address}` string, and their `lifecycle` block. */
  readonly removed: readonly Body[];
  /** Raw HCL text of every file, for the few checks that are about text (e.g. forbidden principals). */
  readonly text: string;
}

function isBody(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** First body of a block attribute (hcl2json renders every block as an array of bodies). */
export function block(body: Body, key: string): Body | undefined {
  const v = body[key];
  if (Array.isArray(v) && isBody(v[0])) return v[0];
  return undefined;
}

export function blocks(body: Body, key: string): Body[] {
  const v = body[key];
  return Array.isArray(v) ? v.filter(isBody) : [];
}

export function attr(body: Body | undefined, key: string): unknown {
  return body?.[key];
}

export function str(body: Body | undefined, key: string): string | undefined {
  const v = body?.[key];
  return typeof v === 'string' ? v : undefined;
}

function collectNamed(out: Resource[], key: TfDirKey, file: string, section: unknown): void {
  if (!isBody(section)) return;
  for (const [type, byName] of Object.entries(section)) {
    if (!isBody(byName)) continue;
    for (const [name, bodies] of Object.entries(byName)) {
      if (Array.isArray(bodies) && isBody(bodies[0]))
        out.push({ module: key, file, type, name, body: bodies[0] });
    }
  }
}

function collectSingle(out: Record<string, Body>, section: unknown): void {
  if (!isBody(section)) return;
  for (const [name, bodies] of Object.entries(section)) {
    if (Array.isArray(bodies) && isBody(bodies[0])) out[name] = bodies[0];
  }
}

const cache = new Map<TfDirKey, Promise<TfModule>>();

async function loadUncached(key: TfDirKey): Promise<TfModule> {
  const dir = TF_DIRS[key];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  const resources: Resource[] = [];
  const data: Resource[] = [];
  const modules: Record<string, Body> = {};
  const variables: Record<string, Body> = {};
  const outputs: Record<string, Body> = {};
  const locals: Body = {};
  const terraform: Body[] = [];
  const moved: Body[] = [];
  const removed: Body[] = [];
  let text = '';
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    text += `${source}\n`;
    const json: Body = await parse(file, source);
    collectNamed(resources, key, file, json.resource);
    collectNamed(data, key, file, json.data);
    collectSingle(modules, json.module);
    collectSingle(variables, json.variable);
    collectSingle(outputs, json.output);
    for (const l of blocks(json, 'locals')) Object.assign(locals, l);
    terraform.push(...blocks(json, 'terraform'));
    moved.push(...blocks(json, 'moved'));
    removed.push(...blocks(json, 'removed'));
  }
  return {
    key,
    dir,
    files,
    resources,
    data,
    modules,
    variables,
    outputs,
    locals,
    terraform,
    moved,
    removed,
    text,
  };
}

export function loadModule(key: TfDirKey): Promise<TfModule> {
  let p = cache.get(key);
  if (p === undefined) {
    p = loadUncached(key);
    cache.set(key, p);
  }
  return p;
}

export async function loadAll(): Promise<TfModule[]> {
  return Promise.all((Object.keys(TF_DIRS) as TfDirKey[]).map(loadModule));
}

export function resourcesOf(mod: TfModule, type: string): Resource[] {
  return mod.resources.filter((r) => r.type === type);
}

export function resource(mod: TfModule, type: string, name: string): Resource {
  const r = mod.resources.find((x) => x.type === type && x.name === name);
  if (r === undefined) throw new Error(`${mod.key}: no resource ${type}.${name}`);
  return r;
}

/** The literal value of a local that is a plain string/list/map (not an expression). */
export function localValue(mod: TfModule, name: string): unknown {
  return mod.locals[name];
}

export function asStringMap(v: unknown): Record<string, string> {
  if (!isBody(v)) throw new Error(`expected a map, got ${JSON.stringify(v)}`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new Error(`expected string at ${k}, got ${JSON.stringify(x)}`);
    out[k] = x;
  }
  return out;
}

export function asStringList(v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new Error(`expected a list of strings, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function asBody(v: unknown): Body {
  if (!isBody(v)) throw new Error(`expected an object, got ${JSON.stringify(v)}`);
  return v;
}

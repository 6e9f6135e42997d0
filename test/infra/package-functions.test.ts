// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions as hcl2json renders them, not JS templates.
/**
 * scripts/package-functions.mjs, run as the operator runs it (a child process), on a small built tree:
 * the hash is stable for unchanged input and changes with any file, it is the hash Terraform computes,
 * the production package.json holds exactly the imported production dependencies, and the entry loads
 * only the function Cloud Functions asks for. No network, no tsc (--skip-build over a prepared dist).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../shared/contracts/topology.js';
import { makeDist, runPackage, write } from './fixtures.js';
import { REPO_ROOT } from './hcl.js';

const rootPkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const work = mkdtempSync(join(tmpdir(), 'package-functions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = runPackage;

function runOk(
  dist: string,
  out: string,
): { sha256: string; object: string; dependencies: Record<string, string> } {
  const res = run(dist, out);
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

/** The formula in infra/terraform/main.tf, written independently: sorted "path sha256" lines, "\n", sha256. */
function terraformHash(dir: string): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = files.map(
    (f) =>
      `${f} ${createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex')}`,
  );
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

let n = 0;
let dist: string;
beforeEach(() => {
  n += 1;
  dist = join(work, `dist-${n}`);
  makeDist(dist);
});

describe('package-functions', () => {
  it('the hash is stable for unchanged input, wherever the output goes', () => {
    const a = runOk(dist, join(work, `out-${n}-a`));
    const b = runOk(dist, join(work, `out-${n}-b`));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.sha256).toBe(a.sha256);
    expect(a.object).toBe(`functions-source-${a.sha256}.zip`);
  });

  it.each([
    ['a function changes', 'functions/plan-apply/index.js', 'export const changed = 1;\n'],
    [
      'a shared module changes',
      'shared/core/util.js',
      "import { z } from 'zod';\nexport const s = z.number();\n",
    ],
    ['a query changes', 'shared/warehouse/sql/queries/q_x.sql', 'SELECT 2 AS x\n'],
    ['a query is added', 'shared/warehouse/sql/queries/q_y.sql', 'SELECT 3 AS y\n'],
  ])('the hash changes when %s', (_case, file, text) => {
    const before = runOk(dist, join(work, `out-${n}-before`));
    write(join(dist, file), text);
    const after = runOk(dist, join(work, `out-${n}-after`));
    expect(after.sha256).not.toBe(before.sha256);
  });

  it('prints and writes the hash Terraform computes over the folder', () => {
    const out = join(work, `out-${n}`);
    const { sha256 } = runOk(dist, out);
    expect(sha256).toBe(terraformHash(out));
    expect(readFileSync(`${out}.sha256`, 'utf8').trim()).toBe(sha256);
  });

  it('package.json lists exactly the imported production dependencies, at the root versions', () => {
    const out = join(work, `out-${n}`);
    runOk(dist, out);
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    const expected = [
      '@google-cloud/bigquery',
      '@google-cloud/firestore',
      '@google-cloud/functions-framework',
      'stripe',
      'zod',
    ];
    expect(Object.keys(pkg.dependencies)).toEqual(expected);
    for (const name of expected) expect(pkg.dependencies[name]).toBe(rootPkg.dependencies[name]);
    expect(pkg.devDependencies).toBeUndefined();
    expect(pkg.scripts).toBeUndefined();
    expect(pkg.type).toBe('module');
    expect(pkg.main).toBe('index.js');
  });

  it('ships only what the entry modules reach (with source maps) plus the queries they read', () => {
    const out = join(work, `out-${n}`);
    runOk(dist, out);
    expect(readdirSync(out).sort()).toEqual(['functions', 'index.js', 'package.json', 'shared']);
    expect(readdirSync(join(out, 'shared', 'warehouse', 'sql'))).toEqual(['queries']);
    expect(readFileSync(join(out, 'shared', 'warehouse', 'sql', 'queries', 'q_x.sql'), 'utf8')).toBe(
      'SELECT 1 AS x\n',
    );
    expect(readFileSync(join(out, 'shared', 'core', 'util.js'), 'utf8')).toContain('z.string()');
    expect(readdirSync(join(out, 'functions', 'gather')).sort()).toEqual([
      'adapters.js',
      'index.js',
      'index.js.map',
    ]);
    expect(readdirSync(join(out, 'shared')).sort()).toEqual(['core', 'warehouse']);
  });

  it('ships the ticket taxonomies classify-tickets reads at run time, and nothing else of their folder', () => {
    mkdirSync(join(dist, 'shared', 'tickets', 'taxonomy'), { recursive: true });
    writeFileSync(join(dist, 'shared', 'tickets', 'taxonomy', 'v6.yaml'), 'version: v6\n');
    writeFileSync(join(dist, 'shared', 'tickets', 'taxonomy', 'notes.txt'), 'not shipped\n');
    const out = join(work, `out-${n}`);
    runOk(dist, out);
    expect(readdirSync(join(out, 'shared', 'tickets', 'taxonomy'))).toEqual(['v6.yaml']);
  });

  it('code no function reaches, and SQL Terraform deploys, neither ship nor change the hash', () => {
    const before = runOk(dist, join(work, `out-${n}-before`));
    write(join(dist, 'shared', 'cli', 'main.js'), "import x from 'vitest';\nexport default x;\n");
    write(join(dist, 'bench', 'run.js'), 'export {};\n');
    write(join(dist, 'shared', 'warehouse', 'sql', 'views', '10_x.sql'), 'SELECT 2 AS x\n');
    write(join(dist, 'shared', 'warehouse', 'sql', 'ddl', 't_y.sql'), 'CREATE TABLE t_y (y INT64)\n');
    const after = runOk(dist, join(work, `out-${n}-after`));
    expect(after.sha256).toBe(before.sha256);
    expect(after.dependencies).toEqual(before.dependencies);
  });

  it('fails clearly when a shipped module imports a file that was not built', () => {
    write(join(dist, 'functions', 'gather', 'adapters.js'), "export * from '../../shared/missing.js';\n");
    const res = run(dist, join(work, `out-${n}`));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('shared/missing.js is imported but was not built');
  });

  it.each(FUNCTIONS.map((f) => [f.entryPoint, f.name] as const))(
    'FUNCTION_TARGET=%s loads only functions/%s',
    (entryPoint, name) => {
      const out = join(work, `out-${n}`);
      runOk(dist, out);
      const res = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "await import('./index.js'); console.log(JSON.stringify(globalThis.loadedFunctions));",
        ],
        { cwd: out, encoding: 'utf8', env: { ...process.env, FUNCTION_TARGET: entryPoint } },
      );
      expect(res.status, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual([name]);
    },
  );

  it('fails clearly when function code reaches the local cloud', () => {
    write(join(dist, 'local', 'stack.js'), 'export const stack = 1;\n');
    write(join(dist, 'functions', 'gather', 'adapters.js'), "export * from '../../local/stack.js';\n");
    const res = run(dist, join(work, `out-${n}`));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('reaches the local cloud, which is never deployed: local/stack.js');
  });

  it('fails clearly when a function of topology.json has no built entry module', () => {
    rmSync(join(dist, 'functions', 'www-resync', 'index.js'));
    const res = run(dist, join(work, `out-${n}`));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('functions/www-resync/index.ts');
  });

  it('fails clearly when function code imports a package that is not a production dependency', () => {
    const dev =
      Object.keys(rootPkg.devDependencies).find((d) => rootPkg.dependencies[d] === undefined) ?? 'vitest';
    write(join(dist, 'functions', 'gather', 'adapters.js'), `import x from '${dev}';\nexport default x;\n`);
    const res = run(dist, join(work, `out-${n}`));
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(dev);
    expect(res.stderr).toContain('not in package.json "dependencies"');
  });
});

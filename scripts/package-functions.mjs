#!/usr/bin/env node
// Builds the one source archive folder all five Cloud Functions deploy from (docs/deploy.md).
//
//   node scripts/package-functions.mjs [--skip-build] [--dist DIR] [--out DIR]
//
// 1. Unless --skip-build: removes stale output and runs `tsc -p tsconfig.build.json` (emits to dist/).
// 2. Copies into OUT (default dist/functions-source) the built modules reachable from the entry modules
//    of shared/contracts/topology.json (functions/<name>/index.js, following relative static and literal
//    dynamic imports, with their source maps, and the JSON they import), plus the one runtime asset the
//    code reads from disk: the queries the functions run (shared/warehouse/sql/queries/*.sql). The DDL
//    and views are Terraform's to deploy and are not shipped; code no function reaches (the CLI, the
//    local cloud under local/) is not shipped either, so it neither bloats the archive nor redeploys the
//    functions when it changes. Reaching local/ at all is an error.
// 3. Writes OUT/index.js, which loads only the function named by FUNCTION_TARGET (Cloud Functions sets
//    it to the entry point), and OUT/package.json with the production dependencies the shipped modules
//    import, at the exact versions of the root package.json (a devDependency there is an error).
// 4. Prints the content hash Terraform computes over OUT (sorted "path sha256" lines, joined by "\n",
//    then sha256) and writes it next to OUT as OUT.sha256. Terraform names the uploaded zip after it,
//    so a code change redeploys and an unchanged tree does not.
//
// Terraform zips the folder itself (archive_file), so no zip library is needed here.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`package-functions: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { skipBuild: false, dist: join(repoRoot, 'dist'), out: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--skip-build') opts.skipBuild = true;
    else if (arg === '--dist') opts.dist = resolve(argv[++i] ?? fail('--dist needs a folder'));
    else if (arg === '--out') opts.out = resolve(argv[++i] ?? fail('--out needs a folder'));
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: node scripts/package-functions.mjs [--skip-build] [--dist DIR] [--out DIR]\n' +
          'Builds dist/ with tsc and writes the Cloud Functions source folder (default dist/functions-source).\n',
      );
      process.exit(0);
    } else fail(`unknown argument ${arg}`);
  }
  opts.out ??= join(opts.dist, 'functions-source');
  return opts;
}

/** Every file under dir, as forward-slash paths relative to dir, sorted bytewise (Terraform's sort). */
export function listFiles(dir) {
  const out = [];
  const walk = (abs) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The hash infra/terraform/main.tf computes: sha256 of the sorted "path sha256(content)" lines. */
export function treeHash(dir) {
  const lines = listFiles(dir).map(
    (f) =>
      `${f} ${createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex')}`,
  );
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

const IMPORT_RE =
  /(?:^|[\s;})])(?:import|export)\s*(?:[\w*$\s{},]*?\sfrom\s*)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The built modules reachable from the entries (paths relative to dist) and the npm packages they
 * import. Only literal specifiers can be followed; a computed import() path is not seen.
 */
export function reachable(dist, entries) {
  const builtins = new Set(builtinModules);
  const files = new Set();
  const packages = new Set();
  const queue = [...entries];
  while (queue.length > 0) {
    const rel = queue.pop();
    if (files.has(rel)) continue;
    const abs = join(dist, rel);
    if (!existsSync(abs)) fail(`${rel} is imported but was not built (looked for ${abs})`);
    files.add(rel);
    const text = readFileSync(abs, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec || spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        queue.push(
          relative(dist, resolve(dirname(abs), spec))
            .split(sep)
            .join('/'),
        );
        continue;
      }
      if (spec.startsWith('/')) fail(`${rel} imports an absolute path (${spec}), which cannot be shipped`);
      const name = packageName(spec);
      if (!builtins.has(name)) packages.add(name);
    }
  }
  return { files: [...files].sort(), packages: [...packages].sort() };
}

/**
 * The files the functions read from disk at run time (tsc does not emit them): their queries, and the
 * ticket taxonomies classify-tickets trains its classifier from.
 */
export const RUNTIME_ASSETS = [
  { dir: 'shared/warehouse/sql/queries', ext: '.sql' },
  { dir: 'shared/tickets/taxonomy', ext: '.yaml' },
];
/** Kept for callers that name the first asset folder. */
export const RUNTIME_ASSET_DIR = RUNTIME_ASSETS[0].dir;

function assetsIn(root) {
  return RUNTIME_ASSETS.flatMap(({ dir, ext }) =>
    existsSync(join(root, dir))
      ? listFiles(join(root, dir))
          .filter((f) => f.endsWith(ext))
          .map((f) => `${dir}/${f}`)
      : [],
  );
}

function copyAssets(fromRoot, toRoot) {
  for (const rel of assetsIn(fromRoot)) {
    mkdirSync(dirname(join(toRoot, rel)), { recursive: true });
    cpSync(join(fromRoot, rel), join(toRoot, rel));
  }
}

/** The functions of the topology (data: shared/contracts/topology.json, emitted by tsc beside its module). */
function loadFunctions(dist) {
  const file = join(dist, 'shared', 'contracts', 'topology.json');
  if (!existsSync(file)) fail(`${file} is missing: build first (drop --skip-build)`);
  const topology = JSON.parse(readFileSync(file, 'utf8'));
  return Object.entries(topology.functions).map(([name, spec]) => ({ name, entryPoint: spec.entryPoint }));
}

function entryIndex(functions) {
  const table = functions
    .map((f) => `  ${JSON.stringify(f.entryPoint)}: './functions/${f.name}/index.js',`)
    .join('\n');
  return `// Generated by scripts/package-functions.mjs. Cloud Functions sets FUNCTION_TARGET to the entry
// point; load only that function's module so each function starts with its own code alone.
const modules = {
${table}
};
const target = process.env.FUNCTION_TARGET;
if (target !== undefined && modules[target] !== undefined) {
  await import(modules[target]);
} else {
  for (const path of Object.values(modules)) await import(path);
}
`;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  if (!opts.skipBuild) {
    for (const stale of ['functions', 'shared', 'functions-source']) {
      rmSync(join(opts.dist, stale), { recursive: true, force: true });
    }
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const built = spawnSync(process.execPath, [tsc, '-p', join(repoRoot, 'tsconfig.build.json')], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    if (built.status !== 0) fail('tsc -p tsconfig.build.json failed');
    copyAssets(repoRoot, opts.dist);
  }

  const FUNCTIONS = loadFunctions(opts.dist);
  const missing = FUNCTIONS.filter((f) => !existsSync(join(opts.dist, 'functions', f.name, 'index.js')));
  if (missing.length > 0) {
    fail(
      `no built entry module for: ${missing.map((f) => `functions/${f.name}/index.ts`).join(', ')}. ` +
        'Every function in shared/contracts/topology.json must have one.',
    );
  }

  const entries = FUNCTIONS.map((f) => `functions/${f.name}/index.js`);
  const { files, packages } = reachable(opts.dist, entries);
  const local = files.filter((f) => f.startsWith('local/'));
  if (local.length > 0)
    fail(`function code reaches the local cloud, which is never deployed: ${local.join(', ')}`);

  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const assets = assetsIn(opts.dist);
  for (const rel of [...files, ...files.map((f) => `${f}.map`), ...assets]) {
    const from = join(opts.dist, rel);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(opts.out, rel)), { recursive: true });
    cpSync(from, join(opts.out, rel));
  }

  const rootPkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const prodDeps = rootPkg.dependencies ?? {};
  const used = new Set(packages);
  // The runtime starts the function through the framework even if no module imports it by name.
  used.add('@google-cloud/functions-framework');
  const notProd = [...used].filter((name) => prodDeps[name] === undefined);
  if (notProd.length > 0) {
    fail(`function code imports ${notProd.join(', ')}, which is not in package.json "dependencies"`);
  }
  const dependencies = Object.fromEntries([...used].sort().map((name) => [name, prodDeps[name]]));

  const pkg = {
    name: `${rootPkg.name}-functions`,
    version: rootPkg.version,
    private: true,
    description: 'Cloud Functions source built by scripts/package-functions.mjs; do not edit.',
    type: 'module',
    main: 'index.js',
    engines: { node: '22' },
    dependencies,
  };
  writeFileSync(join(opts.out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(opts.out, 'index.js'), entryIndex(FUNCTIONS));

  const hash = treeHash(opts.out);
  writeFileSync(`${opts.out}.sha256`, `${hash}\n`);
  process.stdout.write(
    `${JSON.stringify({ out: relative(repoRoot, opts.out) || opts.out, files: listFiles(opts.out).length, sha256: hash, object: `functions-source-${hash}.zip`, dependencies }, null, 2)}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}

// The layering the repository's layout promises, checked on every import (parsed with the TypeScript
// compiler). Run: npm run check:layers (also part of npm test). Three rules (docs/design.md, "The house"):
//  1. The decision core is pure: shared/core and shared/domain import only each other, zod (validation)
//     and node:crypto (hashing). No SDK, no I/O.
//  2. The product does not depend on its local cloud: nothing under shared/ or functions/ imports local/
//     (the stand-ins, emulators, synthetic world and run-local), which is never deployed.
//  3. The product runs on a production install: what shared/ and functions/ import at run time is a
//     Node built-in or a package in package.json "dependencies" (a devDependency is missing after
//     `npm ci --omit=dev`). Type-only imports are erased, so they are allowed.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export const PURE_DIRS = ['shared/core', 'shared/domain'];
export const PURE_ALLOWED_PACKAGES = new Set(['zod', 'node:crypto']);
export const PRODUCT_DIRS = ['shared', 'functions'];
export const LOCAL_DIR = 'local';

export type Rule = 'core-purity' | 'local-boundary' | 'production-dependency';

export interface Violation {
  readonly rule: Rule;
  readonly file: string;
  readonly specifier: string;
}

export interface ImportRef {
  readonly specifier: string;
  /** `import type …` / `export type …`: erased at compile time, never loaded. */
  readonly typeOnly: boolean;
}

function tsFiles(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function importsOf(source: string, fileName = 'file.ts'): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  const found: ImportRef[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const arg = node.arguments[0];
      if ((isDynamicImport || isRequire) && arg)
        found.push({ specifier: ts.isStringLiteral(arg) ? arg.text : '<computed>', typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(packageName(specifier));

const inside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}${sep}`);

export function findViolations(root: string): Violation[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
  const pureRoots = PURE_DIRS.map((d) => resolve(root, d));
  const localRoot = resolve(root, LOCAL_DIR);
  const violations: Violation[] = [];
  for (const file of PRODUCT_DIRS.flatMap((d) => tsFiles(resolve(root, d)))) {
    const pure = pureRoots.some((r) => inside(file, r));
    const where = relative(root, file);
    for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8'), file)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (inside(target, localRoot)) violations.push({ rule: 'local-boundary', file: where, specifier });
        else if (pure && !pureRoots.some((r) => inside(target, r)))
          violations.push({ rule: 'core-purity', file: where, specifier });
        continue;
      }
      if (pure && !PURE_ALLOWED_PACKAGES.has(specifier))
        violations.push({ rule: 'core-purity', file: where, specifier });
      if (!typeOnly && !isBuiltin(specifier) && !dependencies.has(packageName(specifier)))
        violations.push({ rule: 'production-dependency', file: where, specifier });
    }
  }
  return violations;
}

const WHY: Record<Rule, string> = {
  'core-purity': 'the decision core must stay pure (no SDK, no I/O)',
  'local-boundary': 'the product must not import the local cloud, which is never deployed',
  'production-dependency':
    'not a production dependency: it is missing after npm ci --omit=dev (move it to "dependencies" or stop importing it)',
};

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const violations = findViolations(resolve(import.meta.dirname, '..'));
  for (const v of violations) console.error(`${v.file}: imports "${v.specifier}" — ${WHY[v.rule]}`);
  if (violations.length > 0) process.exit(1);
  console.log(
    `layers: ok (pure ${PURE_DIRS.join(', ')}; ${PRODUCT_DIRS.join(', ')} import nothing from ${LOCAL_DIR}/ and only production dependencies)`,
  );
}

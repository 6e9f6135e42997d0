// The decision core imports no SDK and does no I/O: shared/core and shared/domain may import only each
// other, zod (validation) and node:crypto (hashing). This check parses every import with the TypeScript
// compiler and fails the build on anything else. Run: npm run check:core-purity (also part of npm test).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const PURE_DIRS = ['shared/core', 'shared/domain'];
export const ALLOWED_PACKAGES = new Set(['zod', 'node:crypto']);

export interface Impurity {
  readonly file: string;
  readonly specifier: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function importsOf(source: string, fileName = 'file.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      const arg = node.arguments[0];
      if ((isDynamicImport || isRequire) && arg)
        found.push(ts.isStringLiteral(arg) ? arg.text : '<computed>');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

export function findImpurities(root: string): Impurity[] {
  const pureRoots = PURE_DIRS.map((d) => resolve(root, d));
  const impurities: Impurity[] = [];
  for (const dir of pureRoots) {
    for (const file of tsFiles(dir)) {
      for (const specifier of importsOf(readFileSync(file, 'utf8'), file)) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (pureRoots.some((r) => target.startsWith(`${r}/`))) continue;
        } else if (ALLOWED_PACKAGES.has(specifier)) {
          continue;
        }
        impurities.push({ file: relative(root, file), specifier });
      }
    }
  }
  return impurities;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const impurities = findImpurities(resolve(import.meta.dirname, '..'));
  for (const i of impurities)
    console.error(`${i.file}: imports "${i.specifier}" — the decision core must stay pure`);
  if (impurities.length > 0) process.exit(1);
  console.log(`core purity: ok (${PURE_DIRS.join(', ')})`);
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findViolations, importsOf, type Rule } from '../../scripts/check-layers.js';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'check-layers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
/** A tree with one importing file, and a package.json with one production and one dev dependency. */
function treeWith(file: string, source: string): string {
  const root = join(scratch, `t${++n}`);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    'package.json',
    JSON.stringify({ dependencies: { zod: '1', stripe: '1' }, devDependencies: { duck: '1' } }),
  );
  write('shared/core/other.ts', 'export const x = 1;\n');
  write('local/stack.ts', 'export const stack = 1;\n');
  write(file, source);
  return root;
}

describe('the layers of the repository', () => {
  it('hold on this tree: pure core, no product import of local/, only production dependencies', () => {
    expect(findViolations(REPO_ROOT)).toEqual([]);
  });

  it.each<[string, string, string, Rule[]]>([
    ['the core imports an SDK', 'shared/core/a.ts', "import Stripe from 'stripe';", ['core-purity']],
    ['the core does I/O', 'shared/domain/a.ts', "import { readFileSync } from 'node:fs';", ['core-purity']],
    [
      'the core imports outside itself',
      'shared/core/a.ts',
      "import { p } from '../pipeline/x.js';",
      ['core-purity'],
    ],
    [
      'the core imports itself and zod',
      'shared/core/a.ts',
      "import { z } from 'zod';\nimport { x } from './other.js';",
      [],
    ],
    [
      'a function imports the local cloud',
      'functions/gather/index.ts',
      "import { stack } from '../../local/stack.js';",
      ['local-boundary'],
    ],
    [
      'shared code loads the local cloud lazily',
      'shared/cli/main.ts',
      "await import('../../local/stack.js');",
      ['local-boundary'],
    ],
    [
      'shared code imports a devDependency',
      'shared/adapters/a.ts',
      "import duck from 'duck';",
      ['production-dependency'],
    ],
    [
      'shared code imports a dev subpath',
      'shared/adapters/a.ts',
      "import { x } from 'duck/sub';",
      ['production-dependency'],
    ],
    [
      'shared code imports a devDependency for types only',
      'shared/adapters/a.ts',
      "import type { D } from 'duck';",
      [],
    ],
    [
      'shared code imports a production dependency and a built-in',
      'shared/adapters/a.ts',
      "import Stripe from 'stripe';\nimport { join } from 'path';",
      [],
    ],
    [
      'local code imports what it likes',
      'local/run.ts',
      "import duck from 'duck';\nimport { x } from '../shared/core/other.js';",
      [],
    ],
  ])('%s', (_case, file, source, rules) => {
    expect(findViolations(treeWith(file, source)).map((v) => v.rule)).toEqual(rules);
  });

  it.each([
    ["import Stripe from 'stripe';", [{ specifier: 'stripe', typeOnly: false }]],
    ["import type { z } from 'zod';", [{ specifier: 'zod', typeOnly: true }]],
    ["export * from '@google-cloud/firestore';", [{ specifier: '@google-cloud/firestore', typeOnly: false }]],
    ["export type { A } from './a.js';", [{ specifier: './a.js', typeOnly: true }]],
    ["const m = await import('node:http');", [{ specifier: 'node:http', typeOnly: false }]],
    ["const name = 'x'; await import(name);", [{ specifier: '<computed>', typeOnly: false }]],
    ["const x = require('https');", [{ specifier: 'https', typeOnly: false }]],
  ])('finds the imports of %j', (source, expected) => {
    expect(importsOf(source)).toEqual(expected);
  });
});

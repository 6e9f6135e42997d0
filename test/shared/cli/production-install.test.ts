import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueProjectId, useEmulators } from '../../setup/emulators.js';
import { healthyView, stripeItem, viewWith } from '../../support/views.js';

/**
 * The operator CLI as a platform team installs it to run against production: a copy of the repository
 * with `npm ci --omit=dev` (no DuckDB, no SQL parser, no local cloud dependencies). --help, plan and
 * config show must work there; the local cloud's commands must say what they need instead of crashing.
 * The install reads the npm cache the test run's own `npm ci` filled (--prefer-offline).
 */

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const install = mkdtempSync(join(tmpdir(), 'driftcontrol-prod-install-'));
afterAll(() => rmSync(install, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(install, 'bin', 'driftcontrol.mjs'), ...args], {
    cwd: install,
    encoding: 'utf8',
    timeout: 60_000,
    // Only what a shell on an operator's machine would have, plus the command's own variables.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      METADATA_SERVER_DETECTION: 'none',
      ...env,
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // The repository as a clone holds it (tracked and new files, not what .gitignore excludes).
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(REPO_ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(install, f)), { recursive: true });
    cpSync(join(REPO_ROOT, f), join(install, f));
  }
  execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: install,
    stdio: 'pipe',
    timeout: 180_000,
  });
}, 200_000);

describe('a production install of the CLI (npm ci --omit=dev)', () => {
  it('has none of the local cloud dependencies', () => {
    expect(existsSync(join(install, 'node_modules', '@duckdb'))).toBe(false);
    expect(existsSync(join(install, 'node_modules', 'sql-parser-cst'))).toBe(false);
    expect(existsSync(join(install, 'node_modules', 'stripe'))).toBe(true);
  });

  it('--help lists the operator commands and names the local ones as development-only', () => {
    const r = run(['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const command of ['plan', 'gather', 'replay', 'config'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    expect(r.stdout).toMatch(/run-local[\s\S]*\(development install only\)/);
  });

  it('plan --view plans a view offline, with its exit code', () => {
    const view = join(install, 'view.json');
    writeFileSync(view, JSON.stringify(viewWith((v) => void (stripeItem(v).quantity = 4))));
    const r = run(['plan', '--view', view]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'changes' });
    writeFileSync(view, JSON.stringify(healthyView()));
    expect(run(['plan', '--view', view]).code).toBe(0);
  });

  it('config show reads the Firestore config (here: the emulator)', async () => {
    const { firestoreHost } = await useEmulators();
    const r = run(['config', 'show'], {
      GOOGLE_CLOUD_PROJECT: uniqueProjectId('prod-cli'),
      FIRESTORE_EMULATOR_HOST: firestoreHost,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ config: { killSwitch: false, dryRun: true } });
  });

  it.each(['run-local', 'stack', 'mirror'])(
    '%s says it needs the development install, in one line',
    (cmd) => {
      const r = run([cmd, '--accounts', '10']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^driftcontrol: ${cmd} runs the local cloud, which this install does not have \\(.+ is missing\\): it needs the development install`,
        ),
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    },
  );
});

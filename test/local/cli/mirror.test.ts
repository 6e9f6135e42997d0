import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BigQuery } from '@google-cloud/bigquery';
import { describe, expect, it } from 'vitest';
import { accountViewFor } from '../../../local/synthetic/account-view.js';
import { createWorld } from '../../../local/synthetic/world.js';
import { AccountView } from '../../../shared/domain/account-view.js';
import { querySql } from '../../../shared/warehouse/sql-files.js';

process.env.METADATA_SERVER_DETECTION = 'none';

/** `driftcontrol mirror …` as a user runs it: the real CLI entry in its own process, PATH and HOME only. */
const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'driftcontrol.mjs');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('driftcontrol mirror', () => {
  it('view prints the AccountView the world holds for one account', () => {
    const r = run([
      'mirror',
      'view',
      'acc_0000007',
      '--accounts',
      '20',
      '--seed',
      '5',
      '--date',
      '2026-11-23',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(AccountView.parse(JSON.parse(r.stdout))).toEqual(
      accountViewFor(createWorld({ seed: 5, accounts: 20 }), 'acc_0000007', '2026-11-23'),
    );
  });

  it.each([
    {
      args: ['view', 'acc_0000050', '--accounts', '20'],
      message: /error: account index 50 outside the world/,
    },
    {
      args: ['view', 'acc_0000001', '--accounts', '20', '--date', '2026-01-01'],
      message: /error: snapshot date 2026-01-01 is not in the world \(2026-11-23, 2026-11-24\)/,
    },
    { args: ['generate', '--accounts', '0', '--db', 'x.duckdb'], message: /accounts must be an integer/ },
    { args: ['generate', '--accounts', '10'], message: /required option '--db <file>' not specified/ },
  ])('rejects $args with one clear line and exit code 1', ({ args, message }) => {
    const r = run(['mirror', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  });

  it('reports what goes wrong with the environment (an unwritable --db) as one line, exit 1', () => {
    const r = run(['mirror', 'generate', '--accounts', '10', '--db', '/nonexistent-dir/w.duckdb']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .*Cannot open file "\/nonexistent-dir\/w\.duckdb"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('mounting it leaves the other commands to find real credentials (no metadata-server opt-out at import)', () => {
    const main = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'cli', 'main.ts');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(main)}); console.log(process.env.METADATA_SERVER_DETECTION ?? 'unset');`,
      ],
      { env, encoding: 'utf8', timeout: 60_000, cwd: resolve(import.meta.dirname, '..', '..', '..') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('unset');
  });

  it('generate writes a DuckDB warehouse and reports its rows', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'driftcontrol-mirror-')), 'w.duckdb');
    const r = run(['mirror', 'generate', '--accounts', '30', '--seed', '3', '--db', db]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { dates: string[]; rows: Record<string, number>; db: string };
    expect(out.dates).toEqual(['2026-11-23', '2026-11-24']);
    expect(out.rows.subs_account).toBe(60); // 30 accounts x 2 dates
    expect(existsSync(db)).toBe(true);
  });

  it('serve answers the real BigQuery client until interrupted, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'mirror', 'serve', '--accounts', '40', '--seed', '9', '--port', '0'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /local BigQuery on (http:\/\/\S+) /.exec(stdout);
        if (m) done(m[1] as string);
      });
      child.on('close', () => fail(new Error(`serve exited early: ${stderr}`)));
    });
    try {
      const bq = new BigQuery({ projectId: 'cli-test', apiEndpoint: url });
      const [rows] = await bq.query({
        query: querySql('stripe_drift_triage'),
        params: { snapshot_date: bq.date('2026-11-24') },
      });
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.disposition as string))).toContain('new');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 90_000);
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { LocalWarehouse } from '../../../local/bigquery/engine.js';
import { buildMirrorCli } from '../../../local/cli/mirror.js';
import { accountViewFor } from '../../../local/synthetic/account-view.js';
import { bigQueryJsonSchema, exportMirrorNdjson, loadWorld } from '../../../local/synthetic/load.js';
import { Rng } from '../../../local/synthetic/prng.js';
import { emitAccountRows, MIRROR_COLUMNS, type MirrorTable } from '../../../local/synthetic/rows.js';
import {
  accountIdOf,
  buildAccount,
  createWorld,
  SCENARIO_WEIGHTS,
  UNSUPPORTED_ACCOUNT_TYPES,
} from '../../../local/synthetic/world.js';
import { AccountView } from '../../../shared/domain/account-view.js';
import { ddlFiles } from '../../../shared/warehouse/sql-files.js';

describe('synthetic world', () => {
  it('is deterministic from its seed and differs between seeds', () => {
    const a = createWorld({ seed: 1, accounts: 50 });
    const b = createWorld({ seed: 1, accounts: 50 });
    const c = createWorld({ seed: 2, accounts: 50 });
    const dump = (w: typeof a) => JSON.stringify(Array.from({ length: 50 }, (_, i) => buildAccount(w, i, 1)));
    expect(dump(a)).toBe(dump(b));
    expect(dump(a)).not.toBe(dump(c));
  });

  it('regenerates any single account identically, in any order', () => {
    const w = createWorld({ seed: 9, accounts: 300 });
    const forward = Array.from({ length: 300 }, (_, i) => JSON.stringify(buildAccount(w, i, 0)));
    for (const i of [299, 3, 150, 0]) expect(JSON.stringify(buildAccount(w, i, 0))).toBe(forward[i]);
  });

  it('dates are consecutive, oldest first', () => {
    expect(createWorld({ accounts: 10, days: 3, endDate: '2026-03-01' }).dates).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('every account view is a valid AccountView on every date (property over seeds and accounts)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 999 }), (seed, i) => {
        const w = createWorld({ seed, accounts: 1000 });
        for (const d of w.dates)
          expect(AccountView.safeParse(accountViewFor(w, accountIdOf(i), d)).success).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('covers every scenario, every unsupported type and new / persistent / healed drift in 20,000 accounts', () => {
    const w = createWorld({ seed: 3, accounts: 20_000 });
    const scenarios = new Set<string>();
    const types = new Set<string>();
    const whens = new Set<string>();
    for (let i = 0; i < w.accounts; i++) {
      const s = buildAccount(w, i, 1);
      scenarios.add(s.scenario);
      types.add(s.subsAccountType);
      types.add(s.cfAccountType);
      whens.add(s.driftWhen);
    }
    for (const [name] of SCENARIO_WEIGHTS) expect(scenarios).toContain(name);
    expect(scenarios).toContain('merged_partner');
    for (const t of UNSUPPORTED_ACCOUNT_TYPES) expect(types).toContain(t);
    expect([...whens].sort()).toEqual(['healed', 'new', 'persistent']);
  });

  it('rows have exactly the DDL columns', () => {
    const w = createWorld({ seed: 5, accounts: 200 });
    const seen = new Set<MirrorTable>();
    const sink = {
      row(table: MirrorTable, cells: unknown[]) {
        seen.add(table);
        expect(cells.length).toBe(MIRROR_COLUMNS[table].length);
      },
    };
    for (let i = 0; i < 200; i++) emitAccountRows(buildAccount(w, i, 1), sink);
    expect(seen.size).toBeGreaterThanOrEqual(13);
  });

  it('the PRNG is uniform enough and in range', () => {
    const r = new Rng(123);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      expect(x >= 0 && x < 1).toBe(true);
      buckets[Math.floor(x * 10)]++;
    }
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(600);
  });
});

describe('bulk load and NDJSON export', () => {
  it('loads a world with COPY and exports NDJSON + BigQuery schemas for bq load', async () => {
    const db = await LocalWarehouse.open();
    try {
      await db.insertDataset('local', 'billing_mirror');
      for (const f of ddlFiles()) await db.runQuery('local', f.sql);
      const w = createWorld({ seed: 11, accounts: 300 });
      const r = await loadWorld(db, w, { batchAccounts: 120 });
      expect(r.rows.subs_account).toBe(600);
      // Loading the same world again replaces its dates: same row counts.
      const again = await loadWorld(db, w);
      expect(again.rows).toEqual(r.rows);
      const [count] = (
        await db.exclusive((c) => c.runAndReadAll('SELECT COUNT(*) FROM billing_mirror.subs_account'))
      ).getRows();
      expect(Number(count?.[0])).toBe(600);

      const dir = mkdtempSync(join(tmpdir(), 'mirror-export-'));
      try {
        const files = await exportMirrorNdjson(db, dir);
        expect(files).toContain('stripe_invoices.ndjson');
        const lines = readFileSync(join(dir, 'stripe_invoices.ndjson'), 'utf8').trim().split('\n');
        const first = JSON.parse(lines[0] as string);
        expect(first.snapshot_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(Array.isArray(first.subscription_item_ids)).toBe(true);
        expect(() => JSON.parse(first.metadata)).not.toThrow();
        const schema = JSON.parse(readFileSync(join(dir, 'stripe_invoices.schema.json'), 'utf8'));
        expect(schema).toEqual(bigQueryJsonSchema('stripe_invoices'));
        expect(schema.find((f: { name: string }) => f.name === 'subscription_item_ids')).toEqual({
          name: 'subscription_item_ids',
          type: 'STRING',
          mode: 'REPEATED',
        });
        expect(readFileSync(join(dir, 'load.sh'), 'utf8')).toContain(
          'bq load --source_format=NEWLINE_DELIMITED_JSON',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      db.close();
    }
  });
});

describe('synthetic CLI', () => {
  it('view prints the same valid AccountView as accountViewFor', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((x: unknown) => {
      out.push(String(x));
    });
    try {
      await buildMirrorCli().parseAsync(['view', 'acc_0000007', '--accounts', '20', '--seed', '5'], {
        from: 'user',
      });
    } finally {
      spy.mockRestore();
    }
    const view = AccountView.parse(JSON.parse(out.join('\n')));
    expect(view).toEqual(accountViewFor(createWorld({ seed: 5, accounts: 20 }), 'acc_0000007', '2026-11-24'));
  });

  it('rejects a bad account count with a clear error', async () => {
    const cli = buildMirrorCli()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    for (const c of cli.commands) c.exitOverride().configureOutput({ writeErr: () => undefined });
    await expect(
      cli.parseAsync(['view', 'acc_0000001', '--accounts', '0'], { from: 'user' }),
    ).rejects.toThrow(/accounts must be an integer/);
  });
});

import { describe, expect, it } from 'vitest';
import { blastRadiusVerdict, mirrorVerdict, selectForRun } from '../../../shared/core/safety.js';
import { DEFAULT_CONFIG, DriftControlConfig } from '../../../shared/domain/config.js';

const part = (
  snapshotDate: string,
  accounts: number,
  missingTables: string[] = [],
  incompleteTables: string[] = [],
) => ({ snapshotDate, accounts, missingTables, incompleteTables });

describe('config', () => {
  it('defaults fail safe: dry-run on, kill switch off', () => {
    expect(DEFAULT_CONFIG.dryRun).toBe(true);
    expect(DEFAULT_CONFIG.killSwitch).toBe(false);
  });
  it('rejects a typo instead of ignoring it', () => {
    expect(DriftControlConfig.safeParse({ killswitch: true }).success).toBe(false);
  });
});

describe('mirrorVerdict', () => {
  it.each([
    ['both landed, similar size', part('2026-11-24', 1000), part('2026-11-23', 990), null],
    [
      'today missing a table',
      part('2026-11-24', 1000, ['stripe_invoices']),
      part('2026-11-23', 990),
      'mirror_not_landed',
    ],
    [
      'yesterday missing',
      part('2026-11-24', 1000),
      part('2026-11-23', 0, ['ope_items']),
      'mirror_not_landed',
    ],
    [
      'today half-loaded: a marker whose row count the partition does not hold',
      part('2026-11-24', 1000, [], ['stripe_subscription_items']),
      part('2026-11-23', 990),
      'mirror_incomplete',
    ],
    ['today empty', part('2026-11-24', 0), part('2026-11-23', 990), 'mirror_too_small'],
    ['count dropped 50%', part('2026-11-24', 500), part('2026-11-23', 1000), 'mirror_count_jump'],
    ['count grew 30%', part('2026-11-24', 1300), part('2026-11-23', 1000), 'mirror_count_jump'],
    ['count moved exactly 20%', part('2026-11-24', 1200), part('2026-11-23', 1000), null],
  ])('%s', (_name, today, yesterday, code) => {
    const v = mirrorVerdict(today, yesterday, DEFAULT_CONFIG);
    expect(v.ok ? null : v.code).toBe(code);
    if (!v.ok) expect(v.reason.length).toBeGreaterThan(10);
  });
});

describe('blastRadiusVerdict', () => {
  const config = { ...DEFAULT_CONFIG, maxNewDriftAccounts: 100, maxNewDriftShare: 0.05 };
  it.each([
    [0, 10_000, false, 'empty_new_drift'],
    [0, 10_000, true, null],
    [1, 10_000, false, null],
    [100, 10_000, false, null],
    [101, 10_000, false, 'blast_radius_count'],
    [50, 1_000, false, null],
    [51, 1_000, false, 'blast_radius_share'],
    [3, 0, false, 'blast_radius_share'],
  ])('%i of %i (allow empty %s) -> %s', (n, total, allowEmpty, code) => {
    const v = blastRadiusVerdict(n, total, { ...config, allowEmptyNewDrift: allowEmpty });
    expect(v.ok ? null : v.code).toBe(code);
  });
});

describe('selectForRun', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const hoursAgo = (h: number) => now - h * 3_600_000;
  it('excludes accounts in cooldown, caps the run, and is order-stable', () => {
    const ids = ['acc_d', 'acc_a', 'acc_c', 'acc_b', 'acc_e'];
    const healed = new Map([
      ['acc_b', hoursAgo(10)],
      ['acc_c', hoursAgo(100)],
    ]);
    const s = selectForRun(ids, (x) => x, healed, now, { cooldownHours: 72, perRunCap: 2 });
    expect(s.publish).toEqual(['acc_a', 'acc_c']);
    expect(s.excluded.map((e) => [e.item, e.code])).toEqual([
      ['acc_b', 'cooldown'],
      ['acc_d', 'run_cap'],
      ['acc_e', 'run_cap'],
    ]);
    const again = selectForRun([...ids].reverse(), (x) => x, healed, now, {
      cooldownHours: 72,
      perRunCap: 2,
    });
    expect(again).toEqual(s);
  });
  it('a zero cap publishes nothing and says why for each', () => {
    const s = selectForRun(['a', 'b'], (x) => x, new Map(), now, { cooldownHours: 0, perRunCap: 0 });
    expect(s.publish).toEqual([]);
    expect(s.excluded.every((e) => e.code === 'run_cap')).toBe(true);
  });
});

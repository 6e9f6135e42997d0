import { describe, expect, it } from 'vitest';
import {
  daysBetween,
  HEAL_STAGES,
  summariseRuns,
  total,
  trendsOf,
} from '../../../shared/console/summaries.js';
import type { DailyOutcomeCount, RestrictionCount, RunOutcomeCount } from '../../../shared/ports/index.js';

const count = (
  over: Partial<RunOutcomeCount> & Pick<RunOutcomeCount, 'stage' | 'outcome'>,
): RunOutcomeCount => ({
  runId: 'sched-stripe-2026-11-24',
  system: 'stripe',
  trigger: 'scheduled',
  snapshotDate: '2026-11-24',
  code: null,
  runLevel: false,
  count: 1,
  firstAt: '2026-11-24T06:00:00.000Z',
  lastAt: '2026-11-24T06:10:00.000Z',
  ...over,
});

const daily = (
  over: Partial<DailyOutcomeCount> & Pick<DailyOutcomeCount, 'stage' | 'outcome'>,
): DailyOutcomeCount => ({
  day: '2026-11-24',
  system: 'stripe',
  code: null,
  runLevel: false,
  count: 1,
  ...over,
});

describe('summariseRuns', () => {
  it('returns nothing for no counts', () => {
    expect(summariseRuns([])).toEqual([]);
  });

  it.each([
    {
      name: 'new drift (detect published)',
      counts: [count({ stage: 'detect', outcome: 'published', count: 7 })],
      expected: { newDrift: 7 },
    },
    {
      name: 'persistent drift (detect excluded persistent_drift)',
      counts: [count({ stage: 'detect', outcome: 'excluded', code: 'persistent_drift', count: 4 })],
      expected: { persistent: 4 },
    },
    {
      name: 'other exclusions by code',
      counts: [
        count({ stage: 'detect', outcome: 'excluded', code: 'cooldown', count: 2 }),
        count({ stage: 'detect', outcome: 'excluded', code: 'run_cap', count: 3 }),
        count({ stage: 'detect', outcome: 'excluded', code: 'unsupported_account_type', count: 1 }),
        count({ stage: 'detect', outcome: 'excluded', code: null, count: 5 }),
      ],
      expected: { excluded: { cooldown: 2, run_cap: 3, unsupported_account_type: 1, excluded: 5 } },
    },
    {
      name: 'heal outcomes of both heal stages, summed by outcome',
      counts: [
        count({ stage: 'plan_apply', outcome: 'applied', count: 3 }),
        count({ stage: 'plan_apply', outcome: 'blocked', code: null, count: 2 }),
        count({ stage: 'plan_apply', outcome: 'failed', code: 'stripe_rate_limited', count: 1 }),
        count({ stage: 'plan_apply', outcome: 'failed', code: 'upstream_unavailable', count: 1 }),
        count({ stage: 'www_resync', outcome: 'applied', count: 4 }),
        count({ stage: 'plan_apply', outcome: 'needs_human', count: 1 }),
      ],
      expected: { outcomes: { applied: 7, blocked: 2, failed: 2, needs_human: 1 } },
    },
    {
      name: 'a run-level heal row is not an account outcome',
      counts: [count({ stage: 'plan_apply', outcome: 'halted', runLevel: true, count: 1 })],
      expected: { outcomes: {} },
    },
    {
      name: "gather's final word where it ended the check, by outcome and code",
      counts: [
        count({ stage: 'gather', outcome: 'published', count: 9 }),
        count({ stage: 'gather', outcome: 'failed', code: 'upstream_unavailable', count: 2 }),
        count({ stage: 'gather', outcome: 'excluded', code: 'cooldown', count: 1 }),
        count({ stage: 'gather', outcome: 'stale', code: null, count: 3 }),
      ],
      expected: { gatherEnded: { 'failed (upstream_unavailable)': 2, 'excluded (cooldown)': 1, stale: 3 } },
    },
    {
      name: 'a run-level halt at detection, by code',
      counts: [count({ stage: 'detect', outcome: 'halted', code: 'blast_radius', runLevel: true })],
      expected: { haltedBy: 'blast_radius', newDrift: 0 },
    },
    {
      name: 'a run-level halt without a code',
      counts: [count({ stage: 'detect', outcome: 'halted', code: null, runLevel: true })],
      expected: { haltedBy: 'halted' },
    },
    {
      name: 'a run-level detect summary row, not counted as drift',
      counts: [
        count({ stage: 'detect', outcome: 'published', runLevel: true, count: 1 }),
        count({ stage: 'detect', outcome: 'excluded', code: 'persistent_drift', runLevel: true, count: 1 }),
        count({ stage: 'detect', outcome: 'published', count: 2 }),
      ],
      expected: { newDrift: 2, persistent: 0, excluded: {}, haltedBy: null },
    },
    {
      name: 'stages other than detect, gather and the heal stages',
      counts: [
        count({ stage: 'audit_writer', outcome: 'failed', count: 5 }),
        count({ stage: 'replay', outcome: 'published', count: 5 }),
      ],
      expected: { newDrift: 0, persistent: 0, excluded: {}, outcomes: {}, gatherEnded: {}, haltedBy: null },
    },
  ])('counts $name', ({ counts, expected }) => {
    const runs = summariseRuns(counts);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject(expected);
  });

  it('keeps a run and system apart, with one summary each, and its span over every count', () => {
    const runs = summariseRuns([
      count({
        stage: 'detect',
        outcome: 'published',
        firstAt: '2026-11-24T06:05:00Z',
        lastAt: '2026-11-24T06:06:00Z',
      }),
      count({
        stage: 'plan_apply',
        outcome: 'applied',
        firstAt: '2026-11-24T06:01:00Z',
        lastAt: '2026-11-24T06:30:00Z',
      }),
      count({ stage: 'detect', outcome: 'published', system: 'www', count: 3 }),
    ]);
    expect(runs.map((r) => [r.runId, r.system])).toEqual([
      ['sched-stripe-2026-11-24', 'stripe'],
      ['sched-stripe-2026-11-24', 'www'],
    ]);
    const stripe = runs.find((r) => r.system === 'stripe');
    expect(stripe).toMatchObject({
      startedAt: '2026-11-24T06:01:00Z',
      finishedAt: '2026-11-24T06:30:00Z',
      newDrift: 1,
      outcomes: { applied: 1 },
    });
    expect(runs.find((r) => r.system === 'www')?.newDrift).toBe(3);
  });

  it('takes the snapshot date from a later count when the first has none', () => {
    const [run] = summariseRuns([
      count({ stage: 'gather', outcome: 'failed', snapshotDate: null }),
      count({ stage: 'detect', outcome: 'published', snapshotDate: '2026-11-23' }),
    ]);
    expect(run?.snapshotDate).toBe('2026-11-23');
    expect(run?.trigger).toBe('scheduled');
  });

  it('orders runs newest first, ties by run id', () => {
    const at = (runId: string, firstAt: string) =>
      count({ runId, stage: 'detect', outcome: 'published', firstAt, lastAt: firstAt });
    const runs = summariseRuns([
      at('run-b', '2026-11-22T06:00:00Z'),
      at('run-d', '2026-11-24T06:00:00Z'),
      at('run-a', '2026-11-22T06:00:00Z'),
      at('run-c', '2026-11-23T06:00:00Z'),
    ]);
    expect(runs.map((r) => r.runId)).toEqual(['run-d', 'run-c', 'run-a', 'run-b']);
  });

  it('dates a run by its earliest count, not the first one seen', () => {
    const runs = summariseRuns([
      count({ runId: 'late', stage: 'detect', outcome: 'published', firstAt: '2026-11-23T09:00:00Z' }),
      count({ runId: 'early', stage: 'detect', outcome: 'published', firstAt: '2026-11-23T08:00:00Z' }),
      count({ runId: 'late', stage: 'plan_apply', outcome: 'applied', firstAt: '2026-11-23T07:00:00Z' }),
    ]);
    expect(runs.map((r) => [r.runId, r.startedAt])).toEqual([
      ['early', '2026-11-23T08:00:00Z'],
      ['late', '2026-11-23T07:00:00Z'],
    ]);
  });
});

describe('total', () => {
  it.each<{ m: Record<string, number>; n: number }>([
    { m: {}, n: 0 },
    { m: { a: 1 }, n: 1 },
    { m: { a: 2, b: 3, c: 0 }, n: 5 },
  ])('$m -> $n', ({ m, n }) => expect(total(m)).toBe(n));
});

describe('HEAL_STAGES', () => {
  it('is plan-apply and www-resync', () => {
    expect([...HEAL_STAGES].sort()).toEqual(['plan_apply', 'www_resync']);
  });
});

describe('daysBetween', () => {
  it.each([
    { from: '2026-11-24', to: '2026-11-24', days: ['2026-11-24'] },
    { from: '2026-11-22', to: '2026-11-24', days: ['2026-11-22', '2026-11-23', '2026-11-24'] },
    { from: '2026-01-30', to: '2026-02-02', days: ['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02'] },
    { from: '2026-02-27', to: '2026-03-01', days: ['2026-02-27', '2026-02-28', '2026-03-01'] },
    { from: '2028-02-28', to: '2028-03-01', days: ['2028-02-28', '2028-02-29', '2028-03-01'] },
    { from: '2026-12-31', to: '2027-01-01', days: ['2026-12-31', '2027-01-01'] },
    // Europe's and America's clock changes do not matter: the days are UTC.
    { from: '2026-03-28', to: '2026-03-30', days: ['2026-03-28', '2026-03-29', '2026-03-30'] },
    { from: '2026-11-25', to: '2026-11-24', days: [] },
  ])('$from..$to', ({ from, to, days }) => {
    expect(daysBetween(from, to)).toEqual(days);
  });

  it('gives 30 days for a 30-day window and 366 for a leap year', () => {
    expect(daysBetween('2026-10-26', '2026-11-24')).toHaveLength(30);
    expect(daysBetween('2028-01-01', '2028-12-31')).toHaveLength(366);
  });
});

describe('trendsOf', () => {
  const restrictions: RestrictionCount[] = [
    { key: '2026-11-23', restriction: 'InvoiceDateTooNear', count: 2 },
    { key: '2026-11-24', restriction: 'InvoiceDateTooNear', count: 1 },
    { key: '2026-11-24', restriction: 'MergedAccount', count: 3 },
  ];
  const counts: DailyOutcomeCount[] = [
    daily({ stage: 'detect', outcome: 'published', count: 5 }),
    daily({ stage: 'detect', outcome: 'published', system: 'www', count: 2 }),
    daily({ stage: 'detect', outcome: 'excluded', code: 'persistent_drift', count: 4 }),
    daily({ stage: 'detect', outcome: 'excluded', code: 'cooldown', count: 1 }),
    daily({ stage: 'detect', outcome: 'excluded', code: 'run_cap', count: 2 }),
    daily({ stage: 'plan_apply', outcome: 'applied', count: 3 }),
    daily({ stage: 'plan_apply', outcome: 'applied', day: '2026-11-23', count: 6 }),
    daily({ stage: 'www_resync', outcome: 'applied', system: 'www', count: 2 }),
    daily({ stage: 'plan_apply', outcome: 'needs_human', count: 1 }),
    daily({ stage: 'www_resync', outcome: 'needs_human', system: 'www', count: 1 }),
    // Not counted: run-level rows, other stages, outcomes the charts do not show.
    daily({ stage: 'detect', outcome: 'published', runLevel: true, count: 100 }),
    daily({ stage: 'detect', outcome: 'halted', code: 'blast_radius', runLevel: true, count: 1 }),
    daily({ stage: 'plan_apply', outcome: 'applied', runLevel: true, count: 100 }),
    daily({ stage: 'gather', outcome: 'applied', count: 100 }),
    daily({ stage: 'gather', outcome: 'needs_human', count: 100 }),
    daily({ stage: 'plan_apply', outcome: 'blocked', count: 100 }),
    daily({ stage: 'plan_apply', outcome: 'failed', count: 100 }),
  ];
  const trends = trendsOf('2026-11-22', '2026-11-24', counts, restrictions);
  const sorted = <T extends { day: string; series: string }>(ps: readonly T[]) =>
    [...ps].sort((a, b) => `${a.day}|${a.series}`.localeCompare(`${b.day}|${b.series}`));

  it('spans every day of the window', () => {
    expect(trends.days).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
  });

  it('counts drift found by kind and system; exclusions other than persistent drift together', () => {
    expect(sorted(trends.driftFound)).toEqual([
      { day: '2026-11-24', series: 'excluded · stripe', value: 3 },
      { day: '2026-11-24', series: 'new · stripe', value: 5 },
      { day: '2026-11-24', series: 'new · www', value: 2 },
      { day: '2026-11-24', series: 'persistent · stripe', value: 4 },
    ]);
  });

  it('counts heals applied per day and system (both heal stages)', () => {
    expect(sorted(trends.healsApplied)).toEqual([
      { day: '2026-11-23', series: 'stripe', value: 6 },
      { day: '2026-11-24', series: 'stripe', value: 3 },
      { day: '2026-11-24', series: 'www', value: 2 },
    ]);
  });

  it('counts blocked outcomes per day by restriction', () => {
    expect(sorted(trends.blockedBy)).toEqual([
      { day: '2026-11-23', series: 'InvoiceDateTooNear', value: 2 },
      { day: '2026-11-24', series: 'InvoiceDateTooNear', value: 1 },
      { day: '2026-11-24', series: 'MergedAccount', value: 3 },
    ]);
  });

  it('counts needs-a-human per day and system', () => {
    expect(sorted(trends.needsHuman)).toEqual([
      { day: '2026-11-24', series: 'stripe', value: 1 },
      { day: '2026-11-24', series: 'www', value: 1 },
    ]);
  });

  it('ignores run-level rows entirely', () => {
    const only = trendsOf(
      '2026-11-24',
      '2026-11-24',
      [
        daily({ stage: 'detect', outcome: 'published', runLevel: true }),
        daily({ stage: 'detect', outcome: 'excluded', code: 'persistent_drift', runLevel: true }),
        daily({ stage: 'www_resync', outcome: 'needs_human', runLevel: true }),
      ],
      [],
    );
    expect(only).toEqual({
      days: ['2026-11-24'],
      driftFound: [],
      healsApplied: [],
      blockedBy: [],
      needsHuman: [],
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  type DriftLifecycle,
  type DriftObservation,
  driftSignature,
  isPersistent,
  observe,
  observePersistent,
} from '../../../shared/core/lifecycle.js';
import { plan } from '../../../shared/core/planner.js';
import { healthyView, stripeItem, viewWith } from '../../support/views.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-24T06:00:00Z');
const at = (hours: number) => new Date(T0 + hours * H).toISOString();
const WINDOW = 24 * H;

const obs = (over: Partial<DriftObservation> = {}): DriftObservation => ({
  at: at(0),
  signature: 'sig-a',
  outcome: 'blocked',
  runId: 'r1',
  trigger: 'scheduled',
  ...over,
});

/** Applies observations in order, each in its own run. */
const history = (...observations: Partial<DriftObservation>[]) =>
  observations.reduce<DriftLifecycle | null>(
    (prev, o, i) => observe(prev, obs({ runId: `r${i + 1}`, ...o }), WINDOW),
    null,
  );

describe('observe', () => {
  it.each<[string, Partial<DriftObservation>[], Partial<DriftLifecycle> | null]>([
    ['no drift, none before: nothing to record', [{ signature: null, outcome: 'noop' }], null],
    ['drift seen, blocked: open', [{}], { status: 'open', firstSeenAt: at(0), attempts: 1 }],
    ['drift seen in dry-run: open', [{ outcome: 'dry_run' }], { status: 'open' }],
    ['drift healed at once', [{ outcome: 'applied' }], { status: 'healed', healedAt: at(0), attempts: 1 }],
    ['a finding: needs a human', [{ outcome: 'needs_human' }], { status: 'needs_human' }],
    [
      'still open within the window',
      [{}, { at: at(23) }],
      { status: 'open', firstSeenAt: at(0), lastSeenAt: at(23), attempts: 2 },
    ],
    ['open past the window: persistent', [{}, { at: at(24) }], { status: 'persistent', firstSeenAt: at(0) }],
    [
      'persistent, then healed (an operator lifted the valve)',
      [{}, { at: at(30) }, { at: at(31), outcome: 'applied' }],
      { status: 'healed', firstSeenAt: at(0), healedAt: at(31), attempts: 3 },
    ],
    [
      'persistent drift whose signature changes re-enters as new',
      [{}, { at: at(30) }, { at: at(31), signature: 'sig-b' }],
      { status: 'open', signature: 'sig-b', firstSeenAt: at(31), attempts: 1 },
    ],
    [
      'open, then gone without our heal: cleared',
      [{}, { at: at(2), signature: null, outcome: 'noop' }],
      { status: 'cleared' },
    ],
    [
      'healed, then no drift: stays healed',
      [{ outcome: 'applied' }, { at: at(2), signature: null, outcome: 'noop' }],
      { status: 'healed' },
    ],
    [
      'healed, then the same drift again: a new problem',
      [{ outcome: 'applied' }, { at: at(5) }],
      { status: 'open', firstSeenAt: at(5), attempts: 1, healedAt: at(0) },
    ],
    [
      'cleared, then drift again: a new problem',
      [{}, { at: at(1), signature: null, outcome: 'noop' }, { at: at(40) }],
      { status: 'open', firstSeenAt: at(40) },
    ],
  ])('%s', (_name, observations, expected) => {
    const result = history(...observations);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toMatchObject(expected);
  });

  it('a second observation of the same run (a redelivery) changes nothing', () => {
    const first = observe(null, obs(), WINDOW);
    expect(observe(first, obs({ at: at(30), outcome: 'applied' }), WINDOW)).toBe(first);
  });

  it('records the last outcome, run and trigger', () => {
    expect(history({}, { at: at(1), trigger: 'event', outcome: 'stale' })).toMatchObject({
      lastOutcome: 'stale',
      lastRunId: 'r2',
      lastTrigger: 'event',
    });
  });
});

describe('observePersistent (the nightly snapshot diff)', () => {
  const since = '2026-11-23T00:00:00.000Z';
  it('no record: persistent since yesterday', () => {
    expect(observePersistent(null, since, at(0), 'sched')).toMatchObject({
      status: 'persistent',
      firstSeenAt: since,
      signature: null,
      lastTrigger: 'scheduled',
    });
  });
  it('an open record that knows an older sighting keeps it, and its signature', () => {
    const older = { ...(history({ at: at(-72) }) as DriftLifecycle) };
    expect(observePersistent(older, since, at(0), 'sched')).toMatchObject({
      status: 'persistent',
      firstSeenAt: at(-72),
      signature: 'sig-a',
    });
  });
  it('a healed record: the diff sees a drift that came back, open since yesterday', () => {
    const healed = history({ at: at(-72), outcome: 'applied' }) as DriftLifecycle;
    expect(observePersistent(healed, since, at(0), 'sched')).toMatchObject({
      status: 'persistent',
      firstSeenAt: since,
      healedAt: at(-72),
    });
  });
  it('a record healed after the snapshot was taken is newer evidence than the diff: it stays', () => {
    const healed = history({ at: at(-10), outcome: 'applied' }) as DriftLifecycle;
    expect(observePersistent(healed, since, at(0), 'sched', at(-20))).toBe(healed);
    // Healed before the snapshot: the diff's drift came back.
    expect(observePersistent(healed, since, at(0), 'sched', at(-5)).status).toBe('persistent');
  });
  it('needs a human stays so', () => {
    const human = history({ outcome: 'needs_human', at: at(-30) }) as DriftLifecycle;
    expect(observePersistent(human, since, at(0), 'sched').status).toBe('needs_human');
  });
});

describe('isPersistent', () => {
  const open = history({}) as DriftLifecycle;
  it.each([
    ['open, within the window', open, at(23), false],
    ['open, the window passed, not seen since (it may have been fixed)', open, at(24), false],
    ['marked persistent', { ...open, status: 'persistent' as const }, at(1), true],
    [
      'marked persistent, not confirmed within the window',
      { ...open, status: 'persistent' as const },
      at(24),
      false,
    ],
    ['open since long ago, last seen recently', { ...open, lastSeenAt: at(30) }, at(40), true],
    ['healed long ago', { ...open, status: 'healed' as const }, at(100), false],
    ['needs a human', { ...open, status: 'needs_human' as const }, at(100), false],
  ])('%s -> %s', (_name, record, now, expected) => {
    expect(isPersistent(record, Date.parse(now), WINDOW)).toBe(expected);
  });
});

describe('driftSignature', () => {
  it('no drift: null', () => {
    expect(driftSignature(plan(healthyView()))).toBeNull();
  });
  it('the same drift hashes the same; different values differ', () => {
    const q = (n: number) =>
      viewWith((v) => {
        stripeItem(v).quantity = n;
      });
    const a = driftSignature(plan(q(5)));
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(driftSignature(plan(q(5)))).toBe(a);
    expect(driftSignature(plan(q(6)))).not.toBe(a);
  });
});

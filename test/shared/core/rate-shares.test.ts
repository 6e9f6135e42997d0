import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SHARE_TIMING,
  fairShares,
  isHeld,
  MIN_WANT_PER_SECOND,
  nextShare,
  type ShareLease,
  usableUntilMs,
} from '../../../shared/core/rate-shares.js';

const NOW = 1_000_000;
const T = DEFAULT_SHARE_TIMING;
const lease = (instanceId: string, share: number, want: number, expiresInMs = 5_000): ShareLease => ({
  instanceId,
  sharePerSecond: share,
  wantPerSecond: want,
  expiresAtMs: NOW + expiresInMs,
});

describe('fairShares', () => {
  it.each([
    ['one instance gets what it asks, up to the budget', 100, { a: 40 }, { a: 40 }],
    ['one instance asking too much gets the budget', 100, { a: 400 }, { a: 100 }],
    ['equal wants split equally', 90, { a: 100, b: 100, c: 100 }, { a: 30, b: 30, c: 30 }],
    [
      'a small want is served whole; the rest split the remainder',
      100,
      { a: 10, b: 100, c: 100 },
      { a: 10, b: 45, c: 45 },
    ],
    ['wants under the budget are all served', 100, { a: 10, b: 20 }, { a: 10, b: 20 }],
    ['a zero budget gives nothing', 0, { a: 5 }, { a: 0 }],
    ['a negative want counts as none', 10, { a: -3, b: 50 }, { a: 0, b: 10 }],
  ])('%s', (_name, budget, wants, expected) => {
    const got = fairShares(budget, new Map(Object.entries(wants)));
    for (const [id, share] of Object.entries(expected)) expect(got.get(id)).toBeCloseTo(share, 9);
  });

  it('never hands out more than the budget nor more than asked (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { maxLength: 30 }),
        (budget, wants) => {
          const shares = fairShares(budget, new Map(wants.map((w, i) => [`i${i}`, w])));
          const total = [...shares.values()].reduce((a, b) => a + b, 0);
          expect(total).toBeLessThanOrEqual(budget + 1e-6);
          for (const [i, w] of wants.entries()) expect(shares.get(`i${i}`)).toBeLessThanOrEqual(w + 1e-9);
        },
      ),
    );
  });
});

describe('nextShare', () => {
  it.each<[string, readonly ShareLease[], number, number, number]>([
    // [name, stored leases, want, expected share, expected target]
    ['alone: the whole budget when it wants it', [], 500, 100, 100],
    ['alone: no more than it wants', [], 30, 30, 30],
    ['alone: at least the minimum want', [], 0, MIN_WANT_PER_SECOND, MIN_WANT_PER_SECOND],
    ['a newcomer waits for room another holds', [lease('b', 100, 100)], 100, 0, 50],
    ['a newcomer takes the room left unheld', [lease('b', 60, 100)], 100, 40, 50],
    ['a holder above its target shrinks to it', [lease('me', 100, 100), lease('b', 0, 100)], 100, 50, 50],
    ['a holder grows into room the others left', [lease('me', 10, 100), lease('b', 20, 20)], 100, 80, 80],
    ['an expired lease no longer holds budget', [lease('b', 100, 100, -(T.skewMs + 1))], 100, 100, 100],
    [
      'a lease late by less than the skew still holds it',
      [lease('b', 100, 100, -(T.skewMs - 1))],
      100,
      0,
      50,
    ],
  ])('%s', (_name, leases, want, share, target) => {
    const next = nextShare({
      budgetPerSecond: 100,
      instanceId: 'me',
      wantPerSecond: want,
      leases,
      nowMs: NOW,
      timing: T,
    });
    expect(next.sharePerSecond).toBeCloseTo(share, 9);
    expect(next.targetPerSecond).toBeCloseTo(target, 9);
  });

  it('names the expired leases to delete and counts only held ones', () => {
    const next = nextShare({
      budgetPerSecond: 10,
      instanceId: 'me',
      wantPerSecond: 10,
      leases: [lease('old', 5, 5, -60_000), lease('b', 2, 2), lease('me', 1, 1)],
      nowMs: NOW,
      timing: T,
    });
    expect(next.expired).toEqual(['old']);
    expect(next.othersHolding).toBe(1);
  });

  it('the held shares never exceed the budget, whatever the order instances renew in (property)', () => {
    const renewal = fc.record({
      who: fc.integer({ min: 0, max: 7 }),
      want: fc.double({ min: 0, max: 300, noNaN: true }),
      dt: fc.integer({ min: 0, max: 4_000 }),
    });
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 200, noNaN: true }),
        fc.array(renewal, { maxLength: 80 }),
        (budget, steps) => {
          const leases = new Map<string, ShareLease>();
          let now = NOW;
          for (const step of steps) {
            now += step.dt;
            const id = `i${step.who}`;
            const next = nextShare({
              budgetPerSecond: budget,
              instanceId: id,
              wantPerSecond: step.want,
              leases: [...leases.values()],
              nowMs: now,
              timing: T,
            });
            for (const gone of next.expired) leases.delete(gone);
            leases.set(id, {
              instanceId: id,
              sharePerSecond: next.sharePerSecond,
              wantPerSecond: step.want,
              expiresAtMs: now + T.ttlMs,
            });
            const held = [...leases.values()]
              .filter((l) => isHeld(l, now, T))
              .reduce((sum, l) => sum + l.sharePerSecond, 0);
            expect(held).toBeLessThanOrEqual(budget + 1e-6);
          }
        },
      ),
    );
  });

  it('instances that keep renewing converge to an equal split', () => {
    const leases = new Map<string, ShareLease>();
    let now = NOW;
    const ids = ['a', 'b', 'c', 'd'];
    for (let round = 0; round < 4; round++) {
      for (const id of ids) {
        now += 500;
        const next = nextShare({
          budgetPerSecond: 100,
          instanceId: id,
          wantPerSecond: 100,
          leases: [...leases.values()],
          nowMs: now,
          timing: T,
        });
        leases.set(id, {
          instanceId: id,
          sharePerSecond: next.sharePerSecond,
          wantPerSecond: 100,
          expiresAtMs: now + T.ttlMs,
        });
      }
    }
    for (const id of ids) expect(leases.get(id)?.sharePerSecond).toBeCloseTo(25, 9);
  });

  it('a holder stops using its lease a skew before it expires', () => {
    expect(usableUntilMs(NOW + T.ttlMs, T)).toBe(NOW + T.ttlMs - T.skewMs);
  });
});

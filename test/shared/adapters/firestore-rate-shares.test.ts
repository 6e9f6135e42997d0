import type { Firestore } from '@google-cloud/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirestoreRateShares } from '../../../shared/adapters/firestore-rate-shares.js';
import { COLLECTIONS } from '../../../shared/contracts/topology.js';
import { DEFAULT_SHARE_TIMING } from '../../../shared/core/rate-shares.js';
import type { RateShareRequest } from '../../../shared/ports/index.js';
import { useFirestoreProject } from '../../setup/emulators.js';

/** Shares of the Stripe budget on the Firestore emulator: the claim is atomic against every other lease. */

const project = useFirestoreProject('frs');
let db: Firestore;
let shares: FirestoreRateShares;
beforeAll(() => {
  db = project.db();
  shares = new FirestoreRateShares(db);
});

const T0 = 5_000_000;
const request = (over: Partial<RateShareRequest>): RateShareRequest => ({
  kind: 'read',
  instanceId: 'i1',
  functionName: 'gather',
  budgetPerSecond: 90,
  wantPerSecond: 90,
  nowMs: T0,
  ...over,
});
const leases = async (kind: string) =>
  ((await db.collection(COLLECTIONS.stripeRateShares).doc(kind).get()).get('leases') ?? {}) as Record<
    string,
    { sharePerSecond: number; expiresAtMs: number }
  >;
const held = async (kind: string, nowMs: number) =>
  Object.values(await leases(kind)).filter((l) => l.expiresAtMs + DEFAULT_SHARE_TIMING.skewMs > nowMs);

describe('FirestoreRateShares', () => {
  it('instances claiming at once never hold more than the budget together, and converge to equal shares', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (let round = 0; round < 4; round++) {
      const nowMs = T0 + round * 2_000;
      await Promise.all(ids.map((id) => shares.claim(request({ kind: 'write', instanceId: id, nowMs }))));
      const total = (await held('write', nowMs)).reduce((sum, l) => sum + l.sharePerSecond, 0);
      expect(total).toBeLessThanOrEqual(90 + 1e-9);
    }
    const final = await held('write', T0 + 6_000);
    expect(final.map((l) => l.sharePerSecond)).toEqual(ids.map(() => 18));
  });

  it('an expired lease gives its share back and is deleted by the next claim', async () => {
    await shares.claim(request({ instanceId: 'old', nowMs: T0 }));
    const later = T0 + DEFAULT_SHARE_TIMING.ttlMs + DEFAULT_SHARE_TIMING.skewMs + 1;
    const grant = await shares.claim(request({ instanceId: 'new', nowMs: later }));
    expect(grant).toMatchObject({ sharePerSecond: 90, othersHolding: 0 });
    expect(Object.keys(await leases('read'))).not.toContain('old');
  });

  it('a lease it cannot read counts as holding the whole budget until it expires', async () => {
    await db
      .collection(COLLECTIONS.stripeRateShares)
      .doc('read')
      .set({ kind: 'read', leases: { corrupt: { sharePerSecond: 'lots', expiresAtMs: T0 + 60_000 } } });
    const grant = await shares.claim(request({ instanceId: 'x', nowMs: T0 + 30_000 }));
    expect(grant.sharePerSecond).toBe(0);
    await db.collection(COLLECTIONS.stripeRateShares).doc('read').delete();
  });

  it('a release naming an older lease leaves the newer one of the same instance in place', async () => {
    const first = await shares.claim(request({ kind: 'write', instanceId: 'racer', nowMs: T0 }));
    await shares.claim(request({ kind: 'write', instanceId: 'racer', nowMs: T0 + 1_000 }));
    await shares.release('write', 'racer', first.expiresAtMs);
    expect(Object.keys(await leases('write'))).toContain('racer');
    await shares.release('write', 'racer');
  });

  it('release deletes the lease', async () => {
    await shares.claim(request({ kind: 'write', instanceId: 'gone', nowMs: T0 }));
    await shares.release('write', 'gone');
    expect(Object.keys(await leases('write'))).not.toContain('gone');
  });
});

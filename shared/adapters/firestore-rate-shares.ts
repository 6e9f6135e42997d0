import type { Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../contracts/topology.js';
import {
  DEFAULT_SHARE_TIMING,
  nextShare,
  type RateKind,
  type ShareLease,
  type ShareTiming,
} from '../core/rate-shares.js';
import type { RateShareGrant, RateSharePort, RateShareRequest } from '../ports/index.js';

/**
 * Shares of the Stripe budget on Firestore (docs/design.md, "Stripe's rate limit"):
 *
 *   driftcontrol_stripe_rate_shares/{kind}_{instanceId}
 *     { kind, instanceId, functionName, sharePerSecond, wantPerSecond, expiresAtMs, renewedAtMs }
 *
 * A claim reads every lease of its kind and writes its own in one transaction (Firestore's server
 * transactions lock what they read), so two instances growing at once cannot both take the same room.
 * Leases expired past the skew are deleted by whoever claims next. A lease with an unreadable share counts
 * as holding the whole budget until it expires (it must not let others overrun the limit); one with an
 * unreadable expiry has no holder that could renew it, so it counts as expired and is deleted.
 */
export class FirestoreRateShares implements RateSharePort {
  constructor(
    private readonly db: Firestore,
    private readonly timing: ShareTiming = DEFAULT_SHARE_TIMING,
  ) {}

  private collection() {
    return this.db.collection(COLLECTIONS.stripeRateShares);
  }

  private ref(kind: RateKind, instanceId: string) {
    return this.collection().doc(`${kind}_${instanceId}`);
  }

  claim(request: RateShareRequest): Promise<RateShareGrant> {
    const { kind, instanceId, nowMs } = request;
    return this.db.runTransaction(
      async (tx) => {
        const snap = await tx.get(this.collection().where('kind', '==', kind));
        const leases = snap.docs.map((d) => toLease(d.id, d.data(), request.budgetPerSecond));
        const next = nextShare({
          budgetPerSecond: request.budgetPerSecond,
          instanceId,
          wantPerSecond: request.wantPerSecond,
          leases,
          nowMs,
          timing: this.timing,
        });
        for (const gone of next.expired) tx.delete(this.ref(kind, gone));
        const expiresAtMs = nowMs + this.timing.ttlMs;
        tx.set(this.ref(kind, instanceId), {
          kind,
          instanceId,
          functionName: request.functionName,
          sharePerSecond: next.sharePerSecond,
          wantPerSecond: request.wantPerSecond,
          expiresAtMs,
          renewedAtMs: nowMs,
        });
        return {
          sharePerSecond: next.sharePerSecond,
          targetPerSecond: next.targetPerSecond,
          expiresAtMs,
          othersHolding: next.othersHolding,
        };
      },
      { maxAttempts: 10 },
    );
  }

  async release(kind: RateKind, instanceId: string): Promise<void> {
    await this.ref(kind, instanceId).delete();
  }
}

function toLease(docId: string, data: Record<string, unknown>, budget: number): ShareLease {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const instanceId = typeof data.instanceId === 'string' ? data.instanceId : docId;
  const share = num(data.sharePerSecond);
  const expires = num(data.expiresAtMs);
  return {
    instanceId,
    sharePerSecond: share === undefined || share < 0 ? budget : share,
    wantPerSecond: num(data.wantPerSecond) ?? budget,
    expiresAtMs: expires ?? 0,
  };
}

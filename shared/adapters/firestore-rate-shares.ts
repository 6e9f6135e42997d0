import { setTimeout as sleep } from 'node:timers/promises';
import type { DocumentSnapshot, Firestore } from '@google-cloud/firestore';
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
 * Shares of the Stripe budget on Firestore (docs/design.md, "Stripe's rate limit"): one document per kind
 * holds every instance's lease,
 *
 *   driftcontrol_stripe_rate_shares/{kind}
 *     { leases: { [instanceId]: { functionName, sharePerSecond, wantPerSecond, expiresAtMs } } }
 *
 * and a claim rewrites it only if nobody wrote it since it was read (compare-and-set), so two instances
 * growing at once cannot both take the same room. Instances renew
 * every few seconds, so the document sees a few writes a second at most (Firestore's guidance for one
 * document is about one a second sustained, with bursts above it served).
 * Leases expired past the skew are dropped by whoever claims next. A lease with an unreadable share counts
 * as holding the whole budget until it expires (it must not let others overrun the limit); one with an
 * unreadable expiry has no holder that could renew it, so it counts as expired and is dropped.
 */
export class FirestoreRateShares implements RateSharePort {
  constructor(
    private readonly db: Firestore,
    private readonly timing: ShareTiming = DEFAULT_SHARE_TIMING,
  ) {}

  private ref(kind: RateKind) {
    return this.db.collection(COLLECTIONS.stripeRateShares).doc(kind);
  }

  /**
   * Read, decide, then write only if the document is still the one read (its update time as the
   * precondition; create when there was none): a claim that lost the race reads again at once. The
   * client's transactions would serialise too, but back off a second or more on every conflict.
   */
  async claim(request: RateShareRequest): Promise<RateShareGrant> {
    const { kind, instanceId, nowMs } = request;
    for (let attempt = 1; ; attempt++) {
      const snap = await this.ref(kind).get();
      const stored = leasesOf(snap.get('leases'));
      const leases = Object.entries(stored).map(([id, data]) => toLease(id, data, request.budgetPerSecond));
      const next = nextShare({
        budgetPerSecond: request.budgetPerSecond,
        instanceId,
        wantPerSecond: request.wantPerSecond,
        leases,
        nowMs,
        timing: this.timing,
      });
      const kept = Object.fromEntries(Object.entries(stored).filter(([id]) => !next.expired.includes(id)));
      const expiresAtMs = nowMs + this.timing.ttlMs;
      kept[instanceId] = {
        functionName: request.functionName,
        sharePerSecond: next.sharePerSecond,
        wantPerSecond: request.wantPerSecond,
        expiresAtMs,
      };
      if (await this.writeIfUnchanged(kind, snap, kept, attempt)) {
        return {
          sharePerSecond: next.sharePerSecond,
          targetPerSecond: next.targetPerSecond,
          expiresAtMs,
          othersHolding: next.othersHolding,
        };
      }
    }
  }

  /** Deletes the instance's lease; with `expiresAtMs`, only if it is still that lease (not a newer one). */
  async release(kind: RateKind, instanceId: string, expiresAtMs?: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const snap = await this.ref(kind).get();
      const stored = leasesOf(snap.get('leases'));
      if (!(instanceId in stored)) return;
      if (expiresAtMs !== undefined && stored[instanceId]?.expiresAtMs !== expiresAtMs) return;
      delete stored[instanceId];
      if (await this.writeIfUnchanged(kind, snap, stored, attempt)) return;
    }
  }

  /** false: someone wrote in between (read again); throws after MAX_ATTEMPTS lost races. */
  private async writeIfUnchanged(
    kind: RateKind,
    snap: DocumentSnapshot,
    leases: Record<string, unknown>,
    attempt: number,
  ): Promise<boolean> {
    try {
      if (snap.exists && snap.updateTime) {
        await this.ref(kind).update({ kind, leases }, { lastUpdateTime: snap.updateTime });
      } else {
        await this.ref(kind).create({ kind, leases });
      }
      return true;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if ((code !== FAILED_PRECONDITION && code !== ALREADY_EXISTS) || attempt >= MAX_ATTEMPTS) throw err;
      // Spread the losers so they do not collide again in step.
      await sleep(5 + Math.floor(Math.random() * 25 * 2 ** Math.min(attempt, 5)));
      return false;
    }
  }
}

/** gRPC status codes of a lost compare-and-set. */
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;
const MAX_ATTEMPTS = 30;

function leasesOf(value: unknown): Record<string, Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([id, v]) => [
      id,
      typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {},
    ]),
  );
}

function toLease(instanceId: string, data: Record<string, unknown>, budget: number): ShareLease {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const share = num(data.sharePerSecond);
  return {
    instanceId,
    sharePerSecond: share === undefined || share < 0 ? budget : share,
    wantPerSecond: num(data.wantPerSecond) ?? budget,
    expiresAtMs: num(data.expiresAtMs) ?? 0,
  };
}

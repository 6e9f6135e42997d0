/**
 * Pure policy for sharing one Stripe rate budget (reads or writes, per second) between every instance that
 * calls Stripe, however many there are (docs/design.md, "Stripe's rate limit"). Each instance holds a
 * lease on a share; the shares of live leases never add up to more than the budget:
 *
 *  - the target split is max-min fair over what each instance asks for (`want`): nobody gets more than it
 *    asks, and what one leaves unused goes to those that want more;
 *  - an instance may only *raise* its share into budget the others do not hold right now, so a newcomer
 *    starts low and grows as the others shrink to their targets at their next renewal;
 *  - a lease a little past its expiry still counts as held (clocks differ between instances), while its
 *    holder stops using it a little before (see `usableUntilMs`).
 *
 * The Firestore adapter runs `nextShare` inside a transaction over every lease of the kind, which makes
 * the check-and-claim atomic.
 */

export type RateKind = 'read' | 'write';
export const RATE_KINDS: readonly RateKind[] = ['read', 'write'];

export interface ShareLease {
  readonly instanceId: string;
  /** Requests per second the lease allows its holder. */
  readonly sharePerSecond: number;
  /** Requests per second the holder asked for at its last renewal. */
  readonly wantPerSecond: number;
  readonly expiresAtMs: number;
}

export interface ShareTiming {
  /** How long a lease lasts after a renewal. */
  readonly ttlMs: number;
  /** The clock difference tolerated between instances. */
  readonly skewMs: number;
}

/** Leases last 30 s: three renewals of an instance among 10 holders (rate-budget.ts spaces renewals). */
export const DEFAULT_SHARE_TIMING: ShareTiming = { ttlMs: 30_000, skewMs: 1_000 };

/** The smallest share worth asking for: an active instance always asks at least this much. */
export const MIN_WANT_PER_SECOND = 0.5;

/** A lease counts as held until well after its holder stops using it: late by up to `skewMs`. */
export function isHeld(lease: ShareLease, nowMs: number, timing: ShareTiming): boolean {
  return lease.expiresAtMs + timing.skewMs > nowMs;
}

/** The holder stops using a lease `skewMs` before it expires, so a slow clock never overruns it. */
export function usableUntilMs(expiresAtMs: number, timing: ShareTiming): number {
  return expiresAtMs - timing.skewMs;
}

/**
 * Max-min fair split of `budget` over `wants` (water-filling): instances asking for less than an equal
 * split get what they ask; the rest split what remains equally. Never more than asked, never more than
 * the budget in total. Ties are broken by nothing: equal wants get equal shares.
 */
export function fairShares(budget: number, wants: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  let remaining = Math.max(0, budget);
  const pending = [...wants.entries()]
    .map(([id, want]) => [id, Math.max(0, want)] as const)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let left = pending.length;
  for (const [id, want] of pending) {
    const equal = remaining / left;
    const share = Math.min(want, equal);
    out.set(id, share);
    remaining -= share;
    left -= 1;
  }
  return out;
}

export interface NextShareInput {
  readonly budgetPerSecond: number;
  readonly instanceId: string;
  readonly wantPerSecond: number;
  /** Every lease of the kind as stored (the caller's own included, expired ones too). */
  readonly leases: readonly ShareLease[];
  readonly nowMs: number;
  readonly timing: ShareTiming;
}

export interface NextShare {
  readonly sharePerSecond: number;
  /** The fair target this instance grows or shrinks towards. */
  readonly targetPerSecond: number;
  /** Leases held by others (the count a person reads as "instances sharing the budget"). */
  readonly othersHolding: number;
  /** Leases past expiry plus skew: safe to delete. */
  readonly expired: readonly string[];
}

/**
 * This instance's next share: its fair target, but never more than the budget minus what every other
 * held lease allows right now. Shrinking is always allowed; growing waits for room.
 */
export function nextShare(input: NextShareInput): NextShare {
  const { budgetPerSecond, instanceId, nowMs, timing } = input;
  const others = input.leases.filter((l) => l.instanceId !== instanceId);
  const held = others.filter((l) => isHeld(l, nowMs, timing));
  const expired = others.filter((l) => !isHeld(l, nowMs, timing)).map((l) => l.instanceId);
  const want = Math.min(Math.max(input.wantPerSecond, MIN_WANT_PER_SECOND), budgetPerSecond);
  const wants = new Map<string, number>(held.map((l) => [l.instanceId, l.wantPerSecond]));
  wants.set(instanceId, want);
  const target = fairShares(budgetPerSecond, wants).get(instanceId) ?? 0;
  const heldByOthers = held.reduce((sum, l) => sum + l.sharePerSecond, 0);
  const room = Math.max(0, budgetPerSecond - heldByOthers);
  return {
    sharePerSecond: Math.min(target, room),
    targetPerSecond: target,
    othersHolding: held.length,
    expired,
  };
}

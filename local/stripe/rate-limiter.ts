/**
 * Stripe's basic rate limiter as the local Stripe API plays it (docs/local-stack.md, "Rate limit"): one
 * token bucket for reads (GET) and one for writes (everything else), each refilled continuously at its
 * rate and holding at most one second of it, so a short burst passes and a sustained overrun is refused.
 * Stripe allows 100 reads and 100 writes a second in live mode, 25 each in test mode.
 */

export interface RateLimit {
  readsPerSecond?: number;
  writesPerSecond?: number;
}

export type RequestKind = 'read' | 'write';

export const LIVE_MODE_LIMIT: Required<RateLimit> = { readsPerSecond: 100, writesPerSecond: 100 };
export const TEST_MODE_LIMIT: Required<RateLimit> = { readsPerSecond: 25, writesPerSecond: 25 };

interface Bucket {
  readonly ratePerSecond: number;
  tokens: number;
  refilledAtMs: number;
}

export class TokenBuckets {
  private readonly buckets: Partial<Record<RequestKind, Bucket>> = {};

  constructor(limit: RateLimit, nowMs: number) {
    const make = (rate: number | undefined): Bucket | undefined =>
      rate === undefined
        ? undefined
        : { ratePerSecond: rate, tokens: Math.max(rate, 1), refilledAtMs: nowMs };
    const read = make(limit.readsPerSecond);
    const write = make(limit.writesPerSecond);
    if (read) this.buckets.read = read;
    if (write) this.buckets.write = write;
  }

  static kindOf(method: string): RequestKind {
    return method.toUpperCase() === 'GET' ? 'read' : 'write';
  }

  /** Takes a token for the request; false when the bucket is empty (the request is refused). */
  take(kind: RequestKind, nowMs: number): boolean {
    const b = this.buckets[kind];
    if (!b) return true;
    const capacity = Math.max(b.ratePerSecond, 1);
    b.tokens = Math.min(capacity, b.tokens + ((nowMs - b.refilledAtMs) / 1000) * b.ratePerSecond);
    b.refilledAtMs = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

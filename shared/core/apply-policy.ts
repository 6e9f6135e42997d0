import type { Change, Precondition, StripeParamValue } from '../domain/plan.js';
import { canonicalJson, hashOf } from './canonical.js';

/**
 * Pure policy for applying a plan to Stripe (docs/design.md "Product decisions that move money"): idempotency keys, the stale-plan check,
 * and which Stripe failures are worth retrying. The adapter in shared/adapters/stripe/ does the I/O.
 */

/**
 * The same account, change and plan always yield the same key, so a redelivered or replayed apply of the
 * same plan is the same request to Stripe, which replays its first answer instead of writing twice.
 * Never random (Stripe's SDK would otherwise invent one per call).
 */
export function idempotencyKey(accountId: string, change: Pick<Change, 'id'>, planHash: string): string {
  return `${IDEMPOTENCY_KEY_PREFIX}${hashOf({ accountId, changeId: change.id, planHash }).slice(0, 48)}`;
}

const IDEMPOTENCY_KEY_PREFIX = 'driftcontrol-';

/**
 * Whether a Stripe request (as a webhook event's `request.idempotency_key` names it) was one of our own
 * writes: its event must not start a check that fights the heal it reports (docs/design.md, "Events").
 */
export function isOwnIdempotencyKey(key: string | null): boolean {
  return key?.startsWith(IDEMPOTENCY_KEY_PREFIX) === true;
}

export interface PreconditionMismatch {
  readonly field: string;
  readonly expected: StripeParamValue;
  readonly actual: StripeParamValue;
}

/**
 * Compares the live values apply just read with what the plan expected to overwrite. Any difference means
 * the plan was built on state that has since changed: refuse it, like a stale saved Terraform plan.
 */
export function checkPreconditions(
  preconditions: readonly Precondition[],
  live: Readonly<Record<string, StripeParamValue>>,
): PreconditionMismatch[] {
  const mismatches: PreconditionMismatch[] = [];
  for (const p of preconditions) {
    const actual = live[p.field] === undefined ? null : (live[p.field] as StripeParamValue);
    if (canonicalJson(actual) !== canonicalJson(p.expected))
      mismatches.push({ field: p.field, expected: p.expected, actual });
  }
  return mismatches;
}

/** Key under which the adapter reports the change id stamped on the live object (metadata or cancel comment). */
export const LIVE_CHANGE_ID_FIELD = 'driftcontrol_change_id';

export type PreconditionVerdict =
  | { readonly verdict: 'fresh' }
  /** Our own earlier write of this very change (a crash before the ack): resend with the same key. */
  | { readonly verdict: 'already_applied' }
  | { readonly verdict: 'stale'; readonly mismatches: readonly PreconditionMismatch[] };

export function preconditionVerdict(
  change: Pick<Change, 'id' | 'preconditions'>,
  live: Readonly<Record<string, StripeParamValue>>,
): PreconditionVerdict {
  const mismatches = checkPreconditions(change.preconditions, live);
  if (mismatches.length === 0) return { verdict: 'fresh' };
  if (live[LIVE_CHANGE_ID_FIELD] === change.id) return { verdict: 'already_applied' };
  return { verdict: 'stale', mismatches };
}

/** Stripe error types/codes as Stripe names them (https://docs.stripe.com/error-codes). */
export const RETRYABLE_STRIPE_CODES: ReadonlySet<string> = new Set(['lock_timeout', 'rate_limit']);
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([409, 429, 500, 502, 503, 504]);

export interface StripeFailure {
  readonly httpStatus: number | null;
  readonly type: string | null;
  readonly code: string | null;
}

/**
 * After the SDK's own bounded retries, should the message be redelivered (throw) or failed for good
 * (ack with a failed audit row)? Transient: rate limits, lock timeouts, 5xx and lost connections.
 * Permanent: invalid requests, idempotency conflicts, authentication, card errors.
 */
export function shouldRetryStripeFailure(failure: StripeFailure): boolean {
  if (failure.type === 'idempotency_error') return false;
  if (failure.code !== null && RETRYABLE_STRIPE_CODES.has(failure.code)) return true;
  if (failure.type === 'api_connection_error' || failure.type === 'rate_limit_error') return true;
  if (failure.httpStatus === null) return true; // no answer at all: the network, not the request
  return RETRYABLE_HTTP_STATUSES.has(failure.httpStatus);
}

/**
 * A 429 is Stripe's limiter refusing a request before it ran: nothing executed, and (unlike a 5xx) the
 * answer is not saved under the idempotency key, so sending the same request again is safe. It is retried
 * inside the attempt with exponential backoff and jitter (docs/design.md, "Stripe's rate limit"), so a
 * brief overrun costs seconds, not a Pub/Sub redelivery; past the last retry the 429 reaches the caller.
 */
export interface RateLimitedRetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** About 24 s of backoff in all before a 429 reaches the caller. */
export const RATE_LIMITED_RETRY: RateLimitedRetryPolicy = {
  maxRetries: 7,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
};

/** Wait before retry `retry` (1-based) of a rate-limited request; `jitter` in [0, 1) spreads instances. */
export function rateLimitedRetryDelayMs(
  retry: number,
  jitter: number,
  policy: RateLimitedRetryPolicy = RATE_LIMITED_RETRY,
): number {
  const ceiling = Math.min(policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  // Half fixed, half random: never under half the ceiling, so retries still back off.
  return Math.round(ceiling * (0.5 + 0.5 * Math.min(Math.max(jitter, 0), 1)));
}

export function shouldRetryRateLimited(
  retriesSoFar: number,
  policy: RateLimitedRetryPolicy = RATE_LIMITED_RETRY,
): boolean {
  return retriesSoFar < policy.maxRetries;
}

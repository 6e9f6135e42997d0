import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import {
  RATE_LIMITED_RETRY,
  type RateLimitedRetryPolicy,
  rateLimitedRetryDelayMs,
  shouldRetryRateLimited,
} from '../../core/apply-policy.js';
import type { RateKind } from '../../core/rate-shares.js';
import { StripeCallError } from '../../ports/errors.js';
import type { StripeRateBudget } from './rate-budget.js';

type HttpClientInterface = ConstructorParameters<typeof Stripe>[1] extends infer C
  ? C extends { httpClient?: infer H }
    ? NonNullable<H>
    : never
  : never;
type MakeRequest = HttpClientInterface['makeRequest'];

/**
 * The SDK's HTTP client with the rate budget in front (docs/design.md, "Stripe's rate limit"): every
 * request the SDK sends — list pages, expansions and its own retries included — first waits for a slot
 * of its kind (GET reads, everything else writes, as Stripe counts them). A 429 is Stripe's limiter
 * refusing before anything ran, so the same request is sent again after a backoff, through the budget
 * again (shared/core/apply-policy.ts, RATE_LIMITED_RETRY); past the last retry the SDK sees the 429.
 */
export class BudgetedHttpClient extends Stripe.HttpClient {
  private readonly refusedRecently = new Map<string, number>();

  constructor(
    private readonly inner: HttpClientInterface,
    private readonly budget: StripeRateBudget,
    private readonly retry: RateLimitedRetryPolicy = RATE_LIMITED_RETRY,
    private readonly random: () => number = Math.random,
  ) {
    super();
  }

  override getClientName(): string {
    return this.inner.getClientName();
  }

  override async makeRequest(...args: Parameters<MakeRequest>): ReturnType<MakeRequest> {
    const [, , path, method, headers] = args;
    const kind: RateKind = method.toUpperCase() === 'GET' ? 'read' : 'write';
    const what = `${method} ${path.split('?')[0]}`;
    const subject = subjectOf(path);
    // The SDK retries whatever this client throws as a lost connection: a request refused for want of a
    // slot would wait its whole bound again, twice. The same request (method, path, idempotency key)
    // asked again soon after a refusal is refused at once, so one call waits one bound in all.
    const key = `${method} ${path} ${String((headers as Record<string, unknown>)['Idempotency-Key'] ?? '')}`;
    const refusedAt = this.refusedRecently.get(key);
    if (refusedAt !== undefined && Date.now() - refusedAt < REFUSAL_MEMORY_MS) {
      this.refusedRecently.delete(key);
      throw new StripeCallError(
        `${what}: refused for want of a Stripe ${kind} slot moments ago; not asked again in this call`,
        { httpStatus: null, type: 'rate_limit_queue', code: 'queue_timeout' },
        true,
        subject,
      );
    }
    // One deadline for the whole call, 429 retries included.
    const deadline = Date.now() + this.budget.maxQueueWaitMs();
    for (let retries = 0; ; retries += 1) {
      try {
        await this.budget.acquire(kind, what, subject, deadline);
      } catch (error) {
        this.remember(key);
        throw error;
      }
      const res = await this.inner.makeRequest(...args);
      if (res.getStatusCode() !== 429) return res;
      this.budget.noteRateLimited(kind);
      if (!shouldRetryRateLimited(retries, this.retry)) return res;
      discard(res);
      await sleep(rateLimitedRetryDelayMs(retries + 1, this.random(), this.retry));
    }
  }

  private remember(key: string): void {
    const now = Date.now();
    for (const [k, at] of this.refusedRecently)
      if (now - at >= REFUSAL_MEMORY_MS) this.refusedRecently.delete(k);
    this.refusedRecently.set(key, now);
  }
}

/** Longer than the SDK's backoff between its retries (at most 2 s by default), shorter than a new call's. */
const REFUSAL_MEMORY_MS = 10_000;

/** The object a request is about (its path's last id-like segment), for errors that name it. */
function subjectOf(path: string): string {
  const segments = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  return segments.findLast((s) => /_[A-Za-z0-9]/.test(s)) ?? segments.at(-1) ?? path;
}

function discard(res: Awaited<ReturnType<MakeRequest>>): void {
  if (res.dispose) res.dispose();
  else void res.toJSON().catch(() => undefined);
}

import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import {
  RATE_LIMITED_RETRY,
  type RateLimitedRetryPolicy,
  rateLimitedRetryDelayMs,
  shouldRetryRateLimited,
} from '../../core/apply-policy.js';
import type { RateKind } from '../../core/rate-shares.js';
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
    const [, , path, method] = args;
    const kind: RateKind = method.toUpperCase() === 'GET' ? 'read' : 'write';
    const what = `${method} ${path.split('?')[0]}`;
    for (let retries = 0; ; retries += 1) {
      await this.budget.acquire(kind, what, subjectOf(path));
      const res = await this.inner.makeRequest(...args);
      if (res.getStatusCode() !== 429) return res;
      this.budget.noteRateLimited(kind);
      if (!shouldRetryRateLimited(retries, this.retry)) return res;
      discard(res);
      await sleep(rateLimitedRetryDelayMs(retries + 1, this.random(), this.retry));
    }
  }
}

/** The object a request is about (its path's last id-like segment), for errors that name it. */
function subjectOf(path: string): string {
  const segments = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  return segments.findLast((s) => /_[A-Za-z0-9]/.test(s)) ?? segments.at(-1) ?? path;
}

function discard(res: Awaited<ReturnType<MakeRequest>>): void {
  if (res.dispose) res.dispose();
  else void res.toJSON().catch(() => undefined);
}

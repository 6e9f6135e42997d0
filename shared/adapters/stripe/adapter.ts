import Stripe from 'stripe';
import { RATE_LIMITED_RETRY, type RateLimitedRetryPolicy } from '../../core/apply-policy.js';
import { DEFAULT_CONFIG } from '../../domain/config.js';
import type { Change, ChangeTarget, StripeParamValue } from '../../domain/plan.js';
import type { RateSharePort, StripeAccountParts, StripePort, StripeWriteResult } from '../../ports/index.js';
import { BudgetedHttpClient } from './budgeted-http-client.js';
import { calling } from './errors.js';
import { type Budgets, type RateBudgetStats, StripeRateBudget } from './rate-budget.js';
import * as reads from './reads.js';

/**
 * StripePort over the real `stripe` SDK. Production and local runs differ only in where the client points
 * (host/port/protocol). Reads map SDK objects into the AccountView shapes; writes always carry the
 * caller's idempotency key. Every request goes through the rate budget (rate-budget.ts), in the SDK's
 * HTTP client, so list pages and the SDK's own retries are counted too.
 */

export interface StripeAdapterOptions {
  apiKey: string;
  /** e.g. `{ host: '127.0.0.1', port: 12111, protocol: 'http' }` for the local server; omitted = api.stripe.com. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** The SDK's own bounded retries (409, 5xx, connection errors, `Stripe-Should-Retry: true`). Default 2. */
  maxNetworkRetries?: number;
  /** Per-request timeout in ms. Default 20 000. */
  timeoutMs?: number;
  /**
   * The deployment's Stripe budgets per second (Firestore config stripeReadsPerSecond and
   * stripeWritesPerSecond), read at most once per `budgetTtlMs`, so an operator's change applies without
   * a deploy. A failed read keeps the last one. Default: DEFAULT_CONFIG's.
   */
  budgets?: () => Promise<Budgets>;
  budgetTtlMs?: number;
  /** Where instances lease their shares of the budgets; absent, this instance uses the whole budget. */
  shares?: RateSharePort;
  /** The function this instance serves (named on its share's lease). */
  functionName?: string;
  /**
   * A request that waited longer than this for a slot is not sent: it fails as retryable, so Pub/Sub
   * redelivers it and plan-apply re-checks preconditions under a fresh account lease. Kept well under the
   * lease (plan-apply's LEASE_TTL_MS, 5 min) so a write never starts after its lease ran out.
   * Default 60 000 ms.
   */
  maxQueueWaitMs?: number;
  /** How 429s are retried inside the call (default RATE_LIMITED_RETRY; tests shorten it). */
  rateLimitedRetry?: RateLimitedRetryPolicy;
  /** Clock for the `asOf` stamps. */
  now?: () => Date;
}

const EXPECTED_TARGET: Record<Change['operation']['sdkMethod'], ChangeTarget['object']> = {
  'subscriptions.update': 'subscription',
  'subscriptions.cancel': 'subscription',
  'customers.update': 'customer',
  'invoices.update': 'invoice',
};

export class StripeAdapter implements StripePort {
  readonly client: Stripe;
  readonly budget: StripeRateBudget;
  private readonly now: () => Date;

  constructor(options: StripeAdapterOptions) {
    if (!options.apiKey) throw new Error('StripeAdapter: an API key is required');
    const defaults: Budgets = {
      read: DEFAULT_CONFIG.stripeReadsPerSecond,
      write: DEFAULT_CONFIG.stripeWritesPerSecond,
    };
    this.budget = new StripeRateBudget({
      budgets: options.budgets ?? (() => Promise.resolve(defaults)),
      ...(options.budgetTtlMs !== undefined ? { budgetTtlMs: options.budgetTtlMs } : {}),
      shares: options.shares,
      ...(options.functionName !== undefined ? { functionName: options.functionName } : {}),
      ...(options.maxQueueWaitMs !== undefined ? { maxQueueWaitMs: options.maxQueueWaitMs } : {}),
    });
    this.client = new Stripe(options.apiKey, {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      // No telemetry header: nothing about our calls leaves in later requests.
      telemetry: false,
      httpClient: new BudgetedHttpClient(
        Stripe.createNodeHttpClient(),
        this.budget,
        options.rateLimitedRetry ?? RATE_LIMITED_RETRY,
      ),
    });
    this.now = options.now ?? (() => new Date());
  }

  /** Requests sent, 429s seen and the shares in force (for benchmarks and logs). */
  rateStats(): RateBudgetStats {
    return this.budget.stats();
  }

  readAccount(customerId: string): Promise<StripeAccountParts> {
    return reads.readAccount(this.client, customerId, this.now);
  }

  readLive(target: ChangeTarget): Promise<Record<string, StripeParamValue>> {
    return reads.readLive(this.client, target);
  }

  async write(
    change: Change,
    params: Record<string, StripeParamValue>,
    idempotencyKey: string,
  ): Promise<StripeWriteResult> {
    // The SDK would invent a random key (or none for DELETE): a redelivery would then write twice.
    if (typeof idempotencyKey !== 'string' || idempotencyKey.trim() === '') {
      throw new Error(`Stripe write for change ${change.id}: an idempotency key is required`);
    }
    const method = change.operation.sdkMethod;
    if (EXPECTED_TARGET[method] !== change.target.object) {
      throw new Error(`change ${change.id}: ${method} cannot target a ${change.target.object}`);
    }
    const id = change.target.id;
    const opts: Stripe.RequestOptions = { idempotencyKey };
    // The params are Stripe form values already (the planner built them for this very call).
    const body = params as never;
    return calling(method, id, async () => {
      let res: { lastResponse: { requestId: string } };
      switch (method) {
        case 'subscriptions.update':
          res = await this.client.subscriptions.update(id, body, opts);
          break;
        case 'subscriptions.cancel':
          res = await this.client.subscriptions.cancel(id, body, opts);
          break;
        case 'customers.update':
          res = await this.client.customers.update(id, body, opts);
          break;
        case 'invoices.update':
          res = await this.client.invoices.update(id, body, opts);
          break;
      }
      return { requestId: res.lastResponse?.requestId ?? null };
    });
  }

  /** Waits for queued requests, then gives this instance's shares back. */
  close(): Promise<void> {
    return this.budget.close();
  }
}

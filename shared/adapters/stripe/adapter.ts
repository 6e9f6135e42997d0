import Stripe from 'stripe';
import { DEFAULT_CONFIG } from '../../domain/config.js';
import type { Change, ChangeTarget, StripeParamValue } from '../../domain/plan.js';
import type { StripeAccountParts, StripePort, StripeWriteResult } from '../../ports/index.js';
import { calling } from './errors.js';
import * as reads from './reads.js';
import { DEFAULT_MAX_QUEUE_WAIT_MS, WriteThrottle } from './write-throttle.js';

/**
 * StripePort over the real `stripe` SDK. Production and local runs differ only in where the client points
 * (host/port/protocol). Reads map SDK objects into the AccountView shapes; writes always carry the
 * caller's idempotency key and go through the write throttle.
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
  /** Write budget per second of this instance (DriftControlConfig.stripeWritesPerSecond). */
  writesPerSecond?: number;
  /**
   * Where the budget lives (e.g. Firestore config): read before a write at most once per
   * `writeBudgetTtlMs`, so an operator's change applies without a deploy. A failed read keeps the last one.
   */
  writeBudget?: () => Promise<number>;
  writeBudgetTtlMs?: number;
  /**
   * A write that waited longer than this in the rate limiter is not sent: it fails as retryable, so
   * Pub/Sub redelivers it and plan-apply re-checks preconditions under a fresh account lease. Kept well
   * under the lease (plan-apply's LEASE_TTL_MS, 5 min) so a write never starts after its lease ran out.
   * Default 60 000 ms.
   */
  maxQueueWaitMs?: number;
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
  private readonly throttle: WriteThrottle;
  private readonly now: () => Date;

  constructor(options: StripeAdapterOptions) {
    if (!options.apiKey) throw new Error('StripeAdapter: an API key is required');
    this.client = new Stripe(options.apiKey, {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      // No telemetry header: nothing about our calls leaves in later requests.
      telemetry: false,
    });
    this.throttle = new WriteThrottle({
      writesPerSecond: options.writesPerSecond ?? DEFAULT_CONFIG.stripeWritesPerSecond,
      budget: options.writeBudget,
      budgetTtlMs: options.writeBudgetTtlMs ?? 60_000,
      maxQueueWaitMs: options.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS,
    });
    this.now = options.now ?? (() => new Date());
  }

  /** Applies a new write budget (the config is re-read per run; Firestore may have changed it). */
  setWritesPerSecond(writesPerSecond: number): void {
    this.throttle.setWritesPerSecond(writesPerSecond);
  }

  /** The budget in force (writes per second). */
  writesPerSecond(): number | undefined {
    return this.throttle.writesPerSecond();
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
    return this.throttle.schedule(`write for change ${change.id}`, id, () =>
      calling(method, id, async () => {
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
      }),
    );
  }

  /** Waits for queued writes, then stops the throttle. */
  close(): Promise<void> {
    return this.throttle.close();
  }
}

import Bottleneck from 'bottleneck';
import { StripeCallError } from '../../ports/errors.js';

/**
 * The Stripe write budget of one instance: writes start evenly spaced, the budget is re-read from where
 * it lives (Firestore config) at most once per TTL so an operator's change applies without a deploy, and
 * a write that queued too long is refused instead of sent late.
 */

export const DEFAULT_MAX_QUEUE_WAIT_MS = 60_000;

export interface WriteThrottleOptions {
  readonly writesPerSecond: number;
  /** Where the budget lives; read before a write at most once per `budgetTtlMs`. */
  readonly budget?: (() => Promise<number>) | undefined;
  readonly budgetTtlMs: number;
  readonly maxQueueWaitMs: number;
}

export class WriteThrottle {
  private readonly limiter: Bottleneck;
  private budgetReadAt = Number.NEGATIVE_INFINITY;
  private current: number | undefined;

  constructor(private readonly options: WriteThrottleOptions) {
    this.limiter = new Bottleneck(limiterSettings(options.writesPerSecond));
  }

  /** Applies a new write budget. */
  setWritesPerSecond(writesPerSecond: number): void {
    this.limiter.updateSettings(limiterSettings(writesPerSecond));
    this.current = writesPerSecond;
  }

  /** The budget set or read since construction (writes per second), if any. */
  writesPerSecond(): number | undefined {
    return this.current;
  }

  /**
   * Sends `write` when the budget allows. One that waited over `maxQueueWaitMs` fails as retryable without
   * being sent: Pub/Sub redelivers it and plan-apply re-checks preconditions under a fresh account lease.
   */
  async schedule<T>(what: string, subject: string, write: () => Promise<T>): Promise<T> {
    await this.refreshBudget();
    const queuedAt = Date.now();
    return this.limiter.schedule(async () => {
      const waitedMs = Date.now() - queuedAt;
      if (waitedMs > this.options.maxQueueWaitMs) {
        throw new StripeCallError(
          `${what} waited ${waitedMs} ms in the rate limiter (over ${this.options.maxQueueWaitMs} ms): not sent`,
          { httpStatus: null, type: 'rate_limit_queue', code: 'queue_timeout' },
          true,
          subject,
        );
      }
      return write();
    });
  }

  /** Waits for queued writes, then stops. */
  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
  }

  private async refreshBudget(): Promise<void> {
    const { budget, budgetTtlMs } = this.options;
    if (budget === undefined || Date.now() - this.budgetReadAt < budgetTtlMs) return;
    this.budgetReadAt = Date.now();
    try {
      const next = await budget();
      if (next !== this.current) this.setWritesPerSecond(next);
    } catch {
      // Keep the budget in force: a config read failing must not lift the limit nor stop writes.
    }
  }
}

function limiterSettings(writesPerSecond: number): Bottleneck.ConstructorOptions {
  if (!(writesPerSecond > 0)) throw new Error(`stripeWritesPerSecond must be > 0 (got ${writesPerSecond})`);
  // Spread evenly: starts at least 1000 / writesPerSecond ms apart, so a backlog never exceeds the
  // budget. No reservoir: Bottleneck 2.19.5's updateSettings clears a running reservoir
  // refresh timer and never restarts it, so after the first budget change (setWritesPerSecond, i.e. the
  // first read of the Firestore config) every write past the remaining reservoir waited forever.
  return { minTime: Math.ceil(1000 / writesPerSecond) };
}

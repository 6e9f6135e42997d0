import type { StripeFailure } from '../core/apply-policy.js';

/**
 * Typed errors that carry their context (the code, the cause, the id involved), in the style of
 * stripe-node and nodejs-pubsub. `retryable` tells a handler whether to throw (redeliver) or ack.
 */

export class StripeCallError extends Error {
  override readonly name = 'StripeCallError';
  constructor(
    message: string,
    readonly failure: StripeFailure,
    readonly retryable: boolean,
    /** The object or change the call was about. */
    readonly subject: string,
    readonly requestId: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly service: 'subs-api' | 'www' | 'bigquery' | 'firestore' | 'pubsub',
    readonly retryable: boolean,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

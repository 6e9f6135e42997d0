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

/** The systems besides Stripe that a core reaches through a port. */
export const UPSTREAM_SERVICES = [
  'subs-api',
  'www',
  'ope',
  'billing_prod',
  'cf_prod',
  'bigquery',
  'firestore',
  'pubsub',
  'jira',
] as const;
export type UpstreamService = (typeof UPSTREAM_SERVICES)[number];

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly service: UpstreamService,
    readonly retryable: boolean,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The stores answered, but what they hold does not make a valid account view (a record a store should not
 * hold, e.g. an OPE quantity of 0). Retryable: the record may be fixed, and the message is kept on the
 * dead-letter topic when it is not; never planned on.
 */
export class InvalidStoreDataError extends Error {
  override readonly name = 'InvalidStoreDataError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly accountId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a Stripe webhook was refused: no signature header, a signature that does not match, a stale one. */
export type WebhookRefusal = 'missing_signature' | 'bad_signature' | 'timestamp_outside_tolerance';

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
  constructor(
    message: string,
    readonly code: WebhookRefusal,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A console request without a valid IAP assertion: refused (401), never served. */
export class NotAuthenticatedError extends Error {
  override readonly name = 'NotAuthenticatedError';
  constructor(
    /** Why, as a code for the log (`missing`, `invalid`, `not_configured`, `keys_unavailable`). */
    readonly code: 'missing' | 'invalid' | 'not_configured' | 'keys_unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

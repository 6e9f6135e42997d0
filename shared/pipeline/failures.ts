import { ValidationError } from '../domain/validate.js';
import { InvalidStoreDataError, StripeCallError, UpstreamError } from '../ports/errors.js';

/**
 * One policy for "is this worth another delivery?" across cores: typed errors say so themselves;
 * invalid data never gets better by retrying; anything unknown is retried (Pub/Sub's dead-letter policy
 * bounds it, and the dead-letter topic keeps the message).
 */
export interface FailureInfo {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

export function failureOf(error: unknown): FailureInfo {
  if (error instanceof StripeCallError) {
    return {
      code: `stripe_${error.failure.code ?? error.failure.type ?? error.failure.httpStatus ?? 'error'}`,
      message: `Stripe call failed for ${error.subject}: ${error.message}`,
      retryable: error.retryable,
    };
  }
  if (error instanceof UpstreamError) {
    return { code: `${error.service}_error`, message: error.message, retryable: error.retryable };
  }
  if (error instanceof InvalidStoreDataError)
    return { code: 'invalid_store_data', message: error.message, retryable: true };
  if (error instanceof ValidationError) return { code: error.code, message: error.message, retryable: false };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'unexpected', message, retryable: true };
}

import Stripe from 'stripe';
import { type StripeFailure, shouldRetryStripeFailure } from '../../core/apply-policy.js';
import { StripeCallError } from '../../ports/errors.js';

/**
 * Stripe's errors as the rest of the system sees them: every SDK call goes through `calling`, which
 * turns whatever it throws into a StripeCallError carrying the failure and whether a retry may help.
 */

function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof Stripe.errors.StripeError;
}

/** Stripe's error as the apply policy sees it: HTTP status, API error type and code. */
export function stripeFailureOf(err: unknown): StripeFailure {
  if (err instanceof Stripe.errors.StripeConnectionError) {
    return { httpStatus: err.statusCode ?? null, type: 'api_connection_error', code: err.code ?? null };
  }
  if (isStripeError(err)) {
    return { httpStatus: err.statusCode ?? null, type: err.rawType ?? null, code: err.code ?? null };
  }
  // Not an answer from Stripe at all (a socket error the SDK did not wrap): treat as the network.
  return { httpStatus: null, type: 'api_connection_error', code: null };
}

function toCallError(err: unknown, what: string, subject: string): StripeCallError {
  if (err instanceof StripeCallError) return err;
  // Refused by our own rate budget inside the SDK's HTTP client (budgeted-http-client.ts): the SDK
  // wraps whatever its client throws in a connection error; the budget's own error is the true one.
  const inner = (err as { detail?: unknown } | null)?.detail;
  if (err instanceof Stripe.errors.StripeConnectionError && inner instanceof StripeCallError) return inner;
  const failure = stripeFailureOf(err);
  const requestId = isStripeError(err) ? (err.requestId ?? null) : null;
  const detail = err instanceof Error ? err.message : String(err);
  return new StripeCallError(
    `Stripe ${what} on ${subject} failed (status ${failure.httpStatus ?? 'none'}, type ${failure.type ?? 'none'}, code ${failure.code ?? 'none'}): ${detail}`,
    failure,
    shouldRetryStripeFailure(failure),
    subject,
    requestId,
    { cause: err },
  );
}

/** Runs one SDK call (`what`, e.g. `customers.retrieve`, about `subject`); failures become StripeCallErrors. */
export async function calling<T>(what: string, subject: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toCallError(err, what, subject);
  }
}

/** True when a call failed with this Stripe error code, e.g. `resource_missing` (the object is gone). */
export function failedWithCode(err: unknown, code: string): boolean {
  return err instanceof StripeCallError && err.failure.code === code;
}

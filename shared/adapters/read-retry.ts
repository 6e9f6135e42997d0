import pRetry from 'p-retry';
import { UpstreamError } from '../ports/errors.js';

/**
 * Bounded retries of one live read (a company store or subs-api): a timeout or a transient failure is
 * tried again a few times with jittered backoff inside the attempt, so one dropped connection does not
 * cost a whole Pub/Sub redelivery; a failure that retrying cannot help ends at once. After the last try
 * the error goes to the core, which fails the message as retryable (docs/design.md, "Live truth").
 */

export interface ReadRetryPolicy {
  /** Tries after the first. */
  readonly retries: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_READ_RETRY: ReadRetryPolicy = { retries: 2, minBackoffMs: 100, maxBackoffMs: 1000 };

/** Only an UpstreamError that says so is worth another try; anything else is a bug or a bad answer. */
export function shouldRetryRead(error: unknown): boolean {
  return error instanceof UpstreamError && error.retryable;
}

export function withReadRetries<T>(read: () => Promise<T>, policy: ReadRetryPolicy): Promise<T> {
  return pRetry(read, {
    retries: policy.retries,
    minTimeout: policy.minBackoffMs,
    maxTimeout: policy.maxBackoffMs,
    factor: 2,
    randomize: true,
    shouldRetry: shouldRetryRead,
  });
}

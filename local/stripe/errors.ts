/** Stripe's error types (the `error.type` field of the envelope). */
export type StripeErrorType =
  | 'api_error'
  | 'card_error'
  | 'idempotency_error'
  | 'invalid_request_error'
  | 'rate_limit_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

/** An error the local API answers with Stripe's envelope `{ "error": { ... } }`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly headers: Record<string, string> = {},
    /**
     * Refused while its parameters were checked, before the endpoint began executing. Stripe saves no
     * idempotent result for such a request: the same key may be retried with corrected parameters.
     */
    readonly beforeExecution = false,
  ) {
    super(body.message);
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

function withDoc(body: StripeErrorBody): StripeErrorBody {
  return body.code
    ? { ...body, doc_url: `https://stripe.com/docs/error-codes/${body.code.replace(/_/g, '-')}` }
    : body;
}

export const errors = {
  missing(kind: string, id: string, param = 'id'): StripeApiError {
    return new StripeApiError(
      404,
      withDoc({
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such ${kind}: '${id}'`,
        param,
      }),
    );
  },
  /** An object a request parameter names does not exist: 400, unlike an unknown object in the path. */
  missingReference(kind: string, id: string, param: string): StripeApiError {
    return new StripeApiError(
      400,
      withDoc({
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such ${kind}: '${id}'`,
        param,
      }),
    );
  },
  invalid(message: string, param?: string, code = 'parameter_invalid'): StripeApiError {
    return new StripeApiError(
      400,
      withDoc({ type: 'invalid_request_error', code, message, ...(param ? { param } : {}) }),
    );
  },
  /** Parameters refused on their shape alone (missing, unknown, malformed), before anything executes. */
  badParameters(message: string, param?: string, code = 'parameter_invalid'): StripeApiError {
    const { status, body } = errors.invalid(message, param, code);
    return new StripeApiError(status, body, {}, true);
  },
  unknownParam(param: string): StripeApiError {
    return errors.badParameters(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
  },
  notFound(method: string, path: string): StripeApiError {
    return new StripeApiError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). The local Stripe API implements only the endpoints the pipeline uses.`,
    });
  },
  unauthorized(message: string): StripeApiError {
    return new StripeApiError(401, { type: 'invalid_request_error', message });
  },
  idempotencyMismatch(key: string): StripeApiError {
    return new StripeApiError(400, {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    });
  },
  /**
   * As Stripe's limiter answers: 429, a `rate_limit` error and the `Stripe-Rate-Limited-Reason` header
   * naming the limiter (here always the global rate; docs/local-stack.md, "Rate limit").
   */
  rateLimit(shouldRetry: boolean | undefined): StripeApiError {
    return new StripeApiError(
      429,
      withDoc({
        type: 'invalid_request_error',
        code: 'rate_limit',
        message:
          'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      }),
      { ...shouldRetryHeader(shouldRetry), 'Stripe-Rate-Limited-Reason': 'global-rate' },
    );
  },
  apiError(shouldRetry: boolean | undefined): StripeApiError {
    return new StripeApiError(
      500,
      { type: 'api_error', message: 'An unknown error occurred (injected by the local Stripe API).' },
      shouldRetryHeader(shouldRetry),
    );
  },
  lockTimeout(shouldRetry: boolean | undefined): StripeApiError {
    return new StripeApiError(
      409,
      withDoc({
        type: 'invalid_request_error',
        code: 'lock_timeout',
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.',
      }),
      shouldRetryHeader(shouldRetry ?? true),
    );
  },
};

function shouldRetryHeader(shouldRetry: boolean | undefined): Record<string, string> {
  return shouldRetry === undefined ? {} : { 'Stripe-Should-Retry': String(shouldRetry) };
}

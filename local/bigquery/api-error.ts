/**
 * BigQuery's error envelope: `{ error: { code, message, status, errors: [{ message, domain, reason,
 * location? }] } }`. Every error the local BigQuery answers is one of these; what the engine said stays in
 * `cause` (in process only, never on the wire).
 */

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  500: 'INTERNAL',
};

export interface BigQueryErrorDetails {
  /** `errors[0].location`: BigQuery names `query` for errors in the SQL. */
  location?: string;
  /** The engine's own error, kept for in-process debugging; never sent. */
  cause?: unknown;
}

/** An error in BigQuery's terms: HTTP status and the `reason` BigQuery puts in its error envelope. */
export class BigQueryApiError extends Error {
  readonly location: string | undefined;

  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    details: BigQueryErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'BigQueryApiError';
    this.location = details.location;
  }

  /** The JSON body BigQuery answers with. */
  envelope() {
    return {
      error: {
        code: this.status,
        message: this.message,
        status: STATUS_NAMES[this.status] ?? 'UNKNOWN',
        errors: [
          {
            message: this.message,
            domain: 'global',
            reason: this.reason,
            ...(this.location === undefined ? {} : { location: this.location }),
          },
        ],
      },
    };
  }
}

/** A 400 `invalidQuery` about the SQL itself, located at `query` as BigQuery does. */
export function invalidQuery(message: string, cause?: unknown): BigQueryApiError {
  return new BigQueryApiError(400, 'invalidQuery', message, { location: 'query', cause });
}

/** A 404 `notFound` for a table or dataset a statement names, in BigQuery's words. */
export function notFound(what: string, location: string, cause?: unknown): BigQueryApiError {
  return new BigQueryApiError(404, 'notFound', `Not found: ${what} was not found in location ${location}`, {
    cause,
  });
}

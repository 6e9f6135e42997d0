import { BigQuery } from '@google-cloud/bigquery';
import { type LocalBigQuery, type StartOptions, startLocalBigQuery } from '../../../local/bigquery/index.js';

process.env.METADATA_SERVER_DETECTION = 'none';

export const PROJECT = 'local-test';

/** A local BigQuery and the real client pointed at it. */
export async function startBigQuery(opts: StartOptions = {}): Promise<{ lb: LocalBigQuery; bq: BigQuery }> {
  const lb = await startLocalBigQuery(opts);
  return { lb, bq: new BigQuery({ projectId: PROJECT, apiEndpoint: lb.url }) };
}

/** A raw REST call through the client's own request path (auth, retries, error parsing). */
export function rest<T>(
  bq: BigQuery,
  opts: { method?: string; uri: string; json?: unknown; qs?: unknown },
): Promise<T> {
  return new Promise((resolve, reject) => {
    bq.request(opts, (err, body) => (err ? reject(err) : resolve(body as T)));
  });
}

/** What a client sees of a failed call: HTTP code, BigQuery's envelope, and the whole body as sent. */
export interface SeenError {
  code: number;
  message: string;
  reason: string | undefined;
  location: string | undefined;
  status: string | undefined;
  body: string;
}

export async function bigQueryError(call: Promise<unknown>): Promise<SeenError> {
  const e = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) =>
      err as {
        code: number;
        message: string;
        errors?: { reason?: string; location?: string }[];
        response?: { body?: unknown };
      },
  );
  const raw = e.response?.body;
  const body = typeof raw === 'string' ? raw : JSON.stringify(raw ?? {});
  return {
    code: e.code,
    message: e.message,
    reason: e.errors?.[0]?.reason,
    location: e.errors?.[0]?.location,
    status: (JSON.parse(body) as { error?: { status?: string } }).error?.status,
    body,
  };
}

/** Text that would give away the engine behind the endpoint. */
export const ENGINE_INTERNALS =
  /Binder Error|Catalog Error|Conversion Error|Parser Error|Invalid Input Error|LINE \d|__bq_jobs|__view__|duckdb|\/tmp\/|\/work\//i;

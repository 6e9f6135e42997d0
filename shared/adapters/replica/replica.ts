import pg from 'pg';
import type { z } from 'zod';
import { UpstreamError } from '../../ports/errors.js';
import { DEFAULT_READ_RETRY, type ReadRetryPolicy, withReadRetries } from '../read-retry.js';

/**
 * A read replica of one of the company's databases (OPE, billing_prod, cf_prod), through the `pg` driver:
 * a small pool, every session read-only, a statement timeout, bounded retries, and rows validated before
 * they reach a core. Any failure — unreachable, timed out, a query the schema refuses, a row that does not
 * parse — is a retryable UpstreamError naming the store: gather never falls back to the mirror.
 */

export type ReplicaStore = 'ope' | 'billing_prod' | 'cf_prod';

export interface ReadReplicaOptions {
  /** postgres://user:password@host:port/database (from Secret Manager in production). */
  readonly url: string;
  /** Connect and statement timeout. Default 5000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: ReadRetryPolicy;
  /** Connections per instance. Default 4 (a function instance serves a few requests at once). */
  readonly poolSize?: number;
}

export class ReadReplica {
  private readonly pool: pg.Pool;
  private readonly retry: ReadRetryPolicy;

  constructor(
    readonly store: ReplicaStore,
    options: ReadReplicaOptions,
  ) {
    const timeoutMs = options.timeoutMs ?? 5000;
    this.retry = options.retry ?? DEFAULT_READ_RETRY;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: timeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
      application_name: 'driftcontrol',
      // A read replica is read-only anyway; this makes a mistaken write fail here too.
      options: '-c default_transaction_read_only=on',
    });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Runs one query and validates every row; the read is retried within the policy. */
  query<T>(what: string, sql: string, params: readonly unknown[], row: z.ZodType<T>): Promise<T[]> {
    return withReadRetries(async () => {
      let result: pg.QueryResult;
      try {
        result = await this.pool.query(sql, [...params]);
      } catch (error) {
        throw new UpstreamError(
          `${this.store} replica: ${what} failed: ${(error as Error).message}`,
          this.store,
          true,
          null,
          { cause: error },
        );
      }
      return result.rows.map((r, i) => {
        const parsed = row.safeParse(r);
        if (parsed.success) return parsed.data;
        const issues = parsed.error.issues
          .map((x) => `${x.path.join('.') || 'row'}: ${x.message}`)
          .join('; ');
        throw new UpstreamError(
          `${this.store} replica: ${what} returned a malformed row ${i + 1} (${issues})`,
          this.store,
          true,
        );
      });
    }, this.retry);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

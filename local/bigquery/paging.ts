/**
 * BigQuery's paging parameters, shared by query results, table data and the job list: `maxResults` (rows
 * per page, bounded), `startIndex`, and page tokens. A token is opaque to clients, as BigQuery's are, and
 * bound to what it pages (a job, a table, a project's job list), so a token from elsewhere is refused.
 */
import { BigQueryApiError } from './api-error.js';

/** Rows per page when a request does not say (BigQuery's own default is by size: about 10 MB). */
export const DEFAULT_PAGE_ROWS = 10_000;
/** The most rows one page carries, whatever a request asks for. */
export const MAX_PAGE_ROWS = 100_000;

/** `maxResults` of a request, or `fallback`. */
export function pageSize(v: unknown, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new BigQueryApiError(400, 'invalid', `Invalid maxResults: ${String(v)}`);
  return Math.min(n, MAX_PAGE_ROWS);
}

/** An opaque token for the page of `scope` that starts at `position`. */
export function pageToken(scope: string, position: number): string {
  return Buffer.from(`${scope}\n${position}`).toString('base64url');
}

/** Where a page starts: its token's position, else `startIndex`, else 0. */
export function pageStart(token: unknown, startIndex: unknown, scope: string): number {
  if (typeof token === 'string' && token !== '') {
    const [tokenScope, position] = Buffer.from(token, 'base64url').toString('utf8').split('\n');
    if (tokenScope !== scope || !/^\d+$/.test(position ?? ''))
      throw new BigQueryApiError(400, 'invalid', `Invalid page token: ${token}`);
    return Number(position);
  }
  if (startIndex !== undefined && startIndex !== null && startIndex !== '') {
    const n = Number(startIndex);
    if (!Number.isInteger(n) || n < 0)
      throw new BigQueryApiError(400, 'invalid', `Invalid startIndex: ${String(startIndex)}`);
    return n;
  }
  return 0;
}

import { z } from 'zod';
import { UpstreamError } from '../ports/errors.js';
import type { ZoneRecord } from '../ports/index.js';

/**
 * The company's internal JSON APIs (subs-api, www) over fetch: one request with a timeout, the error
 * envelope `{ error: { code, message, ... } }`, and zone records, which both services serve. 5xx, 429 and
 * network failures are retryable; other 4xx are not. The clients are subs-api.ts and www.ts; the local
 * servers (local/zones/) implement the same contract.
 */

const ZoneRecordBody = z.object({
  zoneId: z.string().min(1),
  accountId: z.string().min(1),
  planLevel: z.string().min(1),
  updatedAt: z.iso.datetime({ offset: true }),
});

const ErrorBody = z.object({
  error: z.looseObject({ code: z.string(), message: z.string().optional() }),
});

export interface InternalHttpOptions {
  /** Base URL, e.g. `http://127.0.0.1:8081` (a trailing slash is ignored). */
  baseUrl: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Extra headers (e.g. an identity token in production). */
  headers?: Record<string, string>;
  /** For tests. Default: the global fetch. */
  fetch?: typeof fetch;
}

export type InternalService = 'subs-api' | 'www';

export interface Answer {
  status: number;
  body: unknown;
}

export class InternalHttp {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly service: InternalService,
    private readonly options: InternalHttpOptions,
  ) {
    const url = new URL(options.baseUrl);
    this.base = url.toString().replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async request(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Answer> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...this.options.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw new UpstreamError(
        `${this.service} ${method} ${path}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : `request failed (${(err as Error).message})`}`,
        this.service,
        true,
        null,
        { cause: err },
      );
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
      if (res.ok) {
        throw new UpstreamError(
          `${this.service} ${method} ${path}: answered ${res.status} with a body that is not JSON`,
          this.service,
          false,
          res.status,
        );
      }
    }
    return { status: res.status, body: parsed };
  }

  /** The error code of an error answer, if the body follows the envelope. */
  errorCode(answer: Answer): string | null {
    const parsed = ErrorBody.safeParse(answer.body);
    return parsed.success ? parsed.data.error.code : null;
  }

  fail(method: string, path: string, answer: Answer): UpstreamError {
    const parsed = ErrorBody.safeParse(answer.body);
    const detail = parsed.success
      ? `${parsed.data.error.code}${parsed.data.error.message ? `: ${parsed.data.error.message}` : ''}`
      : 'no error body';
    return new UpstreamError(
      `${this.service} ${method} ${path} answered ${answer.status} (${detail})`,
      this.service,
      answer.status >= 500 || answer.status === 429,
      answer.status,
    );
  }

  record(method: string, path: string, answer: Answer): ZoneRecord {
    const parsed = ZoneRecordBody.safeParse(answer.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      throw new UpstreamError(
        `${this.service} ${method} ${path}: invalid zone record (${issues})`,
        this.service,
        false,
        answer.status,
      );
    }
    const { zoneId, accountId, planLevel, updatedAt } = parsed.data;
    return { zoneId, accountId, planLevel, updatedAt };
  }

  async zone(zoneId: string): Promise<ZoneRecord | null> {
    const path = `/v1/zones/${encodeURIComponent(zoneId)}`;
    const answer = await this.request('GET', path);
    if (answer.status === 200) return this.record('GET', path, answer);
    // Only the service's own "no such zone" is an absence; a 404 for a route means a wrong base URL.
    if (answer.status === 404 && this.errorCode(answer) === 'zone_not_found') return null;
    throw this.fail('GET', path, answer);
  }
}

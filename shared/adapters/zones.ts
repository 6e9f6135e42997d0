import { z } from 'zod';
import { UpstreamError } from '../ports/errors.js';
import type { SubsApiPort, WwwPort, WwwWriteResult, ZoneRecord } from '../ports/index.js';

/**
 * subs-api and www over fetch, per their HTTP contract (local/zones/subs-api.ts and
 * local/zones/www.ts describe it; the local servers implement the same):
 *   GET /v1/zones/:zoneId                  -> 200 ZoneRecord | 404 zone_not_found
 *   PUT /v1/zones/:zoneId/plan-level (www) -> 200 ZoneRecord & { changed } | 409 plan_level_conflict | 404
 * Errors are `{ error: { code, message, ... } }`. 5xx and network failures are retryable; other 4xx are not.
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

const ConflictBody = z.object({
  error: z.looseObject({ code: z.literal('plan_level_conflict'), currentPlanLevel: z.string().min(1) }),
});

export interface ZoneClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8081` (a trailing slash is ignored). */
  baseUrl: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Extra headers (e.g. an identity token in production). */
  headers?: Record<string, string>;
  /** For tests. Default: the global fetch. */
  fetch?: typeof fetch;
}

type Service = 'subs-api' | 'www';

interface Answer {
  status: number;
  body: unknown;
}

class ZoneHttp {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly service: Service,
    private readonly options: ZoneClientOptions,
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

export class SubsApiClient implements SubsApiPort {
  private readonly http: ZoneHttp;
  constructor(options: ZoneClientOptions) {
    this.http = new ZoneHttp('subs-api', options);
  }
  zone(zoneId: string): Promise<ZoneRecord | null> {
    return this.http.zone(zoneId);
  }
}

export class WwwClient implements WwwPort {
  private readonly http: ZoneHttp;
  constructor(options: ZoneClientOptions) {
    this.http = new ZoneHttp('www', options);
  }

  zone(zoneId: string): Promise<ZoneRecord | null> {
    return this.http.zone(zoneId);
  }

  /** Conditional: www refuses (409) when the level is neither the expected one nor already the target. */
  async setPlanLevel(zoneId: string, planLevel: string, expectedPlanLevel: string): Promise<WwwWriteResult> {
    const path = `/v1/zones/${encodeURIComponent(zoneId)}/plan-level`;
    const answer = await this.http.request('PUT', path, { planLevel, expectedPlanLevel });
    if (answer.status === 200) return { status: 'written', zone: this.http.record('PUT', path, answer) };
    if (answer.status === 404 && this.http.errorCode(answer) === 'zone_not_found')
      return { status: 'not_found' };
    if (answer.status === 409) {
      const conflict = ConflictBody.safeParse(answer.body);
      if (conflict.success)
        return { status: 'conflict', currentPlanLevel: conflict.data.error.currentPlanLevel };
    }
    throw this.http.fail('PUT', path, answer);
  }
}

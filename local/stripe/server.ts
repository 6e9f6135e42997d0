import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { z } from 'zod';
import { closeServer, LOOPBACK, listenOnLoopback, sleep } from '../net.js';
import { applyExpand, route } from './api.js';
import { DASHBOARD_PATH, dashboardResponse, isDashboardPath } from './dashboard.js';
import { errors, StripeApiError } from './errors.js';
import { canonicalParams, type FormObject, FormParseError, parseForm } from './form.js';
import { type RateLimit, TokenBuckets } from './rate-limiter.js';
import { kindOfId } from './records.js';
import { renderById } from './render.js';
import type { StripeSeed } from './seed.js';
import { type StoreSnapshot, StripeStore } from './store.js';
import { eventTypeOf, previousAttributes, type WebhookEndpoint, WebhookSender } from './webhooks.js';

/** API version of the installed SDK; the server answers in that version's shapes. */
export const LOCAL_STRIPE_API_VERSION: string = Stripe.API_VERSION;

export type FaultKind = 'rate_limit' | 'api_error' | 'lock_timeout' | 'latency' | 'connection_reset';

export interface FaultRule {
  kind: FaultKind;
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Matched against the request path (no query), e.g. `^/v1/subscriptions/sub_1$`. */
  path: RegExp | string;
  /** How many matching requests the fault hits; default: every one. */
  times?: number;
  /** Let this many matching requests through before the fault starts. Default 0. */
  skip?: number;
  /**
   * Hit only every n-th matching request after `skip` (1 = every one, the default): a steady, reproducible
   * fault rate across a whole run (the chaos run, local/chaos/) rather than a burst.
   */
  every?: number;
  /** For `latency`: milliseconds added before the request is handled. */
  latencyMs?: number;
  /**
   * `before` (default): the request fails without executing. `after`: the request executes (a write is
   * applied and its idempotent result saved) and then the response is replaced by the fault — the
   * "Stripe applied it but the caller never heard" case.
   */
  phase?: 'before' | 'after';
  /** Value of the `Stripe-Should-Retry` header. Default: true for lock_timeout, absent otherwise. */
  shouldRetry?: boolean;
}

export interface FaultHandle {
  readonly id: string;
  /** How many requests this fault has hit so far. */
  fired(): number;
  remove(): void;
}

interface ActiveFault {
  id: string;
  rule: FaultRule;
  pathRe: RegExp;
  matched: number;
  fired: number;
}

/** One entry of the request log, readable in-process or at `GET /_admin/requests`. */
export interface StripeRequestRecord {
  seq: number;
  requestId: string;
  method: string;
  path: string;
  /** The Stripe object the path names (`/v1/subscriptions/sub_1` -> `sub_1`), if any. */
  objectId: string | null;
  idempotencyKey: string | null;
  /** HTTP status sent; 0 when the connection was reset instead. */
  status: number;
  /** Stripe error type/code when the answer was an error. */
  error: { type: string; code?: string } | null;
  /** The injected fault that shaped this request, if any. */
  fault: FaultKind | null;
  /** The answer was an idempotent replay of an earlier request. */
  replayed: boolean;
  /** A non-GET request whose endpoint executed successfully: it changed state (or would have). */
  applied: boolean;
  params: FormObject;
  /** Milliseconds since the epoch. */
  timestamp: number;
  durationMs: number;
}

export interface RequestFilter {
  method?: string;
  objectId?: string;
  path?: RegExp | string;
  idempotencyKey?: string;
}

interface IdempotentResult {
  fingerprint: string;
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string;
}

export interface LocalStripeOptions {
  /** Default: a free loopback port. */
  port?: number;
  seed?: StripeSeed;
  /** Clock in Unix seconds for the store (periods, previews, cancel times). */
  now?: () => number;
  /** Requests to keep in the log (oldest dropped first). Default 100 000. */
  maxLogEntries?: number;
  /** Stripe-like rate limits (requests per rolling second); none by default. Test mode is 25/s. */
  rateLimit?: RateLimit;
  /** Where change events are sent, signed (webhooks.ts); more can be added with `addWebhookEndpoint`. */
  webhookEndpoints?: readonly WebhookEndpoint[];
  webhookRetryDelaysMs?: readonly number[];
}

/** Config for `new Stripe(key, config)` that points the real SDK at this server. */
export interface LocalStripeClientConfig {
  host: string;
  port: number;
  protocol: 'http';
}

const RateLimitJson = z.strictObject({
  readsPerSecond: z.number().positive().max(100_000).optional(),
  writesPerSecond: z.number().positive().max(100_000).optional(),
});

const FaultRuleJson = z.strictObject({
  kind: z.enum(['rate_limit', 'api_error', 'lock_timeout', 'latency', 'connection_reset']),
  method: z.string().optional(),
  path: z.string(),
  times: z.number().int().positive().optional(),
  skip: z.number().int().nonnegative().optional(),
  every: z.number().int().positive().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  phase: z.enum(['before', 'after']).optional(),
  shouldRetry: z.boolean().optional(),
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function objectIdOf(path: string): string | null {
  for (const segment of path.split('/')) {
    if (segment.includes('_') && kindOfId(segment) !== undefined) return segment;
  }
  return null;
}

/**
 * A stateful Stripe API on loopback for the real `stripe` SDK (`new Stripe(key, server.clientConfig())`).
 * Test control in-process (this object) or over HTTP under `/_admin/` (see docs/local-stack.md).
 */
export class LocalStripeServer {
  readonly store: StripeStore;
  private readonly server: Server;
  private faults: ActiveFault[] = [];
  private log: StripeRequestRecord[] = [];
  private seq = 0;
  private faultSeq = 0;
  private readonly idempotency = new Map<string, IdempotentResult>();
  private readonly maxLogEntries: number;
  private rateLimit: RateLimit;
  private buckets: TokenBuckets;
  private port = 0;
  /** Signed change events to the configured endpoints, as Stripe's webhooks send them. */
  readonly webhooks: WebhookSender;

  constructor(options: LocalStripeOptions = {}) {
    this.store = new StripeStore(options.now ? { now: options.now } : {});
    this.maxLogEntries = options.maxLogEntries ?? 100_000;
    this.rateLimit = options.rateLimit ?? {};
    this.buckets = new TokenBuckets(this.rateLimit, Date.now());
    this.webhooks = new WebhookSender(
      options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {},
    );
    for (const endpoint of options.webhookEndpoints ?? []) this.webhooks.addEndpoint(endpoint);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({ error: { type: 'api_error', message: `local Stripe API bug: ${String(err)}` } }),
          );
        }
      });
    });
    // The SDK keeps connections alive; don't let idle sockets hold stop() up.
    this.server.keepAliveTimeout = 5000;
  }

  async listen(port = 0): Promise<this> {
    this.port = await listenOnLoopback(this.server, port);
    return this;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  /** Base of the local stand-in for the Stripe dashboard's object pages (dashboard.ts), e.g. for STRIPE_DASHBOARD_URL. */
  get dashboardUrl(): string {
    return `${this.url}${DASHBOARD_PATH}`;
  }

  get host(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  clientConfig(): LocalStripeClientConfig {
    return { host: LOOPBACK, port: this.port, protocol: 'http' };
  }

  addWebhookEndpoint(endpoint: WebhookEndpoint): void {
    this.webhooks.addEndpoint(endpoint);
  }

  async stop(): Promise<void> {
    await this.webhooks.stop();
    await closeServer(this.server);
  }

  // ---- in-process control ----

  seed(seed: StripeSeed): { counts: Record<string, number> } {
    return this.store.seed(seed);
  }

  /** Empties objects, faults, the request log and saved idempotent results. */
  reset(): void {
    this.store.reset();
    this.faults = [];
    this.log = [];
    this.idempotency.clear();
  }

  snapshot(): StoreSnapshot {
    return this.store.snapshot();
  }

  injectFault(rule: FaultRule): FaultHandle {
    this.faultSeq += 1;
    const fault: ActiveFault = {
      id: `fault_${this.faultSeq}`,
      rule,
      pathRe: typeof rule.path === 'string' ? new RegExp(rule.path) : rule.path,
      matched: 0,
      fired: 0,
    };
    this.faults.push(fault);
    return {
      id: fault.id,
      fired: () => fault.fired,
      remove: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  /** Replaces the rate limits (`{}` removes them); the buckets start full. */
  setRateLimit(limit: RateLimit): void {
    this.rateLimit = limit;
    this.buckets = new TokenBuckets(limit, Date.now());
  }

  /** The rate limits in force. */
  getRateLimit(): RateLimit {
    return { ...this.rateLimit };
  }

  clearFaults(): void {
    this.faults = [];
  }

  listFaults(): Array<FaultRule & { id: string; fired: number }> {
    return this.faults.map((f) => ({
      ...f.rule,
      path: f.pathRe.source,
      id: f.id,
      fired: f.fired,
    }));
  }

  requests(filter: RequestFilter = {}): StripeRequestRecord[] {
    const pathRe =
      filter.path === undefined
        ? undefined
        : typeof filter.path === 'string'
          ? new RegExp(filter.path)
          : filter.path;
    return this.log.filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method.toUpperCase()) &&
        (filter.objectId === undefined || r.objectId === filter.objectId) &&
        (filter.idempotencyKey === undefined || r.idempotencyKey === filter.idempotencyKey) &&
        (pathRe === undefined || pathRe.test(r.path)),
    );
  }

  /** Requests that changed state: non-GET, executed, succeeded, not replays. */
  writes(filter: RequestFilter = {}): StripeRequestRecord[] {
    return this.requests(filter).filter((r) => r.applied);
  }

  clearRequests(): void {
    this.log = [];
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    if (url.pathname.startsWith('/_admin/')) {
      await this.handleAdmin(method, url, body, res);
      return;
    }
    // Pages a browser follows from a link: no API key, no rate limit or faults, not in the request log.
    if (isDashboardPath(url.pathname)) {
      const page = dashboardResponse(this.store, method, url.pathname);
      res.writeHead(page.status, page.headers);
      res.end(page.body);
      return;
    }

    const requestId = `req_${randomUUID().replace(/-/g, '').slice(0, 14)}`;
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = (Array.isArray(keyHeader) ? keyHeader[0] : keyHeader) ?? null;
    const record: StripeRequestRecord = {
      seq: ++this.seq,
      requestId,
      method,
      path: url.pathname,
      objectId: objectIdOf(url.pathname),
      idempotencyKey,
      status: 0,
      error: null,
      fault: null,
      replayed: false,
      applied: false,
      params: {},
      timestamp: started,
      durationMs: 0,
    };
    this.log.push(record);
    if (this.log.length > this.maxLogEntries) this.log.splice(0, this.log.length - this.maxLogEntries);

    const baseHeaders: Record<string, string> = {
      'Content-Type': 'application/json',
      'Request-Id': requestId,
      'Stripe-Version': String(req.headers['stripe-version'] ?? LOCAL_STRIPE_API_VERSION),
    };
    if (idempotencyKey !== null) baseHeaders['Idempotency-Key'] = idempotencyKey;
    const send = (status: number, payload: string, headers: Record<string, string> = {}) => {
      record.status = status;
      record.durationMs = Date.now() - started;
      res.writeHead(status, { ...baseHeaders, ...headers });
      res.end(payload);
    };
    const sendError = (err: StripeApiError) => {
      record.error = { type: err.body.type, ...(err.body.code ? { code: err.body.code } : {}) };
      send(err.status, JSON.stringify(err.toJSON()), err.headers);
    };
    const reset = () => {
      record.status = 0;
      record.durationMs = Date.now() - started;
      req.socket.destroy();
    };

    try {
      record.params = parseForm(method === 'POST' ? body : url.search.slice(1));
    } catch (err) {
      if (err instanceof FormParseError) {
        sendError(errors.invalid(err.message, err.param));
        return;
      }
      throw err;
    }

    const auth = this.checkAuth(req);
    if (auth instanceof StripeApiError) {
      sendError(auth);
      return;
    }

    // Like Stripe's limiter: refused before anything executes, nothing saved, the SDK does not retry.
    if (!this.buckets.take(TokenBuckets.kindOf(method), Date.now())) {
      record.fault = 'rate_limit';
      sendError(errors.rateLimit(undefined));
      return;
    }

    const fault = await this.matchFaults(method, url.pathname, record);
    if (fault && (fault.rule.phase ?? 'before') === 'before') {
      if (fault.rule.kind === 'connection_reset') reset();
      else sendError(this.faultError(fault.rule));
      return;
    }

    const routed = route(method, url.pathname);
    if (!routed) {
      sendError(errors.notFound(method, url.pathname));
      return;
    }

    // Idempotency applies to writes (Stripe: POST; DELETE too here, so a replayed cancel is safe).
    const idemKey =
      method !== 'GET' && idempotencyKey !== null ? `${auth}\u0000${idempotencyKey}` : undefined;
    const fingerprint = `${method} ${url.pathname} ${canonicalParams(record.params)}`;
    if (idemKey !== undefined) {
      const saved = this.idempotency.get(idemKey);
      if (saved) {
        if (saved.fingerprint !== fingerprint) {
          sendError(errors.idempotencyMismatch(idempotencyKey as string));
          return;
        }
        record.replayed = true;
        const parsed = JSON.parse(saved.body) as { error?: { type: string; code?: string } };
        if (parsed.error) record.error = parsed.error;
        const replay = () =>
          send(saved.status, saved.body, {
            ...saved.headers,
            'Idempotent-Replayed': 'true',
            'Original-Request': saved.requestId,
          });
        this.finishWithFault(fault, replay, sendError, reset);
        return;
      }
    }

    let status = 200;
    let payload: string;
    let headers: Record<string, string> = {};
    let executed = true;
    const before = method !== 'GET' ? this.renderQuietly(record.objectId) : undefined;
    try {
      const result = routed.endpoint.handler(this.store, { params: record.params, path: routed.path });
      const expand = record.params.expand;
      const expanded = applyExpand(
        this.store,
        result,
        Array.isArray(expand) ? (expand as string[]) : undefined,
      );
      payload = JSON.stringify(expanded);
      if (method !== 'GET') record.applied = true;
      if (method !== 'GET' && before !== undefined) this.emitChange(method, record, before, idempotencyKey);
    } catch (err) {
      if (!(err instanceof StripeApiError)) throw err;
      status = err.status;
      payload = JSON.stringify(err.toJSON());
      headers = err.headers;
      executed = !err.beforeExecution;
      record.error = { type: err.body.type, ...(err.body.code ? { code: err.body.code } : {}) };
    }
    // A create_preview computes, it does not write: never count it as a write.
    if (url.pathname === '/v1/invoices/create_preview') record.applied = false;
    // Stripe saves a result only once the endpoint began executing: parameters refused on their shape
    // leave the key free for a corrected retry.
    if (idemKey !== undefined && executed) {
      this.idempotency.set(idemKey, { fingerprint, status, body: payload, headers, requestId });
    }
    this.finishWithFault(fault, () => send(status, payload, headers), sendError, reset);
  }

  private renderQuietly(objectId: string | null): unknown {
    if (objectId === null || this.webhooks.endpointCount === 0) return undefined;
    try {
      return renderById(this.store, objectId);
    } catch {
      return undefined;
    }
  }

  /** The event Stripe sends for a write that changed an object (none when nothing changed). */
  private emitChange(
    method: string,
    record: StripeRequestRecord,
    before: unknown,
    idempotencyKey: string | null,
  ): void {
    const after = this.renderQuietly(record.objectId);
    const objectType = (after as { object?: string } | undefined)?.object;
    const type = objectType ? eventTypeOf(objectType, method, after) : null;
    const previous = previousAttributes(before, after);
    if (type === null || Object.keys(previous).length === 0) return;
    this.webhooks.emit({
      api_version: LOCAL_STRIPE_API_VERSION,
      created: this.store.now(),
      type,
      request: { id: record.requestId, idempotency_key: idempotencyKey },
      data: { object: after, previous_attributes: previous },
    });
  }

  private finishWithFault(
    fault: ActiveFault | undefined,
    deliver: () => void,
    sendError: (err: StripeApiError) => void,
    reset: () => void,
  ): void {
    if (!fault) {
      deliver();
      return;
    }
    if (fault.rule.kind === 'connection_reset') reset();
    else sendError(this.faultError(fault.rule));
  }

  private faultError(rule: FaultRule): StripeApiError {
    switch (rule.kind) {
      case 'rate_limit':
        return errors.rateLimit(rule.shouldRetry);
      case 'lock_timeout':
        return errors.lockTimeout(rule.shouldRetry);
      default:
        return errors.apiError(rule.shouldRetry);
    }
  }

  /** Applies latency faults and returns the first terminal fault that hits this request. */
  private async matchFaults(
    method: string,
    path: string,
    record: StripeRequestRecord,
  ): Promise<ActiveFault | undefined> {
    let terminal: ActiveFault | undefined;
    let delay = 0;
    for (const fault of this.faults) {
      const { rule } = fault;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
      if (!fault.pathRe.test(path)) continue;
      if (rule.kind !== 'latency' && terminal) continue;
      fault.matched += 1;
      if (fault.matched <= (rule.skip ?? 0)) continue;
      if ((fault.matched - (rule.skip ?? 0)) % (rule.every ?? 1) !== 0) continue;
      if (rule.times !== undefined && fault.fired >= rule.times) continue;
      fault.fired += 1;
      record.fault = rule.kind;
      if (rule.kind === 'latency') delay += rule.latencyMs ?? 0;
      else terminal = fault;
    }
    if (terminal) record.fault = terminal.rule.kind;
    if (delay > 0) await sleep(delay);
    return terminal;
  }

  private checkAuth(req: IncomingMessage): string | StripeApiError {
    const header = req.headers.authorization;
    if (!header) {
      return errors.unauthorized(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    let key = '';
    if (header.startsWith('Bearer ')) key = header.slice(7).trim();
    else if (header.startsWith('Basic '))
      key = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';
    if (!/^(sk|rk)_test_\w+$/.test(key)) {
      const shown = key.length > 8 ? `${key.slice(0, 8)}${'*'.repeat(Math.min(12, key.length - 8))}` : key;
      return errors.unauthorized(
        `Invalid API Key provided: ${shown} (the local Stripe API accepts any sk_test_ key).`,
      );
    }
    return key;
  }

  // ---- admin surface ----

  private async handleAdmin(method: string, url: URL, body: string, res: ServerResponse): Promise<void> {
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const bodyJson = (): unknown => (body === '' ? {} : JSON.parse(body));
    try {
      const path = url.pathname;
      if (path === '/_admin/health' && method === 'GET') return json(200, { ok: true });
      if (path === '/_admin/seed' && method === 'POST') return json(200, this.seed(bodyJson() as StripeSeed));
      if (path === '/_admin/reset' && method === 'POST') {
        this.reset();
        return json(200, { ok: true });
      }
      if (path === '/_admin/snapshot' && method === 'GET') return json(200, this.snapshot());
      if (path === '/_admin/requests' && method === 'GET') {
        const q = url.searchParams;
        const filter: RequestFilter = {};
        if (q.has('method')) filter.method = q.get('method') as string;
        if (q.has('objectId')) filter.objectId = q.get('objectId') as string;
        if (q.has('path')) filter.path = q.get('path') as string;
        if (q.has('idempotencyKey')) filter.idempotencyKey = q.get('idempotencyKey') as string;
        const rows = q.get('writes') === 'true' ? this.writes(filter) : this.requests(filter);
        return json(200, { data: rows });
      }
      if (path === '/_admin/requests' && method === 'DELETE') {
        this.clearRequests();
        return json(200, { ok: true });
      }
      if (path === '/_admin/rate-limit' && method === 'GET') return json(200, this.getRateLimit());
      if (path === '/_admin/rate-limit' && method === 'PUT') {
        const parsed = RateLimitJson.safeParse(bodyJson());
        if (!parsed.success)
          return json(400, {
            error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          });
        this.setRateLimit(parsed.data);
        return json(200, this.getRateLimit());
      }
      if (path === '/_admin/faults' && method === 'GET') return json(200, { data: this.listFaults() });
      if (path === '/_admin/faults' && method === 'POST') {
        const parsed = FaultRuleJson.safeParse(bodyJson());
        if (!parsed.success)
          return json(400, {
            error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          });
        const handle = this.injectFault(parsed.data as FaultRule);
        return json(200, { id: handle.id });
      }
      if (path === '/_admin/faults' && method === 'DELETE') {
        this.clearFaults();
        return json(200, { ok: true });
      }
      const faultMatch = /^\/_admin\/faults\/(fault_\d+)$/.exec(path);
      if (faultMatch && method === 'DELETE') {
        const before = this.faults.length;
        this.faults = this.faults.filter((f) => f.id !== faultMatch[1]);
        return json(before === this.faults.length ? 404 : 200, { ok: before !== this.faults.length });
      }
      return json(404, { error: `unknown admin endpoint ${method} ${path}` });
    } catch (err) {
      return json(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** Starts a local Stripe API on loopback (a free port unless one is given), optionally seeded. */
export async function startLocalStripe(options: LocalStripeOptions = {}): Promise<LocalStripeServer> {
  const server = new LocalStripeServer(options);
  if (options.seed) server.seed(options.seed);
  return server.listen(options.port ?? 0);
}

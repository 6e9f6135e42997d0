import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { HttpError } from '../http.js';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.js';
import { JiraApiError, jiraErrors } from './errors.js';
import {
  DEFAULT_PROJECTS,
  IssueSeedError,
  IssueStore,
  type JiraIssue,
  type JiraIssueSeed,
  type JiraProject,
  type JiraSeed,
} from './issues.js';
import { type SearchPage, type SearchParams, searchIssues } from './search.js';

/**
 * Local stand-in for the part of Jira Cloud's REST API v3 a client (jira.js) uses to read tickets:
 *
 *   GET  /rest/api/3/search/jql?jql=&nextPageToken=&maxResults=&fields=   (fields repeatable, comma lists)
 *   POST /rest/api/3/search/jql  {jql, nextPageToken, maxResults, fields: string[]}
 *     -> 200 {issues: [{id, key, self, fields}], nextPageToken?, isLast}   (search.ts, fields.ts, jql.ts)
 *   /rest/api/3/search (the removed old search) -> 410, as Jira Cloud answers it.
 *
 * Every API request needs HTTP Basic `email:api_token` matching one of `tokens` (default
 * DEV_JIRA_CREDENTIALS), else 401. Errors carry Jira's body `{"errorMessages": [...], "errors": {}}`.
 * Throttling: `rateLimit.requestsPerSecond` (rolling second) and injected faults answer 429 with
 * Retry-After (seconds), X-RateLimit-Limit, X-RateLimit-Remaining: 0, X-RateLimit-Reset (ISO 8601) and
 * RateLimit-Reason, as Jira Cloud does; a 503 fault may carry Retry-After.
 *
 * Admin (tests, the local stack; errors as `{error: {code, message}}` like the other stand-ins):
 *   POST /_admin/seed {issues}   add or replace issues by key (400 invalid_seed, nothing changed)
 *   POST /_admin/reset           empty issues, faults and the request log
 *   GET  /_admin/issues          every stored record, in-process-only properties included
 *   POST /_admin/issues          add one issue (409 issue_exists when its key is taken)
 *   POST /_admin/faults {status: 429|503, count?, retryAfterSeconds?, reason?}, DELETE /_admin/faults
 *   GET  /_admin/requests, DELETE /_admin/requests   the API request log (admin calls are not logged)
 */

export interface JiraCredentials {
  email: string;
  token: string;
}

/** What a LocalJira accepts when given no `tokens`; local use only. */
export const DEV_JIRA_CREDENTIALS: JiraCredentials = {
  email: 'dev@example.com',
  token: 'local-jira-dev-token',
};

/** The Authorization header value for `credentials` (Jira Cloud's Basic email:api_token scheme). */
export function basicAuth(credentials: JiraCredentials = DEV_JIRA_CREDENTIALS): string {
  return `Basic ${Buffer.from(`${credentials.email}:${credentials.token}`).toString('base64')}`;
}

export interface JiraRateLimit {
  requestsPerSecond: number;
}

const JiraFaultSchema = z.strictObject({
  status: z.union([z.literal(429), z.literal(503)]),
  /** How many API requests the fault answers. */
  count: z.number().int().positive().default(1),
  /** Retry-After in seconds; a 429 always sends one (default 1), a 503 only when given. */
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  /** RateLimit-Reason of a 429. */
  reason: z.string().min(1).default('jira-burst-based'),
});
export type JiraFault = z.input<typeof JiraFaultSchema>;
type ActiveFault = z.output<typeof JiraFaultSchema>;

/** One API request, readable in process (`requests()`) or at GET /_admin/requests. */
export interface JiraRequestRecord {
  seq: number;
  method: string;
  path: string;
  status: number;
  jql: string | null;
  nextPageToken: string | null;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface LocalJiraOptions {
  /** Default: a free loopback port. */
  port?: number;
  issues?: JiraIssueSeed[];
  /** Accepted Basic credentials; default [DEV_JIRA_CREDENTIALS]. */
  tokens?: readonly JiraCredentials[];
  /** Default DEFAULT_PROJECTS (BILL, CUSTESC). */
  projects?: readonly JiraProject[];
  /** None by default. */
  rateLimit?: JiraRateLimit;
}

const SEARCH_PATH = '/rest/api/3/search/jql';
const REMOVED_SEARCH_PATHS = new Set(['/rest/api/3/search', '/rest/api/2/search']);
/** X-RateLimit-Limit of an injected 429 when no rate limit is configured. */
const NOMINAL_LIMIT = 100;

const SearchBodySchema = z.strictObject({
  jql: z.string().optional(),
  nextPageToken: z.string().nullish(),
  maxResults: z.number().optional(),
  fields: z.array(z.string()).optional(),
  // Part of Jira's request bean; accepted and ignored (the local Jira has no expansions or properties).
  expand: z.string().optional(),
  properties: z.array(z.string()).optional(),
  fieldsByKeys: z.boolean().optional(),
  failFast: z.boolean().optional(),
  reconcileIssues: z.array(z.number()).optional(),
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function getSearchParams(url: URL): SearchParams {
  const q = url.searchParams;
  const raw = q.get('maxResults');
  if (raw !== null && !/^-?\d+$/.test(raw))
    throw jiraErrors.badRequest(`The value '${raw}' of maxResults is not a number.`);
  return {
    jql: q.get('jql') ?? '',
    nextPageToken: q.get('nextPageToken'),
    ...(raw === null ? {} : { maxResults: Number(raw) }),
    fields: q.getAll('fields'),
  };
}

function postSearchParams(text: string): SearchParams {
  const json = parseJson(text);
  const parsed = json.ok ? SearchBodySchema.safeParse(json.value) : undefined;
  if (!parsed?.success) throw jiraErrors.invalidPayload();
  const { jql, nextPageToken, maxResults, fields } = parsed.data;
  return { jql: jql ?? '', nextPageToken, ...(maxResults === undefined ? {} : { maxResults }), fields };
}

export class LocalJira {
  private readonly store: IssueStore;
  private readonly server: Server;
  private readonly tokens: readonly JiraCredentials[];
  private rateLimit: JiraRateLimit | undefined;
  /** Arrival times (ms) of the API requests let through in the last second. */
  private recent: number[] = [];
  private faults: ActiveFault[] = [];
  private log: JiraRequestRecord[] = [];
  private seq = 0;
  private port = 0;

  constructor(options: LocalJiraOptions = {}) {
    this.store = new IssueStore(options.projects ?? DEFAULT_PROJECTS);
    this.tokens = options.tokens ?? [DEV_JIRA_CREDENTIALS];
    this.rateLimit = options.rateLimit;
    if (options.issues) this.seed({ issues: options.issues });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent)
          this.send(res, 500, { errorMessages: [`local Jira bug: ${String(err)}`], errors: {} });
      });
    });
  }

  async listen(port = 0): Promise<this> {
    this.port = await listenOnLoopback(this.server, port);
    return this;
  }

  /** The site URL, what a client takes as its host (`http://127.0.0.1:PORT`). */
  get url(): string {
    return `http://${LOOPBACK}:${this.port}`;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  // ---- in-process control ----

  /** Adds or replaces issues by key; throws IssueSeedError (nothing changed) when any is invalid. */
  seed(seed: JiraSeed): { issues: number } {
    return { issues: this.store.seed(seed) };
  }

  /** Adds one issue; throws IssueSeedError (`reason: 'conflict'` when the key exists). */
  addIssue(issue: JiraIssueSeed): JiraIssue {
    return this.store.add(issue);
  }

  /** Every stored record in key order, intendedAtom and cause included. */
  issues(): JiraIssue[] {
    return this.store.all();
  }

  /** Empties issues, faults and the request log (the rate limit setting stays). */
  reset(): void {
    this.store.reset();
    this.faults = [];
    this.log = [];
    this.recent = [];
  }

  /** Queues a fault: the next `count` API requests (after auth) get its status. Throws on a bad fault. */
  injectFault(fault: JiraFault): void {
    this.faults.push(JiraFaultSchema.parse(fault));
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Replaces the rate limit (undefined removes it). */
  setRateLimit(limit: JiraRateLimit | undefined): void {
    this.rateLimit = limit;
    this.recent = [];
  }

  requests(): JiraRequestRecord[] {
    return this.log.map((r) => ({ ...r }));
  }

  clearRequests(): void {
    this.log = [];
  }

  // ---- HTTP ----

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    const text = await readBody(req);
    if (url.pathname.startsWith('/_admin/')) {
      this.handleAdmin(method, url, text, res);
      return;
    }
    const record = this.record(method, url, text);
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      if (!this.authorized(req)) throw jiraErrors.unauthorized();
      const throttled = this.takeFault() ?? this.overRateLimit();
      if (throttled) throw throttled;
      body = this.route(method, url, text);
      headers = this.rateLimitHeaders();
    } catch (err) {
      if (!(err instanceof JiraApiError)) throw err;
      status = err.status;
      body = err.body();
      headers = err.headers;
    }
    record.status = status;
    this.send(res, status, body, headers);
  }

  /** Logs the request with its JQL and page token (read leniently: the log keeps even a refused request). */
  private record(method: string, url: URL, text: string): JiraRequestRecord {
    let jql = url.searchParams.get('jql');
    let nextPageToken = url.searchParams.get('nextPageToken');
    const json = method === 'POST' ? parseJson(text) : undefined;
    if (json?.ok && typeof json.value === 'object' && json.value !== null) {
      const b = json.value as { jql?: unknown; nextPageToken?: unknown };
      jql = typeof b.jql === 'string' ? b.jql : null;
      nextPageToken = typeof b.nextPageToken === 'string' ? b.nextPageToken : null;
    }
    const record: JiraRequestRecord = {
      seq: ++this.seq,
      method,
      path: url.pathname,
      status: 0,
      jql,
      nextPageToken,
      timestamp: Date.now(),
    };
    this.log.push(record);
    return record;
  }

  private route(method: string, url: URL, text: string): SearchPage {
    const path = url.pathname.replace(/\/+$/, '');
    if (REMOVED_SEARCH_PATHS.has(path)) throw jiraErrors.searchRemoved();
    if (path !== SEARCH_PATH) throw jiraErrors.notFound(method, url.pathname);
    let params: SearchParams;
    if (method === 'GET') params = getSearchParams(url);
    else if (method === 'POST') params = postSearchParams(text);
    else throw jiraErrors.methodNotAllowed(method, url.pathname);
    return searchIssues(this.store, params, (id) => `${this.url}/rest/api/3/issue/${id}`);
  }

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return false;
    const email = decoded.slice(0, colon).toLowerCase();
    const token = decoded.slice(colon + 1);
    return this.tokens.some((t) => t.email.toLowerCase() === email && t.token === token);
  }

  private throttle(retryAfterSeconds: number, reason: string): JiraApiError {
    return new JiraApiError(429, ['Rate limit exceeded.'], {
      'Retry-After': String(retryAfterSeconds),
      'X-RateLimit-Limit': String(this.rateLimit?.requestsPerSecond ?? NOMINAL_LIMIT),
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': new Date(Date.now() + retryAfterSeconds * 1000).toISOString(),
      'RateLimit-Reason': reason,
    });
  }

  /** The error of the first queued fault, which is used up by one. */
  private takeFault(): JiraApiError | undefined {
    const fault = this.faults[0];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count === 0) this.faults.shift();
    if (fault.status === 429) return this.throttle(fault.retryAfterSeconds ?? 1, fault.reason);
    return new JiraApiError(
      503,
      ['Service Unavailable'],
      fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) },
    );
  }

  /** A 429 when the rolling second is full; otherwise counts the request. */
  private overRateLimit(): JiraApiError | undefined {
    if (!this.rateLimit) return undefined;
    const now = Date.now();
    this.recent = this.recent.filter((t) => t > now - 1000);
    if (this.recent.length >= this.rateLimit.requestsPerSecond) {
      const waitMs = (this.recent[0] as number) + 1000 - now;
      return this.throttle(Math.max(1, Math.ceil(waitMs / 1000)), 'jira-burst-based');
    }
    this.recent.push(now);
    return undefined;
  }

  /** Jira sends the limit and what is left of it on ordinary answers too. */
  private rateLimitHeaders(): Record<string, string> {
    if (!this.rateLimit) return {};
    return {
      'X-RateLimit-Limit': String(this.rateLimit.requestsPerSecond),
      'X-RateLimit-Remaining': String(Math.max(0, this.rateLimit.requestsPerSecond - this.recent.length)),
    };
  }

  // ---- admin ----

  private handleAdmin(method: string, url: URL, text: string, res: ServerResponse): void {
    try {
      const json = parseJson(text);
      if (!json.ok) throw new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
      this.send(res, 200, this.adminRoute(method, url.pathname, json.value));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      this.send(res, err.status, { error: { code: err.code, message: err.message } });
    }
  }

  private adminRoute(method: string, path: string, body: unknown): unknown {
    const route = `${method} ${path}`;
    const guarded = <T>(code: string, fn: () => T): T => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof IssueSeedError)
          throw err.reason === 'conflict'
            ? new HttpError(409, 'issue_exists', err.message)
            : new HttpError(400, code, err.message);
        if (err instanceof z.ZodError) throw new HttpError(400, code, z.prettifyError(err));
        throw err;
      }
    };
    switch (route) {
      case 'POST /_admin/seed':
        return guarded('invalid_seed', () => this.seed(body as JiraSeed));
      case 'POST /_admin/reset':
        this.reset();
        return { ok: true };
      case 'GET /_admin/issues':
        return { issues: this.issues() };
      case 'POST /_admin/issues':
        return guarded('invalid_issue', () => this.addIssue(body as JiraIssueSeed));
      case 'POST /_admin/faults':
        guarded('invalid_fault', () => this.injectFault(body as JiraFault));
        return { ok: true };
      case 'DELETE /_admin/faults':
        this.clearFaults();
        return { ok: true };
      case 'GET /_admin/requests':
        return { requests: this.requests() };
      case 'DELETE /_admin/requests':
        this.clearRequests();
        return { ok: true };
      default:
        throw new HttpError(404, 'not_found', `unknown admin endpoint ${route}`);
    }
  }
}

/** Starts a local Jira on loopback (a free port unless one is given), optionally seeded. */
export async function startLocalJira(options: LocalJiraOptions = {}): Promise<LocalJira> {
  return new LocalJira(options).listen(options.port ?? 0);
}

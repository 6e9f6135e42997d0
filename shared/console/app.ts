import { Id } from '../domain/common.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { failureOf } from '../pipeline/failures.js';
import { NotAuthenticatedError, UpstreamError } from '../ports/errors.js';
import type { VerifiedIdentity } from '../ports/index.js';
import { accountReport } from '../support/account-report.js';
import { type Html, html } from './html.js';
import { page, STYLESHEET, STYLESHEET_PATH } from './layout.js';
import { accountHref, accountPage } from './pages/account.js';
import { runPage, runsPage } from './pages/runs.js';
import { homePage, type SearchResult, searchPage } from './pages/search.js';
import { trendsPage } from './pages/trends.js';
import { daysBetween, summariseRuns, trendsOf } from './summaries.js';

/**
 * The support console (docs/support.md): server-rendered pages for people, read-only. Every request is
 * verified as coming through IAP first; then a GET maps to one page. Nothing here writes: a live gather
 * reads every store and plans, and the console's Stripe port refuses writes (STRIPE_READ_ONLY).
 */

export type ConsoleDeps = Pick<
  PipelineDeps,
  | 'support'
  | 'identity'
  | 'consoleSettings'
  | 'lifecycle'
  | 'subsApi'
  | 'ope'
  | 'billingProd'
  | 'cfProd'
  | 'stripe'
  | 'control'
  | 'clock'
  | 'log'
>;

export interface ConsoleRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
  /** The `x-goog-iap-jwt-assertion` header (null: absent). */
  readonly assertion: string | null;
}

export interface ConsoleResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** No script, no framing, no referrer to Stripe or anywhere; styles only from here (inline SVG attributes). */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
/** Account ids as the stores hold them (hex, acc_…): no slash, space or control character reaches a read. */
const ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,254}$/;
const NOT_HEALED = ['blocked', 'needs_human', 'failed', 'stale', 'excluded', 'halted', 'dry_run'];
const NOT_HEALED_CAP = 200;

function respond(status: number, body: Html | string, extra: Record<string, string> = {}): ConsoleResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra },
    body: String(body),
  };
}

/** C0 and C1 control characters (and DEL): never part of an id a person searches for. */
function hasControlCharacter(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** A path segment decoded, or null when its %-escapes are malformed (a 400, never a 500). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function single(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** Days back from a `days` query value: one of the offered spans, else the default. */
function daysParam(value: unknown, fallback: number): number {
  const n = Number(single(value));
  return Number.isInteger(n) && n >= 1 && n <= 180 ? n : fallback;
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function minus(d: Date, days: number): Date {
  return new Date(d.getTime() - days * 86_400_000);
}

async function search(
  deps: ConsoleDeps,
  q: string,
): Promise<{ results: SearchResult[]; problems: string[] }> {
  const results: SearchResult[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const push = (accountId: string, via: string) => {
    if (seen.has(accountId)) return;
    seen.add(accountId);
    results.push({ accountId, via });
  };
  const tryRead = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      const f = failureOf(error);
      problems.push(`${what} could not be searched: ${f.code}`);
      return undefined;
    }
  };
  if (q.startsWith('cus_')) {
    for (const a of (await tryRead('subs-api', () => deps.subsApi.accountsOfCustomer(q))) ?? [])
      push(a, 'Stripe customer');
    return { results, problems };
  }
  const [live, zoneLive, zoneAudit, prefix] = await Promise.all([
    tryRead('subs-api', () => deps.subsApi.account(q)),
    tryRead('subs-api zones', () => deps.subsApi.zone(q)),
    deps.support.accountsOfZone(q),
    deps.support.accountsLike(q, 20),
  ]);
  if (live !== undefined && live !== null) push(q, 'account');
  if (prefix.includes(q)) push(q, 'account');
  if (zoneLive) push(zoneLive.accountId, 'zone');
  for (const a of zoneAudit) push(a, 'zone');
  for (const a of prefix) push(a, 'account id starts with');
  return { results, problems };
}

async function route(
  deps: ConsoleDeps,
  req: ConsoleRequest,
  who: VerifiedIdentity,
): Promise<ConsoleResponse> {
  const now = deps.clock.now();
  const frame = (title: string, body: Html, q?: string) =>
    page({
      title,
      identity: who,
      generatedAt: now.toISOString(),
      body,
      ...(q === undefined ? {} : { query: q }),
    });
  const path = req.path.replace(/\/+$/, '') || '/';

  if (path === '/') {
    const counts = await deps.support.runOutcomes({
      fromDate: isoDay(minus(now, 7)),
      toDate: isoDay(now),
      trigger: 'scheduled',
    });
    return respond(200, frame('Home', homePage(summariseRuns(counts).slice(0, 8))));
  }

  if (path === '/search') {
    const q = (single(req.query.q) ?? '').trim();
    if (q.length === 0 || q.length > 255 || hasControlCharacter(q))
      return respond(
        400,
        frame(
          'Search',
          html`<h1>Search</h1><p id="bad-query">Type an account id, a Stripe customer id (cus_…) or a zone id (1 to 255 characters).</p>`,
        ),
      );
    const { results, problems } = await search(deps, q);
    const exact = results.filter((r) => r.via !== 'account id starts with');
    if (exact.length === 1 && problems.length === 0 && exact[0])
      return respond(303, '', { location: accountHref(exact[0].accountId) });
    return respond(200, frame(`Search ${q}`, searchPage(q, results, problems), q));
  }

  const account = /^\/accounts\/([^/]+)$/.exec(path);
  if (account) {
    const decoded = decodeSegment(account[1] ?? '');
    const id = Id.safeParse(decoded !== null && ACCOUNT_ID.test(decoded) ? decoded : null);
    if (!id.success) return respond(400, frame('Account', html`<h1>Account</h1><p>Not an account id.</p>`));
    const report = await accountReport(deps, id.data, {
      // A HEAD asks whether the page is there, not for a live read of every store.
      live: single(req.query.live) === '1' && req.method === 'GET',
      dashboardBase: deps.consoleSettings.stripeDashboardUrl,
    });
    return respond(200, frame(`Account ${id.data}`, accountPage(report), id.data));
  }

  if (path === '/runs') {
    const days = daysParam(req.query.days, 30);
    const counts = await deps.support.runOutcomes({
      fromDate: isoDay(minus(now, days - 1)),
      toDate: isoDay(now),
      trigger: 'scheduled',
    });
    return respond(200, frame('Nightly runs', runsPage(summariseRuns(counts), days)));
  }

  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) {
    const runId = decodeSegment(run[1] ?? '');
    if (runId === null || !RUN_ID.test(runId))
      return respond(400, frame('Run', html`<h1>Run</h1><p>Not a run id.</p>`));
    const [counts, restrictions, halts, notHealed] = await Promise.all([
      deps.support.runOutcomes({ runId }),
      deps.support.blockingRestrictions({ runId }),
      deps.support.runAttempts(runId, ['halted'], 50),
      // Persistent drift is excluded by design and can be most of a run: left out in the query, so the cap
      // never fills with it and hides the accounts support needs.
      deps.support.runAttempts(
        runId,
        NOT_HEALED.filter((o) => o !== 'halted'),
        NOT_HEALED_CAP,
        ['persistent_drift'],
      ),
    ]);
    return respond(
      200,
      frame(
        `Run ${runId}`,
        runPage({
          runId,
          summaries: summariseRuns(counts),
          restrictions: restrictions.map((r) => ({ restriction: r.restriction, count: r.count })),
          halts,
          notHealed,
          notHealedCap: NOT_HEALED_CAP,
        }),
      ),
    );
  }

  if (path === '/trends') {
    const days = daysParam(req.query.days, 30);
    const to = isoDay(now);
    const from = isoDay(minus(now, days - 1));
    const [daily, blocked] = await Promise.all([
      deps.support.dailyOutcomes(from, to),
      deps.support.blockingRestrictions({ fromDate: from, toDate: to }),
    ]);
    const trends = trendsOf(from, to, daily, blocked);
    if (trends.days.length !== daysBetween(from, to).length) throw new Error('trend days out of step');
    return respond(200, frame('Trends', await trendsPage(trends, days)));
  }

  return respond(
    404,
    frame('Not found', html`<h1>Not found</h1><p>No page at this address. <a href="/">Start again</a>.</p>`),
  );
}

export async function handleConsoleRequest(deps: ConsoleDeps, req: ConsoleRequest): Promise<ConsoleResponse> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return respond(405, 'The console is read-only: GET only.', {
      allow: 'GET, HEAD',
      'content-type': 'text/plain; charset=utf-8',
    });
  let who: VerifiedIdentity;
  try {
    who = await deps.identity.verify(req.assertion);
  } catch (error) {
    if (!(error instanceof NotAuthenticatedError)) throw error;
    deps.log.warn({ event: 'console_refused', code: error.code, path: req.path }, error.message);
    return respond(
      error.code === 'keys_unavailable' ? 503 : 401,
      'Not signed in through Identity-Aware Proxy: this console serves only people IAP lets through.',
      {
        'content-type': 'text/plain; charset=utf-8',
        ...(error.code === 'keys_unavailable' ? { 'retry-after': '30' } : {}),
      },
    );
  }
  if (req.path === STYLESHEET_PATH)
    return {
      status: 200,
      headers: { 'content-type': 'text/css; charset=utf-8', ...SECURITY_HEADERS },
      body: STYLESHEET,
    };
  try {
    const response = await route(deps, req, who);
    deps.log.info(
      { event: 'console_page', path: req.path, status: response.status, user: who.subject },
      'page',
    );
    return response;
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    deps.log.warn({ event: 'console_unavailable', path: req.path, err: error }, 'a store could not be read');
    return respond(
      503,
      page({
        title: 'Unavailable',
        identity: who,
        generatedAt: deps.clock.now().toISOString(),
        body: html`<h1>Try again in a moment</h1><p>${error.service} could not be read (${failureOf(error).code}). Nothing was changed.</p>`,
      }),
      { 'retry-after': '30' },
    );
  }
}

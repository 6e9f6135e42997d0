import escapeHtml from 'escape-html';
import { describe, expect, it, vi } from 'vitest';
import { type ConsoleResponse, handleConsoleRequest } from '../../../shared/console/app.js';
import { STYLESHEET } from '../../../shared/console/layout.js';
import type { RunContext } from '../../../shared/contracts/messages.js';
import type { AuditRecord } from '../../../shared/domain/audit.js';
import { type AuditInput, auditRecord } from '../../../shared/pipeline/audit.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { explainAccount } from '../../../shared/support/explain.js';
import { fakeDeps } from '../../support/fakes.js';
import { runContext } from '../../support/runs.js';
import { healthyView } from '../../support/views.js';

const USER = 'user:support@example.com';
const RUN = 'sched-stripe-2026-11-24';
const HALTED_RUN = 'sched-stripe-2026-11-23';
const XSS = '<script>alert(1)</script>';
/** An account id with quotes and markup in it (an Id: no white space at either end). */
const QUOTED = `acc_"q'<b>x`;

const ctx = (over: Partial<RunContext> = {}): RunContext => runContext({ runId: RUN, ...over });
let minute = 0;
const row = (input: Partial<AuditInput> & Pick<AuditInput, 'outcome' | 'stage'>): AuditRecord => {
  minute += 1;
  const at = new Date(Date.parse('2026-11-24T06:00:00Z') + minute * 60_000);
  return auditRecord({ run: ctx(), startedAt: at, finishedAt: at, ...input });
};

/** One nightly run with new, persistent and not-healed drift, and one that halted the night before. */
function history(): AuditRecord[] {
  return [
    row({ stage: 'detect', outcome: 'published', accountId: 'acc_1' }),
    row({
      stage: 'plan_apply',
      outcome: 'applied',
      accountId: 'acc_1',
      stripeWrites: 1,
      changeIds: ['chg_1'],
      result: { changes: [{ id: 'chg_1', target: 'sub_1' }] },
    }),
    row({ stage: 'detect', outcome: 'published', accountId: 'acc_2' }),
    row({
      stage: 'plan_apply',
      outcome: 'blocked',
      accountId: 'acc_2',
      restrictions: ['InvoiceDateTooNear'],
      reason: XSS,
    }),
    row({ stage: 'detect', outcome: 'excluded', accountId: 'acc_3', errorCode: 'persistent_drift' }),
    row({ stage: 'detect', outcome: 'published', accountId: QUOTED }),
    row({
      stage: 'plan_apply',
      outcome: 'needs_human',
      accountId: QUOTED,
      reason: `"><img src=x onerror=alert(2)>`,
    }),
    row({
      stage: 'www_resync',
      outcome: 'applied',
      accountId: 'acc_1',
      zoneId: 'zone_9',
      run: ctx({ system: 'www' }),
    }),
    auditRecord({
      run: ctx({ runId: HALTED_RUN, snapshotDate: '2026-11-23' }),
      stage: 'detect',
      outcome: 'halted',
      accountId: null,
      errorCode: 'kill_switch',
      reason: `<script>alert("halt")</script>`,
      startedAt: new Date('2026-11-23T06:00:00Z'),
      finishedAt: new Date('2026-11-23T06:00:00Z'),
    }),
  ];
}

function setup() {
  const f = fakeDeps(healthyView());
  f.support.rows.push(...history());
  f.support.tickets.push({
    key: 'BILL-1234',
    created: '2026-11-20T09:00:00.000+0000',
    atom: '<img src=x onerror=alert(3)>',
    molecule: XSS,
    taxonomyVersion: 'v3',
    accountIds: ['acc_1'],
  });
  return f;
}

function request(target: string, options: { method?: string; assertion?: string | null } = {}) {
  const [path = '', search = ''] = target.split('?', 2);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const prior = query[k];
    query[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
  }
  return {
    method: options.method ?? 'GET',
    path,
    query,
    assertion: options.assertion === undefined ? USER : options.assertion,
  };
}

async function get(
  target: string,
  options: { method?: string; assertion?: string | null; f?: ReturnType<typeof setup> } = {},
): Promise<ConsoleResponse> {
  return handleConsoleRequest((options.f ?? setup()).deps, request(target, options));
}

function expectSecurityHeaders(r: ConsoleResponse) {
  const csp = r.headers['content-security-policy'] ?? '';
  expect(csp).toMatch(/(^|;\s*)default-src 'none'(;|$)/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src/);
  expect(r.headers['referrer-policy']).toBe('no-referrer');
  expect(r.headers['cache-control']).toBe('no-store');
  expect(r.headers['x-content-type-options']).toBe('nosniff');
}

const why = (body: string) => /<p class="sentence" id="why">([\s\S]*?)<\/p>/.exec(body)?.[1];

describe('handleConsoleRequest: routes', () => {
  it.each([
    {
      target: '/',
      status: 200,
      has: ['Why did remediation fire, or not?', 'id="recent-runs"', `/runs/${RUN}`],
    },
    {
      target: '/accounts/acc_1',
      status: 200,
      has: ['id="why"', 'id="next-step"', 'id="attempts"', 'id="lifecycle"'],
    },
    { target: '/accounts/acc_unknown', status: 200, has: ['No attempt on record for acc_unknown'] },
    {
      target: '/runs',
      status: 200,
      has: ['Nightly runs, last 30 days', `data-run="${RUN}"`, `data-run="${HALTED_RUN}"`],
    },
    { target: '/runs?days=7', status: 200, has: ['Nightly runs, last 7 days'] },
    { target: '/runs?days=0', status: 200, has: ['Nightly runs, last 30 days'] },
    { target: '/runs?days=abc', status: 200, has: ['Nightly runs, last 30 days'] },
    { target: '/runs?days=181', status: 200, has: ['Nightly runs, last 30 days'] },
    { target: '/runs/', status: 200, has: ['Nightly runs, last 30 days'] },
    {
      target: `/runs/${RUN}`,
      status: 200,
      has: [`Run <span class="mono">${RUN}</span>`, 'id="restrictions"', 'id="not-healed"'],
    },
    { target: `/runs/${HALTED_RUN}`, status: 200, has: ['id="halts"', 'kill_switch', 'Halted: kill_switch'] },
    {
      target: '/runs/no-such-run',
      status: 200,
      has: ['No final outcome of this run is in the audit table.'],
    },
    { target: '/runs/bad%20id', status: 400, has: ['Not a run id.'] },
    { target: '/runs/%2E%2E', status: 400, has: ['Not a run id.'] },
    { target: `/runs/${'r'.repeat(201)}`, status: 400, has: ['Not a run id.'] },
    {
      target: '/trends',
      status: 200,
      has: [
        'Trends, last 30 days',
        'id="drift-found"',
        'id="heals-applied"',
        'id="blocked-by"',
        'id="needs-human"',
      ],
    },
    { target: '/trends?days=60', status: 200, has: ['Trends, last 60 days'] },
    { target: '/nowhere', status: 404, has: ['Not found'] },
    { target: '/accounts', status: 404, has: ['Not found'] },
    { target: '/accounts/acc_1/more', status: 404, has: ['Not found'] },
  ])('GET $target -> $status', async ({ target, status, has }) => {
    const r = await get(target);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.startsWith('<!doctype html>')).toBe(true);
    expect(r.body).toContain('Signed in as support@example.com');
    for (const text of has) expect(r.body).toContain(text);
    expectSecurityHeaders(r);
  });

  it('serves the stylesheet as CSS', async () => {
    const r = await get('/static/console.css');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(r.body).toBe(STYLESHEET);
    expectSecurityHeaders(r);
  });

  it('answers HEAD like GET', async () => {
    const r = await get('/runs', { method: 'HEAD' });
    expect(r.status).toBe(200);
  });

  it('counts the run on its page: new, persistent, applied, blocked, needs a human', async () => {
    const body = (await get(`/runs/${RUN}`)).body;
    const stat = (id: string) =>
      new RegExp(`<div class="stat" id="${id}"><span class="n">(\\d+)</span>`).exec(body)?.[1];
    expect({
      new: stat('new-stripe'),
      persistent: stat('persistent-stripe'),
      applied: stat('applied-stripe'),
      blocked: stat('blocked-stripe'),
      human: stat('needs-human-stripe'),
      wwwApplied: stat('applied-www'),
    }).toEqual({ new: '3', persistent: '1', applied: '1', blocked: '1', human: '1', wwwApplied: '1' });
    expect(body).toMatch(/<th scope="row">InvoiceDateTooNear<\/th><td class="num">1<\/td>/);
  });
});

describe('handleConsoleRequest: the account page', () => {
  it('puts the same sentence explain gives first, in #why', async () => {
    const f = setup();
    const r = await get('/accounts/acc_1', { f });
    const attempts = f.support.rows.filter((x) => x.account_id === 'acc_1');
    const expected = explainAccount({
      accountId: 'acc_1',
      attempts,
      lifecycle: { stripe: null, www: null },
      halts: f.support.rows.filter((x) => x.outcome === 'halted'),
    });
    expect(why(r.body)).toBe(escapeHtml(expected.sentence));
    expect(r.body).toContain('id="verdict">Healed</span>');
    // Stripe links: the customer from subs-api and the plan-apply target.
    expect(r.body).toContain('href="https://dashboard.stripe.com/test/customers/cus_1"');
    expect(r.body).toContain('href="https://dashboard.stripe.com/test/subscriptions/sub_1"');
    // Offers the live read, and has not made one.
    expect(r.body).toContain('href="/accounts/acc_1?live=1"');
    expect(r.body).not.toContain('id="live"');
    expect(why(r.body)).not.toContain('Live now');
  });

  it('with ?live=1 reads every store live and shows the plan, writing nothing', async () => {
    const f = setup();
    const gets = vi.spyOn(f.stripe, 'readAccount');
    const r = await get('/accounts/acc_1?live=1', { f });
    expect(r.status).toBe(200);
    expect(gets).toHaveBeenCalledWith('cus_1');
    expect(r.body).toContain('id="live"');
    expect(r.body).toMatch(/Live plan \(read 2026-11-24T/);
    expect(r.body).toContain('Outcome: <span class="badge noop">noop</span>');
    expect(r.body).toContain('<th scope="row">subs_customer</th>');
    expect(why(r.body)).toMatch(/Live now: no drift — the stores agree\.$/);
    expect(f.stripe.writes).toEqual([]);
  });

  it.each([
    { target: '/accounts/acc_1?live=0' },
    { target: '/accounts/acc_1?live=true' },
    { target: '/accounts/acc_1?live=' },
  ])('$target does not read live', async ({ target }) => {
    const f = setup();
    const gets = vi.spyOn(f.stripe, 'readAccount');
    const r = await get(target, { f });
    expect(r.status).toBe(200);
    expect(gets).not.toHaveBeenCalled();
    expect(r.body).not.toContain('id="live"');
  });

  it.each([
    { name: 'a leading space', target: '/accounts/%20acc_1' },
    { name: 'a trailing tab', target: '/accounts/acc_1%09' },
    { name: 'an id over 255 characters', target: `/accounts/${'a'.repeat(256)}` },
    { name: 'only white space', target: '/accounts/%20' },
  ])('refuses $name with 400 and reads nothing', async ({ target }) => {
    const f = setup();
    const attempts = vi.spyOn(f.support, 'accountAttempts');
    const r = await get(target, { f });
    expect(r.status).toBe(400);
    expect(r.body).toContain('Not an account id.');
    expect(attempts).not.toHaveBeenCalled();
    expectSecurityHeaders(r);
  });

  // BUG (shared/console/app.ts, the `/accounts/` and `/runs/` routes): decodeURIComponent throws a URIError
  // on a malformed escape such as %E0%A4%A, which handleConsoleRequest rethrows, so the function answers a
  // bare 500 (without the security headers). It is a bad id: 400, like any other.
  it.each([
    { target: '/accounts/%E0%A4%A', text: 'Not an account id.' },
    { target: '/accounts/acc_%', text: 'Not an account id.' },
    { target: '/runs/run%ZZ', text: 'Not a run id.' },
  ])('refuses the malformed escape in $target with 400', async ({ target, text }) => {
    const r = await get(target);
    expect(r.status).toBe(400);
    expect(r.body).toContain(text);
    expectSecurityHeaders(r);
  });
});

describe('handleConsoleRequest: search', () => {
  function withZone() {
    const f = setup();
    f.zones.subs.set('zone_live', {
      zoneId: 'zone_live',
      accountId: 'acc_1',
      planLevel: 'pro',
      updatedAt: '2026-11-24T00:00:00Z',
    });
    return f;
  }

  it.each([
    { name: 'an account id subs-api knows', q: 'acc_1', location: '/accounts/acc_1' },
    { name: 'an account id only the audit knows', q: 'acc_3', location: '/accounts/acc_3' },
    { name: 'a Stripe customer', q: 'cus_1', location: '/accounts/acc_1' },
    { name: 'a zone subs-api knows', q: 'zone_live', location: '/accounts/acc_1' },
    { name: 'a zone the audit names', q: 'zone_9', location: '/accounts/acc_1' },
    { name: 'surrounding white space', q: '  acc_2 ', location: '/accounts/acc_2' },
    {
      name: 'an account id with quotes (encoded in the location)',
      q: QUOTED,
      location: `/accounts/${encodeURIComponent(QUOTED)}`,
    },
  ])('redirects (303) for exactly one exact match: $name', async ({ q, location }) => {
    const r = await get(`/search?q=${encodeURIComponent(q)}`, { f: withZone() });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(location);
    expect(r.body).toBe('');
    expectSecurityHeaders(r);
  });

  it('lists the accounts an id prefix matches', async () => {
    const r = await get('/search?q=acc_');
    expect(r.status).toBe(200);
    expect(r.body).toContain('id="results"');
    for (const a of ['acc_1', 'acc_2', 'acc_3'])
      expect(r.body).toContain(
        `<li><a href="/accounts/${a}">${a}</a> <span class="muted">(account id starts with)</span></li>`,
      );
    // The search text stays in the search box, escaped.
    expect(r.body).toContain('value="acc_"');
  });

  it('lists, not redirects, when a customer maps to two accounts', async () => {
    const f = setup();
    const other = healthyView();
    other.accountId = 'acc_twin';
    f.stores.views.set('acc_twin', other);
    const r = await get('/search?q=cus_1', { f });
    expect(r.status).toBe(200);
    expect(r.body).toContain('href="/accounts/acc_1"');
    expect(r.body).toContain('href="/accounts/acc_twin"');
    expect(r.body).toContain('(Stripe customer)');
  });

  it('says no account matches', async () => {
    const r = await get('/search?q=nobody_here');
    expect(r.status).toBe(200);
    expect(r.body).toContain('id="no-results"');
  });

  it('names a search that could not be made and does not redirect then', async () => {
    const f = setup();
    vi.spyOn(f.deps.subsApi, 'zone').mockRejectedValue(new UpstreamError('down', 'subs-api', true, 503));
    const r = await get('/search?q=acc_1', { f });
    expect(r.status).toBe(200);
    expect(r.body).toContain('subs-api zones could not be searched: subs-api_error');
    expect(r.body).toContain('href="/accounts/acc_1"');
  });

  it.each([
    { name: 'no q', target: '/search' },
    { name: 'an empty q', target: '/search?q=' },
    { name: 'only white space', target: '/search?q=%20%20%20' },
    { name: 'over 255 characters', target: `/search?q=${'a'.repeat(256)}` },
    { name: 'a newline', target: '/search?q=acc_1%0Aacc_2' },
    { name: 'a NUL', target: '/search?q=acc%00_1' },
    { name: 'an escape character', target: '/search?q=acc%1B_1' },
    // BUG (minor, shared/console/app.ts, the /search route): DEL (U+007F) is a control character too;
    // the check /[\u0000-\u001f]/ lets it through. Suggested: /[\u0000-\u001f\u007f-\u009f]/.
    { name: 'a DEL', target: '/search?q=acc%7F_1' },
  ])('refuses $name with 400 and searches nothing', async ({ target }) => {
    const f = setup();
    const like = vi.spyOn(f.support, 'accountsLike');
    const r = await get(target, { f });
    expect(r.status).toBe(400);
    expect(r.body).toContain('id="bad-query"');
    expect(like).not.toHaveBeenCalled();
    expectSecurityHeaders(r);
  });

  it('takes 255 characters', async () => {
    const r = await get(`/search?q=${'a'.repeat(255)}`);
    expect(r.status).toBe(200);
  });

  it('takes the first of repeated q values', async () => {
    const r = await get('/search?q=acc_2&q=acc_1');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/accounts/acc_2');
  });
});

describe('handleConsoleRequest: read-only and signed-in only', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
    'refuses %s with 405 and an allow header, before anything else',
    async (method) => {
      const f = setup();
      const verify = vi.spyOn(f.deps.identity, 'verify');
      const r = await get('/accounts/acc_1', { f, method });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(verify).not.toHaveBeenCalled();
      expectSecurityHeaders(r);
    },
  );

  it.each([
    { name: 'no assertion', assertion: null },
    { name: 'an empty assertion', assertion: '' },
    { name: 'an assertion that does not verify', assertion: 'forged.jwt.token' },
  ])('refuses $name with 401 and says nothing of the account', async ({ assertion }) => {
    const f = setup();
    const attempts = vi.spyOn(f.support, 'accountAttempts');
    const r = await get('/accounts/acc_secret_4242', { f, assertion });
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.body).toMatch(/Identity-Aware Proxy/);
    expect(r.body).not.toContain('acc_secret_4242');
    expect(attempts).not.toHaveBeenCalled();
    expectSecurityHeaders(r);
  });

  it('refuses the stylesheet too without an assertion', async () => {
    const r = await get('/static/console.css', { assertion: null });
    expect(r.status).toBe(401);
    expect(r.body).not.toContain('color-scheme');
  });

  it("answers 503 when IAP's keys cannot be fetched", async () => {
    const f = setup();
    const { NotAuthenticatedError } = await import('../../../shared/ports/errors.js');
    vi.spyOn(f.deps.identity, 'verify').mockRejectedValue(
      new NotAuthenticatedError('keys_unavailable', 'down'),
    );
    const r = await get('/', { f });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('30');
    expectSecurityHeaders(r);
  });

  it('lets an unexpected verifier error through', async () => {
    const f = setup();
    vi.spyOn(f.deps.identity, 'verify').mockRejectedValue(new Error('bug'));
    await expect(get('/', { f })).rejects.toThrow('bug');
  });
});

describe('handleConsoleRequest: a store that cannot be read', () => {
  it.each([
    { target: '/', method: 'runOutcomes' },
    { target: '/runs', method: 'runOutcomes' },
    { target: `/runs/${RUN}`, method: 'blockingRestrictions' },
    { target: '/trends', method: 'dailyOutcomes' },
    { target: '/accounts/acc_1', method: 'accountAttempts' },
    { target: '/search?q=acc_1', method: 'accountsLike' },
  ] as const)('$target answers 503 with retry-after when $method fails', async ({ target, method }) => {
    const f = setup();
    vi.spyOn(f.support, method).mockRejectedValue(new UpstreamError('timeout', 'bigquery', true, 503));
    const r = await get(target, { f });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('30');
    expect(r.body).toContain('bigquery could not be read (bigquery_error). Nothing was changed.');
    expectSecurityHeaders(r);
  });

  it('lets an error that is not an upstream failure through', async () => {
    const f = setup();
    vi.spyOn(f.support, 'runOutcomes').mockRejectedValue(new TypeError('bug'));
    await expect(get('/runs', { f })).rejects.toThrow('bug');
  });
});

describe('handleConsoleRequest: caller and audit text is data, never markup', () => {
  it('escapes a malicious audit reason on the account page', async () => {
    const r = await get('/accounts/acc_2');
    expect(r.status).toBe(200);
    expect(r.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.body).not.toContain(XSS);
  });

  it('escapes ticket text on the account page', async () => {
    const r = await get('/accounts/acc_1');
    expect(r.body).toContain('id="tickets"');
    expect(r.body).toContain(`${escapeHtml(XSS)} · &lt;img src=x onerror=alert(3)&gt;`);
    expect(r.body).not.toContain('<img');
  });

  it('escapes reasons and account ids on the run pages', async () => {
    const run = (await get(`/runs/${RUN}`)).body;
    expect(run).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(run).toContain(`>${escapeHtml(QUOTED)}</a>`);
    expect(run).toContain(`href="/accounts/${escapeHtml(encodeURIComponent(QUOTED))}"`);
    expect(run).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(run).not.toContain('<img');
    const halted = (await get(`/runs/${HALTED_RUN}`)).body;
    expect(halted).toContain('&lt;script&gt;alert(&quot;halt&quot;)&lt;/script&gt;');
  });

  it('refuses an account id with quotes, a slash or a space before any read, and echoes none of it', async () => {
    for (const id of [QUOTED, 'acc_1/sub/x', 'acc 1', 'acc_1\u0007']) {
      const f = setup();
      const attempts = vi.spyOn(f.support, 'accountAttempts');
      const r = await get(`/accounts/${encodeURIComponent(id)}`, { f });
      expect(r.status, id).toBe(400);
      expect(r.body).not.toContain(id);
      expect(attempts).not.toHaveBeenCalled();
    }
  });

  it('escapes the search text and the signed-in email', async () => {
    const r = await get(`/search?q=${encodeURIComponent('"><script>x</script>')}`, {
      assertion: 'user:<script>@example.com',
    });
    expect(r.status).toBe(200);
    expect(r.body).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(r.body).toContain('Signed in as &lt;script&gt;@example.com');
  });

  it('has no script anywhere in any page', async () => {
    const f = setup();
    const targets = [
      '/',
      '/accounts/acc_1',
      '/accounts/acc_1?live=1',
      '/accounts/acc_2',
      `/accounts/${encodeURIComponent(QUOTED)}`,
      '/runs',
      `/runs/${RUN}`,
      `/runs/${HALTED_RUN}`,
      '/trends',
      '/search?q=acc_',
      `/search?q=${encodeURIComponent(XSS)}`,
      '/search?q=',
      '/accounts/%20x',
      '/nowhere',
    ];
    for (const target of targets) {
      const r = await handleConsoleRequest(f.deps, request(target));
      expect(r.body, target).not.toMatch(/<script/i);
      // No event-handler attribute inside any tag (escaped text may mention one).
      expect(r.body, target).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
      expect(r.body, target).not.toMatch(/javascript:/i);
    }
  });
});

/**
 * The support console on the real local stack (docs/support.md): a nightly cycle of 300 synthetic accounts
 * through the functions, 35 days of synthetic audit history before it, the console function in its own
 * process behind the local IAP, and Debian's Chromium driving it through playwright-core. The answers are
 * checked against the audit table itself; every page passes axe-core with no serious violation.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchChromium } from '../../local/console/browser.js';
import { IAP_HEADER, signEs256 } from '../../local/console/iap.js';
import { LOCAL_IAP_AUDIENCE, type LocalConsole, startLocalConsole } from '../../local/console/start.js';
import { runNightlyCycle } from '../../local/run/cycle.js';
import type { LocalPipeline } from '../../local/run/pipeline.js';
import { insertAuditHistory, syntheticAuditHistory } from '../../local/synthetic/audit-history.js';
import { AUDIT_TABLE, DATASETS } from '../../shared/contracts/topology.js';
import { explainAccount } from '../../shared/support/explain.js';
import { auditRows, startTestPipeline, stripeWrites } from './support.js';

const run = promisify(execFile);
let p: LocalPipeline;
let console_: LocalConsole;
let chromium: LaunchedBrowser;
let today: string;

const FINAL = `${DATASETS.observability}.audit_final_outcomes`;

async function sql<T = Record<string, unknown>>(
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const [rows] = await p.bq.query({ query, params });
  return rows as T[];
}

const plain = (v: unknown) =>
  v !== null && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;

/** The sentence explainAccount gives over the account's rows as they are in the audit table now. */
async function expectedSentence(accountId: string): Promise<string> {
  const rows = (await auditRows(p, 'account_id = @a', { a: accountId })).map((r) => ({
    ...r,
    snapshot_date: plain(r.snapshot_date) as string | null,
    started_at: new Date(plain(r.started_at) as string).toISOString(),
    finished_at: new Date(plain(r.finished_at) as string).toISOString(),
  }));
  // One copy per row id, as the console reads them (a redelivered audit event can land twice).
  const unique = [...new Map(rows.map((r) => [r.row_id, r])).values()];
  const halts = (await auditRows(p, "stage = 'detect' AND outcome = 'halted'")).map((r) => ({
    ...r,
    snapshot_date: plain(r.snapshot_date) as string | null,
    finished_at: new Date(plain(r.finished_at) as string).toISOString(),
  }));
  const lifecycle = {
    stripe: await p.deps.lifecycle.get('stripe', accountId),
    www: await p.deps.lifecycle.get('www', accountId),
  };
  return explainAccount({
    accountId,
    attempts: unique,
    lifecycle,
    halts: halts.filter((h) => h.finished_at >= new Date(Date.now() - 14 * 86_400_000).toISOString()),
  }).sentence;
}

function whyOf(html: string): string | null {
  const m = /<p class="sentence" id="why">([\s\S]*?)<\/p>/.exec(html);
  return m
    ? (m[1] as string)
        .replaceAll('&amp;', '&')
        .replaceAll('&#39;', "'")
        .replaceAll('&quot;', '"')
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
    : null;
}

/** One account per distinct final outcome (and code) of the local run's nightly runs, from the audit table. */
async function accountPerOutcome(): Promise<
  { stage: string; outcome: string; code: string | null; accountId: string; restrictions: string[] }[]
> {
  const rows = await sql<{
    stage: string;
    outcome: string;
    error_code: string | null;
    account_id: string;
    restrictions: string[];
  }>(
    `SELECT stage, outcome, error_code, account_id, restrictions FROM ${FINAL}
     WHERE run_id IN UNNEST(@runs) AND account_id IS NOT NULL AND outcome != 'published'
       AND NOT STARTS_WITH(account_id, 'acc_9') ORDER BY account_id`,
    { runs: [`sched-stripe-${p.snapshotDate}`, `sched-www-${p.snapshotDate}`] },
  );
  const picked = new Map<
    string,
    { stage: string; outcome: string; code: string | null; accountId: string; restrictions: string[] }
  >();
  for (const r of rows) {
    const key = `${r.stage}|${r.outcome}|${r.error_code ?? ''}`;
    if (!picked.has(key))
      picked.set(key, {
        stage: r.stage,
        outcome: r.outcome,
        code: r.error_code,
        accountId: r.account_id,
        restrictions: r.restrictions,
      });
  }
  // The account's latest word must be that row for the sentence to be about it: skip accounts with later rows.
  const out = [];
  for (const c of picked.values()) {
    const later = await sql<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${FINAL} WHERE account_id = @a AND outcome != 'published' AND stage IN ('plan_apply', 'www_resync', 'gather', 'detect')`,
      { a: c.accountId },
    );
    if (Number(later[0]?.n) === 1) out.push(c);
  }
  return out;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axeViolations(
  page: Page,
): Promise<{ id: string; impact: string; nodes: number; help: string }[]> {
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: { id: string; impact: string; nodes: unknown[]; help: string }[];
  };
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
}

beforeAll(async () => {
  p = await startTestPipeline({ accounts: 300 });
  today = new Date().toISOString().slice(0, 10);
  const cycle = await runNightlyCycle(p);
  expect(cycle.drained).toBe(true);
  await insertAuditHistory(
    p.bq,
    syntheticAuditHistory({ days: 35, beforeDate: today, accountsPerDay: 12, skipDates: [p.snapshotDate] }),
  );
  console_ = await startLocalConsole({ env: p.env, stripeDashboardUrl: p.stack.stripe.dashboardUrl });
  chromium = await launchChromium();
}, 240_000);

afterAll(async () => {
  await chromium?.close();
  await console_?.stop();
  await p?.stop();
}, 60_000);

describe('the console over HTTP', () => {
  it('answers, for an account in each outcome of the run, the sentence the audit table gives', async () => {
    const cases = await accountPerOutcome();
    const kinds = new Set(cases.map((c) => c.outcome));
    for (const k of ['applied', 'blocked', 'needs_human', 'excluded']) expect(kinds).toContain(k);
    for (const c of cases) {
      const res = await fetch(`${console_.url}/accounts/${c.accountId}`);
      expect(res.status).toBe(200);
      const why = whyOf(await res.text());
      expect(why, `${c.stage}/${c.outcome}`).toBe(await expectedSentence(c.accountId));
      const says: Record<string, RegExp> = {
        applied: /; healed on /,
        blocked: new RegExp(`; not healed: blocked on .* by ${c.restrictions[0]} — `),
        needs_human: /; not healed: needs a human/,
        excluded: /; not attempted/,
        noop: /nothing to heal/,
        stale: /; not healed/,
        failed: /failed on/,
      };
      if (says[c.outcome]) expect(why).toMatch(says[c.outcome] as RegExp);
    }
  }, 120_000);

  it('driftcontrol explain prints the same sentence, and --json the whole report', async () => {
    const [blocked] = (await accountPerOutcome()).filter((c) => c.outcome === 'blocked');
    if (!blocked) throw new Error('the run has no blocked account');
    const env = {
      ...process.env,
      ...p.env,
      STRIPE_DASHBOARD_URL: p.stack.stripe.dashboardUrl,
      LOG_LEVEL: 'silent',
    };
    const text = await run(process.execPath, ['bin/driftcontrol.mjs', 'explain', blocked.accountId], { env });
    const expected = await expectedSentence(blocked.accountId);
    expect(text.stdout.split('\n')[0]).toBe(expected);
    expect(text.stdout).toContain('Attempts (');
    const json = JSON.parse(
      (
        await run(
          process.execPath,
          ['bin/driftcontrol.mjs', 'explain', blocked.accountId, '--json', '--live'],
          { env },
        )
      ).stdout,
    );
    expect(json.explanation.sentence).toMatch(
      new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').slice(0, -2)}`),
    );
    expect(json.explanation.sentence).toMatch(/Live now: /);
    expect(json.live.plan.accountId).toBe(blocked.accountId);
    expect(json.links[0]).toMatchObject({
      kind: 'customer',
      url: expect.stringMatching(`^${p.stack.stripe.dashboardUrl}/customers/cus_`),
    });
  }, 60_000);

  it('refuses a request that did not come through IAP: no header, a forged key, another audience, an expired one', async () => {
    const direct = console_.directUrl;
    expect((await fetch(`${direct}/`)).status).toBe(401);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Math.floor(Date.now() / 1000);
    const forged = signEs256(privateKey, 'forged', {
      iss: 'https://cloud.google.com/iap',
      aud: LOCAL_IAP_AUDIENCE,
      sub: 'accounts.google.com:x',
      email: 'attacker@example.com',
      iat: now,
      exp: now + 300,
    });
    for (const assertion of [
      forged,
      console_.iap.assertion({ aud: '/projects/1/locations/local/services/other' }),
      console_.iap.assertion({ iss: 'https://example.com' }),
      console_.iap.assertion({ expiresInS: -3600 }),
      'not-a-jwt',
    ]) {
      const res = await fetch(`${direct}/accounts/acc_0000001`, { headers: { [IAP_HEADER]: assertion } });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('acc_0000001');
    }
    const ok = await fetch(`${direct}/`, { headers: { [IAP_HEADER]: console_.iap.assertion() } });
    expect(ok.status).toBe(200);
    // Through the local IAP, a browser's own assertion is replaced, never trusted.
    expect((await fetch(`${console_.url}/`, { headers: { [IAP_HEADER]: forged } })).status).toBe(200);
  });

  it('is read-only: no method but GET, and a live gather writes nothing to Stripe', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
      expect((await fetch(`${console_.url}/accounts/acc_0000001`, { method })).status).toBe(405);
    const before = stripeWrites(p).length;
    const [blocked] = (await accountPerOutcome()).filter((c) => c.outcome === 'blocked');
    const res = await fetch(`${console_.url}/accounts/${blocked?.accountId}?live=1`);
    const body = await res.text();
    expect(body).toContain('id="live"');
    expect(body).toMatch(/Live now: drift, blocked by/);
    expect(stripeWrites(p).length).toBe(before);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(body).not.toMatch(/<script/i);
  });

  it('finds an account by its id, its Stripe customer and its zone', async () => {
    const [row] = await sql<{ account_id: string; zone_id: string }>(
      `SELECT account_id, zone_id FROM ${DATASETS.audit}.${AUDIT_TABLE} WHERE zone_id IS NOT NULL AND NOT STARTS_WITH(account_id, 'acc_9') LIMIT 1`,
    );
    if (!row) throw new Error('no zone in the audit');
    const byZone = await fetch(`${console_.url}/search?q=${row.zone_id}`, { redirect: 'manual' });
    expect(byZone.status).toBe(303);
    expect(byZone.headers.get('location')).toBe(`/accounts/${row.account_id}`);
    const account = await p.deps.subsApi.account('acc_0000002');
    const customer = account?.subsCustomer.data.stripeCustomerId;
    if (!customer) throw new Error('acc_0000002 has no customer');
    const byCustomer = await fetch(`${console_.url}/search?q=${customer}`, { redirect: 'manual' });
    expect(byCustomer.status).toBe(303);
    expect(byCustomer.headers.get('location')).toBe('/accounts/acc_0000002');
    const byId = await fetch(`${console_.url}/search?q=acc_0000002`, { redirect: 'manual' });
    expect(byId.headers.get('location')).toBe('/accounts/acc_0000002');
    const [audited] = await accountPerOutcome();
    if (!audited) throw new Error('no audited account');
    const byPrefix = await (await fetch(`${console_.url}/search?q=${audited.accountId.slice(0, -1)}`)).text();
    expect(byPrefix).toContain(`href="/accounts/${audited.accountId}"`);
    const bad = await fetch(`${console_.url}/search?q=${'x'.repeat(300)}`);
    expect(bad.status).toBe(400);
  });

  it("shows a run's counts as the audit table holds them", async () => {
    const sched = { run_id: `sched-stripe-${p.snapshotDate}` };
    const counts = await sql<{ stage: string; outcome: string; code: string | null; n: number }>(
      `SELECT stage, outcome, error_code AS code, COUNT(*) AS n FROM ${FINAL}
       WHERE run_id = @r AND system = 'stripe' AND account_id IS NOT NULL GROUP BY stage, outcome, error_code`,
      { r: sched.run_id },
    );
    const n = (stage: string, outcome: string, code?: string) =>
      counts
        .filter((c) => c.stage === stage && c.outcome === outcome && (code === undefined || c.code === code))
        .reduce((s, c) => s + Number(c.n), 0);
    const html = await (await fetch(`${console_.url}/runs/${sched.run_id}`)).text();
    const stat = (id: string) =>
      Number(new RegExp(`id="${id}"><span class="n">(\\d+)</span>`).exec(html)?.[1]);
    expect(stat('new-stripe')).toBe(n('detect', 'published'));
    expect(stat('persistent-stripe')).toBe(n('detect', 'excluded', 'persistent_drift'));
    expect(stat('applied-stripe')).toBe(n('plan_apply', 'applied'));
    expect(stat('blocked-stripe')).toBe(n('plan_apply', 'blocked'));
    expect(stat('needs-human-stripe')).toBe(n('plan_apply', 'needs_human'));
    expect(stat('new-stripe')).toBeGreaterThan(0);
  });
});

describe('the console in Chromium', () => {
  const visit = async (path: string, options: { javaScript?: boolean } = {}) => {
    const context = await chromium.browser.newContext({
      javaScriptEnabled: options.javaScript ?? false,
      // axe is injected by the test; the page itself runs no script and its CSP forbids any.
      bypassCSP: true,
      viewport: { width: 1366, height: 900 },
    });
    const page = await context.newPage();
    const response = await page.goto(`${console_.url}${path}`);
    return { page, context, status: response?.status() };
  };

  it('searches for an account with the form, opens it and reads why — without JavaScript', async () => {
    const [blocked] = (await accountPerOutcome()).filter((c) => c.outcome === 'blocked');
    if (!blocked) throw new Error('no blocked account');
    const { page, context } = await visit('/');
    await page.getByLabel('Account, customer or zone').fill(blocked.accountId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`**/accounts/${blocked.accountId}`);
    expect(await page.locator('#why').textContent()).toBe(await expectedSentence(blocked.accountId));
    expect(await page.locator('#verdict').textContent()).toBe('Not healed');
    await context.close();
  });

  it('reads the why sentence for an account in each outcome', async () => {
    const { page, context } = await visit('/');
    for (const c of await accountPerOutcome()) {
      await page.goto(`${console_.url}/accounts/${c.accountId}`);
      expect(await page.locator('#why').textContent(), `${c.stage}/${c.outcome}`).toBe(
        await expectedSentence(c.accountId),
      );
      expect(await page.locator('#next-step').textContent()).toMatch(/^Next step: /);
    }
    await context.close();
  }, 60_000);

  it("follows a Stripe link to the customer's dashboard page", async () => {
    const { page, context } = await visit('/accounts/acc_0000002');
    const link = page.locator('#stripe-links a[data-kind="customer"]');
    const id = await link.textContent();
    await link.click();
    await page.waitForURL(`**/dashboard/customers/${id}`);
    expect(await page.locator('h1').textContent()).toContain(id);
    await context.close();
  });

  it('draws the trends charts with the numbers the warehouse holds', async () => {
    const from = new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
    const { page, context } = await visit('/trends');
    const applied = await sql<{ system: string; n: number }>(
      `SELECT system, COUNT(*) AS n FROM ${FINAL} WHERE outcome = 'applied' AND stage IN ('plan_apply', 'www_resync')
       AND account_id IS NOT NULL AND DATE(finished_at) BETWEEN DATE(@from) AND DATE(@to) GROUP BY system`,
      { from, to: new Date().toISOString().slice(0, 10) },
    );
    for (const a of applied) {
      const cell = page.locator(`table[data-chart="heals-applied"] tr[data-series="${a.system}"] td`);
      expect(Number(await cell.textContent())).toBe(Number(a.n));
      // The bars carry the same numbers: the sum of the SVG's bar labels for the series.
      const labels = await page
        .locator('#heals-applied [aria-roledescription="bar"]')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''));
      const summed = labels
        .filter((l) => l.endsWith(`series: ${a.system}`))
        .reduce((s, l) => s + Number(/final outcomes: (\d+)/.exec(l)?.[1] ?? 0), 0);
      expect(summed).toBe(Number(a.n));
    }
    const blocked = await sql<{ r: string; n: number }>(
      `SELECT r, COUNT(*) AS n FROM ${FINAL} AS f, UNNEST(f.restrictions) AS r WHERE f.outcome = 'blocked'
       AND DATE(f.finished_at) BETWEEN DATE(@from) AND DATE(@to) GROUP BY r`,
      { from, to: new Date().toISOString().slice(0, 10) },
    );
    expect(blocked.length).toBeGreaterThan(2);
    for (const b of blocked)
      expect(
        Number(
          await page.locator(`table[data-chart="blocked-by"] tr[data-series="${b.r}"] td`).textContent(),
        ),
      ).toBe(Number(b.n));
    expect(await page.locator('figure.chart svg').count()).toBe(4);
    await context.close();
  });

  it('passes axe-core with no serious or critical violation on every page', async () => {
    const [blocked] = (await accountPerOutcome()).filter((c) => c.outcome === 'blocked');
    const [sched] = await sql<{ run_id: string }>(
      `SELECT DISTINCT run_id FROM ${FINAL} WHERE trigger = 'scheduled' LIMIT 1`,
    );
    const pages = [
      '/',
      '/search?q=acc_00001',
      `/accounts/${blocked?.accountId}`,
      `/accounts/${blocked?.accountId}?live=1`,
      '/runs',
      `/runs/${sched?.run_id}`,
      '/trends',
      '/no-such-page',
    ];
    const checked: string[] = [];
    for (const path of pages) {
      const { page, context } = await visit(path, { javaScript: true });
      const violations = await axeViolations(page);
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious, path).toEqual([]);
      checked.push(`${path}: ${violations.map((v) => `${v.id}(${v.impact})`).join(', ') || 'none'}`);
      await context.close();
    }
    // axe ran on every page (a page it could not analyse would have thrown).
    expect(checked).toHaveLength(pages.length);
    process.stderr.write(`axe: ${checked.join('; ')}\n`);
  }, 90_000);

  it('prints without navigation or forms', async () => {
    const { page, context } = await visit('/runs');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top nav').isVisible()).toBe(false);
    expect(await page.locator('header.top form').isVisible()).toBe(false);
    expect(await page.locator('#runs').isVisible()).toBe(true);
    await context.close();
  });
});

describe('the accessibility check itself', () => {
  it('finds a violation on a page that has one (axe really runs)', async () => {
    const context = await chromium.browser.newContext();
    const page = await context.newPage();
    await page.setContent(
      '<!doctype html><html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>',
    );
    const ids = (await axeViolations(page)).map((v) => v.id);
    expect(ids).toContain('image-alt');
    expect(ids).toContain('label');
    await context.close();
  });
});

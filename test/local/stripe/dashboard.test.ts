import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStripeServer, startLocalStripe } from '../../../local/stripe/index.js';
import { fixtureSeed, NOW, PERIOD_END, PERIOD_START } from './fixtures.js';

let server: LocalStripeServer;

beforeAll(async () => {
  server = await startLocalStripe({ now: () => NOW });
});
afterAll(async () => {
  await server.stop();
});
beforeEach(() => {
  server.reset();
  server.seed(fixtureSeed());
});
afterEach(() => {
  server.setRateLimit({});
});

interface Page {
  status: number;
  contentType: string | null;
  html: string;
  url: string;
}

/** A plain browser-like GET: no Authorization header, no Stripe headers. */
async function open(url: string, init: RequestInit = {}): Promise<Page> {
  const res = await fetch(url, init);
  return { status: res.status, contentType: res.headers.get('content-type'), html: await res.text(), url };
}

const dashboard = (path: string) => open(`${server.dashboardUrl}${path}`);

/** A GET with the path sent as is (fetch would percent-encode `<` and `>`). */
function rawGet(path: string): Promise<{ status: number; html: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, html: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Text content of a fragment: tags dropped, the few entities escape-html writes decoded. */
function text(fragment: string): string {
  return fragment
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The markup of the `<dd>` for a Stripe field (the page marks each with data-field). */
function field(html: string, name: string): string {
  const m = new RegExp(`<dd data-field="${name}">([\\s\\S]*?)</dd>`).exec(html);
  if (!m) throw new Error(`no field ${name} on the page`);
  return m[1] as string;
}

function h1s(html: string): string[] {
  return [...html.matchAll(/<h1>([\s\S]*?)<\/h1>/g)].map((m) => text(m[1] as string));
}

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');

function expectDashboardPage(page: Page, title: string): void {
  expect(page.contentType).toBe('text/html; charset=utf-8');
  expect(page.html.startsWith('<!doctype html>')).toBe(true);
  expect(page.html).toContain('<html lang="en">');
  expect(text(/<title>([\s\S]*?)<\/title>/.exec(page.html)?.[1] ?? '')).toContain(title);
  expect(h1s(page.html)).toEqual([title]);
  expect(page.html.match(/<main>/g)).toHaveLength(1);
  expect(page.html).toMatch(/<header><p id="banner">.*Local stand-in for the Stripe dashboard/);
  expect(page.html).not.toMatch(/<script/i);
}

describe('the local Stripe dashboard pages', () => {
  it('is served under /dashboard of the started server', () => {
    expect(server.dashboardUrl).toBe(`${server.url}/dashboard`);
  });

  it('shows a customer: id, email, default payment method, created, and links to its objects', async () => {
    const page = await dashboard('/customers/cus_alpha');
    expect(page.status).toBe(200);
    expectDashboardPage(page, 'Customer cus_alpha');
    expect(text(field(page.html, 'id'))).toBe('cus_alpha');
    expect(text(field(page.html, 'email'))).toBe('alpha@example.test');
    expect(page.html).not.toContain('data-field="name"'); // the store has no name for it
    expect(text(field(page.html, 'default_payment_method'))).toMatch(/^pm_alpha \(visa ending 4242\)$/);
    expect(field(page.html, 'created')).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">/);
    expect(page.html).toContain('<a href="/dashboard/subscriptions/sub_alpha">');
    expect(page.html).toContain('<a href="/dashboard/subscriptions/sub_alpha_old">');
    expect(page.html).toContain('<a href="/dashboard/invoices/in_alpha_4">');
    expect(page.html).not.toContain('sub_beta');
    expect(page.html).toContain('<th scope="col">Subscription</th>');
  });

  it('shows a subscription: customer link, status, items, cancel_at_period_end, current period', async () => {
    const page = await dashboard('/subscriptions/sub_alpha');
    expect(page.status).toBe(200);
    expectDashboardPage(page, 'Subscription sub_alpha');
    expect(text(field(page.html, 'id'))).toBe('sub_alpha');
    expect(field(page.html, 'customer')).toBe(
      '<a href="/dashboard/customers/cus_alpha"><code>cus_alpha</code></a>',
    );
    expect(text(field(page.html, 'status'))).toBe('active');
    expect(text(field(page.html, 'cancel_at_period_end'))).toBe('false');
    expect(field(page.html, 'current_period')).toContain(`<time datetime="${iso(PERIOD_START)}">`);
    expect(field(page.html, 'current_period')).toContain(`<time datetime="${iso(PERIOD_END)}">`);
    const rows = [...page.html.matchAll(/<tr><th scope="row">([\s\S]*?)<\/tr>/g)].map((m) => m[1] as string);
    expect(rows).toHaveLength(2);
    expect(
      rows.map((r) => text(field(r.replace(/<td /g, '<dd ').replace(/<\/td>/g, '</dd>'), 'price'))),
    ).toEqual(['price_pro', 'price_addon']);
    expect(
      rows.map((r) => text(field(r.replace(/<td /g, '<dd ').replace(/<\/td>/g, '</dd>'), 'quantity'))),
    ).toEqual(['1', '3']);
    expect(page.html).toContain('<th scope="col">Price</th>');
    expect(page.html).toContain('<th scope="col">Quantity</th>');

    const canceled = await dashboard('/subscriptions/sub_alpha_old');
    expect(text(field(canceled.html, 'status'))).toBe('canceled');
    expect(canceled.html).toContain('data-field="canceled_at"');
  });

  it("a subscription's customer link lands on that customer's page", async () => {
    const page = await dashboard('/subscriptions/sub_beta');
    const href = /<dd data-field="customer"><a href="([^"]+)"/.exec(page.html)?.[1];
    expect(href).toBe('/dashboard/customers/cus_beta');
    const customer = await open(new URL(href as string, page.url).href);
    expect(customer.status).toBe(200);
    expect(h1s(customer.html)).toEqual(['Customer cus_beta']);
    expect(text(field(customer.html, 'email'))).toBe('beta@example.test');
  });

  it('shows an invoice: customer link, subscription link, status, amount due, currency, created', async () => {
    const page = await dashboard('/invoices/in_alpha_4');
    expect(page.status).toBe(200);
    expectDashboardPage(page, 'Invoice in_alpha_4');
    expect(text(field(page.html, 'id'))).toBe('in_alpha_4');
    expect(field(page.html, 'customer')).toContain('<a href="/dashboard/customers/cus_alpha">');
    expect(field(page.html, 'subscription')).toContain('<a href="/dashboard/subscriptions/sub_alpha">');
    expect(text(field(page.html, 'status'))).toBe('open');
    expect(field(page.html, 'amount_due')).toContain('<data value="3500">3500</data>');
    expect(text(field(page.html, 'amount_due'))).toBe('3500 ($35.00)');
    expect(text(field(page.html, 'currency'))).toBe('usd');
    expect(field(page.html, 'created')).toContain(`<time datetime="${iso(PERIOD_START)}">`);
    expect(text((await dashboard('/invoices/in_alpha_0')).html)).toContain('paid');
  });

  it('reads the store as it is now: a change through the API shows on the next load', async () => {
    const res = await fetch(`${server.url}/v1/subscriptions/sub_alpha`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk_test_local',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'cancel_at_period_end=true',
    });
    expect(res.status).toBe(200);
    const page = await dashboard('/subscriptions/sub_alpha');
    expect(text(field(page.html, 'cancel_at_period_end'))).toBe('true');
  });

  it.each([
    ['/customers/cus_nobody', 'No such customer', 'cus_nobody'],
    ['/subscriptions/sub_nothing', 'No such subscription', 'sub_nothing'],
    ['/invoices/in_none', 'No such invoice', 'in_none'],
    // An id of another kind is not found under this kind.
    ['/customers/sub_alpha', 'No such customer', 'sub_alpha'],
  ])('answers 404 with an HTML page for an unknown id: %s', async (path, title, id) => {
    const page = await dashboard(path);
    expect(page.status).toBe(404);
    expectDashboardPage(page, title);
    expect(text(field(page.html, 'id'))).toBe(id);
  });

  it.each(['', '/', '/prices/price_pro', '/customers', '/customers/cus_alpha/extra'])(
    'answers 404 "No such page" for other dashboard paths: /dashboard%s',
    async (path) => {
      const page = await dashboard(path);
      expect(page.status).toBe(404);
      expectDashboardPage(page, 'No such page');
    },
  );

  it('never echoes markup from the URL: an id with <script> is escaped on the 404 page', async () => {
    const id = 'cus_<script>alert("x")</script>&\'';
    const page = await dashboard(`/customers/${encodeURIComponent(id)}`);
    expect(page.status).toBe(404);
    expect(page.html).not.toContain('<script>');
    expect(page.html).toContain('cus_&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(text(field(page.html, 'id'))).toBe(id);
    // Unencoded in the request line too.
    const raw = await rawGet('/dashboard/customers/cus_<script>');
    expect(raw.status).toBe(404);
    expect(raw.html).not.toContain('<script>');
    expect(text(field(raw.html, 'id'))).toBe('cus_<script>');
    // A malformed escape is shown as sent, not a server error.
    const malformed = await dashboard('/invoices/in_%E0%A4%A');
    expect(malformed.status).toBe(404);
    expect(text(field(malformed.html, 'id'))).toBe('in_%E0%A4%A');
  });

  it('escapes values from the store, and ids in links are URL-encoded', async () => {
    server.seed({
      customers: [{ id: 'cus_a&b"<i>', email: '<img src=x onerror=alert(1)>', name: "O'Brien <b>" }],
      subscriptions: [{ id: 'sub_x<y>', customer: 'cus_a&b"<i>', items: [{ price: 'price_pro' }] }],
    });
    const customer = await dashboard(`/customers/${encodeURIComponent('cus_a&b"<i>')}`);
    expect(customer.status).toBe(200);
    expect(customer.html).not.toContain('<img');
    expect(customer.html).not.toContain('<i>');
    expect(customer.html).not.toContain('<b>');
    expect(text(field(customer.html, 'email'))).toBe('<img src=x onerror=alert(1)>');
    expect(text(field(customer.html, 'name'))).toBe("O'Brien <b>");
    expect(h1s(customer.html)).toEqual(['Customer cus_a&b"<i>']);
    expect(customer.html).toContain('<a href="/dashboard/subscriptions/sub_x%3Cy%3E">');

    const sub = await dashboard(`/subscriptions/${encodeURIComponent('sub_x<y>')}`);
    expect(sub.status).toBe(200);
    const href = /<dd data-field="customer"><a href="([^"]+)"/.exec(sub.html)?.[1] as string;
    expect(href).toBe('/dashboard/customers/cus_a%26b%22%3Ci%3E');
    const followed = await open(new URL(href, sub.url).href);
    expect(followed.status).toBe(200);
    expect(h1s(followed.html)).toEqual(['Customer cus_a&b"<i>']);
  });

  it('forbids scripts by policy and answers only GET and HEAD', async () => {
    const res = await fetch(`${server.dashboardUrl}/customers/cus_alpha`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    await res.text();

    const head = await fetch(`${server.dashboardUrl}/customers/cus_alpha`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await head.text()).toBe('');
    expect((await fetch(`${server.dashboardUrl}/customers/cus_nobody`, { method: 'HEAD' })).status).toBe(404);

    const post = await open(`${server.dashboardUrl}/customers/cus_alpha`, { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(405);
    expectDashboardPage(post, 'Method not allowed');
  });
});

describe('the dashboard pages are not the API', () => {
  it('need no API key, while the API still does', async () => {
    expect((await dashboard('/customers/cus_alpha')).status).toBe(200);
    expect((await fetch(`${server.url}/v1/customers/cus_alpha`)).status).toBe(401);
  });

  it('stay out of the request log', async () => {
    server.clearRequests();
    await dashboard('/customers/cus_alpha');
    await dashboard('/subscriptions/sub_alpha');
    await dashboard('/invoices/in_nobody');
    expect(server.requests()).toEqual([]);
    await fetch(`${server.url}/v1/customers/cus_alpha`, {
      headers: { authorization: 'Bearer sk_test_local' },
    });
    expect(server.requests().map((r) => r.path)).toEqual(['/v1/customers/cus_alpha']);
  });

  it('do not take rate-limit tokens and are not refused by the limiter', async () => {
    server.setRateLimit({ readsPerSecond: 1 });
    const pages = await Promise.all(Array.from({ length: 10 }, () => dashboard('/customers/cus_alpha')));
    expect(pages.map((p) => p.status)).toEqual(Array(10).fill(200));
    // The one read token of this second is still there for the API.
    const api = await fetch(`${server.url}/v1/customers/cus_alpha`, {
      headers: { authorization: 'Bearer sk_test_local' },
    });
    expect(api.status).toBe(200);
    await api.text();
  });

  it('are not hit by injected API faults', async () => {
    server.injectFault({ kind: 'api_error', path: '.*' });
    try {
      expect((await dashboard('/invoices/in_alpha_0')).status).toBe(200);
    } finally {
      server.clearFaults();
    }
  });
});

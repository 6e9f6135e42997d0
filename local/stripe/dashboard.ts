import escapeHtml from 'escape-html';
import type { CustomerRecord, InvoiceRecord, SubscriptionRecord } from './records.js';
import type { StripeStore } from './store.js';

/**
 * A local stand-in for the Stripe dashboard's object pages, so a link the support console builds
 * (`${base}/customers/cus_…`, `/subscriptions/sub_…`, `/invoices/in_…`) lands on a page about that object
 * when `base` is the local Stripe server's `/dashboard`. Small server-rendered HTML, no JavaScript, read
 * from the store. Not part of the API: the server answers these paths without an API key, the rate
 * limiter, faults or the request log (server.ts routes them here first). Every value is escaped.
 */

/** Where the pages live on the local Stripe server: the dashboard base is `${server.url}${DASHBOARD_PATH}`. */
export const DASHBOARD_PATH = '/dashboard';

export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD (the headers are the same as for GET). */
  body: string;
}

export type DashboardKind = 'customer' | 'subscription' | 'invoice';

/** The path segment of each kind's pages, as on dashboard.stripe.com. */
const SEGMENT_OF: Record<DashboardKind, string> = {
  customer: 'customers',
  subscription: 'subscriptions',
  invoice: 'invoices',
};
const KIND_OF_SEGMENT = new Map(
  Object.entries(SEGMENT_OF).map(([kind, segment]) => [segment, kind as DashboardKind]),
);
const KIND_TITLE: Record<DashboardKind, string> = {
  customer: 'Customer',
  subscription: 'Subscription',
  invoice: 'Invoice',
};
const PAGE_RE = new RegExp(`^${DASHBOARD_PATH}/([a-z]+)/([^/]+)$`);

// ---- markup: built only through `html`, which escapes every interpolated value that is not Markup ----

class Markup {
  constructor(readonly value: string) {}
}
type Part = Markup | string | number | boolean | null | undefined | readonly Part[];

function part(p: Part): string {
  if (p === null || p === undefined || p === false) return '';
  if (p instanceof Markup) return p.value;
  if (Array.isArray(p)) return p.map(part).join('');
  return escapeHtml(String(p));
}

function html(strings: TemplateStringsArray, ...values: Part[]): Markup {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += part(v) + (strings[i + 1] ?? '');
  });
  return new Markup(out);
}

// ---- routing ----

/** Whether the server should hand this path to the dashboard rather than the API. */
export function isDashboardPath(pathname: string): boolean {
  return pathname === DASHBOARD_PATH || pathname.startsWith(`${DASHBOARD_PATH}/`);
}

/** The link to an object's page (an absolute path on the local Stripe server). */
export function dashboardHref(kind: DashboardKind, id: string): string {
  return `${DASHBOARD_PATH}/${SEGMENT_OF[kind]}/${encodeURIComponent(id)}`;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The answer to `method pathname` under DASHBOARD_PATH: a page, a 404 page, or 405 for other methods. */
export function dashboardResponse(store: StripeStore, method: string, pathname: string): DashboardResponse {
  if (method !== 'GET' && method !== 'HEAD') {
    return respond(
      method,
      405,
      page(
        'Method not allowed',
        html`<h1>Method not allowed</h1>
<p>The local Stripe dashboard pages answer only GET and HEAD.</p>`,
      ),
      { Allow: 'GET, HEAD' },
    );
  }
  const match = PAGE_RE.exec(pathname);
  const kind = match ? KIND_OF_SEGMENT.get(match[1] as string) : undefined;
  if (!match || kind === undefined) {
    return respond(
      method,
      404,
      page(
        'No such page',
        html`<h1>No such page</h1>
<p>The local Stripe dashboard has pages only for customers, subscriptions and invoices:
<code>${DASHBOARD_PATH}/customers/cus_…</code>, <code>${DASHBOARD_PATH}/subscriptions/sub_…</code>,
<code>${DASHBOARD_PATH}/invoices/in_…</code>.</p>`,
      ),
    );
  }
  const id = decodeSegment(match[2] as string);
  const content = objectPage(store, kind, id);
  if (content === undefined) {
    const title = `No such ${kind}`;
    return respond(
      method,
      404,
      page(
        title,
        html`<h1>${title}</h1>
<p>The local Stripe store has no ${kind} with this id.</p>
<dl>${row('ID', 'id', html`<code>${id}</code>`)}</dl>`,
      ),
    );
  }
  return respond(method, 200, page(`${KIND_TITLE[kind]} ${id}`, content));
}

function respond(
  method: string,
  status: number,
  body: Markup,
  extra: Record<string, string> = {},
): DashboardResponse {
  return {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // No script runs on these pages, whatever a value contains.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...extra,
    },
    body: method === 'HEAD' ? '' : body.value,
  };
}

function objectPage(store: StripeStore, kind: DashboardKind, id: string): Markup | undefined {
  switch (kind) {
    case 'customer': {
      const c = store.customers.get(id);
      return c && customerPage(store, c);
    }
    case 'subscription': {
      const s = store.subscriptions.get(id);
      return s && subscriptionPage(store, s);
    }
    case 'invoice': {
      const inv = store.invoices.get(id);
      return inv && invoicePage(inv);
    }
  }
}

// ---- pages ----

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1a1a1a}
header{background:#fff3cd;border-bottom:1px solid #e0c97a;padding:.5rem 1rem}
main{padding:1rem;max-width:60rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
code{font-family:ui-monospace,monospace}.muted{color:#555}`;

function page(title: string, content: Markup): Markup {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Local Stripe dashboard</title>
<style>${new Markup(STYLE)}</style>
</head>
<body>
<header><p id="banner"><strong>Local stand-in for the Stripe dashboard</strong>: objects from the local Stripe API's store, not from Stripe.</p></header>
<main>
${content}
</main>
</body>
</html>
`;
}

/** One row of a definition list; `field` is the Stripe field name, for tests to find the value. */
function row(label: string, field: string, value: Part): Markup {
  return html`<dt>${label}</dt><dd data-field="${field}">${value}</dd>`;
}

function none(): Markup {
  return html`<span class="muted">none</span>`;
}

function link(kind: DashboardKind, id: string): Markup {
  return html`<a href="${dashboardHref(kind, id)}"><code>${id}</code></a>`;
}

function time(unixSeconds: number): Markup {
  const date = new Date(unixSeconds * 1000);
  if (!Number.isFinite(date.getTime())) return html`<code>${unixSeconds}</code>`;
  const iso = date.toISOString().replace('.000Z', 'Z');
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace('Z', ' UTC')}</time>`;
}

function period(start: number, end: number): Markup {
  return html`${time(start)} to ${time(end)}`;
}

function amount(minor: number, currency: string): Markup {
  let shown: string;
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    shown = format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    shown = `${minor} ${currency.toUpperCase()}`;
  }
  return html`<data value="${minor}">${minor}</data> <span class="muted">(${shown})</span>`;
}

function heading(kind: DashboardKind, id: string): Markup {
  return html`<h1>${KIND_TITLE[kind]} <code>${id}</code></h1>`;
}

function customerPage(store: StripeStore, c: CustomerRecord): Markup {
  const pm =
    c.default_payment_method === null ? undefined : store.paymentMethods.get(c.default_payment_method);
  const subscriptions = [...store.subscriptions.values()]
    .filter((s) => s.customer === c.id)
    .sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
  const invoices = [...store.invoices.values()]
    .filter((i) => i.customer === c.id)
    .sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
  return html`${heading('customer', c.id)}
<section aria-labelledby="details-h"><h2 id="details-h">Details</h2>
<dl>
${row('ID', 'id', html`<code>${c.id}</code>`)}
${c.email === null ? '' : row('Email', 'email', c.email)}
${c.name === null ? '' : row('Name', 'name', c.name)}
${row(
  'Default payment method',
  'default_payment_method',
  c.default_payment_method === null
    ? none()
    : html`<code>${c.default_payment_method}</code>${
        pm ? html` <span class="muted">(${pm.card.brand} ending ${pm.card.last4})</span>` : ''
      }`,
)}
${row('Created', 'created', time(c.created))}
</dl>
</section>
<section aria-labelledby="subscriptions-h"><h2 id="subscriptions-h">Subscriptions</h2>
${
  subscriptions.length === 0
    ? html`<p class="muted">No subscriptions.</p>`
    : html`<table id="subscriptions" aria-labelledby="subscriptions-h">
<thead><tr><th scope="col">Subscription</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>
${subscriptions.map(
  (s) =>
    html`<tr><th scope="row">${link('subscription', s.id)}</th><td>${s.status}</td><td>${time(s.created)}</td></tr>\n`,
)}</tbody>
</table>`
}
</section>
<section aria-labelledby="invoices-h"><h2 id="invoices-h">Invoices</h2>
${
  invoices.length === 0
    ? html`<p class="muted">No invoices.</p>`
    : html`<table id="invoices" aria-labelledby="invoices-h">
<thead><tr><th scope="col">Invoice</th><th scope="col">Status</th><th scope="col">Amount due</th><th scope="col">Created</th></tr></thead>
<tbody>
${invoices.map(
  (i) =>
    html`<tr><th scope="row">${link('invoice', i.id)}</th><td>${i.status}</td><td>${amount(i.amount_due, i.currency)}</td><td>${time(i.created)}</td></tr>\n`,
)}</tbody>
</table>`
}
</section>`;
}

function subscriptionPage(store: StripeStore, s: SubscriptionRecord): Markup {
  const starts = s.items.map((i) => i.current_period_start);
  const ends = s.items.map((i) => i.current_period_end);
  return html`${heading('subscription', s.id)}
<section aria-labelledby="details-h"><h2 id="details-h">Details</h2>
<dl>
${row('ID', 'id', html`<code>${s.id}</code>`)}
${row('Customer', 'customer', link('customer', s.customer))}
${row('Status', 'status', s.status)}
${row('Cancel at period end', 'cancel_at_period_end', String(s.cancel_at_period_end))}
${row(
  'Current period',
  'current_period',
  s.items.length === 0 ? none() : period(Math.min(...starts), Math.min(...ends)),
)}
${s.canceled_at === null ? '' : row('Canceled at', 'canceled_at', time(s.canceled_at))}
${row('Created', 'created', time(s.created))}
</dl>
</section>
<section aria-labelledby="items-h"><h2 id="items-h">Items</h2>
<table id="items" aria-labelledby="items-h">
<thead><tr><th scope="col">Item</th><th scope="col">Price</th><th scope="col">Product</th><th scope="col">Quantity</th><th scope="col">Current period</th></tr></thead>
<tbody>
${s.items.map((item) => {
  const product = store.products.get(store.prices.get(item.price)?.product ?? '');
  return html`<tr><th scope="row"><code>${item.id}</code></th><td data-field="price"><code>${item.price}</code></td><td>${product ? product.name : none()}</td><td data-field="quantity">${item.quantity}</td><td>${period(item.current_period_start, item.current_period_end)}</td></tr>\n`;
})}</tbody>
</table>
</section>`;
}

function invoicePage(inv: InvoiceRecord): Markup {
  return html`${heading('invoice', inv.id)}
<section aria-labelledby="details-h"><h2 id="details-h">Details</h2>
<dl>
${row('ID', 'id', html`<code>${inv.id}</code>`)}
${inv.number === null ? '' : row('Number', 'number', inv.number)}
${row('Customer', 'customer', link('customer', inv.customer))}
${row('Subscription', 'subscription', inv.subscription === null ? none() : link('subscription', inv.subscription))}
${row('Status', 'status', inv.status)}
${row('Amount due', 'amount_due', amount(inv.amount_due, inv.currency))}
${row('Amount paid', 'amount_paid', amount(inv.amount_paid, inv.currency))}
${row('Currency', 'currency', inv.currency)}
${row('Created', 'created', time(inv.created))}
</dl>
</section>`;
}

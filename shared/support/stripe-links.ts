import type { AuditRecord } from '../domain/audit.js';

/**
 * Links to the Stripe dashboard for what support already looks at there (docs/support.md): the customer,
 * its subscriptions and invoices. Only ids that Stripe's own id formats allow become a link, so a page
 * never carries a URL built from arbitrary text.
 */

export interface StripeLink {
  readonly kind: 'customer' | 'subscription' | 'invoice';
  readonly id: string;
  readonly url: string;
}

const PATHS = { customer: 'customers', subscription: 'subscriptions', invoice: 'invoices' } as const;
const PREFIXES = { customer: 'cus_', subscription: 'sub_', invoice: 'in_' } as const;
const STRIPE_ID = /^[A-Za-z0-9_]{1,255}$/;

/** The dashboard base for a key's mode: test-mode objects live under /test (a live or no key: none). */
export function dashboardBaseFor(apiKey: string | undefined): string {
  return /^(sk|rk)_test_/.test(apiKey ?? '')
    ? 'https://dashboard.stripe.com/test'
    : 'https://dashboard.stripe.com';
}

export function stripeLink(base: string, kind: StripeLink['kind'], id: string): StripeLink | null {
  const prefix = PREFIXES[kind];
  if (!id.startsWith(prefix) || id.length === prefix.length || !STRIPE_ID.test(id)) return null;
  return { kind, id, url: `${base.replace(/\/+$/, '')}/${PATHS[kind]}/${encodeURIComponent(id)}` };
}

/** Subscription and invoice ids the account's plan-apply attempts targeted (result_json.changes[].target). */
export function targetsOf(attempts: readonly AuditRecord[]): string[] {
  const ids = new Set<string>();
  for (const row of attempts) {
    if (row.stage !== 'plan_apply') continue;
    try {
      const result = JSON.parse(row.result_json) as { changes?: unknown } | null;
      const changes: unknown[] = Array.isArray(result?.changes) ? result.changes : [];
      for (const change of changes) {
        const target = (change as { target?: unknown } | null)?.target;
        if (typeof target === 'string') ids.add(target);
      }
    } catch {
      // A truncated result (over 900 KB) names no targets: nothing to link.
    }
  }
  return [...ids].sort();
}

/** The customer first, then subscriptions and invoices, each once. */
export function stripeLinks(
  base: string,
  ids: { customer: string | null; subscriptions: readonly string[]; invoices: readonly string[] },
): StripeLink[] {
  const links: (StripeLink | null)[] = [
    ids.customer === null ? null : stripeLink(base, 'customer', ids.customer),
    ...[...new Set(ids.subscriptions)].sort().map((id) => stripeLink(base, 'subscription', id)),
    ...[...new Set(ids.invoices)].sort().map((id) => stripeLink(base, 'invoice', id)),
  ];
  return links.filter((l): l is StripeLink => l !== null);
}

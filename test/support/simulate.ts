import { hashOf } from '../../shared/core/canonical.js';
import type {
  AccountView,
  StripeItem,
  StripePrice,
  StripeSubscription,
} from '../../shared/domain/account-view.js';
import type { Change, StripeParamValue } from '../../shared/domain/plan.js';

/**
 * Applies changes to a view in memory, as Stripe would apply them. Pure. Used to check convergence
 * (plan, simulate, plan again: nothing left) and to show operators the state a plan leads to.
 */

export class SimulationError extends Error {
  constructor(
    message: string,
    readonly changeId: string,
  ) {
    super(message);
    this.name = 'SimulationError';
  }
}

type Params = Record<string, StripeParamValue>;

function priceFor(view: AccountView, priceId: string, changeId: string): StripePrice {
  const entry = view.billingProd.data.catalogue.find((c) => c.stripePriceId === priceId);
  if (entry === undefined) throw new SimulationError(`price ${priceId} is not in the catalogue`, changeId);
  return {
    id: entry.stripePriceId,
    productId: entry.productId,
    unitAmountMinor: entry.unitAmountMinor,
    currency: entry.currency,
    interval: entry.interval,
  };
}

function applySubscriptionUpdate(
  view: AccountView,
  sub: StripeSubscription,
  change: Change,
): StripeSubscription {
  const params = change.operation.params as Params;
  let items: StripeItem[] = [...sub.items];
  for (const raw of (params.items ?? []) as Params[]) {
    if (typeof raw.id === 'string') {
      const id = raw.id;
      if (!items.some((i) => i.id === id)) throw new SimulationError(`no item ${id} on ${sub.id}`, change.id);
      if (raw.deleted === true) {
        items = items.filter((i) => i.id !== id);
        continue;
      }
      items = items.map((i) =>
        i.id === id
          ? {
              ...i,
              price: typeof raw.price === 'string' ? priceFor(view, raw.price, change.id) : i.price,
              quantity: typeof raw.quantity === 'number' ? raw.quantity : i.quantity,
            }
          : i,
      );
    } else {
      items.push({
        id: `si_sim_${hashOf({ sub: sub.id, raw }).slice(0, 14)}`,
        price: priceFor(view, String(raw.price), change.id),
        quantity: Number(raw.quantity ?? 1),
        metadata: { ...((raw.metadata ?? {}) as Record<string, string>) },
      });
    }
  }
  const metadata = { ...sub.metadata, ...((params.metadata ?? {}) as Record<string, string>) };
  const cancelAtPeriodEnd =
    typeof params.cancel_at_period_end === 'boolean' ? params.cancel_at_period_end : sub.cancelAtPeriodEnd;
  return { ...sub, items, metadata, cancelAtPeriodEnd };
}

export function simulateChanges(view: AccountView, changes: readonly Change[]): AccountView {
  let next: AccountView = structuredClone(view);
  for (const change of changes) {
    const { id } = change.target;
    switch (change.kind) {
      case 'subscription_update':
      case 'subscription_cancel': {
        const subs = next.stripe.subscriptions.data;
        const sub = subs.find((s) => s.id === id);
        if (sub === undefined) throw new SimulationError(`no subscription ${id}`, change.id);
        const updated =
          change.kind === 'subscription_cancel'
            ? { ...sub, status: 'canceled' as const }
            : applySubscriptionUpdate(next, sub, change);
        next = {
          ...next,
          stripe: {
            ...next.stripe,
            subscriptions: {
              ...next.stripe.subscriptions,
              data: subs.map((s) => (s.id === id ? updated : s)),
            },
          },
        };
        break;
      }
      case 'customer_update': {
        const customer = next.stripe.customer.data;
        if (customer === null || customer.id !== id)
          throw new SimulationError(`no customer ${id}`, change.id);
        const metadata = (change.operation.params.metadata ?? {}) as Record<string, string>;
        next.stripe.customer.data = { ...customer, metadata: { ...customer.metadata, ...metadata } };
        break;
      }
      case 'invoice_update': {
        const recent = next.stripe.invoices.data.recent;
        const invoice = recent.find((i) => i.id === id);
        if (invoice === undefined) throw new SimulationError(`no invoice ${id}`, change.id);
        const metadata = (change.operation.params.metadata ?? {}) as Record<string, string>;
        next.stripe.invoices.data.recent = recent.map((i) =>
          i.id === id ? { ...i, metadata: { ...i.metadata, ...metadata } } : i,
        );
        break;
      }
    }
  }
  return next;
}

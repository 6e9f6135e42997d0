import type Stripe from 'stripe';
import { LIVE_CHANGE_ID_FIELD } from '../../core/apply-policy.js';
import { stampedChangeId } from '../../core/stamp.js';
import type { StripeInvoice, StripeSubscription, UpcomingInvoice } from '../../domain/account-view.js';
import type { ChangeTarget, StripeParamValue } from '../../domain/plan.js';
import type { Stamped, StripeAccountParts } from '../../ports/index.js';
import { calling, failedWithCode } from './errors.js';
import {
  mapCustomer,
  mapInvoice,
  mapPaymentMethod,
  mapSubscription,
  mapUpcoming,
  StripeMappingError,
} from './mapping.js';

/**
 * The Stripe reads: everything an AccountView needs of one customer (gather), and the live values a
 * change's preconditions name (plan-apply). Lists are read whole with the SDK's auto-pagination.
 */

/** Subscription statuses that bill nothing (docs/domain-rules.md "Live Stripe subscription"). */
const NOT_LIVE = new Set(['canceled', 'incomplete_expired']);
/** How many recent invoices the view carries (newest first). */
export const RECENT_INVOICE_LIMIT = 10;
/** Stripe's largest page: the fewest requests per list. */
const PAGE_LIMIT = 100;
/** autoPagingToArray takes at most 10 000; one entry past this cap tells a whole list from a cut one. */
export const MAX_LIST_ENTRIES = 9_999;

/**
 * Every entry of a list, page after page. autoPagingToArray stops silently at its limit, so a list longer
 * than the cap is refused: a plan made on part of a list would heal the wrong thing.
 */
export async function listAll<T>(
  what: string,
  subject: string,
  list: () => Stripe.ApiListPromise<T>,
): Promise<T[]> {
  const entries = await calling(what, subject, () =>
    list().autoPagingToArray({ limit: MAX_LIST_ENTRIES + 1 }),
  );
  if (entries.length > MAX_LIST_ENTRIES) {
    throw new StripeMappingError(
      `${what} for ${subject} has more than ${MAX_LIST_ENTRIES} entries: refusing to read it in part`,
      subject,
    );
  }
  return entries;
}

/**
 * An inline list (a subscription's items, an invoice's lines), or the whole list when the inline one was
 * cut. Read again from the start: the inline order is not promised to be the list endpoint's.
 */
function whole<T>(
  inline: Stripe.ApiList<T>,
  what: string,
  subject: string,
  list: () => Stripe.ApiListPromise<T>,
): Promise<T[]> {
  return inline.has_more ? listAll(what, subject, list) : Promise.resolve(inline.data);
}

function itemsOf(
  client: Stripe,
  sub: Stripe.Subscription,
  subject: string,
): Promise<Stripe.SubscriptionItem[]> {
  return whole(sub.items, 'subscriptionItems.list', subject, () =>
    client.subscriptionItems.list({ subscription: sub.id, limit: PAGE_LIMIT }),
  );
}

/**
 * Customer first (a missing or deleted customer ends the read after one call), then subscriptions,
 * recent invoices and payment methods in parallel, then one preview of the subscription that renews
 * first (API 2025-03+ previews one subscription, not a customer). Items, prices and invoice lines come
 * inline, so no per-object follow-up calls are needed unless a list is longer than one page.
 */
export async function readAccount(
  client: Stripe,
  customerId: string,
  now: () => Date,
): Promise<StripeAccountParts> {
  const stamp = <T>(data: T): Stamped<T> => ({ source: 'stripe', asOf: now().toISOString(), data });

  let rawCustomer: Stripe.Customer | Stripe.DeletedCustomer | null;
  try {
    rawCustomer = await calling('customers.retrieve', customerId, () =>
      client.customers.retrieve(customerId),
    );
  } catch (err) {
    if (!failedWithCode(err, 'resource_missing')) throw err;
    rawCustomer = null;
  }
  if (rawCustomer === null || rawCustomer.deleted === true) {
    return {
      customer: stamp(rawCustomer === null ? null : mapCustomer(rawCustomer)),
      subscriptions: stamp([]),
      invoices: stamp({ next: null, recent: [] }),
      paymentMethods: stamp([]),
    };
  }
  const customer = stamp(mapCustomer(rawCustomer));

  const [subs, recent, paymentMethods] = await Promise.all([
    (async () => {
      const subs = await listAll('subscriptions.list', customerId, () =>
        client.subscriptions.list({ customer: customerId, status: 'all', limit: PAGE_LIMIT }),
      );
      const mapped: StripeSubscription[] = [];
      const renewals: Array<{ id: string; at: number }> = [];
      for (const sub of subs) {
        const items = await itemsOf(client, sub, customerId);
        mapped.push(mapSubscription(sub, items));
        if (!NOT_LIVE.has(sub.status) && !sub.cancel_at_period_end && items.length > 0) {
          renewals.push({ id: sub.id, at: Math.min(...items.map((i) => i.current_period_end)) });
        }
      }
      return { stamped: stamp(mapped), renewals };
    })(),
    (async () => {
      // Only the newest page: the view carries recent invoices, not the history.
      const page = await calling('invoices.list', customerId, () =>
        client.invoices.list({ customer: customerId, limit: RECENT_INVOICE_LIMIT }),
      );
      const invoices: StripeInvoice[] = [];
      for (const inv of page.data) {
        const lines = await whole(inv.lines, 'invoices.listLineItems', customerId, () =>
          client.invoices.listLineItems(inv.id, { limit: PAGE_LIMIT }),
        );
        invoices.push(mapInvoice(inv, lines));
      }
      return invoices;
    })(),
    (async () => {
      const pms = await listAll('customers.listPaymentMethods', customerId, () =>
        client.customers.listPaymentMethods(customerId, { limit: PAGE_LIMIT }),
      );
      return stamp(pms.map(mapPaymentMethod));
    })(),
  ]);

  const renewsFirst = firstRenewal(subs.renewals);
  let next: UpcomingInvoice | null = null;
  if (renewsFirst !== null) {
    try {
      const preview = await calling('invoices.createPreview', customerId, () =>
        client.invoices.createPreview({ customer: customerId, subscription: renewsFirst }),
      );
      next = mapUpcoming(preview);
    } catch (err) {
      if (!failedWithCode(err, 'invoice_upcoming_none')) throw err;
    }
  }
  return { customer, subscriptions: subs.stamped, invoices: stamp({ next, recent }), paymentMethods };
}

/** The live, renewing subscription whose period ends first: the one the next invoice bills. */
function firstRenewal(renewals: ReadonlyArray<{ id: string; at: number }>): string | null {
  let first: { id: string; at: number } | undefined;
  for (const r of renewals)
    if (first === undefined || r.at < first.at || (r.at === first.at && r.id < first.id)) first = r;
  return first?.id ?? null;
}

/**
 * The live values a change's preconditions name, plus the change id stamped on the object. A target that
 * is gone reads as `exists: false` (every precondition null), so apply sees a stale plan, not an error loop.
 */
export async function readLive(
  client: Stripe,
  target: ChangeTarget,
): Promise<Record<string, StripeParamValue>> {
  const { id } = target;
  try {
    switch (target.object) {
      case 'subscription': {
        const sub = await calling('subscriptions.retrieve', id, () => client.subscriptions.retrieve(id));
        const items = await itemsOf(client, sub, id);
        return {
          exists: true,
          ...metadataFields(sub.metadata),
          status: sub.status,
          cancel_at_period_end: sub.cancel_at_period_end,
          items: items
            .map((i) => ({ id: i.id, price: i.price.id, quantity: i.quantity ?? null }))
            .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
          [LIVE_CHANGE_ID_FIELD]: stampedChangeId({
            metadata: sub.metadata,
            cancellationComment: sub.cancellation_details?.comment,
          }),
        };
      }
      case 'customer': {
        const customer = await calling('customers.retrieve', id, () => client.customers.retrieve(id));
        if (customer.deleted === true) {
          return { exists: true, deleted: true, 'metadata.bad_debt': null, [LIVE_CHANGE_ID_FIELD]: null };
        }
        return {
          exists: true,
          deleted: false,
          ...metadataFields(customer.metadata),
          'metadata.bad_debt': customer.metadata?.bad_debt ?? null,
          [LIVE_CHANGE_ID_FIELD]: stampedChangeId({ metadata: customer.metadata }),
        };
      }
      case 'invoice': {
        const invoice = await calling('invoices.retrieve', id, () => client.invoices.retrieve(id));
        return {
          exists: true,
          ...metadataFields(invoice.metadata),
          status: invoice.status,
          'metadata.cf_account_id': invoice.metadata?.cf_account_id ?? null,
          [LIVE_CHANGE_ID_FIELD]: stampedChangeId({ metadata: invoice.metadata }),
        };
      }
    }
  } catch (err) {
    if (failedWithCode(err, 'resource_missing')) return { exists: false, [LIVE_CHANGE_ID_FIELD]: null };
    throw err;
  }
}

function metadataFields(metadata: Stripe.Metadata | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [`metadata.${k}`, v]));
}

import { z } from 'zod';
import type { Endpoint } from './endpoint.js';
import { errors, StripeApiError } from './errors.js';
import type { FormObject } from './form.js';
import { invoiceLinesEndpoint } from './invoice-lines.js';
import { list } from './lists.js';
import { bool, expand, int, listParams, metadataParam, nonNegInt, parse, RetrieveOnly } from './params.js';
import { upcomingInvoice } from './preview.js';
import {
  addInterval,
  type CustomerRecord,
  type InvoiceRecord,
  type SubscriptionItemRecord,
  type SubscriptionRecord,
} from './records.js';
import {
  renderById,
  renderCustomer,
  renderInvoice,
  renderItem,
  renderPaymentMethod,
  renderPrice,
  renderProduct,
  renderSubscription,
} from './render.js';
import type { StripeStore } from './store.js';

/**
 * The endpoints of the local Stripe API. Every handler validates all parameters and every reference
 * before it builds the replacement record; the store swaps the record in as the last step, so a request
 * that fails leaves no trace. Handlers are synchronous: no other request can interleave with one.
 */

function applyMetadata(current: Record<string, string>, update: '' | Record<string, string> | undefined) {
  if (update === undefined) return { ...current };
  if (update === '') return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > 50) throw errors.invalid('Metadata can have up to 50 keys', 'metadata');
  return next;
}

// ---- customers ----

const CustomerUpdate = z.strictObject({
  metadata: metadataParam.optional(),
  email: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  invoice_settings: z.strictObject({ default_payment_method: z.string().optional() }).optional(),
  expand,
});

function updateCustomer(store: StripeStore, id: string, params: FormObject) {
  const p = parse(CustomerUpdate, params);
  const current = store.customer(id);
  const next: CustomerRecord = { ...current, metadata: applyMetadata(current.metadata, p.metadata) };
  if (p.email !== undefined) next.email = p.email === '' ? null : p.email;
  if (p.name !== undefined) next.name = p.name === '' ? null : p.name;
  if (p.description !== undefined) next.description = p.description === '' ? null : p.description;
  const pm = p.invoice_settings?.default_payment_method;
  if (pm !== undefined) {
    if (pm === '') next.default_payment_method = null;
    else {
      const method = store.paymentMethods.get(pm);
      if (!method || method.customer !== id) {
        throw errors.invalid(
          `The customer does not have a payment method with the ID ${pm}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
          'resource_missing',
        );
      }
      next.default_payment_method = pm;
    }
  }
  store.putCustomer(next);
  return renderCustomer(next);
}

// ---- subscriptions ----

const SubscriptionStatusFilter = z.enum([
  'active',
  'all',
  'canceled',
  'ended',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
]);

const SubscriptionList = z.strictObject({
  ...listParams,
  customer: z.string().optional(),
  price: z.string().optional(),
  status: SubscriptionStatusFilter.optional(),
});

function listSubscriptions(store: StripeStore, params: FormObject) {
  const p = parse(SubscriptionList, params);
  const status = p.status;
  const items = [...store.subscriptions.values()].filter((s) => {
    if (p.customer !== undefined && s.customer !== p.customer) return false;
    if (p.price !== undefined && !s.items.some((i) => i.price === p.price)) return false;
    if (status === undefined) return s.status !== 'canceled' && s.status !== 'incomplete_expired';
    if (status === 'all') return true;
    if (status === 'ended') return s.status === 'canceled' || s.status === 'incomplete_expired';
    return s.status === status;
  });
  return list(items, p, '/v1/subscriptions', (s) => renderSubscription(store, s), 'subscription');
}

const ItemUpdate = z.strictObject({
  id: z.string().optional(),
  price: z.string().optional(),
  quantity: nonNegInt.optional(),
  deleted: bool.optional(),
  clear_usage: bool.optional(),
  metadata: metadataParam.optional(),
});

const SubscriptionUpdate = z.strictObject({
  items: z.array(ItemUpdate).optional(),
  metadata: metadataParam.optional(),
  cancel_at_period_end: bool.optional(),
  proration_behavior: z.enum(['always_invoice', 'create_prorations', 'none']).optional(),
  proration_date: int.optional(),
  default_payment_method: z.string().optional(),
  description: z.string().optional(),
  expand,
});

function updateSubscription(store: StripeStore, id: string, params: FormObject) {
  const p = parse(SubscriptionUpdate, params);
  const current = store.subscription(id);
  if (current.status === 'canceled' || current.status === 'incomplete_expired') {
    const others = Object.keys(params).filter((k) => k !== 'metadata' && k !== 'expand');
    if (others.length > 0) {
      throw errors.invalid(
        'A canceled subscription can only update its cancellation_details and metadata.',
        others[0],
      );
    }
  }
  const now = store.now();
  let items: SubscriptionItemRecord[] = current.items.map((i) => ({ ...i, metadata: { ...i.metadata } }));
  const periodStart = current.items[0]?.current_period_start ?? now;
  const periodEnd = current.items[0]?.current_period_end ?? now;
  const pendingNew: SubscriptionItemRecord[] = [];
  const touched = new Set<string>();

  (p.items ?? []).forEach((change, index) => {
    const param = (field: string) => `items[${index}][${field}]`;
    const checkPrice = (priceId: string) => {
      const price = store.price(priceId, param('price'));
      if (price.recurring === null) {
        throw errors.invalid(
          `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
          param('price'),
        );
      }
      if (!price.active) throw errors.invalid(`The price specified is inactive: ${priceId}.`, param('price'));
    };
    if (change.id !== undefined) {
      const item = items.find((i) => i.id === change.id);
      if (!item)
        throw errors.invalid(
          `Invalid subscription item ${change.id}: it is not on subscription ${id}.`,
          param('id'),
        );
      if (touched.has(item.id))
        throw errors.invalid(`Subscription item ${item.id} appears twice in items.`, param('id'));
      touched.add(item.id);
      if (change.deleted === true) {
        items = items.filter((i) => i.id !== item.id);
        return;
      }
      if (change.price !== undefined) {
        checkPrice(change.price);
        item.price = change.price;
      }
      if (change.quantity !== undefined) item.quantity = change.quantity;
      item.metadata = applyMetadata(item.metadata, change.metadata);
      return;
    }
    if (change.deleted === true)
      throw errors.badParameters('Deleting an item requires its id.', param('id'), 'parameter_missing');
    if (change.price === undefined) {
      throw errors.badParameters(
        `Missing required param: ${param('price')}.`,
        param('price'),
        'parameter_missing',
      );
    }
    checkPrice(change.price);
    pendingNew.push({
      id: '',
      price: change.price,
      quantity: change.quantity ?? 1,
      metadata: applyMetadata({}, change.metadata),
      created: now,
      current_period_start: periodStart,
      current_period_end: periodEnd,
    });
  });
  items = [...items, ...pendingNew];

  if (items.length === 0) {
    throw errors.invalid('A subscription must keep at least one item; cancel it instead.', 'items');
  }
  // Stripe's consistency rules (one item per price; one currency and interval) are checked when the
  // request sets a price. A seed may hold a subscription Stripe could not (the synthetic world draws
  // interval drift on one item); updates that leave prices alone still apply to it, like a heal that
  // only fixes a quantity, while a price change must leave the whole subscription consistent.
  const setsPrice =
    pendingNew.length > 0 || (p.items ?? []).some((c) => c.price !== undefined && c.deleted !== true);
  const seen = new Set<string>();
  let shape: string | undefined;
  for (const item of setsPrice ? items : []) {
    if (seen.has(item.price)) {
      throw errors.invalid(
        `Cannot add multiple subscription items with the same price: ${item.price}.`,
        'items',
      );
    }
    seen.add(item.price);
    const price = store.price(item.price);
    const itemShape = `${price.currency}/${price.recurring?.interval}/${price.recurring?.interval_count}`;
    if (shape !== undefined && shape !== itemShape) {
      throw errors.invalid(
        'Currency and interval fields must match across all prices on this subscription.',
        'items',
      );
    }
    shape = itemShape;
  }
  let defaultPaymentMethod = current.default_payment_method;
  if (p.default_payment_method !== undefined) {
    if (p.default_payment_method === '') defaultPaymentMethod = null;
    else {
      const pm = store.paymentMethods.get(p.default_payment_method);
      if (!pm || pm.customer !== current.customer) {
        throw errors.invalid(
          `The customer does not have a payment method with the ID ${p.default_payment_method}.`,
          'default_payment_method',
          'resource_missing',
        );
      }
      defaultPaymentMethod = pm.id;
    }
  }

  // Everything is valid: only now do new items get ids (ids are never burnt by a rejected request).
  for (const item of pendingNew) item.id = store.newId('si');
  const next: SubscriptionRecord = {
    ...current,
    items,
    metadata: applyMetadata(current.metadata, p.metadata),
    cancel_at_period_end: p.cancel_at_period_end ?? current.cancel_at_period_end,
    default_payment_method: defaultPaymentMethod,
    description:
      p.description === undefined ? current.description : p.description === '' ? null : p.description,
  };
  store.putSubscription(next);
  return renderSubscription(store, next);
}

const SubscriptionCancel = z.strictObject({
  invoice_now: bool.optional(),
  prorate: bool.optional(),
  cancellation_details: z
    .strictObject({ comment: z.string().optional(), feedback: z.string().optional() })
    .optional(),
  expand,
});

function cancelSubscription(store: StripeStore, id: string, params: FormObject) {
  const p = parse(SubscriptionCancel, params);
  const current = store.subscription(id);
  // Stripe answers a second cancel as if the subscription no longer existed.
  if (current.status === 'canceled') throw errors.missing('subscription', id);
  const now = store.now();
  const next: SubscriptionRecord = {
    ...current,
    status: 'canceled',
    canceled_at: now,
    ended_at: now,
    cancellation_comment: p.cancellation_details?.comment ?? null,
    cancellation_feedback: p.cancellation_details?.feedback ?? null,
  };
  store.putSubscription(next);
  return renderSubscription(store, next);
}

// ---- invoices ----

const InvoiceList = z.strictObject({
  ...listParams,
  customer: z.string().optional(),
  subscription: z.string().optional(),
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
});

const InvoiceUpdate = z.strictObject({ metadata: metadataParam.optional(), expand });

function updateInvoice(store: StripeStore, id: string, params: FormObject) {
  const p = parse(InvoiceUpdate, params);
  const current = store.invoice(id);
  const next: InvoiceRecord = { ...current, metadata: applyMetadata(current.metadata, p.metadata) };
  store.putInvoice(next);
  return renderInvoice(store, next);
}

const InvoicePreview = z.strictObject({
  customer: z.string().optional(),
  subscription: z.string().optional(),
  expand,
});

function previewInvoice(store: StripeStore, params: FormObject) {
  const p = parse(InvoicePreview, params);
  let customer = p.customer;
  if (customer === undefined && p.subscription !== undefined)
    customer = store.subscription(p.subscription).customer;
  if (customer === undefined) {
    throw errors.badParameters(
      'Missing required param: customer or subscription.',
      'customer',
      'parameter_missing',
    );
  }
  return upcomingInvoice(store, customer, p.subscription);
}

// ---- routing table ----

const ID = '([A-Za-z0-9_]+)';

export const ENDPOINTS: Endpoint[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/customers$/,
    handler: (store, { params }) => {
      const p = parse(z.strictObject({ ...listParams, email: z.string().optional() }), params);
      const items = [...store.customers.values()].filter((c) => p.email === undefined || c.email === p.email);
      return list(items, p, '/v1/customers', (c) => renderCustomer(c), 'customer');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/customers/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderCustomer(store.customer(path[0] as string));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/customers/${ID}$`),
    handler: (store, { params, path }) => updateCustomer(store, path[0] as string, params),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/customers/${ID}/payment_methods$`),
    handler: (store, { params, path }) => {
      const customer = store.customer(path[0] as string);
      const p = parse(z.strictObject({ ...listParams, type: z.string().optional() }), params);
      const items = [...store.paymentMethods.values()].filter(
        (pm) => pm.customer === customer.id && (p.type === undefined || p.type === 'card'),
      );
      return list(
        items,
        p,
        `/v1/customers/${customer.id}/payment_methods`,
        (pm) => renderPaymentMethod(pm),
        'PaymentMethod',
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_methods$/,
    handler: (store, { params }) => {
      const p = parse(
        z.strictObject({ ...listParams, customer: z.string().optional(), type: z.string().optional() }),
        params,
      );
      if (p.customer !== undefined) store.customer(p.customer);
      const items = [...store.paymentMethods.values()].filter(
        (pm) =>
          (p.customer === undefined || pm.customer === p.customer) &&
          (p.type === undefined || p.type === 'card'),
      );
      return list(items, p, '/v1/payment_methods', (pm) => renderPaymentMethod(pm), 'PaymentMethod');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/payment_methods/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderPaymentMethod(store.paymentMethod(path[0] as string));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/products$/,
    handler: (store, { params }) => {
      const p = parse(z.strictObject({ ...listParams, active: bool.optional() }), params);
      const items = [...store.products.values()].filter(
        (x) => p.active === undefined || x.active === p.active,
      );
      return list(items, p, '/v1/products', (x) => renderProduct(x), 'product');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/products/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderProduct(store.product(path[0] as string));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/prices$/,
    handler: (store, { params }) => {
      const p = parse(
        z.strictObject({
          ...listParams,
          active: bool.optional(),
          product: z.string().optional(),
          currency: z.string().optional(),
          type: z.enum(['one_time', 'recurring']).optional(),
          lookup_keys: z.array(z.string()).optional(),
        }),
        params,
      );
      const items = [...store.prices.values()].filter(
        (x) =>
          (p.active === undefined || x.active === p.active) &&
          (p.product === undefined || x.product === p.product) &&
          (p.currency === undefined || x.currency === p.currency) &&
          (p.type === undefined || (p.type === 'recurring') === (x.recurring !== null)) &&
          (p.lookup_keys === undefined || (x.lookup_key !== null && p.lookup_keys.includes(x.lookup_key))),
      );
      return list(items, p, '/v1/prices', (x) => renderPrice(x), 'price');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/prices/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderPrice(store.price(path[0] as string));
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscriptions$/,
    handler: (store, { params }) => listSubscriptions(store, params),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/subscriptions/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderSubscription(store, store.subscription(path[0] as string));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/subscriptions/${ID}$`),
    handler: (store, { params, path }) => updateSubscription(store, path[0] as string, params),
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/v1/subscriptions/${ID}$`),
    handler: (store, { params, path }) => cancelSubscription(store, path[0] as string, params),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/subscription_items$/,
    handler: (store, { params }) => {
      const p = parse(z.strictObject({ ...listParams, subscription: z.string() }), params);
      const sub = store.subscription(p.subscription);
      return list(
        sub.items,
        p,
        `/v1/subscription_items?subscription=${sub.id}`,
        (i) => renderItem(store, sub, i),
        'subscription_item',
      );
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/subscription_items/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      const { subscription, item } = store.subscriptionItem(path[0] as string);
      return renderItem(store, subscription, item);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices$/,
    handler: (store, { params }) => {
      const p = parse(InvoiceList, params);
      const items = [...store.invoices.values()].filter(
        (inv) =>
          (p.customer === undefined || inv.customer === p.customer) &&
          (p.subscription === undefined || inv.subscription === p.subscription) &&
          (p.status === undefined || inv.status === p.status) &&
          (p.collection_method === undefined ||
            (inv.subscription === null
              ? 'charge_automatically'
              : store.subscriptions.get(inv.subscription)?.collection_method) === p.collection_method),
      );
      return list(items, p, '/v1/invoices', (inv) => renderInvoice(store, inv), 'invoice');
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/create_preview$/,
    handler: (store, { params }) => previewInvoice(store, params),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/invoices/${ID}$`),
    handler: (store, { params, path }) => {
      parse(RetrieveOnly, params);
      return renderInvoice(store, store.invoice(path[0] as string));
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/invoices/${ID}$`),
    handler: (store, { params, path }) => updateInvoice(store, path[0] as string, params),
  },
  invoiceLinesEndpoint,
];

export function route(method: string, pathname: string): { endpoint: Endpoint; path: string[] } | undefined {
  for (const endpoint of ENDPOINTS) {
    if (endpoint.method !== method) continue;
    const m = endpoint.pattern.exec(pathname);
    if (m) return { endpoint, path: m.slice(1) };
  }
  return undefined;
}

// ---- expand ----

const MAX_EXPAND_DEPTH = 4;

/** Applies Stripe's `expand[]` paths (dot-separated; `data.` for lists) to a rendered object. */
export function applyExpand(store: StripeStore, value: unknown, paths: string[] | undefined): unknown {
  let result = value;
  for (const full of paths ?? []) {
    const segments = full.split('.');
    const depth = segments.filter((s) => s !== 'data').length;
    if (depth > MAX_EXPAND_DEPTH) {
      throw errors.invalid(
        `You cannot expand more than ${MAX_EXPAND_DEPTH} levels of a property (${full}).`,
        'expand',
      );
    }
    result = expandOne(store, result, segments, full);
  }
  return result;
}

function expandOne(store: StripeStore, value: unknown, segments: string[], full: string): unknown {
  if (segments.length === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => expandOne(store, v, segments, full));
  const [head, ...rest] = segments as [string, ...string[]];
  const obj = value as Record<string, unknown>;
  const included = includable(store, obj, head);
  if (!Object.hasOwn(obj, head) && included === undefined) {
    throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
  }
  let child = included ?? obj[head];
  if (typeof child === 'string') {
    let rendered: unknown;
    try {
      rendered = renderById(store, child);
    } catch (err) {
      if (err instanceof StripeApiError) rendered = undefined;
      else throw err;
    }
    if (rendered === undefined) throw errors.invalid(`This property cannot be expanded (${full}).`, 'expand');
    child = rendered;
  }
  return { ...obj, [head]: rest.length === 0 ? child : expandOne(store, child, rest, full) };
}

/**
 * Fields Stripe leaves out unless expanded (includable): a customer's `subscriptions` — the same set as
 * the default subscription list (not canceled), so gather can read a customer and its subscriptions in
 * one call.
 */
function includable(store: StripeStore, obj: Record<string, unknown>, field: string): unknown {
  if (obj.object === 'customer' && field === 'subscriptions' && typeof obj.id === 'string') {
    const customerId = obj.id;
    const subs = [...store.subscriptions.values()].filter(
      (s) => s.customer === customerId && s.status !== 'canceled' && s.status !== 'incomplete_expired',
    );
    return list(
      subs,
      { limit: 100 },
      `/v1/customers/${customerId}/subscriptions`,
      (s) => renderSubscription(store, s),
      'subscription',
    );
  }
  return undefined;
}

/** Period helpers re-exported for tests that compute expected preview dates. */
export { addInterval };

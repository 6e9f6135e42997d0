import type Stripe from 'stripe';
import { page } from './lists.js';
import {
  type CustomerRecord,
  type InvoiceLineRecord,
  type InvoiceRecord,
  kindOfId,
  type Metadata,
  type PaymentMethodRecord,
  type PriceRecord,
  type ProductRecord,
  type SubscriptionItemRecord,
  type SubscriptionRecord,
} from './records.js';
import type { StripeStore } from './store.js';

/**
 * Records rendered into the `stripe` package's own object types, on every read: responses keep Stripe's
 * shapes (checked by the compiler against stripe@23's types) while the store keeps only compact records.
 * Renderers that show other objects (a subscription's items and prices, an invoice's customer) read them
 * from the store at render time, so a response always reflects the current records.
 */

type Decimal = NonNullable<Stripe.Price['unit_amount_decimal']>;
/** The JSON wire form of a Stripe type: the SDK's Decimal fields travel as strings. */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Decimal
    ? string
    : T extends (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

export function renderById(store: StripeStore, id: string): unknown {
  switch (kindOfId(id)) {
    case 'customer':
      return renderCustomer(store.customer(id));
    case 'payment_method':
      return renderPaymentMethod(store.paymentMethod(id));
    case 'product':
      return renderProduct(store.product(id));
    case 'price':
      return renderPrice(store.price(id));
    case 'subscription':
      return renderSubscription(store, store.subscription(id));
    case 'subscription_item': {
      const { subscription, item } = store.subscriptionItem(id);
      return renderItem(store, subscription, item);
    }
    case 'invoice':
      return renderInvoice(store, store.invoice(id));
    default:
      return undefined;
  }
}

export function renderCustomer(c: CustomerRecord): Wire<Stripe.Customer> {
  return {
    id: c.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: c.created,
    currency: 'usd',
    default_source: null,
    delinquent: false,
    description: c.description,
    discount: null,
    email: c.email,
    invoice_prefix: c.id.slice(4, 12).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: c.default_payment_method,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: { ...c.metadata },
    name: c.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export function renderPaymentMethod(pm: PaymentMethodRecord): Wire<Stripe.PaymentMethod> {
  return {
    id: pm.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    card: {
      brand: pm.card.brand,
      checks: null,
      country: 'US',
      display_brand: pm.card.brand,
      exp_month: pm.card.exp_month,
      exp_year: pm.card.exp_year,
      funding: 'credit',
      generated_from: null,
      last4: pm.card.last4,
      networks: { available: [pm.card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: pm.created,
    customer: pm.customer,
    customer_account: null,
    livemode: false,
    metadata: { ...pm.metadata },
    type: 'card',
  };
}

export function renderProduct(p: ProductRecord): Wire<Stripe.Product> {
  return {
    id: p.id,
    object: 'product',
    active: p.active,
    created: p.created,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: { ...p.metadata },
    name: p.name,
    package_dimensions: null,
    shippable: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: p.updated,
    url: null,
  };
}

export function renderPrice(p: PriceRecord): Wire<Stripe.Price> {
  return {
    id: p.id,
    object: 'price',
    active: p.active,
    billing_scheme: 'per_unit',
    created: p.created,
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: p.lookup_key,
    metadata: { ...p.metadata },
    nickname: p.nickname,
    product: p.product,
    recurring:
      p.recurring === null
        ? null
        : {
            interval: p.recurring.interval,
            interval_count: p.recurring.interval_count,
            meter: null,
            trial_period_days: null,
            usage_type: 'licensed',
          },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: p.recurring === null ? 'one_time' : 'recurring',
    unit_amount: p.unit_amount,
    unit_amount_decimal: p.unit_amount === null ? null : String(p.unit_amount),
  };
}

function renderPlan(p: PriceRecord): Wire<Stripe.Plan> {
  return {
    id: p.id,
    object: 'plan',
    active: p.active,
    amount: p.unit_amount,
    amount_decimal: p.unit_amount === null ? null : String(p.unit_amount),
    billing_scheme: 'per_unit',
    created: p.created,
    currency: p.currency,
    interval: p.recurring?.interval ?? 'month',
    interval_count: p.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: { ...p.metadata },
    meter: null,
    nickname: p.nickname,
    product: p.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export function renderItem(
  store: StripeStore,
  s: SubscriptionRecord,
  item: SubscriptionItemRecord,
): Wire<Stripe.SubscriptionItem> {
  const price = store.price(item.price);
  return {
    id: item.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: item.created,
    current_period_end: item.current_period_end,
    current_period_start: item.current_period_start,
    current_trial: null,
    discounts: [],
    metadata: { ...item.metadata },
    plan: renderPlan(price),
    price: renderPrice(price),
    quantity: item.quantity,
    subscription: s.id,
    tax_rates: [],
  };
}

export function renderSubscription(store: StripeStore, s: SubscriptionRecord): Wire<Stripe.Subscription> {
  const latest = latestInvoiceOf(store, s.id);
  const periodEnd = Math.min(...s.items.map((i) => i.current_period_end));
  return {
    id: s.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: s.items[0]?.current_period_start ?? s.start_date,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: s.cancel_at_period_end ? periodEnd : null,
    cancel_at_period_end: s.cancel_at_period_end,
    canceled_at: s.canceled_at,
    cancellation_details: {
      comment: s.cancellation_comment ?? null,
      feedback: (s.cancellation_feedback ?? null) as Stripe.Subscription.CancellationDetails.Feedback | null,
      feedback_option: null,
      reason: s.canceled_at === null ? null : 'cancellation_requested',
    },
    collection_method: s.collection_method,
    created: s.created,
    currency: s.currency,
    customer: s.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: s.default_payment_method,
    default_source: null,
    default_tax_rates: [],
    description: s.description,
    discounts: [],
    ended_at: s.ended_at,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: s.items.map((item) => renderItem(store, s, item)),
      has_more: false,
      url: `/v1/subscription_items?subscription=${s.id}`,
    },
    latest_invoice: latest?.id ?? null,
    livemode: false,
    managed_payments: null,
    metadata: { ...s.metadata },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: s.start_date,
    status: s.status,
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: null,
  };
}

function latestInvoiceOf(store: StripeStore, subscriptionId: string): InvoiceRecord | undefined {
  let latest: InvoiceRecord | undefined;
  for (const inv of store.invoices.values()) {
    if (inv.subscription === subscriptionId && (!latest || inv.created > latest.created)) latest = inv;
  }
  return latest;
}

/** Lines an invoice carries inline, as Stripe renders invoices; the rest are paged from its lines endpoint. */
export const INLINE_LINES = 10;

export function renderInvoice(
  store: StripeStore,
  inv: InvoiceRecord,
  preview?: { subscriptionMetadata: Metadata },
): Wire<Stripe.Invoice> {
  const subtotal = inv.lines.reduce((sum, l) => sum + l.amount, 0);
  const paidAt = inv.status === 'paid' ? inv.created : null;
  const finalized = inv.status === 'draft' ? null : inv.created;
  const subscription = inv.subscription === null ? undefined : store.subscriptions.get(inv.subscription);
  return {
    id: inv.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Local Stripe',
    account_tax_ids: null,
    amount_due: inv.amount_due,
    amount_overpaid: 0,
    amount_paid: inv.amount_paid,
    amount_remaining: Math.max(0, inv.amount_due - inv.amount_paid),
    amount_shipping: 0,
    application: null,
    attempt_count: inv.status === 'paid' ? 1 : 0,
    attempted: inv.status !== 'draft',
    auto_advance: inv.status === 'draft' || inv.status === 'open',
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: inv.status === 'draft' ? inv.created + 3600 : null,
    billing_reason: inv.billing_reason,
    collection_method: subscription?.collection_method ?? 'charge_automatically',
    created: inv.created,
    currency: inv.currency,
    custom_fields: null,
    customer: inv.customer,
    customer_account: null,
    customer_address: null,
    customer_email: store.customers.get(inv.customer)?.email ?? null,
    customer_name: store.customers.get(inv.customer)?.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: inv.due_date,
    effective_at: finalized,
    ending_balance: inv.status === 'draft' ? null : 0,
    footer: null,
    from_invoice: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: page(
      inv.lines,
      { limit: INLINE_LINES },
      `/v1/invoices/${inv.id}/lines`,
      (l) => renderLine(store, inv, l),
      'line_item',
    ),
    livemode: false,
    metadata: { ...inv.metadata },
    next_payment_attempt: inv.status === 'open' || inv.status === 'draft' ? inv.created + 3600 : null,
    number: inv.number,
    on_behalf_of: null,
    parent:
      inv.subscription === null
        ? null
        : {
            quote_details: null,
            subscription_details: {
              metadata: preview?.subscriptionMetadata ?? (subscription ? { ...subscription.metadata } : null),
              subscription: inv.subscription,
            },
            type: 'subscription_details',
          },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: inv.period_end,
    period_start: inv.period_start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: inv.status,
    status_transitions: {
      finalized_at: finalized,
      marked_uncollectible_at: inv.status === 'uncollectible' ? inv.created : null,
      paid_at: paidAt,
      voided_at: inv.status === 'void' ? inv.created : null,
    },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total: subtotal,
    total_discount_amounts: [],
    total_excluding_tax: subtotal,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: finalized,
  };
}

export function renderLine(
  store: StripeStore,
  inv: InvoiceRecord,
  l: InvoiceLineRecord,
): Wire<Stripe.InvoiceLineItem> {
  const price = l.price === null ? undefined : store.prices.get(l.price);
  return {
    id: l.id,
    object: 'line_item',
    amount: l.amount,
    currency: inv.currency,
    description: l.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: { ...l.metadata },
    parent:
      l.subscription_item === null
        ? null
        : {
            invoice_item_details: null,
            subscription_item_details: {
              invoice_item: null,
              proration: false,
              proration_details: { credited_items: null },
              subscription: inv.subscription,
              subscription_item: l.subscription_item,
            },
            type: 'subscription_item_details',
          },
    period: { start: l.period_start, end: l.period_end },
    pretax_credit_amounts: [],
    pricing: price
      ? {
          price_details: { price: price.id, product: price.product },
          type: 'price_details',
          unit_amount_decimal: price.unit_amount === null ? null : String(price.unit_amount),
        }
      : null,
    quantity: l.quantity,
    quantity_decimal: l.quantity === null ? null : String(l.quantity),
    subscription: inv.subscription,
    subtotal: l.amount,
    taxes: [],
  };
}

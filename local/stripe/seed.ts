import { z } from 'zod';

/**
 * The seed format of the local Stripe API: plain data (JSON-safe), a small Stripe-shaped subset.
 * Every field has the meaning of the Stripe field of the same name; optional fields get Stripe-like
 * defaults. The synthetic world generator maps its accounts into this; docs/local-stack.md documents it.
 * Timestamps are Unix seconds, amounts are in the currency's minor unit, as in Stripe.
 */

const metadata = z.record(z.string(), z.string());
const unixSeconds = z.number().int().nonnegative();

export const SeedCustomerSchema = z.strictObject({
  id: z.string().startsWith('cus_'),
  email: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  metadata: metadata.optional(),
  /** `invoice_settings.default_payment_method`: a payment method attached to this customer. */
  default_payment_method: z.string().nullable().optional(),
  created: unixSeconds.optional(),
});

export const SeedPaymentMethodSchema = z.strictObject({
  id: z.string().startsWith('pm_'),
  /** The customer it is attached to; null = detached. */
  customer: z.string().nullable(),
  type: z.literal('card').optional(),
  card: z
    .strictObject({
      brand: z.string(),
      last4: z.string().length(4),
      exp_month: z.number().int().min(1).max(12),
      exp_year: z.number().int(),
    })
    .optional(),
  metadata: metadata.optional(),
  created: unixSeconds.optional(),
});

export const SeedProductSchema = z.strictObject({
  id: z.string().startsWith('prod_'),
  name: z.string(),
  active: z.boolean().optional(),
  metadata: metadata.optional(),
  created: unixSeconds.optional(),
});

export const SeedPriceSchema = z.strictObject({
  id: z.string().startsWith('price_'),
  product: z.string().startsWith('prod_'),
  currency: z.string().length(3).optional(),
  unit_amount: z.number().int().nonnegative().nullable(),
  /** null = a one-time price (cannot be used on subscriptions). Default: monthly. */
  recurring: z
    .strictObject({
      interval: z.enum(['day', 'week', 'month', 'year']),
      interval_count: z.number().int().positive().optional(),
    })
    .nullable()
    .optional(),
  active: z.boolean().optional(),
  lookup_key: z.string().nullable().optional(),
  nickname: z.string().nullable().optional(),
  metadata: metadata.optional(),
  created: unixSeconds.optional(),
});

export const SeedSubscriptionItemSchema = z.strictObject({
  /** Default: derived from the subscription id and the item's position. */
  id: z.string().startsWith('si_').optional(),
  price: z.string().startsWith('price_'),
  quantity: z.number().int().nonnegative().optional(),
  metadata: metadata.optional(),
  created: unixSeconds.optional(),
});

export const SubscriptionStatusSchema = z.enum([
  'active',
  'canceled',
  'incomplete',
  'incomplete_expired',
  'past_due',
  'paused',
  'trialing',
  'unpaid',
]);

export const SeedSubscriptionSchema = z.strictObject({
  id: z.string().startsWith('sub_'),
  customer: z.string().startsWith('cus_'),
  status: SubscriptionStatusSchema.optional(),
  items: z.array(SeedSubscriptionItemSchema).min(1),
  metadata: metadata.optional(),
  created: unixSeconds.optional(),
  start_date: unixSeconds.optional(),
  /** Period of every item (Stripe keeps periods on items since 2025-03). Default: the month around now. */
  current_period_start: unixSeconds.optional(),
  current_period_end: unixSeconds.optional(),
  cancel_at_period_end: z.boolean().optional(),
  canceled_at: unixSeconds.nullable().optional(),
  default_payment_method: z.string().nullable().optional(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
  currency: z.string().length(3).optional(),
  description: z.string().nullable().optional(),
});

export const SeedInvoiceLineSchema = z.strictObject({
  price: z.string().startsWith('price_').nullable().optional(),
  quantity: z.number().int().nonnegative().nullable().optional(),
  amount: z.number().int(),
  description: z.string().nullable().optional(),
  /** The subscription item the line bills, if any. */
  subscription_item: z.string().nullable().optional(),
  period_start: unixSeconds.optional(),
  period_end: unixSeconds.optional(),
  metadata: metadata.optional(),
});

export const InvoiceStatusSchema = z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']);

export const SeedInvoiceSchema = z.strictObject({
  id: z.string().startsWith('in_'),
  customer: z.string().startsWith('cus_'),
  subscription: z.string().startsWith('sub_').nullable().optional(),
  status: InvoiceStatusSchema.optional(),
  currency: z.string().length(3).optional(),
  amount_due: z.number().int(),
  amount_paid: z.number().int().optional(),
  billing_reason: z
    .enum(['subscription_create', 'subscription_cycle', 'subscription_update', 'manual'])
    .nullable()
    .optional(),
  created: unixSeconds.optional(),
  period_start: unixSeconds.optional(),
  period_end: unixSeconds.optional(),
  due_date: unixSeconds.nullable().optional(),
  number: z.string().nullable().optional(),
  metadata: metadata.optional(),
  lines: z.array(SeedInvoiceLineSchema).optional(),
});

export const StripeSeedSchema = z.strictObject({
  customers: z.array(SeedCustomerSchema).optional(),
  payment_methods: z.array(SeedPaymentMethodSchema).optional(),
  products: z.array(SeedProductSchema).optional(),
  prices: z.array(SeedPriceSchema).optional(),
  subscriptions: z.array(SeedSubscriptionSchema).optional(),
  invoices: z.array(SeedInvoiceSchema).optional(),
});

export type StripeSeed = z.input<typeof StripeSeedSchema>;
export type SeedCustomer = z.input<typeof SeedCustomerSchema>;
export type SeedPaymentMethod = z.input<typeof SeedPaymentMethodSchema>;
export type SeedProduct = z.input<typeof SeedProductSchema>;
export type SeedPrice = z.input<typeof SeedPriceSchema>;
export type SeedSubscription = z.input<typeof SeedSubscriptionSchema>;
export type SeedSubscriptionItem = z.input<typeof SeedSubscriptionItemSchema>;
export type SeedInvoice = z.input<typeof SeedInvoiceSchema>;
export type SeedInvoiceLine = z.input<typeof SeedInvoiceLineSchema>;
export type SubscriptionStatus = z.infer<typeof SubscriptionStatusSchema>;
export type InvoiceStatus = z.infer<typeof InvoiceStatusSchema>;

import type Stripe from 'stripe';
import type { InvoiceStatus, SubscriptionStatus } from './seed.js';

/**
 * The records the local Stripe API keeps: compact plain data, one per Stripe object, holding only what
 * the endpoints read or write (render.ts expands them into Stripe's full shapes). Every other file of the
 * local API builds, stores or reads them, so they depend only on seed.ts's status enums. With them, the
 * two facts about records that several files need: the kind of object an id names, and where a billing
 * period ends.
 */

export type Metadata = Record<string, string>;
type Interval = 'day' | 'week' | 'month' | 'year';

export interface CustomerRecord {
  id: string;
  email: string | null;
  name: string | null;
  description: string | null;
  metadata: Metadata;
  default_payment_method: string | null;
  created: number;
}
export interface PaymentMethodRecord {
  id: string;
  customer: string | null;
  card: { brand: string; last4: string; exp_month: number; exp_year: number };
  metadata: Metadata;
  created: number;
}
export interface ProductRecord {
  id: string;
  name: string;
  active: boolean;
  metadata: Metadata;
  created: number;
  updated: number;
}
export interface PriceRecord {
  id: string;
  product: string;
  currency: string;
  unit_amount: number | null;
  recurring: { interval: Interval; interval_count: number } | null;
  active: boolean;
  lookup_key: string | null;
  nickname: string | null;
  metadata: Metadata;
  created: number;
}
export interface SubscriptionItemRecord {
  id: string;
  price: string;
  quantity: number;
  metadata: Metadata;
  created: number;
  current_period_start: number;
  current_period_end: number;
}
export interface SubscriptionRecord {
  id: string;
  customer: string;
  status: SubscriptionStatus;
  items: SubscriptionItemRecord[];
  metadata: Metadata;
  created: number;
  start_date: number;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  /** cancellation_details.comment/feedback given on cancel: the dashboard's "why" (heals stamp it). */
  cancellation_comment?: string | null;
  cancellation_feedback?: string | null;
  ended_at: number | null;
  default_payment_method: string | null;
  collection_method: 'charge_automatically' | 'send_invoice';
  currency: string;
  description: string | null;
}
export interface InvoiceLineRecord {
  id: string;
  price: string | null;
  quantity: number | null;
  amount: number;
  description: string | null;
  subscription_item: string | null;
  period_start: number;
  period_end: number;
  metadata: Metadata;
}
export interface InvoiceRecord {
  id: string;
  customer: string;
  subscription: string | null;
  status: InvoiceStatus;
  currency: string;
  amount_due: number;
  amount_paid: number;
  billing_reason: Stripe.Invoice.BillingReason | null;
  created: number;
  period_start: number;
  period_end: number;
  due_date: number | null;
  number: string | null;
  metadata: Metadata;
  lines: InvoiceLineRecord[];
}

const DAY = 86_400;

/** End of one billing period that starts at `start` (calendar months/years, like Stripe). */
export function addInterval(start: number, interval: Interval, count: number): number {
  if (interval === 'day') return start + count * DAY;
  if (interval === 'week') return start + count * 7 * DAY;
  const d = new Date(start * 1000);
  if (interval === 'month') d.setUTCMonth(d.getUTCMonth() + count);
  else d.setUTCFullYear(d.getUTCFullYear() + count);
  return Math.floor(d.getTime() / 1000);
}

export type ObjectKind =
  | 'customer'
  | 'payment_method'
  | 'product'
  | 'price'
  | 'subscription'
  | 'subscription_item'
  | 'invoice';

/** The kind of object an id names, from Stripe's id prefixes. */
export function kindOfId(id: string): ObjectKind | undefined {
  const prefix = id.slice(0, id.indexOf('_'));
  switch (prefix) {
    case 'cus':
      return 'customer';
    case 'pm':
      return 'payment_method';
    case 'prod':
      return 'product';
    case 'price':
      return 'price';
    case 'sub':
      return 'subscription';
    case 'si':
      return 'subscription_item';
    case 'in':
      return 'invoice';
    default:
      return undefined;
  }
}

/** Every table of records the store holds, plus the index from subscription item id to its subscription. */
export interface StoreTables {
  customers: Map<string, CustomerRecord>;
  paymentMethods: Map<string, PaymentMethodRecord>;
  products: Map<string, ProductRecord>;
  prices: Map<string, PriceRecord>;
  subscriptions: Map<string, SubscriptionRecord>;
  invoices: Map<string, InvoiceRecord>;
  itemOwner: Map<string, string>;
}

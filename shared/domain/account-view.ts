import { z } from 'zod';
import { Currency, Id, Instant, Interval, Metadata, MinorUnits } from './common.js';

/**
 * The unified account view gather builds from 7+ sources (docs/design.md "One account, from detection to audit"). Every part is stamped with
 * the source it came from and the time that source's data is as of, so a plan can say what it saw.
 * The planner is a pure function of this view: it never reads a clock, only `asOf`.
 */

export const SourceName = z.enum([
  'ope',
  'stripe',
  'subs_account',
  'subs_customer',
  'subs_dunning',
  'billing_prod',
  'cf_prod',
  'firestore_gates',
]);
export type SourceName = z.infer<typeof SourceName>;

/** A part of the view with its provenance. */
function sourced<T extends z.ZodType>(data: T) {
  return z.strictObject({ source: SourceName, asOf: Instant, data });
}

// ---------------------------------------------------------------- OPE (what the account bought)

export const OpeScheduledChange = z.strictObject({
  /** When the change takes effect (usually the period end). Before then it is not drift. */
  effectiveAt: Instant,
  productId: Id.optional(),
  quantity: z.number().int().min(1).optional(),
});
export type OpeScheduledChange = z.infer<typeof OpeScheduledChange>;

export const OpeItem = z.strictObject({
  id: Id,
  productId: Id,
  quantity: z.number().int().min(1),
  /** Deleted in OPE: Stripe must not bill it. */
  deleted: z.boolean(),
  /** Set through a contract path: never touched automatically. */
  contract: z.boolean(),
  scheduledChange: OpeScheduledChange.nullable(),
});
export type OpeItem = z.infer<typeof OpeItem>;

export const OpeSubscriptionStatus = z.enum(['active', 'trialing', 'past_due', 'canceled']);
export type OpeSubscriptionStatus = z.infer<typeof OpeSubscriptionStatus>;

export const OpeSubscription = z.strictObject({
  id: Id,
  status: OpeSubscriptionStatus,
  interval: Interval,
  currency: Currency,
  cancelAtPeriodEnd: z.boolean(),
  contract: z.boolean(),
  items: z.array(OpeItem),
});
export type OpeSubscription = z.infer<typeof OpeSubscription>;

// ---------------------------------------------------------------- Stripe (live)

export const StripePrice = z.strictObject({
  id: Id,
  productId: Id,
  unitAmountMinor: MinorUnits.min(0),
  currency: Currency,
  interval: Interval,
});
export type StripePrice = z.infer<typeof StripePrice>;

export const StripeItem = z.strictObject({
  id: Id,
  price: StripePrice,
  quantity: z.number().int().min(0),
  /** `ope_item_id` is the stable key that matches a Stripe item to its OPE item. */
  metadata: Metadata,
});
export type StripeItem = z.infer<typeof StripeItem>;

export const StripeSubscriptionStatus = z.enum([
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'incomplete',
  'incomplete_expired',
  'paused',
  'canceled',
]);
export type StripeSubscriptionStatus = z.infer<typeof StripeSubscriptionStatus>;

export const StripeSubscription = z.strictObject({
  id: Id,
  customerId: Id,
  status: StripeSubscriptionStatus,
  currency: Currency,
  cancelAtPeriodEnd: z.boolean(),
  /** `ope_subscription_id` matches the Stripe subscription to its OPE subscription. */
  metadata: Metadata,
  items: z.array(StripeItem),
});
export type StripeSubscription = z.infer<typeof StripeSubscription>;

export const StripeCustomer = z.strictObject({
  id: Id,
  deleted: z.boolean(),
  currency: Currency.nullable(),
  defaultPaymentMethodId: Id.nullable(),
  /** `bad_debt` = "true" marks a bad-debt customer (the flag the dunning path keeps in sync). */
  metadata: Metadata,
});
export type StripeCustomer = z.infer<typeof StripeCustomer>;

export const StripePaymentMethod = z.strictObject({
  id: Id,
  type: z.string().min(1).max(64),
  /** Card expiry, when the method is a card: a card past its month is not a valid payment method. */
  cardExpMonth: z.number().int().min(1).max(12).nullable(),
  cardExpYear: z.number().int().min(2000).max(2200).nullable(),
});
export type StripePaymentMethod = z.infer<typeof StripePaymentMethod>;

export const StripeInvoiceStatus = z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']);
export type StripeInvoiceStatus = z.infer<typeof StripeInvoiceStatus>;

export const StripeInvoice = z.strictObject({
  id: Id,
  status: StripeInvoiceStatus,
  subscriptionId: Id.nullable(),
  /** Subscription item ids billed on this invoice: an uncollectible invoice marks its items bad debt. */
  subscriptionItemIds: z.array(Id),
  /** `cf_account_id` must name the account (the invoice metadata remediation keeps it so). */
  metadata: Metadata,
});
export type StripeInvoice = z.infer<typeof StripeInvoice>;

export const UpcomingInvoice = z.strictObject({
  /** When Stripe will next invoice the customer: InvoiceDateTooNear compares it with asOf. */
  nextInvoiceAt: Instant,
  amountDueMinor: MinorUnits,
  currency: Currency,
});
export type UpcomingInvoice = z.infer<typeof UpcomingInvoice>;

// ---------------------------------------------------------------- The company's stores

export const SubsAccount = z.strictObject({
  accountType: z.string().min(1).max(64),
  /** Other account ids merged into (or with) this one. */
  mergedAccountIds: z.array(Id),
});

export const SubsCustomer = z.strictObject({
  stripeCustomerId: Id.nullable(),
  /** Every account id that maps to the same Stripe customer, this one included. */
  accountIdsForCustomer: z.array(Id),
});

export const DunningState = z.enum(['none', 'dunning', 'bad_debt']);
export type DunningState = z.infer<typeof DunningState>;

export const SubsDunning = z.strictObject({ state: DunningState });

export const CatalogueEntry = z.strictObject({
  productId: Id,
  interval: Interval,
  currency: Currency,
  stripePriceId: Id,
  unitAmountMinor: MinorUnits.min(0),
});
export type CatalogueEntry = z.infer<typeof CatalogueEntry>;

export const BillingProd = z.strictObject({ catalogue: z.array(CatalogueEntry) });

export const Zone = z.strictObject({ id: Id, planLevel: z.string().min(1).max(64) });

export const CfProd = z.strictObject({ accountType: z.string().min(1).max(64), zones: z.array(Zone) });

export const AccountGates = z.strictObject({
  /** Off (the default when no gate document exists): bad-debt flag changes are dropped. */
  badDebtDriftRemediation: z.boolean(),
  /** Off (the default when no gate document exists): invoice metadata changes are dropped. */
  invoiceMetadataRemediation: z.boolean(),
});
export type AccountGates = z.infer<typeof AccountGates>;

// ---------------------------------------------------------------- The view

export const ACCOUNT_VIEW_SCHEMA_VERSION = 1 as const;

export const AccountView = z.strictObject({
  schemaVersion: z.literal(ACCOUNT_VIEW_SCHEMA_VERSION),
  accountId: Id,
  /** The evaluation time. Every time rule (delayed upgrades, invoice date, card expiry) uses it. */
  asOf: Instant,
  ope: sourced(z.strictObject({ subscriptions: z.array(OpeSubscription) })),
  stripe: z.strictObject({
    /** null data: no customer found in Stripe. */
    customer: sourced(StripeCustomer.nullable()),
    subscriptions: sourced(z.array(StripeSubscription)),
    invoices: sourced(z.strictObject({ next: UpcomingInvoice.nullable(), recent: z.array(StripeInvoice) })),
    paymentMethods: sourced(z.array(StripePaymentMethod)),
  }),
  subsAccount: sourced(SubsAccount),
  subsCustomer: sourced(SubsCustomer),
  subsDunning: sourced(SubsDunning),
  billingProd: sourced(BillingProd),
  cfProd: sourced(CfProd),
  gates: sourced(AccountGates),
});
export type AccountView = z.infer<typeof AccountView>;

import Bottleneck from 'bottleneck';
import Stripe from 'stripe';
import { LIVE_CHANGE_ID_FIELD, type StripeFailure, shouldRetryStripeFailure } from '../core/apply-policy.js';
import { CHANGE_ID_METADATA_KEY } from '../core/planner.js';
import {
  type StripeCustomer,
  type StripeInvoice,
  StripeInvoiceStatus,
  type StripeItem,
  type StripePaymentMethod,
  type StripePrice,
  type StripeSubscription,
  StripeSubscriptionStatus,
  type UpcomingInvoice,
} from '../domain/account-view.js';
import { Interval } from '../domain/common.js';
import { DEFAULT_CONFIG } from '../domain/config.js';
import type { Change, ChangeTarget, StripeParamValue } from '../domain/plan.js';
import { StripeCallError } from '../ports/errors.js';
import type { Stamped, StripeAccountParts, StripePort, StripeWriteResult } from '../ports/index.js';

/**
 * StripePort over the real `stripe` SDK. Production and local runs differ only in where the client points
 * (host/port/protocol). Reads map SDK objects into the AccountView shapes; writes always carry the
 * caller's idempotency key and go through a rate limiter.
 */

/** Subscription statuses that bill nothing (docs/domain-rules.md "Live Stripe subscription"). */
const NOT_LIVE = new Set(['canceled', 'incomplete_expired']);
/** How many recent invoices the view carries (newest first). */
export const RECENT_INVOICE_LIMIT = 10;
const PAGE_LIMIT = 100;

/** A Stripe object the view cannot represent faithfully (e.g. a weekly price): refuse, never guess. */
export class StripeMappingError extends Error {
  override readonly name = 'StripeMappingError';
  constructor(
    message: string,
    /** The Stripe object at fault, e.g. `price_123`. */
    readonly objectId: string,
  ) {
    super(message);
  }
}

export interface StripeAdapterOptions {
  apiKey: string;
  /** e.g. `{ host: '127.0.0.1', port: 12111, protocol: 'http' }` for the local server; omitted = api.stripe.com. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** The SDK's own bounded retries (409, 5xx, connection errors, `Stripe-Should-Retry: true`). Default 2. */
  maxNetworkRetries?: number;
  /** Per-request timeout in ms. Default 20 000. */
  timeoutMs?: number;
  /** Write budget per second of this instance (DriftControlConfig.stripeWritesPerSecond). */
  writesPerSecond?: number;
  /**
   * Where the budget lives (e.g. Firestore config): read before a write at most once per
   * `writeBudgetTtlMs`, so an operator's change applies without a deploy. A failed read keeps the last one.
   */
  writeBudget?: () => Promise<number>;
  writeBudgetTtlMs?: number;
  /**
   * A write that waited longer than this in the rate limiter is not sent: it fails as retryable, so
   * Pub/Sub redelivers it and plan-apply re-checks preconditions under a fresh account lease. Kept well
   * under the lease (plan-apply's LEASE_TTL_MS, 5 min) so a write never starts after its lease ran out.
   * Default 60 000 ms.
   */
  maxQueueWaitMs?: number;
  /** Clock for the `asOf` stamps. */
  now?: () => Date;
}

export const DEFAULT_MAX_QUEUE_WAIT_MS = 60_000;

export interface StripeCallStats {
  /** readAccount calls completed (or failed). */
  readonly accountReads: number;
  /** Logical API calls made by readAccount (one per SDK method call, pagination pages included). */
  readonly readCalls: number;
  /** Logical API calls made by readLive. */
  readonly liveReadCalls: number;
  /** Logical write calls (write()). */
  readonly writeCalls: number;
  /** HTTP requests the SDK sent, its own retries included. */
  readonly httpRequests: number;
}

export interface AccountReadResult {
  readonly parts: StripeAccountParts;
  /** Logical API calls this read made. */
  readonly calls: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function isStripeError(err: unknown): err is Stripe.errors.StripeError {
  return err instanceof Stripe.errors.StripeError;
}

function isResourceMissing(err: unknown): boolean {
  return isStripeError(err) && err.statusCode === 404 && err.code === 'resource_missing';
}

/** Stripe's error as the apply policy sees it: HTTP status, API error type and code. */
export function stripeFailureOf(err: unknown): StripeFailure {
  if (err instanceof Stripe.errors.StripeConnectionError) {
    return { httpStatus: err.statusCode ?? null, type: 'api_connection_error', code: err.code ?? null };
  }
  if (isStripeError(err)) {
    return { httpStatus: err.statusCode ?? null, type: err.rawType ?? null, code: err.code ?? null };
  }
  // Not an answer from Stripe at all (a socket error the SDK did not wrap): treat as the network.
  return { httpStatus: null, type: 'api_connection_error', code: null };
}

function toCallError(err: unknown, what: string, subject: string): StripeCallError {
  if (err instanceof StripeCallError) return err;
  const failure = stripeFailureOf(err);
  const requestId = isStripeError(err) ? (err.requestId ?? null) : null;
  const detail = err instanceof Error ? err.message : String(err);
  return new StripeCallError(
    `Stripe ${what} on ${subject} failed (status ${failure.httpStatus ?? 'none'}, type ${failure.type ?? 'none'}, code ${failure.code ?? 'none'}): ${detail}`,
    failure,
    shouldRetryStripeFailure(failure),
    subject,
    requestId,
    { cause: err },
  );
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

// ---------------------------------------------------------------- mapping (pure, exported for tests)

export function mapPrice(price: Stripe.Price): StripePrice {
  const recurring = price.recurring;
  if (recurring === null) {
    throw new StripeMappingError(
      `price ${price.id} is one-time, not recurring: cannot bill a subscription`,
      price.id,
    );
  }
  const interval = Interval.safeParse(recurring.interval);
  if (!interval.success || recurring.interval_count !== 1) {
    throw new StripeMappingError(
      `price ${price.id} bills every ${recurring.interval_count} ${recurring.interval}: only 1 month or 1 year is supported`,
      price.id,
    );
  }
  if (price.unit_amount === null) {
    throw new StripeMappingError(
      `price ${price.id} has no unit_amount (billing scheme ${price.billing_scheme}): only per-unit prices are supported`,
      price.id,
    );
  }
  return {
    id: price.id,
    productId: idOf(price.product) as string,
    unitAmountMinor: price.unit_amount,
    currency: price.currency,
    interval: interval.data,
  };
}

export function mapItem(item: Stripe.SubscriptionItem): StripeItem {
  if (item.quantity === undefined || item.quantity === null) {
    throw new StripeMappingError(
      `subscription item ${item.id} has no quantity (metered?): not supported`,
      item.id,
    );
  }
  return {
    id: item.id,
    price: mapPrice(item.price),
    quantity: item.quantity,
    metadata: { ...item.metadata },
  };
}

export function mapSubscription(
  sub: Stripe.Subscription,
  items: readonly Stripe.SubscriptionItem[],
): StripeSubscription {
  const status = StripeSubscriptionStatus.safeParse(sub.status);
  if (!status.success) {
    throw new StripeMappingError(
      `subscription ${sub.id} has an unknown status ${String(sub.status)}`,
      sub.id,
    );
  }
  return {
    id: sub.id,
    customerId: idOf(sub.customer) as string,
    status: status.data,
    currency: sub.currency,
    cancelAtPeriodEnd: sub.cancel_at_period_end,
    metadata: { ...(sub.metadata ?? {}) },
    items: items.map(mapItem),
  };
}

export function mapCustomer(customer: Stripe.Customer | Stripe.DeletedCustomer): StripeCustomer {
  if (customer.deleted === true) {
    return { id: customer.id, deleted: true, currency: null, defaultPaymentMethodId: null, metadata: {} };
  }
  const c = customer as Stripe.Customer;
  return {
    id: c.id,
    deleted: false,
    currency: c.currency ?? null,
    defaultPaymentMethodId: idOf(c.invoice_settings?.default_payment_method),
    metadata: { ...(c.metadata ?? {}) },
  };
}

export function mapPaymentMethod(pm: Stripe.PaymentMethod): StripePaymentMethod {
  return {
    id: pm.id,
    type: pm.type,
    cardExpMonth: pm.card?.exp_month ?? null,
    cardExpYear: pm.card?.exp_year ?? null,
  };
}

/** The subscription item ids a set of invoice lines bills (API 2025-03+: `parent.subscription_item_details`). */
export function billedItemIds(lines: readonly Stripe.InvoiceLineItem[]): string[] {
  const ids: string[] = [];
  for (const line of lines) {
    const item = line.parent?.subscription_item_details?.subscription_item;
    if (item && !ids.includes(item)) ids.push(item);
  }
  return ids;
}

export function mapInvoice(invoice: Stripe.Invoice, lines: readonly Stripe.InvoiceLineItem[]): StripeInvoice {
  const status = StripeInvoiceStatus.safeParse(invoice.status);
  if (!status.success || invoice.id === undefined) {
    throw new StripeMappingError(
      `invoice ${invoice.id ?? '(preview)'} has no known status (${String(invoice.status)})`,
      invoice.id ?? 'invoice',
    );
  }
  return {
    id: invoice.id,
    status: status.data,
    subscriptionId: idOf(invoice.parent?.subscription_details?.subscription),
    subscriptionItemIds: billedItemIds(lines),
    metadata: { ...(invoice.metadata ?? {}) },
  };
}

/**
 * The next invoice from a preview: a subscription invoice is created at the end of the current period,
 * which is the preview's `period_end` (its lines bill the period after). `next_payment_attempt` would be
 * null for send_invoice subscriptions, so it is not used.
 */
export function mapUpcoming(preview: Stripe.Invoice): UpcomingInvoice {
  return {
    nextInvoiceAt: iso(preview.period_end),
    amountDueMinor: preview.amount_due,
    currency: preview.currency,
  };
}

/** Parses `driftcontrol run <runId> change <changeId>` (apply) or `driftcontrol <changeId>` (plan). */
export function changeIdFromComment(comment: string | null | undefined): string | null {
  if (!comment) return null;
  const m = /^driftcontrol (?:run \S+ change )?(chg_[0-9a-f]{20})$/.exec(comment.trim());
  return m ? (m[1] as string) : null;
}

// ---------------------------------------------------------------- the adapter

export class StripeAdapter implements StripePort {
  readonly client: Stripe;
  private readonly limiter: Bottleneck;
  private readonly maxQueueWaitMs: number;
  private readonly now: () => Date;
  private readonly counters: Mutable<StripeCallStats> = {
    accountReads: 0,
    readCalls: 0,
    liveReadCalls: 0,
    writeCalls: 0,
    httpRequests: 0,
  };

  constructor(options: StripeAdapterOptions) {
    if (!options.apiKey) throw new Error('StripeAdapter: an API key is required');
    this.client = new Stripe(options.apiKey, {
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      // No telemetry header: nothing about our calls leaves in later requests.
      telemetry: false,
    });
    this.client.on('request', () => {
      this.counters.httpRequests += 1;
    });
    this.maxQueueWaitMs = options.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS;
    this.limiter = new Bottleneck(
      limiterSettings(options.writesPerSecond ?? DEFAULT_CONFIG.stripeWritesPerSecond),
    );
    this.now = options.now ?? (() => new Date());
    this.writeBudget = options.writeBudget;
    this.writeBudgetTtlMs = options.writeBudgetTtlMs ?? 60_000;
  }

  private readonly writeBudget: (() => Promise<number>) | undefined;
  private readonly writeBudgetTtlMs: number;
  private writeBudgetReadAt = Number.NEGATIVE_INFINITY;
  private currentWritesPerSecond: number | undefined;

  private async refreshWriteBudget(): Promise<void> {
    if (this.writeBudget === undefined || Date.now() - this.writeBudgetReadAt < this.writeBudgetTtlMs) return;
    this.writeBudgetReadAt = Date.now();
    try {
      const next = await this.writeBudget();
      if (next !== this.currentWritesPerSecond) this.setWritesPerSecond(next);
    } catch {
      // Keep the budget in force: a config read failing must not lift the limit nor stop writes.
    }
  }

  /** Applies a new write budget (the config is re-read per run; Firestore may have changed it). */
  setWritesPerSecond(writesPerSecond: number): void {
    this.limiter.updateSettings(limiterSettings(writesPerSecond));
    this.currentWritesPerSecond = writesPerSecond;
  }

  /** The budget in force (writes per second). */
  writesPerSecond(): number | undefined {
    return this.currentWritesPerSecond;
  }

  stats(): StripeCallStats {
    return { ...this.counters };
  }

  async readAccount(customerId: string): Promise<StripeAccountParts> {
    return (await this.readAccountWithStats(customerId)).parts;
  }

  /**
   * Customer first (a missing or deleted customer ends the read after one call), then subscriptions,
   * recent invoices and payment methods in parallel, then one preview of the subscription that renews
   * first (API 2025-03+ previews one subscription, not a customer). Items, prices and invoice lines come
   * inline, so no per-object follow-up calls are needed unless a list is longer than one page.
   */
  async readAccountWithStats(customerId: string): Promise<AccountReadResult> {
    let calls = 0;
    const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      calls += 1;
      this.counters.readCalls += 1;
      try {
        return await fn();
      } catch (err) {
        throw toCallError(err, what, customerId);
      }
    };
    const stamp = <T>(data: T): Stamped<T> => ({ source: 'stripe', asOf: this.now().toISOString(), data });
    this.counters.accountReads += 1;

    let rawCustomer: Stripe.Customer | Stripe.DeletedCustomer | null;
    try {
      rawCustomer = await call('customers.retrieve', () => this.client.customers.retrieve(customerId));
    } catch (err) {
      if (!(err instanceof StripeCallError && isResourceMissing(err.cause))) throw err;
      rawCustomer = null;
    }
    if (rawCustomer === null || rawCustomer.deleted === true) {
      const customer = stamp(rawCustomer === null ? null : mapCustomer(rawCustomer));
      return {
        parts: {
          customer,
          subscriptions: stamp([]),
          invoices: stamp({ next: null, recent: [] }),
          paymentMethods: stamp([]),
        },
        calls,
      };
    }
    const customer = stamp(mapCustomer(rawCustomer));

    const [subs, recent, paymentMethods] = await Promise.all([
      (async () => {
        const subs = await this.listAll((starting_after) =>
          call('subscriptions.list', () =>
            this.client.subscriptions.list({
              customer: customerId,
              status: 'all',
              limit: PAGE_LIMIT,
              ...(starting_after ? { starting_after } : {}),
            }),
          ),
        );
        const mapped: StripeSubscription[] = [];
        const renewals: Array<{ id: string; at: number }> = [];
        for (const sub of subs) {
          let items = sub.items.data;
          if (sub.items.has_more) {
            items = [
              ...items,
              ...(await this.listAll((starting_after) =>
                call('subscriptionItems.list', () =>
                  this.client.subscriptionItems.list({
                    subscription: sub.id,
                    limit: PAGE_LIMIT,
                    starting_after: starting_after ?? (items[items.length - 1]?.id as string),
                  }),
                ),
              )),
            ];
          }
          mapped.push(mapSubscription(sub, items));
          if (!NOT_LIVE.has(sub.status) && !sub.cancel_at_period_end && items.length > 0) {
            renewals.push({ id: sub.id, at: Math.min(...items.map((i) => i.current_period_end)) });
          }
        }
        return { stamped: stamp(mapped), renewals };
      })(),
      (async () => {
        const page = await call('invoices.list', () =>
          this.client.invoices.list({ customer: customerId, limit: RECENT_INVOICE_LIMIT }),
        );
        const invoices: StripeInvoice[] = [];
        for (const inv of page.data) {
          let lines = inv.lines?.data ?? [];
          if (inv.lines?.has_more && inv.id) {
            const id = inv.id;
            lines = await this.listAll((starting_after) =>
              call('invoices.listLineItems', () =>
                this.client.invoices.listLineItems(id, {
                  limit: PAGE_LIMIT,
                  ...(starting_after ? { starting_after } : {}),
                }),
              ),
            );
          }
          invoices.push(mapInvoice(inv, lines));
        }
        return invoices;
      })(),
      (async () => {
        const pms = await this.listAll((starting_after) =>
          call('customers.listPaymentMethods', () =>
            this.client.customers.listPaymentMethods(customerId, {
              limit: PAGE_LIMIT,
              ...(starting_after ? { starting_after } : {}),
            }),
          ),
        );
        return stamp(pms.map(mapPaymentMethod));
      })(),
    ]);

    const renewsFirst = firstRenewal(subs.renewals);
    let next: UpcomingInvoice | null = null;
    if (renewsFirst !== null) {
      try {
        const preview = await call('invoices.createPreview', () =>
          this.client.invoices.createPreview({ customer: customerId, subscription: renewsFirst }),
        );
        next = mapUpcoming(preview);
      } catch (err) {
        const cause = err instanceof StripeCallError ? err.cause : err;
        if (!(isStripeError(cause) && cause.code === 'invoice_upcoming_none')) throw err;
      }
    }
    return {
      parts: { customer, subscriptions: subs.stamped, invoices: stamp({ next, recent }), paymentMethods },
      calls,
    };
  }

  private async listAll<T extends { id: string }>(
    page: (startingAfter: string | undefined) => Promise<Stripe.ApiList<T>>,
  ): Promise<T[]> {
    const out: T[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const res = await page(startingAfter);
      out.push(...res.data);
      const last = res.data[res.data.length - 1];
      if (!res.has_more || last === undefined) return out;
      startingAfter = last.id;
    }
  }

  async readLive(target: ChangeTarget): Promise<Record<string, StripeParamValue>> {
    const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      this.counters.liveReadCalls += 1;
      try {
        return await fn();
      } catch (err) {
        throw toCallError(err, what, target.id);
      }
    };
    try {
      switch (target.object) {
        case 'subscription': {
          const sub = await call('subscriptions.retrieve', () =>
            this.client.subscriptions.retrieve(target.id),
          );
          let items = sub.items.data;
          if (sub.items.has_more) {
            items = await this.listAll((starting_after) =>
              call('subscriptionItems.list', () =>
                this.client.subscriptionItems.list({
                  subscription: sub.id,
                  limit: PAGE_LIMIT,
                  ...(starting_after ? { starting_after } : {}),
                }),
              ),
            );
          }
          return {
            exists: true,
            ...metadataFields(sub.metadata),
            status: sub.status,
            cancel_at_period_end: sub.cancel_at_period_end,
            items: items
              .map((i) => ({ id: i.id, price: i.price.id, quantity: i.quantity ?? null }))
              .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
            [LIVE_CHANGE_ID_FIELD]:
              sub.metadata?.[CHANGE_ID_METADATA_KEY] ??
              changeIdFromComment(sub.cancellation_details?.comment),
          };
        }
        case 'customer': {
          const customer = await call('customers.retrieve', () => this.client.customers.retrieve(target.id));
          if (customer.deleted === true) {
            return { exists: true, deleted: true, 'metadata.bad_debt': null, [LIVE_CHANGE_ID_FIELD]: null };
          }
          return {
            exists: true,
            deleted: false,
            ...metadataFields(customer.metadata),
            'metadata.bad_debt': customer.metadata?.bad_debt ?? null,
            [LIVE_CHANGE_ID_FIELD]: customer.metadata?.[CHANGE_ID_METADATA_KEY] ?? null,
          };
        }
        case 'invoice': {
          const invoice = await call('invoices.retrieve', () => this.client.invoices.retrieve(target.id));
          return {
            exists: true,
            ...metadataFields(invoice.metadata),
            status: invoice.status,
            'metadata.cf_account_id': invoice.metadata?.cf_account_id ?? null,
            [LIVE_CHANGE_ID_FIELD]: invoice.metadata?.[CHANGE_ID_METADATA_KEY] ?? null,
          };
        }
      }
    } catch (err) {
      // Gone: every precondition reads null, so apply sees a stale plan instead of an error loop.
      if (err instanceof StripeCallError && isResourceMissing(err.cause)) {
        return { exists: false, [LIVE_CHANGE_ID_FIELD]: null };
      }
      throw err;
    }
  }

  async write(
    change: Change,
    params: Record<string, StripeParamValue>,
    idempotencyKey: string,
  ): Promise<StripeWriteResult> {
    // The SDK would invent a random key (or none for DELETE): a redelivery would then write twice.
    if (typeof idempotencyKey !== 'string' || idempotencyKey.trim() === '') {
      throw new Error(`Stripe write for change ${change.id}: an idempotency key is required`);
    }
    const expected = EXPECTED_TARGET[change.operation.sdkMethod];
    if (expected !== change.target.object) {
      throw new Error(
        `change ${change.id}: ${change.operation.sdkMethod} cannot target a ${change.target.object}`,
      );
    }
    const id = change.target.id;
    const opts: Stripe.RequestOptions = { idempotencyKey };
    // The params are Stripe form values already (the planner built them for this very call).
    const body = params as never;
    await this.refreshWriteBudget();
    const queuedAt = Date.now();
    return this.limiter.schedule(async () => {
      const waitedMs = Date.now() - queuedAt;
      if (waitedMs > this.maxQueueWaitMs) {
        throw new StripeCallError(
          `write for change ${change.id} waited ${waitedMs} ms in the rate limiter (over ${this.maxQueueWaitMs} ms): not sent`,
          { httpStatus: null, type: 'rate_limit_queue', code: 'queue_timeout' },
          true,
          id,
        );
      }
      this.counters.writeCalls += 1;
      try {
        let res: { lastResponse: { requestId: string } };
        switch (change.operation.sdkMethod) {
          case 'subscriptions.update':
            res = await this.client.subscriptions.update(id, body, opts);
            break;
          case 'subscriptions.cancel':
            res = await this.client.subscriptions.cancel(id, body, opts);
            break;
          case 'customers.update':
            res = await this.client.customers.update(id, body, opts);
            break;
          case 'invoices.update':
            res = await this.client.invoices.update(id, body, opts);
            break;
        }
        return { requestId: res.lastResponse?.requestId ?? null };
      } catch (err) {
        throw toCallError(err, change.operation.sdkMethod, id);
      }
    });
  }

  /** Waits for queued writes, then stops the limiter. */
  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
  }
}

const EXPECTED_TARGET: Record<Change['operation']['sdkMethod'], ChangeTarget['object']> = {
  'subscriptions.update': 'subscription',
  'subscriptions.cancel': 'subscription',
  'customers.update': 'customer',
  'invoices.update': 'invoice',
};

function limiterSettings(writesPerSecond: number): Bottleneck.ConstructorOptions {
  if (!(writesPerSecond > 0)) throw new Error(`stripeWritesPerSecond must be > 0 (got ${writesPerSecond})`);
  // Spread evenly: starts at least 1000 / writesPerSecond ms apart, so a backlog never exceeds the
  // budget. No reservoir: Bottleneck 2.19.5's updateSettings clears a running reservoir
  // refresh timer and never restarts it, so after the first budget change (setWritesPerSecond, i.e. the
  // first read of the Firestore config) every write past the remaining reservoir waited forever.
  return { minTime: Math.ceil(1000 / writesPerSecond) };
}

function metadataFields(metadata: Stripe.Metadata | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [`metadata.${k}`, v]));
}

/** The live, renewing subscription whose period ends first: the one the next invoice bills. */
function firstRenewal(renewals: ReadonlyArray<{ id: string; at: number }>): string | null {
  let first: { id: string; at: number } | undefined;
  for (const r of renewals)
    if (first === undefined || r.at < first.at || (r.at === first.at && r.id < first.id)) first = r;
  return first?.id ?? null;
}

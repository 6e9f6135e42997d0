import type { z } from 'zod';
import type { TopicKey } from '../contracts/topology.js';
import type { MirrorPartitionStats } from '../core/safety.js';
import type {
  AccountGates,
  AccountView,
  BillingProd,
  CfProd,
  OpeSubscription,
  StripeCustomer,
  StripeInvoice,
  StripePaymentMethod,
  StripeSubscription,
  SubsAccount,
  SubsCustomer,
  SubsDunning,
  UpcomingInvoice,
} from '../domain/account-view.js';
import type { AuditRecord, DriftSystem } from '../domain/audit.js';
import type { DriftControlConfig } from '../domain/config.js';
import type { Change, ChangeTarget, StripeParamValue } from '../domain/plan.js';

/**
 * Ports: one interface per store the pipeline touches. Cores (shared/pipeline) depend only on these;
 * adapters (shared/adapters) implement them against the real systems and are injected by a factory.
 * Production and local runs use the same adapters, pointed at different endpoints.
 */

/** A part of the view with provenance, as the AccountView carries it. */
export interface Stamped<T> {
  readonly source: AccountView['ope']['source'];
  readonly asOf: string;
  readonly data: T;
}

// ---------------------------------------------------------------- BigQuery: mirrors and drift views

export interface MirrorHealth {
  readonly today: MirrorPartitionStats;
  readonly yesterday: MirrorPartitionStats;
}

export interface NewStripeDriftRow {
  readonly accountId: string;
  /** Non-null: not to be healed automatically (persistent drift, unsupported type), with why. */
  readonly excludedReason: string | null;
  /** The exclusion as a code for counting: `persistent_drift`, `unsupported_account_type`. */
  readonly excludedCode: string | null;
}

export interface NewWwwDriftRow {
  readonly zoneId: string;
  readonly accountId: string;
  /** null: no row in www / no record in subs-api. */
  readonly wwwPlanLevel: string | null;
  readonly subsApiPlanLevel: string | null;
  readonly excludedReason: string | null;
  readonly excludedCode: string | null;
}

/** The non-Stripe parts of an AccountView, from the mirror of one snapshot date. */
export interface MirrorAccountParts {
  readonly ope: Stamped<{ subscriptions: OpeSubscription[] }>;
  readonly subsAccount: Stamped<z.infer<typeof SubsAccount>>;
  readonly subsCustomer: Stamped<z.infer<typeof SubsCustomer>>;
  readonly subsDunning: Stamped<z.infer<typeof SubsDunning>>;
  readonly billingProd: Stamped<z.infer<typeof BillingProd>>;
  readonly cfProd: Stamped<z.infer<typeof CfProd>>;
}

export interface MirrorPort {
  health(system: DriftSystem, snapshotDate: string): Promise<MirrorHealth>;
  newStripeDrift(snapshotDate: string): Promise<NewStripeDriftRow[]>;
  newWwwDrift(snapshotDate: string): Promise<NewWwwDriftRow[]>;
  /** null when the account is not in the mirror for that date. */
  accountParts(accountId: string, snapshotDate: string): Promise<MirrorAccountParts | null>;
}

export interface AuditTablePort {
  /** Inserts rows with insertId = row_id, so a redelivered row is not duplicated. */
  insert(records: readonly AuditRecord[]): Promise<void>;
}

// ---------------------------------------------------------------- Stripe

export interface StripeAccountParts {
  readonly customer: Stamped<StripeCustomer | null>;
  readonly subscriptions: Stamped<StripeSubscription[]>;
  readonly invoices: Stamped<{ next: UpcomingInvoice | null; recent: StripeInvoice[] }>;
  readonly paymentMethods: Stamped<StripePaymentMethod[]>;
}

export interface StripeWriteResult {
  /** Stripe's request id, for the audit row. */
  readonly requestId: string | null;
}

export interface StripePort {
  /** Everything the view needs for one customer, in the fewest calls (expand). */
  readAccount(customerId: string): Promise<StripeAccountParts>;
  /**
   * The live values a change's preconditions name (`status`, `cancel_at_period_end`, `items`,
   * `metadata.bad_debt`, `metadata.cf_account_id`), plus `driftcontrol_change_id` when stamped.
   */
  readLive(target: ChangeTarget): Promise<Record<string, StripeParamValue>>;
  /** One write; throws StripeWriteError on failure. */
  write(
    change: Change,
    params: Record<string, StripeParamValue>,
    idempotencyKey: string,
  ): Promise<StripeWriteResult>;
}

// ---------------------------------------------------------------- Firestore: control state

export interface RunClaim {
  /** True when this call created the ledger entry; false when a run for this key already exists. */
  readonly claimed: boolean;
  readonly runId: string;
  readonly status: 'running' | 'completed' | 'halted';
}

export interface ControlStore {
  getConfig(): Promise<DriftControlConfig>;
  /**
   * At most once per system and snapshot date: creates the ledger entry in a transaction, or returns the
   * existing one. The same scheduleTime (Scheduler's retries keep it) returns the same run.
   */
  claimRun(
    system: DriftSystem,
    snapshotDate: string,
    runId: string,
    scheduleTime: string | null,
  ): Promise<RunClaim>;
  finishRun(
    system: DriftSystem,
    snapshotDate: string,
    status: 'completed' | 'halted',
    summary: Record<string, unknown>,
  ): Promise<void>;
  /** Per-account gates; missing document = both off (fail closed). */
  getGates(accountId: string): Promise<Stamped<AccountGates>>;
  lastHealedAt(accountIds: readonly string[]): Promise<Map<string, number>>;
  markHealed(accountId: string, atMs: number, runId: string): Promise<void>;
  /** A per-account lease so a replay and a scheduled run never apply concurrently. */
  acquireLease(accountId: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  releaseLease(accountId: string, holder: string): Promise<void>;
}

// ---------------------------------------------------------------- Pub/Sub

export interface PublisherPort {
  /** Publishes JSON; returns the message id. */
  publish(
    topic: TopicKey,
    data: unknown,
    options?: { orderingKey?: string; attributes?: Record<string, string> },
  ): Promise<string>;
}

// ---------------------------------------------------------------- the company's stores, read live

/**
 * The stores that hold the truth about what an account should pay, read live by gather and again by
 * plan-apply before it writes (docs/design.md, "Live truth"). The nightly mirror is the detection source
 * only. Every read is one round trip per store and account, stamped with the time it was made; an
 * unavailable or malformed store fails with a retryable UpstreamError, never a fallback to the mirror.
 */

/** subs-api's records of one account: subs_account, subs_customer and subs_dunning, in one round trip. */
export interface SubsApiAccount {
  readonly subsAccount: Stamped<z.infer<typeof SubsAccount>>;
  readonly subsCustomer: Stamped<z.infer<typeof SubsCustomer>>;
  readonly subsDunning: Stamped<z.infer<typeof SubsDunning>>;
}

/** OPE, the subscription store (what the account bought): a read replica of its database. */
export interface OpePort {
  /** Every OPE subscription of the account with its items (deleted, scheduled and contract ones included). */
  subscriptions(accountId: string): Promise<Stamped<{ subscriptions: OpeSubscription[] }>>;
}

/** billing_prod, the price catalogue: a read replica of its database. */
export interface BillingProdPort {
  catalogue(): Promise<Stamped<z.infer<typeof BillingProd>>>;
}

/** cf_prod, the product database (account type, zones): a read replica. */
export interface CfProdPort {
  /** null when cf_prod has no such account. */
  account(accountId: string): Promise<Stamped<z.infer<typeof CfProd>> | null>;
}

// ---------------------------------------------------------------- subs-api and www

export interface ZoneRecord {
  readonly zoneId: string;
  readonly accountId: string;
  readonly planLevel: string;
  readonly updatedAt: string;
}

export interface SubsApiPort {
  /** null when subs-api has no such zone. */
  zone(zoneId: string): Promise<ZoneRecord | null>;
  /** null when subs-api has no such account. */
  account(accountId: string): Promise<SubsApiAccount | null>;
}

export type WwwWriteResult =
  | { readonly status: 'written'; readonly zone: ZoneRecord }
  /** www holds another level than expected: a concurrent change, refused (not overwritten). */
  | { readonly status: 'conflict'; readonly currentPlanLevel: string }
  | { readonly status: 'not_found' };

export interface WwwPort {
  zone(zoneId: string): Promise<ZoneRecord | null>;
  setPlanLevel(zoneId: string, planLevel: string, expectedPlanLevel: string): Promise<WwwWriteResult>;
}

export interface Clock {
  now(): Date;
}

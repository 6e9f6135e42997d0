import type { z } from 'zod';
import type { TopicKey } from '../contracts/topology.js';
import type { DriftLifecycle, DriftObservation } from '../core/lifecycle.js';
import type { RateKind } from '../core/rate-shares.js';
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
import type { TicketClassificationRow } from '../domain/ticket-classification.js';
import type { Ticket } from '../tickets/ticket.js';

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
  /**
   * The same triage for the given accounts only (a replay asks which are persistent or excluded); an
   * account with no Stripe drift in the mirror on that date has no row.
   */
  stripeDriftOf(snapshotDate: string, accountIds: readonly string[]): Promise<NewStripeDriftRow[]>;
  newWwwDrift(snapshotDate: string): Promise<NewWwwDriftRow[]>;
  /** null when the account is not in the mirror for that date. */
  accountParts(accountId: string, snapshotDate: string): Promise<MirrorAccountParts | null>;
  /** The newest snapshot date the Stripe-drift mirror has landed, up to `today` (null: none lately). */
  latestSnapshotDate(today: string): Promise<string | null>;
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
  /**
   * `claimed`: this call started the run. `resumed`: the run's last holder let its lease lapse (it
   * crashed): this call takes it over and publishes what is not published yet. `in_progress`: another
   * call holds the run now: publish nothing. `done`: the run completed or halted.
   */
  readonly outcome: 'claimed' | 'resumed' | 'in_progress' | 'done';
  readonly runId: string;
  readonly status: 'running' | 'completed' | 'halted';
  /** Subjects (account or zone ids) the run has published so far (empty unless resumed). */
  readonly published: ReadonlySet<string>;
}

export interface RunClaimRequest {
  /** Who claims: unique per call, so a concurrent call never mistakes another's lease for its own. */
  readonly holder: string;
  /** Cloud Scheduler's schedule time, for the ledger. */
  readonly scheduleTime: string | null;
  readonly nowMs: number;
  /** How long the claim holds without a renewal; a holder that dies loses the run after this. */
  readonly leaseMs: number;
}

/** One attempt's final outcome for a subject in a run and stage: at most one is ever recorded. */
export interface FinalOutcome {
  readonly outcome: string;
  readonly rowId: string;
}

export interface ControlStore {
  getConfig(): Promise<DriftControlConfig>;
  /**
   * Changes config fields in a transaction (no lost update under concurrent calls), validated against the
   * schema the functions read with; returns the config now in force. Refuses unknown fields.
   */
  updateConfig(patch: Readonly<Record<string, unknown>>): Promise<DriftControlConfig>;
  /**
   * At most one holder per system and snapshot date: creates the ledger entry, takes over one whose lease
   * lapsed, or says who has it — in a transaction.
   */
  claimRun(
    system: DriftSystem,
    snapshotDate: string,
    runId: string,
    request: RunClaimRequest,
  ): Promise<RunClaim>;
  /** Extends the holder's lease; false when the run is no longer this holder's (it must stop publishing). */
  renewRun(
    system: DriftSystem,
    snapshotDate: string,
    holder: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean>;
  /** Records subjects as published (after their messages were accepted), for a resumed run to skip. */
  markPublished(system: DriftSystem, snapshotDate: string, subjects: readonly string[]): Promise<void>;
  finishRun(
    system: DriftSystem,
    snapshotDate: string,
    status: 'completed' | 'halted',
    summary: Record<string, unknown>,
  ): Promise<void>;
  /** The final outcome already recorded for this run, stage and subject, if any. */
  finalOutcome(runId: string, stage: string, subject: string): Promise<FinalOutcome | null>;
  /** Records the final outcome (after its audit row was published); a second record keeps the first. */
  recordFinal(runId: string, stage: string, subject: string, final: FinalOutcome): Promise<void>;
  /** Per-account gates; missing document = both off (fail closed). */
  getGates(accountId: string): Promise<Stamped<AccountGates>>;
  lastHealedAt(accountIds: readonly string[]): Promise<Map<string, number>>;
  markHealed(accountId: string, atMs: number, runId: string): Promise<void>;
  /** A per-account lease so a replay and a scheduled run never apply concurrently. */
  acquireLease(accountId: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  /** Who holds the account's lease now (null: nobody), to say why an acquire failed. */
  leaseHolder(accountId: string, nowMs: number): Promise<string | null>;
  releaseLease(accountId: string, holder: string): Promise<void>;
}

// ---------------------------------------------------------------- Stripe's rate limit (docs/design.md)

/** What a claim or renewal of a share of the Stripe budget answered (shared/core/rate-shares.ts). */
export interface RateShareGrant {
  readonly sharePerSecond: number;
  readonly targetPerSecond: number;
  readonly expiresAtMs: number;
  /** Other instances holding a share of the same budget. */
  readonly othersHolding: number;
}

export interface RateShareRequest {
  readonly kind: RateKind;
  readonly instanceId: string;
  /** Which function the instance serves (for a person reading the leases). */
  readonly functionName: string;
  readonly budgetPerSecond: number;
  readonly wantPerSecond: number;
  readonly nowMs: number;
}

/** Leases on shares of one budget per kind, shared by every instance that calls Stripe. */
export interface RateSharePort {
  /** Claims or renews this instance's share, atomically against every other lease of the kind. */
  claim(request: RateShareRequest): Promise<RateShareGrant>;
  /**
   * Gives the share back (an instance going idle or shutting down); with `expiresAtMs`, only the lease
   * with that expiry, so a release that raced a newer claim of the same instance deletes nothing.
   */
  release(kind: RateKind, instanceId: string, expiresAtMs?: number): Promise<void>;
}

// ---------------------------------------------------------------- the weekly ticket signal (docs/tickets.md)

/** The company's ticket tracker (Jira Cloud): the tickets of the configured projects created in a range. */
export interface TicketSourcePort {
  /** Every ticket created in [fromIso, toIso), oldest first, read whole (paged through). */
  ticketsCreated(fromIso: string, toIso: string): Promise<Ticket[]>;
}

/** Where classifications land and the digest's views are read (BigQuery billing_tickets / observability). */
export interface TicketStorePort {
  /** Streams rows; a retried insert of the same rows is de-duplicated by BigQuery's insertId. */
  insertClassifications(rows: readonly TicketClassificationRow[]): Promise<void>;
  /** Rows of an observability view (the ticket views), filtered by taxonomy version and weeks. */
  readView<T>(
    view: TicketView,
    filter: { taxonomyVersion: string; fromWeek: string; toWeek: string },
  ): Promise<T[]>;
}

export type TicketView =
  | 'ticket_classifications_latest'
  | 'ticket_weekly_molecules'
  | 'ticket_account_drift'
  | 'ticket_atom_drift';

export type TicketRunClaim =
  | { readonly outcome: 'claimed' }
  | { readonly outcome: 'done'; readonly runId: string; readonly finishedAt: string }
  | { readonly outcome: 'in_progress'; readonly runId: string };

/** One classification run per taxonomy version and week (a ledger, like detection's). */
export interface TicketRunLedgerPort {
  claim(
    taxonomyVersion: string,
    week: string,
    request: { runId: string; nowMs: number; leaseMs: number; force: boolean },
  ): Promise<TicketRunClaim>;
  finish(
    taxonomyVersion: string,
    week: string,
    runId: string,
    summary: Record<string, unknown>,
  ): Promise<void>;
  /** Gives up a claim whose run failed, so a retry need not wait for the lease (only the holder's). */
  abandon(taxonomyVersion: string, week: string, runId: string, reason: string): Promise<void>;
}

// ---------------------------------------------------------------- change events (docs/design.md, "Events")

export type EventSourceName = 'stripe' | 'ope';

/** An account's check that change events asked for, waiting for its settle delay. */
export interface PendingCheck {
  readonly accountId: string;
  readonly firstEventAtMs: number;
  readonly dueAtMs: number;
  /** The first events' ids (at most 50), and how many arrived in all. */
  readonly eventIds: readonly string[];
  readonly eventCount: number;
  readonly sources: readonly EventSourceName[];
}

export interface AcceptEventRequest {
  readonly eventId: string;
  readonly type: string;
  readonly source: EventSourceName;
  /** The accounts to check (empty: record the event only). */
  readonly accountIds: readonly string[];
  /** What became of the event, for `driftcontrol events`. */
  readonly outcome: string;
  readonly nowMs: number;
  readonly settleMs: number;
  readonly maxWaitMs: number;
}

export interface RecentEvent {
  readonly eventId: string;
  readonly type: string;
  readonly source: EventSourceName;
  readonly accountIds: readonly string[];
  readonly outcome: string;
  readonly receivedAtMs: number;
}

/**
 * The event ledger: every accepted event id (Stripe delivers at least once, for days, in no order) and one
 * pending check per account. Recording an event and scheduling its check is one transaction, so a failure
 * leaves neither and the sender's retry finds the event new.
 */
export interface EventLedgerPort {
  /** `duplicate`: this event id was accepted before; nothing changed. */
  accept(request: AcceptEventRequest): Promise<'accepted' | 'duplicate'>;
  /** Checks due now, oldest due first. */
  due(nowMs: number, limit: number): Promise<PendingCheck[]>;
  /** Every pending check (for the operator), oldest due first. */
  pending(limit: number): Promise<PendingCheck[]>;
  /**
   * Removes a check that was handed on. Events that arrived since it was read stay, as a check of their
   * own due a settle delay from now (then false).
   */
  complete(handedOn: PendingCheck, nowMs: number, settleMs: number): Promise<boolean>;
  /** Takes up to `wanted` from the hour's budget of event checks; returns how many were granted. */
  takeHourlyBudget(hourKey: string, wanted: number, max: number): Promise<number>;
  recent(limit: number): Promise<RecentEvent[]>;
}

/**
 * The drift lifecycle per account and drift system (shared/core/lifecycle.ts), changed only through its
 * pure rules, each change in a transaction.
 */
export interface LifecyclePort {
  get(system: DriftSystem, accountId: string): Promise<DriftLifecycle | null>;
  /** Applies one observation (`observe`); returns the record now in force (null: none). */
  observe(
    system: DriftSystem,
    accountId: string,
    observation: DriftObservation,
  ): Promise<DriftLifecycle | null>;
  /** The nightly diff's persistent drift (`observePersistent`), for many accounts; the records now in force. */
  markPersistent(
    system: DriftSystem,
    accountIds: readonly string[],
    seen: {
      readonly since: string;
      readonly snapshotAt: string;
      readonly at: string;
      readonly runId: string;
    },
  ): Promise<Map<string, DriftLifecycle>>;
}

/** A Stripe webhook whose signature does not verify: refused (400), never processed. */
export interface WebhookVerifierPort {
  /** The event the payload carries; throws WebhookSignatureError when the signature does not verify. */
  verify(rawBody: Buffer | string, signatureHeader: string | null): Promise<unknown>;
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
  /** The accounts subs_customer maps to a Stripe customer (live; empty when none). */
  accountsOfCustomer(stripeCustomerId: string): Promise<string[]>;
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

// ---------------------------------------------------------------- support: explain and the console (docs/support.md)

/** Final outcomes counted by run, stage, outcome and code (audit_final_outcomes). */
export interface RunOutcomeCount {
  readonly runId: string;
  readonly system: DriftSystem;
  readonly trigger: string;
  readonly snapshotDate: string | null;
  readonly stage: string;
  readonly outcome: string;
  readonly code: string | null;
  /** About the run itself (a halt, the run's summary), not an account or zone. */
  readonly runLevel: boolean;
  readonly count: number;
  readonly firstAt: string;
  readonly lastAt: string;
}

/** Final outcomes counted by day (UTC, of finishing), system, stage, outcome and code. */
export interface DailyOutcomeCount {
  readonly day: string;
  readonly system: DriftSystem;
  readonly stage: string;
  readonly outcome: string;
  readonly code: string | null;
  /** About the run itself (a halt, the run's summary), not an account or zone. */
  readonly runLevel: boolean;
  readonly count: number;
}

/** Blocked final outcomes counted per restriction that applied (a row blocked by two counts for both). */
export interface RestrictionCount {
  /** The day (UTC) or the run id, as asked. */
  readonly key: string;
  readonly restriction: string;
  readonly count: number;
}

/**
 * Read-only access to the audit for people (the console and `explain`): every read is one query over
 * billing_observability's de-duplicated views or the audit table filtered first, never a write.
 */
export interface SupportReadPort {
  /** Every attempt that names the account, de-duplicated by row id, oldest first. */
  accountAttempts(accountId: string): Promise<AuditRecord[]>;
  /** Accounts audit rows name for the zone (newest first), for search. */
  accountsOfZone(zoneId: string): Promise<string[]>;
  /** Account ids that start with the text, from the audit (at most `limit`), for search. */
  accountsLike(prefix: string, limit: number): Promise<string[]>;
  /** Detection's final word per run where it halted (the run checked no account), finished since the instant. */
  halts(sinceIso: string): Promise<AuditRecord[]>;
  /** Final outcomes per run: one run (`runId`), or every run finished in [fromDate, toDate] of a trigger. */
  runOutcomes(
    filter:
      | { readonly runId: string }
      | { readonly fromDate: string; readonly toDate: string; readonly trigger: string },
  ): Promise<RunOutcomeCount[]>;
  /** Final outcomes per day over [fromDate, toDate]. */
  dailyOutcomes(fromDate: string, toDate: string): Promise<DailyOutcomeCount[]>;
  /** Blocked final outcomes per restriction: of one run, or per day over [fromDate, toDate]. */
  blockingRestrictions(
    filter: { readonly runId: string } | { readonly fromDate: string; readonly toDate: string },
  ): Promise<RestrictionCount[]>;
  /**
   * A run's final attempts with the given outcomes (every stage), oldest first, at most `limit`; none whose
   * error code is in `skipCodes`.
   */
  runAttempts(
    runId: string,
    outcomes: readonly string[],
    limit: number,
    skipCodes?: readonly string[],
  ): Promise<AuditRecord[]>;
  /** Tickets that name the account (the ticket signal, docs/tickets.md), newest first, at most `limit`. */
  ticketsNaming(accountId: string, limit: number): Promise<TicketNamingAccount[]>;
}

/** A Jira ticket that names an account, as the latest run of the newest taxonomy classified it. */
export interface TicketNamingAccount {
  readonly key: string;
  readonly created: string;
  readonly atom: string;
  readonly molecule: string | null;
  readonly taxonomyVersion: string;
}

/** Who a console request is from, as the Identity-Aware Proxy vouched for it. */
export interface VerifiedIdentity {
  readonly email: string;
  /** IAP's stable user id (`accounts.google.com:…`). */
  readonly subject: string;
}

/**
 * Verifies the signed header IAP adds to every request it lets through (`x-goog-iap-jwt-assertion`):
 * signature, issuer, audience and time. Throws NotAuthenticatedError when it does not verify.
 */
export interface IdentityVerifierPort {
  verify(assertion: string | null): Promise<VerifiedIdentity>;
}

import pino from 'pino';
import { nextDueAtMs, remainderOf } from '../../shared/adapters/firestore-events.js';
import { StripeWebhookVerifier } from '../../shared/adapters/stripe/webhooks.js';
import type { TopicKey } from '../../shared/contracts/topology.js';
import { LIVE_CHANGE_ID_FIELD } from '../../shared/core/apply-policy.js';
import {
  type DriftLifecycle,
  type DriftObservation,
  observe,
  observePersistent,
} from '../../shared/core/lifecycle.js';
import type { AccountView } from '../../shared/domain/account-view.js';
import type { AuditRecord, DriftSystem } from '../../shared/domain/audit.js';
import { DEFAULT_CONFIG, DriftControlConfig } from '../../shared/domain/config.js';
import type { Change, ChangeTarget, StripeParamValue } from '../../shared/domain/plan.js';
import type { TicketClassificationRow } from '../../shared/domain/ticket-classification.js';
import type { PipelineDeps } from '../../shared/pipeline/deps.js';
import { NotAuthenticatedError, StripeCallError } from '../../shared/ports/errors.js';
import type {
  AcceptEventRequest,
  BillingProdPort,
  CfProdPort,
  ControlStore,
  DailyOutcomeCount,
  EventLedgerPort,
  FinalOutcome,
  IdentityVerifierPort,
  LifecyclePort,
  MirrorHealth,
  MirrorPort,
  NewStripeDriftRow,
  NewWwwDriftRow,
  OpePort,
  PendingCheck,
  PublisherPort,
  RecentEvent,
  RestrictionCount,
  RunClaim,
  RunClaimRequest,
  RunOutcomeCount,
  StripePort,
  SubsApiAccount,
  SubsApiPort,
  SupportReadPort,
  TicketNamingAccount,
  TicketRunClaim,
  TicketRunLedgerPort,
  TicketSourcePort,
  TicketStorePort,
  TicketView,
  VerifiedIdentity,
  ZoneRecord,
} from '../../shared/ports/index.js';
import type { Ticket } from '../../shared/tickets/ticket.js';
import { simulateChanges } from './simulate.js';

/**
 * In-memory stand-ins for the ports, for fast tests of the cores' decisions. They are not the thing under
 * test: the real adapters are tested against the local stack in test/shared/adapters, and the pipeline end to end.
 */

export class FakePublisher implements PublisherPort {
  readonly messages: { topic: TopicKey; data: unknown; orderingKey?: string }[] = [];
  async publish(topic: TopicKey, data: unknown, options?: { orderingKey?: string }) {
    this.messages.push({ topic, data: JSON.parse(JSON.stringify(data)), orderingKey: options?.orderingKey });
    return String(this.messages.length);
  }
  on(topic: TopicKey) {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.data);
  }
  audits(): AuditRecord[] {
    return this.on('auditEvents') as AuditRecord[];
  }
}

export class FakeControl implements ControlStore {
  config: DriftControlConfig = { ...DEFAULT_CONFIG, dryRun: false };
  readonly runs = new Map<
    string,
    {
      runId: string;
      status: RunClaim['status'];
      holder: string;
      leaseUntilMs: number;
      published: Set<string>;
    }
  >();
  readonly finals = new Map<string, FinalOutcome>();
  readonly gates = new Map<
    string,
    { badDebtDriftRemediation: boolean; invoiceMetadataRemediation: boolean }
  >();
  readonly healed = new Map<string, number>();
  readonly leases = new Map<string, { holder: string; until: number }>();
  async getConfig() {
    return this.config;
  }
  async updateConfig(patch: Readonly<Record<string, unknown>>) {
    this.config = DriftControlConfig.parse({ ...this.config, ...patch });
    return this.config;
  }
  async claimRun(system: string, date: string, runId: string, request: RunClaimRequest): Promise<RunClaim> {
    const key = `${system}_${date}`;
    const existing = this.runs.get(key);
    const leaseUntilMs = request.nowMs + request.leaseMs;
    if (!existing) {
      this.runs.set(key, {
        runId,
        status: 'running',
        holder: request.holder,
        leaseUntilMs,
        published: new Set(),
      });
      return { outcome: 'claimed', runId, status: 'running', published: new Set() };
    }
    if (existing.status !== 'running')
      return { outcome: 'done', runId: existing.runId, status: existing.status, published: new Set() };
    if (existing.holder !== request.holder && existing.leaseUntilMs > request.nowMs)
      return { outcome: 'in_progress', runId: existing.runId, status: 'running', published: new Set() };
    Object.assign(existing, { holder: request.holder, leaseUntilMs });
    return {
      outcome: 'resumed',
      runId: existing.runId,
      status: 'running',
      published: new Set(existing.published),
    };
  }
  async renewRun(system: string, date: string, holder: string, nowMs: number, leaseMs: number) {
    const run = this.runs.get(`${system}_${date}`);
    if (run?.status !== 'running' || run.holder !== holder) return false;
    run.leaseUntilMs = nowMs + leaseMs;
    return true;
  }
  async markPublished(system: string, date: string, subjects: readonly string[]) {
    for (const s of subjects) this.runs.get(`${system}_${date}`)?.published.add(s);
  }
  async finalOutcome(runId: string, stage: string, subject: string) {
    return this.finals.get(`${runId}/${stage}/${subject}`) ?? null;
  }
  async recordFinal(runId: string, stage: string, subject: string, final: FinalOutcome) {
    const key = `${runId}/${stage}/${subject}`;
    if (!this.finals.has(key)) this.finals.set(key, final);
  }
  async leaseHolder(accountId: string, nowMs: number) {
    const lease = this.leases.get(accountId);
    return lease && lease.until > nowMs ? lease.holder : null;
  }
  async finishRun(system: string, date: string, status: 'completed' | 'halted') {
    const key = `${system}_${date}`;
    const existing = this.runs.get(key);
    if (existing) existing.status = status;
  }
  async getGates(accountId: string) {
    return {
      source: 'firestore_gates' as const,
      asOf: '2026-11-24T12:00:00Z',
      data: this.gates.get(accountId) ?? {
        badDebtDriftRemediation: false,
        invoiceMetadataRemediation: false,
      },
    };
  }
  async lastHealedAt(ids: readonly string[]) {
    return new Map(
      ids.flatMap((id) => (this.healed.has(id) ? [[id, this.healed.get(id) as number] as const] : [])),
    );
  }
  async markHealed(accountId: string, atMs: number) {
    this.healed.set(accountId, atMs);
  }
  async acquireLease(accountId: string, holder: string, ttlMs: number, nowMs: number) {
    const lease = this.leases.get(accountId);
    if (lease && lease.holder !== holder && lease.until > nowMs) return false;
    this.leases.set(accountId, { holder, until: nowMs + ttlMs });
    return true;
  }
  async releaseLease(accountId: string, holder: string) {
    if (this.leases.get(accountId)?.holder === holder) this.leases.delete(accountId);
  }
}

/** Stripe as an AccountView's Stripe side: writes apply through the same simulation the planner tests use. */
export class FakeStripe implements StripePort {
  readonly writes: { change: Change; params: Record<string, StripeParamValue>; key: string }[] = [];
  readonly stamps = new Map<string, string>();
  /** Fails the next N writes with this failure. */
  failNext: { count: number; error: () => Error } | null = null;
  constructor(public view: AccountView) {}
  async readAccount() {
    return structuredClone(this.view.stripe);
  }
  async readLive(target: ChangeTarget): Promise<Record<string, StripeParamValue>> {
    const stamp = this.stamps.get(target.id) ?? null;
    const base = { [LIVE_CHANGE_ID_FIELD]: stamp };
    if (target.object === 'subscription') {
      const s = this.view.stripe.subscriptions.data.find((x) => x.id === target.id);
      if (!s) throw new Error(`no ${target.id}`);
      return {
        ...base,
        status: s.status,
        cancel_at_period_end: s.cancelAtPeriodEnd,
        items: [...s.items]
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((i) => ({ id: i.id, price: i.price.id, quantity: i.quantity })),
      };
    }
    if (target.object === 'customer')
      return { ...base, 'metadata.bad_debt': this.view.stripe.customer.data?.metadata.bad_debt ?? null };
    const inv = this.view.stripe.invoices.data.recent.find((i) => i.id === target.id);
    return {
      ...base,
      status: inv?.status ?? null,
      'metadata.cf_account_id': inv?.metadata.cf_account_id ?? null,
    };
  }
  async write(change: Change, params: Record<string, StripeParamValue>, key: string) {
    if (this.failNext && this.failNext.count > 0) {
      this.failNext.count -= 1;
      throw this.failNext.error();
    }
    if (this.writes.some((w) => w.key === key)) return { requestId: 'req_replayed' };
    this.writes.push({ change, params, key });
    this.view = simulateChanges(this.view, [change]);
    this.stamps.set(change.target.id, change.id);
    return { requestId: `req_${this.writes.length}` };
  }
}

export const stripeFailure =
  (httpStatus: number, type: string, code: string | null, retryable: boolean) => () =>
    new StripeCallError(`${type} ${code ?? ''}`, { httpStatus, type, code }, retryable, 'sub_1');

export class FakeMirror implements MirrorPort {
  health_: MirrorHealth = {
    today: { snapshotDate: '2026-11-24', accounts: 1000, missingTables: [], incompleteTables: [] },
    yesterday: { snapshotDate: '2026-11-23', accounts: 1000, missingTables: [], incompleteTables: [] },
  };
  stripeRows: NewStripeDriftRow[] = [];
  wwwRows: NewWwwDriftRow[] = [];
  readonly views = new Map<string, AccountView>();
  async health() {
    return this.health_;
  }
  async newStripeDrift() {
    return this.stripeRows;
  }
  async stripeDriftOf(_date: string, accountIds: readonly string[]) {
    return this.stripeRows.filter((r) => accountIds.includes(r.accountId));
  }
  async newWwwDrift() {
    return this.wwwRows;
  }
  async latestSnapshotDate(): Promise<string | null> {
    return this.health_.today.snapshotDate;
  }
  async accountParts(accountId: string) {
    const v = this.views.get(accountId);
    if (!v) return null;
    const { ope, subsAccount, subsCustomer, subsDunning, billingProd, cfProd } = structuredClone(v);
    return { ope, subsAccount, subsCustomer, subsDunning, billingProd, cfProd };
  }
}

/**
 * The company's stores as they are now (the live truth gather and plan-apply read): each account's
 * company-side parts of a view, restamped with the read time. A test moves the truth by editing them.
 */
export class FakeStores {
  readonly views = new Map<string, AccountView>();
  constructor(private readonly now: () => Date) {}
  private stamp<T>(source: AccountView['ope']['source'], data: T) {
    return { source, asOf: this.now().toISOString(), data: structuredClone(data) };
  }
  async subsApiAccount(accountId: string): Promise<SubsApiAccount | null> {
    const v = this.views.get(accountId);
    if (!v) return null;
    return {
      subsAccount: this.stamp('subs_account', v.subsAccount.data),
      subsCustomer: this.stamp('subs_customer', v.subsCustomer.data),
      subsDunning: this.stamp('subs_dunning', v.subsDunning.data),
    };
  }
  ope: OpePort = {
    subscriptions: async (accountId) =>
      this.stamp('ope', this.views.get(accountId)?.ope.data ?? { subscriptions: [] }),
  };
  billingProd: BillingProdPort = {
    catalogue: async () =>
      this.stamp('billing_prod', [...this.views.values()][0]?.billingProd.data ?? { catalogue: [] }),
  };
  cfProd: CfProdPort = {
    account: async (accountId) => {
      const v = this.views.get(accountId);
      return v ? this.stamp('cf_prod', v.cfProd.data) : null;
    },
  };
}

export class FakeZones {
  readonly subs = new Map<string, ZoneRecord>();
  readonly www = new Map<string, ZoneRecord>();
  readonly wwwWrites: { zoneId: string; planLevel: string }[] = [];
  constructor(private readonly stores: FakeStores) {}
  subsApi: SubsApiPort = {
    zone: async (id: string) => this.subs.get(id) ?? null,
    account: (id: string) => this.stores.subsApiAccount(id),
    accountsOfCustomer: async (customerId: string) =>
      [...this.stores.views.values()]
        .filter((v) => v.subsCustomer.data.stripeCustomerId === customerId)
        .map((v) => v.accountId)
        .sort(),
  };
  wwwPort = {
    zone: async (id: string) => this.www.get(id) ?? null,
    setPlanLevel: async (zoneId: string, planLevel: string, expected: string) => {
      const z = this.www.get(zoneId);
      if (!z) return { status: 'not_found' as const };
      if (z.planLevel !== expected) return { status: 'conflict' as const, currentPlanLevel: z.planLevel };
      const next = { ...z, planLevel };
      this.www.set(zoneId, next);
      this.wwwWrites.push({ zoneId, planLevel });
      return { status: 'written' as const, zone: next };
    },
  };
}

/**
 * Deps whose live truth is `view`: the stores hold its company parts, Stripe its Stripe parts, Firestore
 * its gates. The clock starts at the view's asOf (or 2026-11-24 12:00) and advances a second per read.
 */
export function fakeDeps(view?: AccountView) {
  const publisher = new FakePublisher();
  const control = new FakeControl();
  const mirror = new FakeMirror();
  let nowMs = Date.parse(view?.asOf ?? '2026-11-24T12:00:00Z');
  const now = () => new Date((nowMs += 1000));
  const stores = new FakeStores(now);
  const zones = new FakeZones(stores);
  const stripe = new FakeStripe(view ?? (undefined as unknown as AccountView));
  if (view) {
    stores.views.set(view.accountId, structuredClone(view));
    control.gates.set(view.accountId, { ...view.gates.data });
  }
  const inserted: AuditRecord[] = [];
  const events = new FakeEventLedger();
  const lifecycle = new FakeLifecycle(control);
  const tickets = new FakeTicketSource();
  const ticketStore = new FakeTicketStore();
  const ticketRuns = new FakeTicketRuns();
  const support = new FakeSupportReader();
  const deps: PipelineDeps = {
    mirror,
    events,
    lifecycle,
    webhooks: new StripeWebhookVerifier(FAKE_WEBHOOK_SECRET, 300),
    auditTable: { insert: async (rows) => void inserted.push(...rows) },
    stripe,
    control,
    publisher,
    subsApi: zones.subsApi,
    www: zones.wwwPort,
    ope: stores.ope,
    billingProd: stores.billingProd,
    cfProd: stores.cfProd,
    tickets,
    ticketStore,
    ticketRuns,
    ticketSettings: { accountIdPattern: '\\bacc_\\d{7}\\b' },
    support,
    identity: new FakeIdentity(),
    consoleSettings: { stripeDashboardUrl: 'https://dashboard.stripe.com/test' },
    clock: { now },
    log: pino({ level: 'silent' }),
  };
  return {
    deps,
    publisher,
    control,
    mirror,
    zones,
    stores,
    stripe,
    inserted,
    events,
    lifecycle,
    tickets,
    ticketStore,
    ticketRuns,
    support,
  };
}

/** Jira in memory: the tickets created in a range, as the adapter reads them. */
export class FakeTicketSource implements TicketSourcePort {
  readonly tickets: Ticket[] = [];
  readonly reads: Array<{ fromIso: string; toIso: string }> = [];
  failNext: Error | null = null;
  async ticketsCreated(fromIso: string, toIso: string): Promise<Ticket[]> {
    this.reads.push({ fromIso, toIso });
    const error = this.failNext;
    this.failNext = null;
    if (error) throw error;
    const at = (t: Ticket) => Date.parse(t.created.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return this.tickets.filter((t) => at(t) >= Date.parse(fromIso) && at(t) < Date.parse(toIso));
  }
}

/** The classifications table in memory; views answer what a test puts in `views`. */
export class FakeTicketStore implements TicketStorePort {
  readonly rows: TicketClassificationRow[] = [];
  readonly views = new Map<TicketView, unknown[]>();
  async insertClassifications(rows: readonly TicketClassificationRow[]): Promise<void> {
    this.rows.push(...rows);
  }
  async readView<T>(view: TicketView): Promise<T[]> {
    return (this.views.get(view) ?? []) as T[];
  }
}

/** The ticket run ledger in memory, with the Firestore adapter's rules. */
export class FakeTicketRuns implements TicketRunLedgerPort {
  readonly runs = new Map<
    string,
    {
      runId: string;
      status: 'running' | 'done' | 'failed';
      leaseUntilMs: number;
      finishedAt?: string;
      summary?: Record<string, unknown>;
    }
  >();
  async claim(
    version: string,
    week: string,
    r: { runId: string; nowMs: number; leaseMs: number; force: boolean },
  ): Promise<TicketRunClaim> {
    const doc = this.runs.get(`${version}_${week}`);
    if (doc && !r.force) {
      if (doc.status === 'done')
        return { outcome: 'done', runId: doc.runId, finishedAt: String(doc.finishedAt) };
      if (doc.status === 'running' && doc.leaseUntilMs > r.nowMs)
        return { outcome: 'in_progress', runId: doc.runId };
    }
    this.runs.set(`${version}_${week}`, {
      runId: r.runId,
      status: 'running',
      leaseUntilMs: r.nowMs + r.leaseMs,
    });
    return { outcome: 'claimed' };
  }
  async abandon(version: string, week: string, runId: string): Promise<void> {
    const doc = this.runs.get(`${version}_${week}`);
    if (doc?.runId === runId && doc.status === 'running')
      this.runs.set(`${version}_${week}`, { ...doc, status: 'failed' });
  }
  async finish(
    version: string,
    week: string,
    runId: string,
    summary: Record<string, unknown>,
  ): Promise<void> {
    const doc = this.runs.get(`${version}_${week}`);
    if (doc?.runId !== runId) return;
    this.runs.set(`${version}_${week}`, {
      ...doc,
      status: 'done',
      finishedAt: '2026-11-30T06:00:00.000Z',
      summary,
    });
  }
}

/** The signing secret of the fake deps' webhook endpoint. */
export const FAKE_WEBHOOK_SECRET = 'whsec_fake_test_secret';

/** The event ledger in memory, with the Firestore adapter's rules (nextDueAtMs, remainderOf, the hour budget). */
export class FakeEventLedger implements EventLedgerPort {
  readonly events = new Map<string, RecentEvent>();
  readonly checks = new Map<string, PendingCheck>();
  readonly budget = new Map<string, number>();
  /** Set to make the next call fail, as a Firestore outage would. */
  failNext: Error | null = null;

  private fail() {
    const error = this.failNext;
    this.failNext = null;
    if (error) throw error;
  }

  async accept(r: AcceptEventRequest): Promise<'accepted' | 'duplicate'> {
    this.fail();
    if (this.events.has(r.eventId)) return 'duplicate';
    this.events.set(r.eventId, {
      eventId: r.eventId,
      type: r.type,
      source: r.source,
      accountIds: [...r.accountIds],
      outcome: r.outcome,
      receivedAtMs: r.nowMs,
    });
    for (const accountId of r.accountIds) {
      const c = this.checks.get(accountId);
      const first = c?.firstEventAtMs ?? r.nowMs;
      this.checks.set(accountId, {
        accountId,
        firstEventAtMs: first,
        dueAtMs: nextDueAtMs(first, c?.dueAtMs ?? null, r.nowMs, r.settleMs, r.maxWaitMs, r.source === 'ope'),
        eventIds: [...(c?.eventIds ?? []), r.eventId].slice(0, 50),
        eventCount: (c?.eventCount ?? 0) + 1,
        sources: [...new Set([...(c?.sources ?? []), r.source])].sort(),
      });
    }
    return 'accepted';
  }

  async due(nowMs: number, limit: number): Promise<PendingCheck[]> {
    this.fail();
    return (await this.pending(Number.MAX_SAFE_INTEGER)).filter((c) => c.dueAtMs <= nowMs).slice(0, limit);
  }

  async pending(limit: number): Promise<PendingCheck[]> {
    return [...this.checks.values()].sort((a, b) => a.dueAtMs - b.dueAtMs).slice(0, limit);
  }

  async complete(handedOn: PendingCheck, nowMs: number, settleMs: number): Promise<boolean> {
    this.fail();
    const c = this.checks.get(handedOn.accountId);
    if (!c || c.eventCount <= handedOn.eventCount) {
      this.checks.delete(handedOn.accountId);
      return true;
    }
    this.checks.set(handedOn.accountId, {
      accountId: c.accountId,
      ...remainderOf(c, handedOn, nowMs, settleMs),
    });
    return false;
  }

  async takeHourlyBudget(hourKey: string, wanted: number, max: number): Promise<number> {
    const used = this.budget.get(hourKey) ?? 0;
    const granted = Math.max(0, Math.min(wanted, max - used));
    this.budget.set(hourKey, used + granted);
    return granted;
  }

  async recent(limit: number): Promise<RecentEvent[]> {
    return [...this.events.values()].sort((a, b) => b.receivedAtMs - a.receivedAtMs).slice(0, limit);
  }
}

/** The drift lifecycle in memory, with the pure rules the Firestore adapter applies. */
export class FakeLifecycle implements LifecyclePort {
  readonly records = new Map<string, DriftLifecycle>();
  constructor(private readonly control: FakeControl) {}
  private windowMs() {
    return this.control.config.persistentAfterHours * 3_600_000;
  }
  async get(system: DriftSystem, accountId: string) {
    return this.records.get(`${system}_${accountId}`) ?? null;
  }
  async observe(system: DriftSystem, accountId: string, obs: DriftObservation) {
    const key = `${system}_${accountId}`;
    const next = observe(this.records.get(key) ?? null, obs, this.windowMs());
    if (next) this.records.set(key, next);
    return next;
  }
  async markPersistent(
    system: DriftSystem,
    ids: readonly string[],
    seen: { since: string; snapshotAt: string; at: string; runId: string },
  ) {
    const out = new Map<string, DriftLifecycle>();
    for (const id of ids) {
      const key = `${system}_${id}`;
      const prev = this.records.get(key) ?? null;
      const next =
        prev?.lastRunId === seen.runId
          ? prev
          : observePersistent(prev, seen.since, seen.at, seen.runId, seen.snapshotAt);
      this.records.set(key, next);
      out.set(id, next);
    }
    return out;
  }
}

/**
 * The audit as the support reads see it, in memory (the SQL is tested against the local BigQuery in
 * test/shared/adapters/bigquery-support.test.ts): final outcomes are each run, system, stage and subject's
 * latest attempt that will not be retried.
 */
export class FakeSupportReader implements SupportReadPort {
  readonly rows: AuditRecord[] = [];

  private finals(): AuditRecord[] {
    const last = new Map<string, AuditRecord>();
    for (const r of [...this.rows].sort((a, b) => a.finished_at.localeCompare(b.finished_at))) {
      if (r.will_retry) continue;
      last.set(`${r.run_id}|${r.system}|${r.stage}|${r.zone_id ?? r.account_id ?? ''}`, r);
    }
    return [...last.values()];
  }

  async accountAttempts(accountId: string): Promise<AuditRecord[]> {
    return this.rows
      .filter((r) => r.account_id === accountId)
      .sort((a, b) => a.finished_at.localeCompare(b.finished_at));
  }
  async accountsOfZone(zoneId: string): Promise<string[]> {
    return [...new Set(this.rows.filter((r) => r.zone_id === zoneId).map((r) => r.account_id ?? ''))].filter(
      Boolean,
    );
  }
  async accountsLike(prefix: string, limit: number): Promise<string[]> {
    return [...new Set(this.rows.map((r) => r.account_id ?? ''))]
      .filter((a) => a !== '' && a.startsWith(prefix))
      .sort()
      .slice(0, limit);
  }
  async halts(sinceIso: string): Promise<AuditRecord[]> {
    return this.finals().filter(
      (r) =>
        r.stage === 'detect' &&
        r.outcome === 'halted' &&
        r.account_id === null &&
        r.zone_id === null &&
        r.finished_at >= sinceIso,
    );
  }
  async runOutcomes(
    filter: { runId: string } | { fromDate: string; toDate: string; trigger: string },
  ): Promise<RunOutcomeCount[]> {
    const rows = this.finals().filter((r) =>
      'runId' in filter
        ? r.run_id === filter.runId
        : r.trigger === filter.trigger &&
          r.finished_at.slice(0, 10) >= filter.fromDate &&
          r.finished_at.slice(0, 10) <= filter.toDate,
    );
    const groups = new Map<string, RunOutcomeCount>();
    for (const r of rows) {
      const runLevel = (r.zone_id ?? r.account_id) === null;
      const key = [
        r.run_id,
        r.system,
        r.trigger,
        r.snapshot_date,
        r.stage,
        r.outcome,
        r.error_code,
        runLevel,
      ].join('|');
      const prior = groups.get(key);
      groups.set(key, {
        runId: r.run_id,
        system: r.system,
        trigger: r.trigger,
        snapshotDate: r.snapshot_date,
        stage: r.stage,
        outcome: r.outcome,
        code: r.error_code,
        runLevel,
        count: (prior?.count ?? 0) + 1,
        firstAt: prior && prior.firstAt < r.started_at ? prior.firstAt : r.started_at,
        lastAt: prior && prior.lastAt > r.finished_at ? prior.lastAt : r.finished_at,
      });
    }
    return [...groups.values()];
  }
  async dailyOutcomes(fromDate: string, toDate: string): Promise<DailyOutcomeCount[]> {
    const groups = new Map<string, DailyOutcomeCount>();
    for (const r of this.finals()) {
      const day = r.finished_at.slice(0, 10);
      if (day < fromDate || day > toDate) continue;
      const runLevel = (r.zone_id ?? r.account_id) === null;
      const key = [day, r.system, r.stage, r.outcome, r.error_code, runLevel].join('|');
      const prior = groups.get(key);
      groups.set(key, {
        day,
        system: r.system,
        stage: r.stage,
        outcome: r.outcome,
        code: r.error_code,
        runLevel,
        count: (prior?.count ?? 0) + 1,
      });
    }
    return [...groups.values()];
  }
  async blockingRestrictions(
    filter: { runId: string } | { fromDate: string; toDate: string },
  ): Promise<RestrictionCount[]> {
    const counts = new Map<string, RestrictionCount>();
    for (const r of this.finals()) {
      if (r.outcome !== 'blocked') continue;
      const day = r.finished_at.slice(0, 10);
      if ('runId' in filter ? r.run_id !== filter.runId : day < filter.fromDate || day > filter.toDate)
        continue;
      const key = 'runId' in filter ? r.run_id : day;
      for (const restriction of r.restrictions) {
        const prior = counts.get(`${key}|${restriction}`);
        counts.set(`${key}|${restriction}`, { key, restriction, count: (prior?.count ?? 0) + 1 });
      }
    }
    return [...counts.values()];
  }
  readonly tickets: (TicketNamingAccount & { accountIds: readonly string[] })[] = [];

  async ticketsNaming(accountId: string, limit: number): Promise<TicketNamingAccount[]> {
    return this.tickets
      .filter((t) => t.accountIds.includes(accountId))
      .sort((a, b) => b.created.localeCompare(a.created))
      .slice(0, limit)
      .map(({ accountIds: _ids, ...t }) => t);
  }

  async runAttempts(
    runId: string,
    outcomes: readonly string[],
    limit: number,
    skipCodes: readonly string[] = [],
  ): Promise<AuditRecord[]> {
    return this.finals()
      .filter(
        (r) =>
          r.run_id === runId &&
          outcomes.includes(r.outcome) &&
          (r.error_code === null || !skipCodes.includes(r.error_code)),
      )
      .sort((a, b) => a.finished_at.localeCompare(b.finished_at))
      .slice(0, limit);
  }
}

/** Trusts a header of the form `user:<email>`; anything else is refused like an unverifiable assertion. */
export class FakeIdentity implements IdentityVerifierPort {
  async verify(assertion: string | null): Promise<VerifiedIdentity> {
    if (assertion === null) throw new NotAuthenticatedError('missing', 'no assertion');
    if (!assertion.startsWith('user:')) throw new NotAuthenticatedError('invalid', 'does not verify');
    return { email: assertion.slice(5), subject: `accounts.google.com:${assertion.slice(5)}` };
  }
}

import { FieldValue, Firestore, type Transaction } from '@google-cloud/firestore';
import { z } from 'zod';
import { COLLECTIONS, CONFIG_DOCUMENT_ID } from '../contracts/topology.js';
import type { AccountGates } from '../domain/account-view.js';
import type { DriftSystem } from '../domain/audit.js';
import { DEFAULT_CONFIG, DriftControlConfig } from '../domain/config.js';
import type { ControlStore, FinalOutcome, RunClaim, RunClaimRequest, Stamped } from '../ports/index.js';

/**
 * ControlStore on Firestore: global config, the run ledger, per-account gates, cooldown stamps and
 * leases. Everything that must be at-most-once (run claims, leases) happens in a transaction.
 *
 *   config/driftcontrol                  DriftControlConfig (missing = fail-safe defaults)
 *   driftcontrol_runs/{system}_{date}    { system, snapshotDate, runId, scheduleTime, status, holder,
 *                                          leaseUntilMs, ... }
 *     /published/{subject}               one per account or zone the run published
 *   driftcontrol_final_outcomes/{run}__{stage}__{subject}   { outcome, rowId, at }
 *   account_gates/{accountId}            { badDebtDriftRemediation, invoiceMetadataRemediation }
 *   account_state/{accountId}            { lastHealedAtMs, lastHealedRunId, lease: { holder, expiresAtMs } }
 */

/** A config or gate document that does not parse: named field by field, never replaced by defaults. */
export class InvalidControlDocumentError extends Error {
  override readonly name = 'InvalidControlDocumentError';
  constructor(
    readonly documentPath: string,
    readonly issues: readonly string[],
  ) {
    super(`Firestore document ${documentPath} is invalid: ${issues.join('; ')}`);
  }
}

const RunStatus = z.enum(['running', 'completed', 'halted']);
const RunDoc = z.looseObject({
  runId: z.string().min(1),
  status: RunStatus,
  holder: z.string().optional(),
  leaseUntilMs: z.number().optional(),
});
const FinalDoc = z.looseObject({ outcome: z.string().min(1), rowId: z.string().min(1) });

/** Absent gate fields are off (fail closed); present ones must be booleans. */
const GatesDoc = z.looseObject({
  badDebtDriftRemediation: z.boolean().optional(),
  invoiceMetadataRemediation: z.boolean().optional(),
});

const StateDoc = z.looseObject({
  lastHealedAtMs: z.number().optional(),
  lease: z.object({ holder: z.string(), expiresAtMs: z.number() }).nullable().optional(),
});

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`);
}

export function runDocumentId(system: DriftSystem, snapshotDate: string): string {
  return `${system}_${snapshotDate}`;
}

export interface FirestoreControlStoreOptions {
  /** Clock for the read-time fallback; Firestore's own read time is preferred. */
  now?: () => Date;
  /** Transaction attempts under contention (Firestore retries ABORTED transactions). Default 25. */
  maxTransactionAttempts?: number;
}

export class FirestoreControlStore implements ControlStore {
  private readonly now: () => Date;
  private readonly maxAttempts: number;

  constructor(
    readonly db: Firestore,
    options: FirestoreControlStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxTransactionAttempts ?? 25;
  }

  private get configRef() {
    return this.db.collection(COLLECTIONS.config).doc(CONFIG_DOCUMENT_ID);
  }

  private runRef(system: DriftSystem, snapshotDate: string) {
    return this.db.collection(COLLECTIONS.runs).doc(runDocumentId(system, snapshotDate));
  }

  private stateRef(accountId: string) {
    return this.db.collection(COLLECTIONS.accountState).doc(accountId);
  }

  private transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction(fn, { maxAttempts: this.maxAttempts });
  }

  private finalRef(runId: string, stage: string, subject: string) {
    // Firestore ids may not contain '/': subjects are ids (no whitespace), but be safe.
    const id = [runId, stage, subject].map((p) => encodeURIComponent(p)).join('__');
    return this.db.collection(COLLECTIONS.finalOutcomes).doc(id);
  }

  async getConfig(): Promise<DriftControlConfig> {
    const snap = await this.configRef.get();
    if (!snap.exists) return { ...DEFAULT_CONFIG };
    // Strict: a misspelt key (e.g. `dryrun`) is an error, not a silently ignored kill switch.
    const parsed = DriftControlConfig.safeParse(snap.data());
    if (!parsed.success) throw new InvalidControlDocumentError(this.configRef.path, issuesOf(parsed.error));
    return parsed.data;
  }

  async updateConfig(patch: Readonly<Record<string, unknown>>): Promise<DriftControlConfig> {
    const unknown = Object.keys(patch).filter((k) => !Object.hasOwn(DriftControlConfig.shape, k));
    if (unknown.length > 0) {
      throw new InvalidControlDocumentError(
        this.configRef.path,
        unknown.map(
          (k) => `${k}: not a config field (one of ${Object.keys(DriftControlConfig.shape).join(', ')})`,
        ),
      );
    }
    // Read, merge, validate and write in one transaction: two concurrent changes never lose one.
    return this.transaction(async (tx) => {
      const snap = await tx.get(this.configRef);
      const next = { ...(snap.exists ? snap.data() : {}), ...patch };
      const parsed = DriftControlConfig.safeParse(next);
      if (!parsed.success) throw new InvalidControlDocumentError(this.configRef.path, issuesOf(parsed.error));
      tx.set(this.configRef, parsed.data);
      return parsed.data;
    });
  }

  async claimRun(
    system: DriftSystem,
    snapshotDate: string,
    runId: string,
    request: RunClaimRequest,
  ): Promise<RunClaim> {
    const ref = this.runRef(system, snapshotDate);
    const claim = await this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const lease = { holder: request.holder, leaseUntilMs: request.nowMs + request.leaseMs };
      if (!snap.exists) {
        // create() fails if the document appeared meanwhile: the transaction retries and sees it.
        tx.create(ref, {
          system,
          snapshotDate,
          runId,
          scheduleTime: request.scheduleTime,
          status: 'running',
          startedAt: FieldValue.serverTimestamp(),
          ...lease,
        });
        return { outcome: 'claimed' as const, runId, status: 'running' as const };
      }
      const existing = RunDoc.safeParse(snap.data());
      if (!existing.success) throw new InvalidControlDocumentError(ref.path, issuesOf(existing.error));
      const run = existing.data;
      if (run.status !== 'running') return { outcome: 'done' as const, runId: run.runId, status: run.status };
      const lapsed = run.leaseUntilMs === undefined || run.leaseUntilMs <= request.nowMs;
      if (run.holder !== request.holder && !lapsed)
        return { outcome: 'in_progress' as const, runId: run.runId, status: run.status };
      tx.update(ref, lease);
      return { outcome: 'resumed' as const, runId: run.runId, status: run.status };
    });
    const published =
      claim.outcome === 'resumed'
        ? new Set((await ref.collection('published').select().get()).docs.map((d) => d.id))
        : new Set<string>();
    return { ...claim, published };
  }

  async renewRun(
    system: DriftSystem,
    snapshotDate: string,
    holder: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean> {
    const ref = this.runRef(system, snapshotDate);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const run = snap.exists ? RunDoc.safeParse(snap.data()) : null;
      if (!run?.success || run.data.status !== 'running' || run.data.holder !== holder) return false;
      tx.update(ref, { leaseUntilMs: nowMs + leaseMs });
      return true;
    });
  }

  async markPublished(system: DriftSystem, snapshotDate: string, subjects: readonly string[]): Promise<void> {
    const published = this.runRef(system, snapshotDate).collection('published');
    for (let i = 0; i < subjects.length; i += 400) {
      const batch = this.db.batch();
      for (const subject of subjects.slice(i, i + 400))
        batch.set(published.doc(encodeURIComponent(subject)), { at: FieldValue.serverTimestamp() });
      await batch.commit();
    }
  }

  async finishRun(
    system: DriftSystem,
    snapshotDate: string,
    status: 'completed' | 'halted',
    summary: Record<string, unknown>,
  ): Promise<void> {
    // update() (not set): finishing a run that was never claimed is a bug, and must say so.
    await this.runRef(system, snapshotDate).update({
      status,
      summary: JSON.parse(JSON.stringify(summary)) as Record<string, unknown>,
      finishedAt: FieldValue.serverTimestamp(),
    });
  }

  async finalOutcome(runId: string, stage: string, subject: string): Promise<FinalOutcome | null> {
    const ref = this.finalRef(runId, stage, subject);
    const snap = await ref.get();
    if (!snap.exists) return null;
    const parsed = FinalDoc.safeParse(snap.data());
    if (!parsed.success) throw new InvalidControlDocumentError(ref.path, issuesOf(parsed.error));
    return { outcome: parsed.data.outcome, rowId: parsed.data.rowId };
  }

  async recordFinal(runId: string, stage: string, subject: string, final: FinalOutcome): Promise<void> {
    const ref = this.finalRef(runId, stage, subject);
    try {
      await ref.create({ ...final, at: FieldValue.serverTimestamp() });
    } catch (error) {
      // ALREADY_EXISTS: a concurrent delivery recorded first; the first final outcome stands.
      if ((error as { code?: number }).code !== 6) throw error;
    }
  }

  async getGates(accountId: string): Promise<Stamped<AccountGates>> {
    const ref = this.db.collection(COLLECTIONS.gates).doc(accountId);
    const snap = await ref.get();
    const asOf = (snap.readTime?.toDate() ?? this.now()).toISOString();
    if (!snap.exists) {
      return {
        source: 'firestore_gates',
        asOf,
        data: { badDebtDriftRemediation: false, invoiceMetadataRemediation: false },
      };
    }
    const parsed = GatesDoc.safeParse(snap.data());
    if (!parsed.success) throw new InvalidControlDocumentError(ref.path, issuesOf(parsed.error));
    return {
      source: 'firestore_gates',
      asOf,
      data: {
        badDebtDriftRemediation: parsed.data.badDebtDriftRemediation ?? false,
        invoiceMetadataRemediation: parsed.data.invoiceMetadataRemediation ?? false,
      },
    };
  }

  async lastHealedAt(accountIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const unique = [...new Set(accountIds)];
    // getAll is one round trip per chunk; chunks keep a huge run from building one giant request.
    for (let i = 0; i < unique.length; i += 300) {
      const refs = unique.slice(i, i + 300).map((id) => this.stateRef(id));
      if (refs.length === 0) continue;
      const snaps = await this.db.getAll(...refs);
      for (const snap of snaps) {
        if (!snap.exists) continue;
        const state = StateDoc.safeParse(snap.data());
        if (!state.success) throw new InvalidControlDocumentError(snap.ref.path, issuesOf(state.error));
        if (state.data.lastHealedAtMs !== undefined) out.set(snap.id, state.data.lastHealedAtMs);
      }
    }
    return out;
  }

  async markHealed(accountId: string, atMs: number, runId: string): Promise<void> {
    await this.stateRef(accountId).set({ lastHealedAtMs: atMs, lastHealedRunId: runId }, { merge: true });
  }

  /**
   * Free, expired, or already ours: take it (re-entrant for the same holder, so a redelivery of the very
   * message whose instance died need not wait out the ttl; its writes carry the same idempotency keys).
   */
  async acquireLease(accountId: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean> {
    if (!(ttlMs > 0)) throw new Error(`lease ttl must be > 0 ms (got ${ttlMs})`);
    const ref = this.stateRef(accountId);
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const state = snap.exists ? StateDoc.safeParse(snap.data()) : null;
      if (state && !state.success) throw new InvalidControlDocumentError(ref.path, issuesOf(state.error));
      const lease = state?.data.lease ?? null;
      if (lease && lease.holder !== holder && lease.expiresAtMs > nowMs) return false;
      tx.set(ref, { lease: { holder, expiresAtMs: nowMs + ttlMs } }, { merge: true });
      return true;
    });
  }

  async leaseHolder(accountId: string, nowMs: number): Promise<string | null> {
    const snap = await this.stateRef(accountId).get();
    const state = snap.exists ? StateDoc.safeParse(snap.data()) : null;
    const lease = state?.success ? state.data.lease : null;
    return lease && lease.expiresAtMs > nowMs ? lease.holder : null;
  }

  async releaseLease(accountId: string, holder: string): Promise<void> {
    const ref = this.stateRef(accountId);
    await this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      const lease = snap.exists ? StateDoc.safeParse(snap.data()) : null;
      // Only the holder releases: a late release must not free a lease someone else took after expiry.
      if (!lease?.success || lease.data.lease?.holder !== holder) return;
      tx.update(ref, { lease: FieldValue.delete() });
    });
  }
}

export function createFirestore(projectId: string): Firestore {
  // FIRESTORE_EMULATOR_HOST, when set, points the client at the emulator (the client reads it itself).
  return new Firestore({ projectId, ignoreUndefinedProperties: true });
}

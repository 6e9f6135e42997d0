import type { Firestore } from '@google-cloud/firestore';
import { COLLECTIONS } from '../contracts/topology.js';
import type { TicketRunClaim, TicketRunLedgerPort } from '../ports/index.js';

/**
 * The ticket classification ledger (docs/tickets.md): one document per taxonomy version and week,
 *
 *   driftcontrol_ticket_runs/{version}_{week}  { taxonomyVersion, week, runId, status, leaseUntilMs,
 *                                                startedAtMs, finishedAt?, summary? }
 *
 * claimed in a transaction, like detection's run ledger: a week runs once per version; a retried or
 * overlapping call sees it done or in progress; a holder that died loses it when its lease lapses; an
 * operator's `--force` (a new taxonomy version's backfill, a fixed ticket) runs it again.
 */
export class FirestoreTicketRuns implements TicketRunLedgerPort {
  constructor(private readonly db: Firestore) {}

  private ref(version: string, week: string) {
    return this.db.collection(COLLECTIONS.ticketRuns).doc(`${version}_${week}`);
  }

  claim(
    taxonomyVersion: string,
    week: string,
    request: { runId: string; nowMs: number; leaseMs: number; force: boolean },
  ): Promise<TicketRunClaim> {
    const ref = this.ref(taxonomyVersion, week);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const doc = snap.data() as
        | { runId?: string; status?: string; leaseUntilMs?: number; finishedAt?: string }
        | undefined;
      if (doc && !request.force) {
        if (doc.status === 'done')
          return { outcome: 'done', runId: String(doc.runId), finishedAt: String(doc.finishedAt) };
        if (doc.status === 'running' && (doc.leaseUntilMs ?? 0) > request.nowMs)
          return { outcome: 'in_progress', runId: String(doc.runId) };
      }
      tx.set(ref, {
        taxonomyVersion,
        week,
        runId: request.runId,
        status: 'running',
        leaseUntilMs: request.nowMs + request.leaseMs,
        startedAtMs: request.nowMs,
      });
      return { outcome: 'claimed' };
    });
  }

  async abandon(taxonomyVersion: string, week: string, runId: string, reason: string): Promise<void> {
    const ref = this.ref(taxonomyVersion, week);
    await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.get('runId') !== runId || snap.get('status') !== 'running') return;
      tx.update(ref, { status: 'failed', failedAt: new Date().toISOString(), reason: reason.slice(0, 500) });
    });
  }

  async finish(
    taxonomyVersion: string,
    week: string,
    runId: string,
    summary: Record<string, unknown>,
  ): Promise<void> {
    const ref = this.ref(taxonomyVersion, week);
    await this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      // A forced run that took the week over owns it now: the older holder's finish changes nothing.
      if (snap.get('runId') !== runId) return;
      tx.update(ref, { status: 'done', finishedAt: new Date().toISOString(), summary });
    });
  }
}

import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { COLLECTIONS } from '../contracts/topology.js';
import type {
  AcceptEventRequest,
  EventLedgerPort,
  EventSourceName,
  PendingCheck,
  RecentEvent,
} from '../ports/index.js';

/**
 * The event ledger on Firestore (docs/design.md, "Events"):
 *
 *   driftcontrol_events/{eventId}            { type, source, accountIds, outcome, receivedAtMs, expireAt }
 *   driftcontrol_pending_checks/{accountId}  { firstEventAtMs, dueAtMs, eventIds, eventCount, sources }
 *   driftcontrol_event_budget/{hour}         { used, expireAt }
 *
 * Event documents expire (a TTL policy on `expireAt`, infra/terraform) after Stripe's three days of
 * retries, so the ledger stays small and a redelivery within those days is still recognised.
 */

/** Stripe retries an undelivered event for up to three days; the ledger keeps ids a day longer. */
export const EVENT_RETENTION_MS = 4 * 86_400_000;
const MAX_EVENT_IDS = 50;

const PendingDoc = z.looseObject({
  firstEventAtMs: z.number(),
  dueAtMs: z.number(),
  eventIds: z.array(z.string()),
  eventCount: z.number(),
  sources: z.array(z.enum(['stripe', 'ope'])),
});
const EventDoc = z.looseObject({
  type: z.string(),
  source: z.enum(['stripe', 'ope']),
  accountIds: z.array(z.string()),
  outcome: z.string(),
  receivedAtMs: z.number(),
});

/**
 * When a pending check falls due after one more event: the settle delay after the latest event (a burst
 * makes one check), never sooner than an earlier event asked (an OPE change's longer settle delay is not
 * cut short by a Stripe event after it), and never later than the longest wait after the first event (a
 * stream cannot starve it).
 */
export function nextDueAtMs(
  firstEventAtMs: number,
  currentDueAtMs: number | null,
  nowMs: number,
  settleMs: number,
  maxWaitMs: number,
  /** OPE: its settle delay is the company sync's time to act, never cut short by the longest wait. */
  settleIsFloor = false,
): number {
  const wanted = Math.max(currentDueAtMs ?? 0, nowMs + settleMs);
  const due = Math.max(nowMs, Math.min(wanted, firstEventAtMs + maxWaitMs));
  return settleIsFloor ? Math.max(due, nowMs + settleMs) : due;
}

/**
 * What stays of a pending check after the events read with it were handed on: the events that arrived
 * since, as a check of their own, due a settle delay from now at the earliest.
 */
export function remainderOf(
  current: Omit<PendingCheck, 'accountId'>,
  handedOn: Pick<PendingCheck, 'eventIds' | 'eventCount'>,
  nowMs: number,
  settleMs: number,
): Omit<PendingCheck, 'accountId'> {
  const seen = new Set(handedOn.eventIds);
  return {
    firstEventAtMs: nowMs,
    dueAtMs: Math.max(current.dueAtMs, nowMs + settleMs),
    eventIds: current.eventIds.filter((id) => !seen.has(id)),
    eventCount: current.eventCount - handedOn.eventCount,
    sources: current.sources,
  };
}

export class FirestoreEventLedger implements EventLedgerPort {
  constructor(readonly db: Firestore) {}

  private event(id: string) {
    return this.db.collection(COLLECTIONS.events).doc(id);
  }

  private check(accountId: string) {
    return this.db.collection(COLLECTIONS.pendingChecks).doc(accountId);
  }

  async accept(request: AcceptEventRequest): Promise<'accepted' | 'duplicate'> {
    return this.db.runTransaction(async (tx) => {
      const eventRef = this.event(request.eventId);
      const checkRefs = request.accountIds.map((id) => this.check(id));
      const [seen, ...checks] = await tx.getAll(eventRef, ...checkRefs);
      if (seen?.exists) return 'duplicate';
      tx.create(eventRef, {
        type: request.type,
        source: request.source,
        accountIds: [...request.accountIds],
        outcome: request.outcome,
        receivedAtMs: request.nowMs,
        expireAt: new Date(request.nowMs + EVENT_RETENTION_MS),
      });
      checks.forEach((snap, i) => {
        const accountId = request.accountIds[i] as string;
        const prior = snap.exists ? PendingDoc.safeParse(snap.data()) : null;
        const current = prior?.success ? prior.data : null;
        const firstEventAtMs = current?.firstEventAtMs ?? request.nowMs;
        const ids = current?.eventIds ?? [];
        tx.set(this.check(accountId), {
          firstEventAtMs,
          dueAtMs: nextDueAtMs(
            firstEventAtMs,
            current?.dueAtMs ?? null,
            request.nowMs,
            request.settleMs,
            request.maxWaitMs,
            request.source === 'ope',
          ),
          eventIds: ids.length < MAX_EVENT_IDS ? [...ids, request.eventId] : ids,
          eventCount: (current?.eventCount ?? 0) + 1,
          sources: [...new Set([...(current?.sources ?? []), request.source])].sort(),
        });
      });
      return 'accepted';
    });
  }

  async due(nowMs: number, limit: number): Promise<PendingCheck[]> {
    if (limit <= 0) return [];
    const snaps = await this.db
      .collection(COLLECTIONS.pendingChecks)
      .where('dueAtMs', '<=', nowMs)
      .orderBy('dueAtMs')
      .limit(limit)
      .get();
    return snaps.docs.flatMap((d) => this.parseCheck(d.id, d.data()));
  }

  async pending(limit: number): Promise<PendingCheck[]> {
    const snaps = await this.db.collection(COLLECTIONS.pendingChecks).orderBy('dueAtMs').limit(limit).get();
    return snaps.docs.flatMap((d) => this.parseCheck(d.id, d.data()));
  }

  async complete(handedOn: PendingCheck, nowMs: number, settleMs: number): Promise<boolean> {
    const ref = this.check(handedOn.accountId);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const parsed = snap.exists ? PendingDoc.safeParse(snap.data()) : null;
      if (!parsed?.success || parsed.data.eventCount <= handedOn.eventCount) {
        if (snap.exists) tx.delete(ref);
        return true;
      }
      tx.set(ref, remainderOf(parsed.data, handedOn, nowMs, settleMs));
      return false;
    });
  }

  async takeHourlyBudget(hourKey: string, wanted: number, max: number): Promise<number> {
    if (wanted <= 0) return 0;
    const ref = this.db.collection(COLLECTIONS.eventBudget).doc(hourKey);
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const used = Number(snap.get('used') ?? 0);
      const granted = Math.max(0, Math.min(wanted, max - used));
      if (granted > 0)
        tx.set(ref, {
          used: used + granted,
          expireAt: new Date(Date.parse(`${hourKey}:00:00Z`) + 2 * 86_400_000),
        });
      return granted;
    });
  }

  async recent(limit: number): Promise<RecentEvent[]> {
    const snaps = await this.db
      .collection(COLLECTIONS.events)
      .orderBy('receivedAtMs', 'desc')
      .limit(limit)
      .get();
    return snaps.docs.flatMap((d) => {
      const parsed = EventDoc.safeParse(d.data());
      if (!parsed.success) return [];
      const e = parsed.data;
      return [
        {
          eventId: d.id,
          type: e.type,
          source: e.source as EventSourceName,
          accountIds: e.accountIds,
          outcome: e.outcome,
          receivedAtMs: e.receivedAtMs,
        },
      ];
    });
  }

  /** A document that does not parse is skipped, loudly: it would otherwise hold a slot of every sweep. */
  private parseCheck(accountId: string, data: unknown): PendingCheck[] {
    const parsed = PendingDoc.safeParse(data);
    if (parsed.success) return [{ accountId, ...parsed.data }];
    console.warn(
      JSON.stringify({
        event: 'invalid_pending_check',
        account_id: accountId,
        issues: parsed.error.issues.length,
      }),
    );
    return [];
  }
}

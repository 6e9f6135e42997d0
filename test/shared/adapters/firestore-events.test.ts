import type { Firestore } from '@google-cloud/firestore';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_RETENTION_MS,
  FirestoreEventLedger,
  nextDueAtMs,
} from '../../../shared/adapters/firestore-events.js';
import { COLLECTIONS } from '../../../shared/contracts/topology.js';
import type { AcceptEventRequest } from '../../../shared/ports/index.js';
import { useFirestoreProject } from '../../setup/emulators.js';

/** The event ledger on the Firestore emulator: transactions, de-duplication and the debounce rule. */

const project = useFirestoreProject('fse');
let ledger: FirestoreEventLedger;
let db: Firestore;
beforeAll(() => {
  db = project.db();
  ledger = new FirestoreEventLedger(db);
});

const T0 = Date.parse('2026-11-24T12:00:00Z');
const request = (over: Partial<AcceptEventRequest> = {}): AcceptEventRequest => ({
  eventId: 'evt_1',
  type: 'customer.subscription.updated',
  source: 'stripe',
  accountIds: ['acc_1'],
  outcome: 'scheduled',
  nowMs: T0,
  settleMs: 60_000,
  maxWaitMs: 300_000,
  ...over,
});

describe('nextDueAtMs', () => {
  it.each([
    ['the first event: settle after it', T0, null, T0, T0 + 60_000],
    ['a later event: settle after the latest', T0, T0 + 60_000, T0 + 30_000, T0 + 90_000],
    [
      'a stream: never later than the longest wait after the first',
      T0,
      T0 + 300_000,
      T0 + 280_000,
      T0 + 300_000,
    ],
    ['past the longest wait: due now', T0, T0 + 300_000, T0 + 400_000, T0 + 400_000],
    ['a short settle after a longer one: the longer holds', T0, T0 + 250_000, T0 + 10_000, T0 + 250_000],
  ])('%s', (_name, first, current, now, due) => {
    expect(nextDueAtMs(first, current, now, 60_000, 300_000)).toBe(due);
  });

  it("an OPE event's settle delay is a floor: the longest wait after an earlier event does not cut it", () => {
    // A Stripe event at T0, an OPE change 700 s later: checked 60 s after the OPE change, not at once.
    expect(nextDueAtMs(T0, T0 + 60_000, T0 + 700_000, 60_000, 300_000)).toBe(T0 + 700_000);
    expect(nextDueAtMs(T0, T0 + 60_000, T0 + 700_000, 60_000, 300_000, true)).toBe(T0 + 760_000);
  });
});

describe('FirestoreEventLedger', () => {
  it('accepts an event once: the id is recorded with its expiry and the check is scheduled', async () => {
    expect(await ledger.accept(request())).toBe('accepted');
    expect(await ledger.accept(request({ nowMs: T0 + 5000 }))).toBe('duplicate');
    const [check] = await ledger.pending(10);
    expect(check).toMatchObject({
      accountId: 'acc_1',
      eventIds: ['evt_1'],
      eventCount: 1,
      dueAtMs: T0 + 60_000,
    });
    const doc = await db.collection(COLLECTIONS.events).doc('evt_1').get();
    expect(doc.get('expireAt').toMillis()).toBe(T0 + EVENT_RETENTION_MS);
    expect((await ledger.recent(10)).map((e) => e.eventId)).toEqual(['evt_1']);
  });

  it('concurrent deliveries of one event: exactly one is accepted', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => ledger.accept(request())));
    expect(answers.filter((a) => a === 'accepted')).toHaveLength(1);
    expect((await ledger.pending(10))[0]?.eventCount).toBe(1);
  });

  it('concurrent events for one account: one check counting them all (no lost update)', async () => {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.accept(request({ eventId: `evt_${i}`, nowMs: T0 + i }))),
    );
    const checks = await ledger.pending(10);
    expect(checks).toHaveLength(1);
    expect(checks[0]?.eventCount).toBe(10);
  });

  it('an event naming no account is recorded, with no check', async () => {
    await ledger.accept(request({ accountIds: [], outcome: 'unmapped' }));
    expect(await ledger.pending(10)).toEqual([]);
    expect((await ledger.recent(10))[0]).toMatchObject({ eventId: 'evt_1', outcome: 'unmapped' });
  });

  it('due: only checks whose time has come, oldest first, up to the limit', async () => {
    await ledger.accept(request({ eventId: 'evt_a', accountIds: ['acc_a'], nowMs: T0 }));
    await ledger.accept(request({ eventId: 'evt_b', accountIds: ['acc_b'], nowMs: T0 - 10_000 }));
    await ledger.accept(request({ eventId: 'evt_c', accountIds: ['acc_c'], nowMs: T0 + 120_000 }));
    expect((await ledger.due(T0 + 60_000, 10)).map((c) => c.accountId)).toEqual(['acc_b', 'acc_a']);
    expect((await ledger.due(T0 + 60_000, 1)).map((c) => c.accountId)).toEqual(['acc_b']);
  });

  it('complete removes a handed-on check; events that came since stay as a check of their own', async () => {
    await ledger.accept(request());
    const [read] = await ledger.pending(10);
    if (!read) throw new Error('no pending check');
    await ledger.accept(request({ eventId: 'evt_2', nowMs: T0 + 1000 }));
    expect(await ledger.complete(read, T0 + 2000, 60_000)).toBe(false);
    const [rest] = await ledger.pending(10);
    // Only the new event, with a settle delay of its own from now (not the old first event's deadline).
    expect(rest).toEqual({
      accountId: 'acc_1',
      firstEventAtMs: T0 + 2000,
      dueAtMs: T0 + 62_000,
      eventIds: ['evt_2'],
      eventCount: 1,
      sources: ['stripe'],
    });
    expect(await ledger.complete(rest as NonNullable<typeof rest>, T0 + 3000, 60_000)).toBe(true);
    expect(await ledger.pending(10)).toEqual([]);
    // A check already gone (another sweep removed it) completes quietly.
    expect(await ledger.complete(read, T0 + 4000, 60_000)).toBe(true);
  });

  it('the hourly budget is granted up to its maximum, under concurrent sweeps too', async () => {
    const granted = await Promise.all(
      Array.from({ length: 5 }, () => ledger.takeHourlyBudget('2026-11-24T12', 3, 10)),
    );
    expect(granted.reduce((a, b) => a + b, 0)).toBe(10);
    expect(await ledger.takeHourlyBudget('2026-11-24T13', 3, 10)).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import type { OpeChangeMessage } from '../../../shared/contracts/messages.js';
import { receiveOpeChange } from '../../../shared/pipeline/ope-events.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { fakeDeps } from '../../support/fakes.js';

/** ope-events' core: OPE change events become pending checks after the (longer) OPE settle delay. */

const message = (accountIds: string[]): OpeChangeMessage => ({
  schemaVersion: 1,
  kind: 'ope_subscriptions_changed',
  accountIds,
  changedAt: '2026-11-24T11:59:00Z',
});

describe('receiveOpeChange', () => {
  it('schedules one check per account (duplicates in the message made one) after the OPE settle delay', async () => {
    const f = fakeDeps();
    await f.control.updateConfig({ opeSettleSeconds: 300, eventSettleSeconds: 60 });
    const r = await receiveOpeChange(f.deps, message(['acc_2', 'acc_1', 'acc_2']), 'm-1');
    expect(r).toEqual({ disposition: 'ack', outcome: 'scheduled' });
    const checks = await f.events.pending(10);
    expect(checks.map((c) => [c.accountId, c.sources, c.eventIds, c.dueAtMs - c.firstEventAtMs])).toEqual([
      ['acc_1', ['ope'], ['ope_m-1'], 300_000],
      ['acc_2', ['ope'], ['ope_m-1'], 300_000],
    ]);
  });

  it('a redelivered message (same Pub/Sub message id) changes nothing', async () => {
    const f = fakeDeps();
    await receiveOpeChange(f.deps, message(['acc_1']), 'm-1');
    const before = await f.events.pending(10);
    expect(await receiveOpeChange(f.deps, message(['acc_1']), 'm-1')).toEqual({
      disposition: 'ack',
      outcome: 'duplicate',
    });
    expect(await f.events.pending(10)).toEqual(before);
  });

  it('an OPE change after a Stripe event pushes the check back: the OPE sync gets its time', async () => {
    const f = fakeDeps();
    await f.control.updateConfig({ opeSettleSeconds: 300, eventSettleSeconds: 60, eventMaxWaitSeconds: 900 });
    const now = f.deps.clock.now().getTime();
    await f.events.accept({
      eventId: 'evt_1',
      type: 'customer.subscription.updated',
      source: 'stripe',
      accountIds: ['acc_1'],
      outcome: 'scheduled',
      nowMs: now,
      settleMs: 60_000,
      maxWaitMs: 900_000,
    });
    await receiveOpeChange(f.deps, message(['acc_1']), 'm-1');
    const [check] = await f.events.pending(10);
    expect(check?.sources).toEqual(['ope', 'stripe']);
    expect((check?.dueAtMs ?? 0) - now).toBeGreaterThanOrEqual(300_000);
  });

  it('a store that fails: retried by Pub/Sub (and dead-lettered if it never gets through)', async () => {
    const f = fakeDeps();
    f.events.failNext = new UpstreamError('firestore down', 'subs-api', true, 503);
    expect(await receiveOpeChange(f.deps, message(['acc_1']), 'm-1')).toEqual({
      disposition: 'retry',
      outcome: 'failed',
    });
    expect(await receiveOpeChange(f.deps, message(['acc_1']), 'm-1')).toMatchObject({ outcome: 'scheduled' });
  });
});

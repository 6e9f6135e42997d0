import { describe, expect, it } from 'vitest';
import { StripeDriftAccountMessage } from '../../../shared/contracts/messages.js';
import { eventRunId, hourKeyOf, sweepPendingChecks } from '../../../shared/pipeline/sweep-checks.js';
import { fakeDeps } from '../../support/fakes.js';

/** event-sweeper's core: due checks to gather with trigger `event`, within the valves of the event path. */

const NOW = Date.parse('2026-11-24T12:00:00Z');

function setup(accounts: readonly string[], options: { dueInMs?: number } = {}) {
  const f = fakeDeps();
  let nowMs = NOW;
  const deps = { ...f.deps, clock: { now: () => new Date(nowMs) } };
  const schedule = async (eventId: string, accountId: string) =>
    f.events.accept({
      eventId,
      type: 'customer.subscription.updated',
      source: 'stripe',
      accountIds: [accountId],
      outcome: 'scheduled',
      nowMs: NOW - 120_000,
      settleMs: 60_000 + (options.dueInMs ?? 0),
      maxWaitMs: 900_000,
    });
  return {
    ...f,
    deps,
    schedule,
    advance: (ms: number) => {
      nowMs += ms;
    },
    async scheduleAll() {
      for (const [i, a] of accounts.entries()) await schedule(`evt_${i}`, a);
    },
    published: () =>
      f.publisher.messages
        .filter((m) => m.topic === 'stripeDriftAccounts')
        .map((m) => StripeDriftAccountMessage.parse(m.data)),
  };
}

describe('sweepPendingChecks', () => {
  it('hands each due check to gather once, with trigger event and its events, and removes it', async () => {
    const s = setup(['acc_1', 'acc_2']);
    await s.scheduleAll();
    const result = await sweepPendingChecks(s.deps);
    expect(result).toMatchObject({
      status: 'swept',
      due: 2,
      published: ['acc_1', 'acc_2'],
      deferred: 0,
      kept: 0,
    });
    const [first] = s.published();
    expect(first).toMatchObject({
      accountId: 'acc_1',
      run: { trigger: 'event', system: 'stripe', requestedBy: null, snapshotDate: '2026-11-24' },
      events: { ids: ['evt_0'], count: 1, sources: ['stripe'] },
    });
    expect(first?.run.runId).toBe(eventRunId({ accountId: 'acc_1', eventIds: ['evt_0'], eventCount: 1 }));
    expect(await s.events.pending(10)).toEqual([]);
    expect((await sweepPendingChecks(s.deps)).published).toEqual([]);
  });

  it('leaves checks whose settle delay has not passed', async () => {
    const s = setup(['acc_1'], { dueInMs: 600_000 });
    await s.scheduleAll();
    expect(await sweepPendingChecks(s.deps)).toMatchObject({ due: 0, published: [] });
    s.advance(600_000);
    expect((await sweepPendingChecks(s.deps)).published).toEqual(['acc_1']);
  });

  it('the kill switch: nothing published, the checks wait', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    await s.control.updateConfig({ killSwitch: true });
    expect(await sweepPendingChecks(s.deps)).toMatchObject({ status: 'halted', published: [], deferred: 1 });
    expect(s.published()).toEqual([]);
    expect(await s.events.pending(10)).toHaveLength(1);
  });

  it('dry-run is carried on the run, for plan-apply to honour', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    await s.control.updateConfig({ dryRun: true });
    await sweepPendingChecks(s.deps);
    expect(s.published()[0]?.run.dryRun).toBe(true);
  });

  it('no mirror lately: nothing published (persistent drift cannot be judged)', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    s.mirror.latestSnapshotDate = async () => null;
    expect(await sweepPendingChecks(s.deps)).toMatchObject({ status: 'halted', published: [] });
    expect(await s.events.pending(10)).toHaveLength(1);
  });

  it('a newest mirror that fails its landing checks: nothing published, as at night', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    s.mirror.health_ = {
      ...s.mirror.health_,
      today: { ...s.mirror.health_.today, missingTables: ['subs_customer'] },
    };
    const result = await sweepPendingChecks(s.deps);
    expect(result).toMatchObject({ status: 'halted', published: [] });
    expect(result.reason).toMatch(/2026-11-24 fails its checks/);
    expect(await s.events.pending(10)).toHaveLength(1);
  });

  it.each([
    ['the per-run cap', { perRunCap: 2, maxEventChecksPerHour: 100 }, 2],
    ['the hourly blast radius', { perRunCap: 100, maxEventChecksPerHour: 3 }, 3],
    ['an hourly budget of zero', { perRunCap: 100, maxEventChecksPerHour: 0 }, 0],
  ])('%s bounds a sweep; the rest wait', async (_name, config, expected) => {
    const s = setup(['acc_1', 'acc_2', 'acc_3', 'acc_4', 'acc_5']);
    await s.scheduleAll();
    await s.control.updateConfig(config);
    const result = await sweepPendingChecks(s.deps);
    expect(result.published).toHaveLength(expected);
    expect(await s.events.pending(10)).toHaveLength(5 - expected);
  });

  it('the hourly budget is shared by the sweeps of one hour and renews the next', async () => {
    const s = setup(['acc_1', 'acc_2', 'acc_3']);
    await s.scheduleAll();
    await s.control.updateConfig({ maxEventChecksPerHour: 2 });
    expect((await sweepPendingChecks(s.deps)).published).toHaveLength(2);
    expect((await sweepPendingChecks(s.deps)).published).toHaveLength(0);
    s.advance(3_600_000);
    expect((await sweepPendingChecks(s.deps)).published).toHaveLength(1);
  });

  it('an event arriving while a check is handed on keeps the check for another look', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    const complete = s.events.complete.bind(s.events);
    s.events.complete = async (check, nowMs, settleMs) => {
      await s.schedule('evt_late', check.accountId);
      return complete(check, nowMs, settleMs);
    };
    expect(await sweepPendingChecks(s.deps)).toMatchObject({ published: ['acc_1'], kept: 1 });
    // Only the late event stays, due a settle delay from now: the next sweep does not take it yet.
    const [rest] = await s.events.pending(10);
    expect(rest).toMatchObject({ eventIds: ['evt_late'], eventCount: 1, dueAtMs: NOW + 60_000 });
    s.events.complete = complete;
    expect((await sweepPendingChecks(s.deps)).published).toEqual([]);
    s.advance(60_000);
    expect((await sweepPendingChecks(s.deps)).published).toEqual(['acc_1']);
    expect(s.published().at(-1)?.events?.ids).toEqual(['evt_late']);
  });

  it('a crash between publish and removal publishes the same run again (gather answers it from its ledger)', async () => {
    const s = setup(['acc_1']);
    await s.scheduleAll();
    s.events.complete = async () => {
      throw new Error('instance died');
    };
    await expect(sweepPendingChecks(s.deps)).rejects.toThrow(/died/);
    await expect(sweepPendingChecks(s.deps)).rejects.toThrow(/died/);
    const runs = s.published().map((m) => m.run.runId);
    expect(runs).toHaveLength(2);
    expect(new Set(runs).size).toBe(1);
  });
});

describe('hourKeyOf', () => {
  it('is the UTC clock hour', () => {
    expect(hourKeyOf(Date.parse('2026-11-24T12:59:59.999Z'))).toBe('2026-11-24T12');
    expect(hourKeyOf(Date.parse('2026-11-24T13:00:00Z'))).toBe('2026-11-24T13');
  });
});

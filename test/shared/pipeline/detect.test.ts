import { describe, expect, it } from 'vitest';
import type { StripeDriftAccountMessage } from '../../../shared/contracts/messages.js';
import { type DetectRequest, detectDrift } from '../../../shared/pipeline/detect.js';
import { fakeDeps } from '../../support/fakes.js';

const request: DetectRequest = {
  system: 'stripe',
  snapshotDate: '2026-11-24',
  trigger: 'scheduled',
  requestedBy: null,
  scheduleTime: '2026-11-24T06:00:00Z',
};
const rows = (n: number, excluded = 0) => [
  ...Array.from({ length: n }, (_, i) => ({
    accountId: `acc_${String(i).padStart(4, '0')}`,
    excludedReason: null,
    excludedCode: null,
  })),
  ...Array.from({ length: excluded }, (_, i) => ({
    accountId: `acc_ent_${i}`,
    excludedReason: 'unsupported_account_type:msp/msp',
    excludedCode: 'unsupported_account_type',
  })),
];

describe('detectDrift', () => {
  it('publishes one message per new-drift account (ordering key = account), audits exclusions and a summary', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(3, 2);
    const r = await detectDrift(f.deps, request);
    expect(r.status).toBe('completed');
    const published = f.publisher.messages.filter((m) => m.topic === 'stripeDriftAccounts');
    expect(published.map((m) => m.orderingKey)).toEqual(['acc_0000', 'acc_0001', 'acc_0002']);
    expect((published[0]?.data as StripeDriftAccountMessage | undefined)?.run).toMatchObject({
      trigger: 'scheduled',
      dryRun: false,
    });
    const outcomes = f.publisher.audits().map((a) => a.outcome);
    expect(outcomes.filter((o) => o === 'excluded')).toHaveLength(2);
    expect(f.publisher.audits().find((a) => a.outcome === 'excluded')?.error_code).toBe(
      'unsupported_account_type',
    );
    expect(outcomes.filter((o) => o === 'published')).toHaveLength(4); // 3 accounts + the run summary
    expect(f.control.runs.get('stripe_2026-11-24')?.status).toBe('completed');
  });

  it('runs at most once per system and snapshot date', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(3);
    await detectDrift(f.deps, request);
    const again = await detectDrift(f.deps, request);
    expect(again.status).toBe('already_ran');
    expect(f.publisher.on('stripeDriftAccounts')).toHaveLength(3);
  });

  it('a call while another holds the run publishes nothing: in_progress (the scheduler retries later)', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(3);
    const now = f.deps.clock.now().getTime();
    await f.control.claimRun('stripe', '2026-11-24', 'sched-stripe-2026-11-24', {
      holder: 'another-call',
      scheduleTime: null,
      nowMs: now,
      leaseMs: 600_000,
    });
    const r = await detectDrift(f.deps, request);
    expect(r.status).toBe('in_progress');
    expect(f.publisher.on('stripeDriftAccounts')).toEqual([]);
    expect(f.publisher.audits()).toEqual([]);
  });

  it('a run whose holder died resumes: only what it had not published is published, the cap counts both', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(5);
    f.control.config = { ...f.control.config, perRunCap: 4 };
    const now = f.deps.clock.now().getTime();
    await f.control.claimRun('stripe', '2026-11-24', 'sched-stripe-2026-11-24', {
      holder: 'dead-call',
      scheduleTime: null,
      nowMs: now - 3_600_000,
      leaseMs: 60_000,
    });
    await f.control.markPublished('stripe', '2026-11-24', ['acc_0000', 'acc_0001']);
    const r = await detectDrift(f.deps, request);
    expect(r.status === 'completed' && r.summary).toMatchObject({ published: 4, publishedBefore: 2 });
    expect(
      f.publisher.on('stripeDriftAccounts').map((m) => (m as StripeDriftAccountMessage).accountId),
    ).toEqual(['acc_0002', 'acc_0003']);
    expect(
      f.publisher
        .audits()
        .filter((a) => a.outcome === 'excluded')
        .map((a) => [a.account_id, a.error_code]),
    ).toEqual([['acc_0004', 'run_cap']]);
    expect([...(f.control.runs.get('stripe_2026-11-24')?.published ?? [])].sort()).toEqual([
      'acc_0000',
      'acc_0001',
      'acc_0002',
      'acc_0003',
    ]);
  });

  it('refuses a mirror that has not landed: nothing published, retryable, audited', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(3);
    f.mirror.health_ = {
      ...f.mirror.health_,
      today: { snapshotDate: '2026-11-24', accounts: 0, missingTables: ['ope_items'], incompleteTables: [] },
    };
    const r = await detectDrift(f.deps, request);
    expect(r.status).toBe('not_ready');
    expect(f.publisher.on('stripeDriftAccounts')).toEqual([]);
    expect(f.publisher.audits()[0]).toMatchObject({ outcome: 'halted', error_code: 'mirror_not_landed' });
    expect(f.control.runs.size).toBe(0); // the retry can still claim the run
  });

  it.each([
    ['too many', 600, 'blast_radius_count'],
    ['none at all', 0, 'empty_new_drift'],
  ])('halts on a blast radius (%s): zero published, audited, ledger halted', async (_n, n, code) => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(n);
    f.mirror.health_ = {
      today: { snapshotDate: '2026-11-24', accounts: 100_000, missingTables: [], incompleteTables: [] },
      yesterday: { snapshotDate: '2026-11-23', accounts: 100_000, missingTables: [], incompleteTables: [] },
    };
    const r = await detectDrift(f.deps, request);
    expect(r.status === 'halted' && r.code).toBe(code);
    expect(f.publisher.on('stripeDriftAccounts')).toEqual([]);
    expect(f.publisher.audits().some((a) => a.outcome === 'halted' && a.error_code === code)).toBe(true);
    expect(f.control.runs.get('stripe_2026-11-24')?.status).toBe('halted');
  });

  it('kill switch halts before anything else', async () => {
    const f = fakeDeps();
    f.control.config = { ...f.control.config, killSwitch: true };
    f.mirror.stripeRows = rows(3);
    expect((await detectDrift(f.deps, request)).status).toBe('halted');
    expect(f.publisher.on('stripeDriftAccounts')).toEqual([]);
  });

  it('applies cooldown and the per-run cap, auditing each exclusion', async () => {
    const f = fakeDeps();
    f.mirror.stripeRows = rows(5);
    f.control.config = { ...f.control.config, perRunCap: 2 };
    f.control.healed.set('acc_0000', Date.parse('2026-11-24T00:00:00Z'));
    await detectDrift(f.deps, request);
    expect(
      f.publisher.on('stripeDriftAccounts').map((m) => (m as StripeDriftAccountMessage).accountId),
    ).toEqual(['acc_0001', 'acc_0002']);
    const excluded = f.publisher.audits().filter((a) => a.outcome === 'excluded');
    expect(excluded.map((a) => [a.account_id, a.error_code])).toEqual([
      ['acc_0000', 'cooldown'],
      ['acc_0003', 'run_cap'],
      ['acc_0004', 'run_cap'],
    ]);
  });

  it('publishes www zones with what the mirror saw', async () => {
    const f = fakeDeps();
    f.mirror.wwwRows = [
      {
        zoneId: 'zone_1',
        accountId: 'acc_1',
        wwwPlanLevel: 'free',
        subsApiPlanLevel: 'pro',
        excludedReason: null,
        excludedCode: null,
      },
    ];
    await detectDrift(f.deps, { ...request, system: 'www' });
    expect(f.publisher.messages.find((m) => m.topic === 'wwwDriftZones')).toMatchObject({
      orderingKey: 'zone_1',
      data: {
        kind: 'www_drift_zone',
        zoneId: 'zone_1',
        mirror: { wwwPlanLevel: 'free', subsApiPlanLevel: 'pro' },
      },
    });
  });
});

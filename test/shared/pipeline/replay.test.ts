import { describe, expect, it } from 'vitest';
import type { RunContext, StripeDriftAccountMessage } from '../../../shared/contracts/messages.js';
import { ValidationError } from '../../../shared/domain/validate.js';
import { gatherAccount } from '../../../shared/pipeline/gather.js';
import { type ReplayRequest, replayAccounts } from '../../../shared/pipeline/replay.js';
import { fakeDeps } from '../../support/fakes.js';
import { healthyView } from '../../support/views.js';

const request = (overrides: Partial<ReplayRequest> = {}): ReplayRequest => ({
  accountIds: ['acc_1', 'acc_2', 'acc_3'],
  snapshotDate: '2026-11-24',
  requestedBy: 'ops@example.test',
  apply: true,
  nonce: 'n1',
  ...overrides,
});
const publishedIds = (f: ReturnType<typeof fakeDeps>) =>
  f.publisher.on('stripeDriftAccounts').map((m) => (m as StripeDriftAccountMessage).accountId);

describe('replayAccounts (the operator side): checks, then publishes; no audit rows of its own', () => {
  it('publishes each account with who asked, and nothing to the audit topic', async () => {
    const f = fakeDeps();
    const r = await replayAccounts(f.deps, request());
    expect([r.published, r.refused]).toEqual([['acc_1', 'acc_2', 'acc_3'], null]);
    expect(publishedIds(f)).toEqual(['acc_1', 'acc_2', 'acc_3']);
    const run = (f.publisher.on('stripeDriftAccounts')[0] as StripeDriftAccountMessage).run;
    expect(run).toMatchObject({ trigger: 'replay', requestedBy: 'ops@example.test', dryRun: false });
    expect(f.publisher.on('auditEvents')).toEqual([]);
  });

  it.each([
    ['the kill switch', { killSwitch: true }, undefined, 'kill_switch'],
    ['the blast radius', { maxNewDriftAccounts: 2 }, undefined, 'blast_radius_count'],
    ['the per-run cap', { perRunCap: 2 }, undefined, 'run_cap'],
  ] as const)('%s refuses the whole replay, nothing published', async (_case, config, overrides, code) => {
    const f = fakeDeps();
    f.control.config = { ...f.control.config, ...config };
    const r = await replayAccounts(f.deps, request(overrides ? { overrides } : {}));
    expect(r.refused?.code).toBe(code);
    expect(f.publisher.messages).toEqual([]);
  });

  it('--ignore-caps lifts the cap and the blast radius, and the message carries why', async () => {
    const f = fakeDeps();
    f.control.config = { ...f.control.config, perRunCap: 1, maxNewDriftAccounts: 1 };
    const overrides = {
      includePersistent: false,
      ignoreCooldown: false,
      ignoreCaps: true,
      reason: 'BILL-7: lead approved',
    };
    const r = await replayAccounts(f.deps, request({ overrides }));
    expect(r.published).toHaveLength(3);
    expect((f.publisher.on('stripeDriftAccounts')[0] as StripeDriftAccountMessage).overrides).toEqual(
      overrides,
    );
  });

  it.each([
    ['an id with whitespace', [' acc_1']],
    ['an id over 255 characters', ['a'.repeat(256)]],
    ['no id at all', []],
  ])('refuses %s before publishing anything', async (_case, ids) => {
    const f = fakeDeps();
    await expect(replayAccounts(f.deps, request({ accountIds: ids }))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(f.publisher.messages).toEqual([]);
  });
});

describe('gather applies the per-account valves to a replayed account, and audits them', () => {
  const run: RunContext = {
    runId: 'replay-abc',
    system: 'stripe',
    snapshotDate: '2026-11-24',
    trigger: 'replay',
    requestedBy: 'ops@example.test',
    dryRun: false,
  };
  const msg = (overrides?: StripeDriftAccountMessage['overrides']): StripeDriftAccountMessage => ({
    schemaVersion: 1,
    kind: 'stripe_drift_account',
    run,
    accountId: 'acc_1',
    ...(overrides ? { overrides } : {}),
    publishedAt: '2026-11-24T12:00:00Z',
  });
  const lift = (o: Partial<NonNullable<StripeDriftAccountMessage['overrides']>>) => ({
    includePersistent: false,
    ignoreCooldown: false,
    ignoreCaps: false,
    reason: 'INC-42: fixed upstream by hand',
    ...o,
  });

  it.each([
    ['persistent drift', 'persistent_drift', undefined, false, 'persistent_drift'],
    [
      'persistent drift, lifted with a reason',
      'persistent_drift',
      lift({ includePersistent: true }),
      false,
      null,
    ],
    [
      'an unsupported account type, even with overrides',
      'unsupported_account_type',
      lift({ includePersistent: true }),
      false,
      'unsupported_account_type',
    ],
    ['the cooldown', null, undefined, true, 'cooldown'],
    ['the cooldown, lifted with a reason', null, lift({ ignoreCooldown: true }), true, null],
    ['no valve at all', null, undefined, false, null],
  ] as const)('%s', async (_case, triageCode, overrides, healedRecently, excludedCode) => {
    const f = fakeDeps(healthyView());
    if (triageCode)
      f.mirror.stripeRows = [{ accountId: 'acc_1', excludedCode: triageCode, excludedReason: triageCode }];
    if (healedRecently) f.control.healed.set('acc_1', f.deps.clock.now().getTime());
    await gatherAccount(f.deps, msg(overrides), 'msg-1');
    const row = f.publisher.audits()[0];
    if (excludedCode === null) {
      expect(row?.outcome).toBe('published');
      expect(f.publisher.on('accountViews')).toHaveLength(1);
    } else {
      expect(row).toMatchObject({
        outcome: 'excluded',
        error_code: excludedCode,
        requested_by: 'ops@example.test',
      });
      expect(f.publisher.on('accountViews')).toEqual([]);
    }
    if (overrides) {
      expect(row?.reason).toContain('INC-42: fixed upstream by hand');
      expect(JSON.parse(row?.params_json ?? '{}').overrides).toMatchObject({
        reason: 'INC-42: fixed upstream by hand',
      });
    }
  });
});

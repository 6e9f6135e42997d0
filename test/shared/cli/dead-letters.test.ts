import { describe, expect, it } from 'vitest';
import { classifyDeadLetter } from '../../../shared/cli/dead-letters.js';
import { healthyView } from '../../support/views.js';

const run = {
  runId: 'sched-stripe-2026-11-24',
  system: 'stripe',
  snapshotDate: '2026-11-24',
  trigger: 'scheduled',
  requestedBy: null,
  dryRun: false,
};

describe("every stage's dead letters", () => {
  it.each([
    [
      'gather: a drift account message',
      'gather',
      {
        schemaVersion: 1,
        kind: 'stripe_drift_account',
        run,
        accountId: 'acc_7',
        publishedAt: '2026-11-24T06:00:00Z',
      },
      { kind: 'account', accountId: 'acc_7' },
    ],
    [
      'plan-apply: only the account id of the view is taken',
      'plan-apply',
      {
        schemaVersion: 1,
        kind: 'account_view',
        run,
        view: { ...healthyView(), accountId: 'acc_9', ope: 'garbage' },
        publishedAt: 'x',
      },
      { kind: 'account', accountId: 'acc_9' },
    ],
    [
      'www-resync: a zone message',
      'www-resync',
      {
        schemaVersion: 1,
        kind: 'www_drift_zone',
        run: { ...run, system: 'www' },
        zoneId: 'z_1',
        accountId: 'acc_1',
        mirror: { wwwPlanLevel: 'free', subsApiPlanLevel: 'pro' },
        publishedAt: '2026-11-24T06:00:00Z',
      },
      { kind: 'zone' },
    ],
  ] as const)('%s', (_case, stage, message, expected) => {
    expect(classifyDeadLetter(stage, JSON.stringify(message))).toMatchObject(expected);
  });

  it.each([
    ['not JSON', 'gather', '{oops', /not JSON/],
    [
      'an account id with whitespace',
      'gather',
      JSON.stringify({
        schemaVersion: 1,
        kind: 'stripe_drift_account',
        run,
        accountId: ' acc_1 ',
        publishedAt: '2026-11-24T06:00:00Z',
      }),
      /accountId/,
    ],
    [
      'a view without an account',
      'plan-apply',
      JSON.stringify({ kind: 'account_view', view: {} }),
      /view\.accountId/,
    ],
    [
      'an audit event (only the pipeline writes those)',
      'audit-writer',
      JSON.stringify({ row_id: 'x' }),
      /not replayed by operators/,
    ],
  ] as const)('sets aside %s, saying why', (_case, stage, text, why) => {
    const v = classifyDeadLetter(stage, text);
    expect(v.kind).toBe('set_aside');
    expect(v.kind === 'set_aside' && v.why).toMatch(why);
  });
});

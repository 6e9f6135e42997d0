import { describe, expect, it } from 'vitest';
import {
  changeIdOfWrite,
  checkHistory,
  type FinalViewRow,
  type HistoryInput,
  type LandedAuditRow,
  type StripeRequest,
} from '../../../local/chaos/history.js';

/**
 * The history check must see each broken promise it exists for: a clean history passes, and each way of
 * breaking one (a second write, a second final row, a lost subject, a view that miscounts, a second run
 * that writes, a healed account that still plans changes) is reported.
 */

const write = (over: Partial<StripeRequest> & { change?: string } = {}): StripeRequest => ({
  method: 'POST',
  path: '/v1/subscriptions/sub_1',
  objectId: 'sub_1',
  idempotencyKey: `key-${over.change ?? 'c1'}`,
  applied: true,
  replayed: false,
  status: 200,
  fault: null,
  params: {
    quantity: '2',
    metadata: { driftcontrol_change_id: over.change ?? 'c1', driftcontrol_run_id: 'r1' },
  },
  ...over,
});

const row = (over: Partial<LandedAuditRow>): LandedAuditRow => ({
  row_id: 'row',
  run_id: 'r1',
  system: 'stripe',
  stage: 'plan_apply',
  account_id: 'acc_1',
  zone_id: null,
  outcome: 'applied',
  will_retry: false,
  error_code: null,
  change_ids: [],
  stripe_writes: 0,
  ...over,
});

const viewOf = (rows: readonly LandedAuditRow[]): FinalViewRow[] =>
  rows
    .filter((r) => !r.will_retry)
    .map((r) => ({
      row_id: r.row_id,
      run_id: r.run_id,
      system: r.system,
      stage: r.stage,
      subject: r.zone_id ?? r.account_id ?? '',
    }));

/** One account taken through detect, gather and plan-apply, healed by change c1; a retry on the way. */
const cleanRows: LandedAuditRow[] = [
  row({ row_id: 'd1', stage: 'detect', outcome: 'published' }),
  row({ row_id: 'g1', stage: 'gather', outcome: 'published' }),
  row({ row_id: 'p0', outcome: 'failed', will_retry: true, error_code: 'stripe_rate_limit' }),
  row({ row_id: 'p1', outcome: 'applied', change_ids: ['c1'], stripe_writes: 1 }),
];

const clean = (): HistoryInput => ({
  stripeRequests: [
    write({ status: 0, fault: 'connection_reset' }),
    write({ applied: false, replayed: true }),
    { ...write(), method: 'GET', applied: false },
  ],
  // A duplicate of the applied row landed (BigQuery's best-effort de-duplication).
  auditRows: [...cleanRows, cleanRows[3] as LandedAuditRow],
  finalView: viewOf(cleanRows),
  replayed: {},
  deadLettered: new Set(),
  secondRun: { writesBefore: 1, writesAfter: 1 },
  replans: [{ accountId: 'acc_1', outcome: 'noop' }],
});

/** A second account's plan-apply failed for good on its second write, after writing change c9 (or not). */
const withFailedAttempt = (h: HistoryInput, stripeWrites: number): HistoryInput => {
  const failed = row({
    row_id: 'q1',
    account_id: 'acc_2',
    outcome: 'failed',
    error_code: 'stripe_invalid_request',
    change_ids: ['c9', 'c10'],
    stripe_writes: stripeWrites,
  });
  return {
    ...h,
    stripeRequests: [...h.stripeRequests, write({ change: 'c9', idempotencyKey: 'key-c9' })],
    auditRows: [...h.auditRows, failed],
    finalView: viewOf([...cleanRows, failed]),
    secondRun: { writesBefore: 2, writesAfter: 2 },
  };
};

describe('checkHistory', () => {
  it('passes a history that kept every promise, and counts it', () => {
    const v = checkHistory(clean());
    expect(v.violations).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.counts).toMatchObject({
      stripeRequests: 3,
      stripeFaultsSeen: 1,
      stripeWrites: 1,
      idempotentReplays: 1,
      changesWritten: 1,
      auditRowsLanded: 5,
      auditAttempts: 4,
      duplicateRowsAbsorbed: 1,
      finalRows: 3,
      finalsExpected: 2,
      secondRunWrites: 0,
    });
  });

  const broken: Array<[string, (h: HistoryInput) => HistoryInput, RegExp]> = [
    [
      'the same change written twice under two idempotency keys',
      (h) => ({ ...h, stripeRequests: [...h.stripeRequests, write({ idempotencyKey: 'other-run' })] }),
      /1 changes written more than once: c1 ×2/,
    ],
    [
      'a write executed twice under one idempotency key',
      (h) => ({
        ...h,
        stripeRequests: [...h.stripeRequests, write({ change: 'c2', idempotencyKey: 'key-c1' })],
      }),
      /executed twice under one idempotency key: key-c1 ×2/,
    ],
    [
      'a write with no change stamp',
      (h) => ({ ...h, stripeRequests: [...h.stripeRequests, write({ params: { quantity: '3' } })] }),
      /writes without a change stamp/,
    ],
    [
      'a change written that no audit row names as written',
      (h) => ({ ...h, stripeRequests: [...h.stripeRequests, write({ change: 'c9' })] }),
      /no audit row names as written: c9/,
    ],
    [
      'a change written that only a failed row with no writes names',
      (h) => withFailedAttempt(h, 0),
      /no audit row names as written: c9/,
    ],
    [
      'two final rows for one run, stage and account',
      (h) => {
        const extra = row({ row_id: 'p2', outcome: 'noop' });
        return { ...h, auditRows: [...h.auditRows, extra], finalView: viewOf([...cleanRows, extra]) };
      },
      /more than one final row: r1 stripe plan_apply acc_1: applied, noop/,
    ],
    [
      'an account gather published that plan-apply never finished, and nothing dead-lettered',
      (h) => {
        const rows = cleanRows.filter((r) => r.stage !== 'plan_apply');
        return { ...h, auditRows: rows, finalView: viewOf(rows), stripeRequests: [] };
      },
      /\(lost\): r1 stripe plan_apply acc_1/,
    ],
    [
      'a replayed account with no final row',
      (h) => ({ ...h, replayed: { 'replay-1': ['acc_2'] } }),
      /\(lost\): replay-1 stripe gather acc_2/,
    ],
    [
      'a www zone detect published that www-resync never finished',
      (h) => {
        const zone = row({
          row_id: 'z1',
          system: 'www',
          stage: 'detect',
          outcome: 'published',
          zone_id: 'zone_1',
        });
        return { ...h, auditRows: [...h.auditRows, zone], finalView: viewOf([...cleanRows, zone]) };
      },
      /\(lost\): r1 www www_resync zone_1/,
    ],
    [
      'a final-outcome view that lists a key twice',
      (h) => ({ ...h, finalView: [...h.finalView, h.finalView[2] as FinalViewRow] }),
      /view lists more than once: r1 stripe plan_apply acc_1/,
    ],
    [
      'a final-outcome view that shows the retried row',
      (h) => ({
        ...h,
        finalView: h.finalView.map((r) => (r.stage === 'plan_apply' ? { ...r, row_id: 'p0' } : r)),
      }),
      /the view disagrees on: r1 stripe plan_apply acc_1: the view shows another row/,
    ],
    [
      'a second run that writes',
      (h) => ({ ...h, secondRun: { writesBefore: 1, writesAfter: 3 } }),
      /the second run wrote 2 time/,
    ],
    [
      'a healed account whose live plan still has changes',
      (h) => ({ ...h, replans: [{ accountId: 'acc_1', outcome: 'changes' }] }),
      /not noop: acc_1: changes/,
    ],
  ];

  it.each(broken)('reports %s', (_name, breakIt, message) => {
    const v = checkHistory(breakIt(clean()));
    expect(v.ok).toBe(false);
    expect(v.violations.join('\n')).toMatch(message);
  });

  it('a change written by an attempt that failed later (a partial apply) is named as written', () => {
    const v = checkHistory(withFailedAttempt(clean(), 1));
    expect(v.violations).toEqual([]);
    expect(v.counts.changesWritten).toBe(2);
  });

  it('a subject that was dead-lettered is not lost, and is counted', () => {
    const rows = cleanRows.filter((r) => r.stage !== 'plan_apply');
    const v = checkHistory({
      ...clean(),
      auditRows: rows,
      finalView: viewOf(rows),
      stripeRequests: [],
      deadLettered: new Set(['r1 acc_1']),
    });
    expect(v.violations).toEqual([]);
    expect(v.counts.deadLettered).toBe(1);
  });
});

describe('changeIdOfWrite', () => {
  it.each([
    [{ metadata: { driftcontrol_change_id: 'chg_a' } }, 'chg_a'],
    [{ cancellation_details: { comment: 'driftcontrol run r1 change chg_b' } }, 'chg_b'],
    [{ cancellation_details: { comment: 'driftcontrol chg_c' } }, 'chg_c'],
    [{ cancellation_details: { comment: 'cancelled by support' } }, null],
    [{ quantity: '1' }, null],
    [undefined, null],
  ])('%j -> %s', (params, id) => {
    expect(changeIdOfWrite(params)).toBe(id);
  });
});

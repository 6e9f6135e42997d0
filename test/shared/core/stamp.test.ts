import { describe, expect, it } from 'vitest';
import {
  CHANGE_ID_METADATA_KEY,
  RUN_ID_METADATA_KEY,
  stampChangeId,
  stampedChangeId,
  stampRunId,
} from '../../../shared/core/stamp.js';
import type { ChangeKind, StripeParamValue } from '../../../shared/domain/plan.js';

// The stamp's round trip: what plan and apply write is what the adapter reads back from a live object.

const CHANGE = 'chg_0123456789abcdef0123';
const RUN = 'run_20261101';
type Params = Record<string, StripeParamValue>;

/** The live object Stripe keeps after a write with these params (metadata merged, the comment as sent). */
function liveAfter(params: Params) {
  const comment = (params.cancellation_details as { comment?: string } | undefined)?.comment;
  return {
    metadata: (params.metadata ?? {}) as Record<string, string>,
    cancellationComment: comment ?? null,
  };
}

describe('stamp written at plan and apply time, read back from the live object', () => {
  const cases: Array<{ kind: ChangeKind; params: Params; planned: Params; applied: Params }> = [
    {
      kind: 'subscription_update',
      params: { items: [{ id: 'si_1', quantity: 2 }], proration_behavior: 'none' },
      planned: {
        items: [{ id: 'si_1', quantity: 2 }],
        proration_behavior: 'none',
        metadata: { [CHANGE_ID_METADATA_KEY]: CHANGE },
      },
      applied: {
        items: [{ id: 'si_1', quantity: 2 }],
        proration_behavior: 'none',
        metadata: { [CHANGE_ID_METADATA_KEY]: CHANGE, [RUN_ID_METADATA_KEY]: RUN },
      },
    },
    {
      kind: 'subscription_cancel',
      params: { prorate: false, invoice_now: false },
      planned: {
        prorate: false,
        invoice_now: false,
        cancellation_details: { comment: `driftcontrol ${CHANGE}` },
      },
      applied: {
        prorate: false,
        invoice_now: false,
        cancellation_details: { comment: `driftcontrol run ${RUN} change ${CHANGE}` },
      },
    },
    {
      kind: 'customer_update',
      params: { metadata: { bad_debt: 'true' } },
      planned: { metadata: { bad_debt: 'true', [CHANGE_ID_METADATA_KEY]: CHANGE } },
      applied: {
        metadata: { bad_debt: 'true', [CHANGE_ID_METADATA_KEY]: CHANGE, [RUN_ID_METADATA_KEY]: RUN },
      },
    },
    {
      kind: 'invoice_update',
      params: { metadata: { cf_account_id: 'acc_1' } },
      planned: { metadata: { cf_account_id: 'acc_1', [CHANGE_ID_METADATA_KEY]: CHANGE } },
      applied: {
        metadata: { cf_account_id: 'acc_1', [CHANGE_ID_METADATA_KEY]: CHANGE, [RUN_ID_METADATA_KEY]: RUN },
      },
    },
  ];

  it.each(cases)('$kind', ({ kind, params, planned, applied }) => {
    const original = structuredClone(params);
    const atPlan = stampChangeId(kind, params, CHANGE);
    expect(atPlan).toEqual(planned);
    const operation = {
      sdkMethod: 'customers.update',
      httpMethod: 'POST',
      path: '/v1/x',
      params: atPlan,
    } as const;
    const atApply = stampRunId({ id: CHANGE, kind, operation }, RUN);
    expect(atApply).toEqual(applied);
    // Copies: neither the draft's nor the plan's params change.
    expect(params).toEqual(original);
    expect(atPlan).toEqual(planned);

    expect(stampedChangeId(liveAfter(atPlan))).toBe(CHANGE);
    expect(stampedChangeId(liveAfter(atApply))).toBe(CHANGE);
  });
});

describe('stampedChangeId on objects we did not stamp, or not as we do', () => {
  const cases: Array<{ name: string; live: Parameters<typeof stampedChangeId>[0]; expected: string | null }> =
    [
      { name: 'nothing at all', live: {}, expected: null },
      { name: 'metadata without our key', live: { metadata: { bad_debt: 'true' } }, expected: null },
      {
        name: 'null metadata and comment',
        live: { metadata: null, cancellationComment: null },
        expected: null,
      },
      {
        name: 'a comment that is not ours',
        live: { cancellationComment: 'canceled by support' },
        expected: null,
      },
      {
        name: 'our comment with surrounding whitespace',
        live: { cancellationComment: `  driftcontrol ${CHANGE}\n` },
        expected: CHANGE,
      },
      {
        name: 'malformed: a change id of the wrong shape',
        live: { cancellationComment: 'driftcontrol run r change chg_short' },
        expected: null,
      },
      {
        name: 'malformed: upper-case hex',
        live: { cancellationComment: `driftcontrol ${CHANGE.toUpperCase()}` },
        expected: null,
      },
      {
        name: 'malformed: a run without its change keyword',
        live: { cancellationComment: `driftcontrol run ${RUN} ${CHANGE}` },
        expected: null,
      },
      {
        name: 'malformed: text after the id',
        live: { cancellationComment: `driftcontrol ${CHANGE} by hand` },
        expected: null,
      },
      {
        name: 'metadata wins over a comment',
        live: {
          metadata: { [CHANGE_ID_METADATA_KEY]: CHANGE },
          cancellationComment: 'driftcontrol chg_ffffffffffffffffffff',
        },
        expected: CHANGE,
      },
    ];
  it.each(cases)('$name -> $expected', ({ live, expected }) => {
    expect(stampedChangeId(live)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkPreconditions,
  idempotencyKey,
  LIVE_CHANGE_ID_FIELD,
  preconditionVerdict,
  shouldRetryStripeFailure,
} from '../../../shared/core/apply-policy.js';
import { plan } from '../../../shared/core/planner.js';
import { stripeItem, viewWith } from '../../support/views.js';

const quantityPlan = () => plan(viewWith((v) => void (stripeItem(v).quantity = 2)));

describe('idempotencyKey', () => {
  it('is derived from account, change and plan hash: never random', () => {
    const p = quantityPlan();
    const change = p.changes[0] as (typeof p.changes)[0];
    expect(idempotencyKey('acc_1', change, p.planHash)).toBe(idempotencyKey('acc_1', change, p.planHash));
    expect(idempotencyKey('acc_1', change, p.planHash)).toMatch(/^driftcontrol-[0-9a-f]{48}$/);
    expect(idempotencyKey('acc_2', change, p.planHash)).not.toBe(idempotencyKey('acc_1', change, p.planHash));
    expect(idempotencyKey('acc_1', { id: 'chg_00000000000000000000' }, p.planHash)).not.toBe(
      idempotencyKey('acc_1', change, p.planHash),
    );
    expect(idempotencyKey('acc_1', change, 'f'.repeat(64))).not.toBe(
      idempotencyKey('acc_1', change, p.planHash),
    );
  });

  it('fits Stripe’s 255-character limit', () => {
    expect(idempotencyKey('a'.repeat(255), { id: 'chg_x' }, 'h').length).toBeLessThanOrEqual(255);
  });
});

describe('preconditions', () => {
  const live = {
    status: 'active',
    cancel_at_period_end: false,
    items: [
      { id: 'si_1', price: 'price_pro_m', quantity: 2 },
      { id: 'si_2', price: 'price_addon_m', quantity: 3 },
    ],
  };

  it('is fresh when the live values are the planned ones (key order does not matter)', () => {
    const change = quantityPlan().changes[0];
    expect(change && preconditionVerdict(change, live)).toEqual({ verdict: 'fresh' });
    const reordered = {
      ...live,
      items: live.items.map((i) => ({ quantity: i.quantity, price: i.price, id: i.id })),
    };
    expect(change && checkPreconditions(change.preconditions, reordered)).toEqual([]);
  });

  it.each([
    [
      'quantity changed since gather',
      { items: [{ id: 'si_1', price: 'price_pro_m', quantity: 5 }, live.items[1]] },
      'items',
    ],
    ['subscription canceled since gather', { status: 'canceled' }, 'status'],
    ['cancel flag flipped since gather', { cancel_at_period_end: true }, 'cancel_at_period_end'],
    ['item added since gather', { items: [...live.items, { id: 'si_3', price: 'p', quantity: 1 }] }, 'items'],
    ['field missing from the live read', { status: undefined }, 'status'],
  ])('is stale when %s', (_name, patch, field) => {
    const change = quantityPlan().changes[0];
    const verdict = change && preconditionVerdict(change, { ...live, ...patch } as never);
    expect(verdict?.verdict).toBe('stale');
    expect(verdict?.verdict === 'stale' && verdict.mismatches.map((m) => m.field)).toEqual([field]);
  });

  it('recognises its own earlier write of the same change (crash before ack)', () => {
    const change = quantityPlan().changes[0];
    if (!change) throw new Error('no change');
    const after = {
      ...live,
      items: [
        { id: 'si_1', price: 'price_pro_m', quantity: 1 },
        live.items[1] as { id: string; price: string; quantity: number },
      ],
    };
    expect(preconditionVerdict(change, { ...after, [LIVE_CHANGE_ID_FIELD]: change.id }).verdict).toBe(
      'already_applied',
    );
    expect(
      preconditionVerdict(change, { ...after, [LIVE_CHANGE_ID_FIELD]: 'chg_someone_else' }).verdict,
    ).toBe('stale');
  });
});

describe('shouldRetryStripeFailure', () => {
  it.each([
    [{ httpStatus: 429, type: 'invalid_request_error', code: 'rate_limit' }, true],
    [{ httpStatus: 409, type: 'invalid_request_error', code: 'lock_timeout' }, true],
    [{ httpStatus: 500, type: 'api_error', code: null }, true],
    [{ httpStatus: 503, type: 'api_error', code: null }, true],
    [{ httpStatus: null, type: 'api_connection_error', code: null }, true],
    [{ httpStatus: null, type: null, code: null }, true],
    [{ httpStatus: 400, type: 'invalid_request_error', code: 'parameter_invalid_integer' }, false],
    [{ httpStatus: 400, type: 'idempotency_error', code: null }, false],
    [{ httpStatus: 409, type: 'idempotency_error', code: null }, false],
    [{ httpStatus: 404, type: 'invalid_request_error', code: 'resource_missing' }, false],
    [{ httpStatus: 401, type: 'authentication_error', code: null }, false],
    [{ httpStatus: 402, type: 'card_error', code: 'card_declined' }, false],
  ])('%j -> retry %s', (failure, retry) => {
    expect(shouldRetryStripeFailure(failure)).toBe(retry);
  });
});

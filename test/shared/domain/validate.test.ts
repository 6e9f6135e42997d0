import { describe, expect, it } from 'vitest';
import { AccountView } from '../../../shared/domain/account-view.js';
import { parseJson, ValidationError, validate } from '../../../shared/domain/validate.js';
import { healthyView } from '../../support/views.js';

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

type Mutable = Record<string, unknown>;

describe('validate', () => {
  it('returns the parsed value for valid input', () => {
    expect(validate(AccountView, 'AccountView', healthyView()).accountId).toBe('acc_1');
  });

  it.each([
    {
      name: 'float quantity',
      edit: (v: Mutable) => {
        ((v.ope as Mutable).data as { subscriptions: { items: Mutable[] }[] }).subscriptions[0]!
          .items[0]!.quantity = 1.5;
      },
      path: 'ope.data.subscriptions[0].items[0].quantity',
      received: 'number',
    },
    {
      name: 'money as a float',
      edit: (v: Mutable) => {
        ((v.billingProd as Mutable).data as { catalogue: Mutable[] }).catalogue[0]!.unitAmountMinor = 19.99;
      },
      path: 'billingProd.data.catalogue[0].unitAmountMinor',
      received: 'number',
    },
    {
      name: 'missing accountId',
      edit: (v: Mutable) => {
        delete v.accountId;
      },
      path: 'accountId',
      received: 'missing',
    },
    {
      name: 'unknown interval',
      edit: (v: Mutable) => {
        ((v.ope as Mutable).data as { subscriptions: Mutable[] }).subscriptions[0]!.interval = 'week';
      },
      path: 'ope.data.subscriptions[0].interval',
      received: 'string',
    },
    {
      name: 'upper-case currency',
      edit: (v: Mutable) => {
        ((v.ope as Mutable).data as { subscriptions: Mutable[] }).subscriptions[0]!.currency = 'USD';
      },
      path: 'ope.data.subscriptions[0].currency',
      received: 'string',
    },
    {
      name: 'asOf without an offset',
      edit: (v: Mutable) => {
        v.asOf = '2026-11-24T12:00:00';
      },
      path: 'asOf',
      received: 'string',
    },
    {
      name: 'unknown field (strict objects catch typos)',
      edit: (v: Mutable) => {
        v.acountId = 'typo';
      },
      path: '',
      received: 'object',
    },
  ])('$name names the path and the kind of value', ({ edit, path, received }) => {
    const view = healthyView() as unknown as Mutable;
    edit(view);
    const error = errorOf(() => validate(AccountView, 'AccountView', view));
    expect(error.code).toBe('invalid_input');
    expect(error.issues[0]?.path).toBe(path);
    expect(error.issues[0]?.received).toBe(received);
    expect(error.message).toContain('invalid AccountView');
    if (path) expect(error.message).toContain(path);
  });

  it('reports malformed JSON as a validation error with the parser message', () => {
    const error = errorOf(() => parseJson(AccountView, 'AccountView', '{"accountId": '));
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('lists every issue, not just the first', () => {
    const error = errorOf(() => validate(AccountView, 'AccountView', { schemaVersion: 1 }));
    expect(error.issues.length).toBeGreaterThan(5);
  });
});

import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../../shared/contracts/messages.js';
import type { AuditRecord, AuditStage } from '../../../shared/domain/audit.js';
import { auditRecord } from '../../../shared/pipeline/audit.js';
import {
  dashboardBaseFor,
  type StripeLink,
  stripeLink,
  stripeLinks,
  targetsOf,
} from '../../../shared/support/stripe-links.js';
import { runContext } from '../../support/runs.js';

const BASE = 'https://dashboard.stripe.com/test';

describe('dashboardBaseFor', () => {
  it.each([
    { key: 'sk_test_51abc', base: 'https://dashboard.stripe.com/test' },
    { key: 'rk_test_51abc', base: 'https://dashboard.stripe.com/test' },
    { key: 'sk_live_51abc', base: 'https://dashboard.stripe.com' },
    { key: 'rk_live_51abc', base: 'https://dashboard.stripe.com' },
    { key: undefined, base: 'https://dashboard.stripe.com' },
    { key: '', base: 'https://dashboard.stripe.com' },
    // Only a key that starts with the test prefix is test mode.
    { key: 'xsk_test_1', base: 'https://dashboard.stripe.com' },
    { key: 'sk_testing', base: 'https://dashboard.stripe.com' },
  ])('$key -> $base', ({ key, base }) => {
    expect(dashboardBaseFor(key)).toBe(base);
  });
});

describe('stripeLink', () => {
  it.each([
    { kind: 'customer', id: 'cus_NffrFeUfNV2Hib', path: 'customers' },
    { kind: 'subscription', id: 'sub_1MowQVLkdIwHu7ix', path: 'subscriptions' },
    { kind: 'invoice', id: 'in_1MtHbELkdIwHu7ixl4OzzPMv', path: 'invoices' },
  ] as const)('links a $kind id to /$path', ({ kind, id, path }) => {
    expect(stripeLink(BASE, kind, id)).toEqual({ kind, id, url: `${BASE}/${path}/${id}` });
  });

  it.each([
    { kind: 'customer', id: 'sub_1', why: 'another kind of id' },
    { kind: 'subscription', id: 'cus_1', why: 'another kind of id' },
    { kind: 'invoice', id: 'inv_1', why: 'not the in_ prefix' },
    { kind: 'invoice', id: 'sub_1', why: 'another kind of id' },
    { kind: 'customer', id: 'acc_0000001', why: 'an account id' },
    { kind: 'customer', id: 'CUS_1', why: 'the prefix in upper case' },
    { kind: 'customer', id: 'cus_1/../../settings', why: 'a path' },
    { kind: 'customer', id: 'cus_1?x=1', why: 'a query' },
    { kind: 'customer', id: 'cus_1#x', why: 'a fragment' },
    { kind: 'customer', id: 'cus_1"><script>', why: 'markup' },
    { kind: 'customer', id: 'cus_1 2', why: 'a space' },
    { kind: 'customer', id: 'cus_1\n', why: 'a newline' },
    { kind: 'customer', id: 'cus_ü', why: 'a non-ASCII letter' },
    { kind: 'customer', id: 'cus-1', why: 'a hyphen' },
    { kind: 'subscription', id: `sub_${'a'.repeat(252)}`, why: 'more than 255 characters' },
    { kind: 'invoice', id: 'in_', why: 'a prefix alone, under four characters' },
    { kind: 'customer', id: 'cus_', why: 'a prefix alone' },
    { kind: 'subscription', id: 'sub_', why: 'a prefix alone' },
    { kind: 'customer', id: '', why: 'an empty id' },
  ] as const)('makes no link of $id ($why)', ({ kind, id }) => {
    expect(stripeLink(BASE, kind, id)).toBeNull();
  });

  it('takes an id of exactly 255 characters', () => {
    const id = `sub_${'a'.repeat(251)}`;
    expect(stripeLink(BASE, 'subscription', id)?.url).toBe(`${BASE}/subscriptions/${id}`);
  });

  it.each([
    { base: 'https://dashboard.stripe.com/test', url: 'https://dashboard.stripe.com/test/customers/cus_1' },
    { base: 'https://dashboard.stripe.com/test/', url: 'https://dashboard.stripe.com/test/customers/cus_1' },
    { base: 'https://dashboard.stripe.com//', url: 'https://dashboard.stripe.com/customers/cus_1' },
    { base: 'https://dashboard.stripe.com', url: 'https://dashboard.stripe.com/customers/cus_1' },
    { base: 'http://127.0.0.1:12111/dashboard', url: 'http://127.0.0.1:12111/dashboard/customers/cus_1' },
  ])('joins base $base with one slash', ({ base, url }) => {
    expect(stripeLink(base, 'customer', 'cus_1')?.url).toBe(url);
  });
});

const run: RunContext = runContext();
let minute = 0;
function row(stage: AuditStage, result: unknown): AuditRecord {
  minute += 1;
  const at = new Date(Date.parse('2026-11-24T06:00:00Z') + minute * 60_000);
  return auditRecord({
    run,
    stage,
    outcome: 'applied',
    accountId: 'acc_1',
    result,
    attemptKey: minute,
    startedAt: at,
    finishedAt: at,
  });
}
const withResultJson = (r: AuditRecord, resultJson: string): AuditRecord => ({
  ...r,
  result_json: resultJson,
});
const changes = (...targets: unknown[]) => ({
  changes: targets.map((target, i) => ({
    id: `chg_${i}`,
    method: 'subscriptions.update',
    target,
    drift: [],
  })),
});

describe('targetsOf', () => {
  it.each([
    { name: 'no attempts', rows: [], targets: [] },
    {
      name: 'the targets beside a null or target-less change',
      rows: [row('plan_apply', { changes: [null, { target: 'sub_x' }, { id: 'c' }, 7] })],
      targets: ['sub_x'],
    },
    {
      name: "a plan-apply attempt's change targets, sorted",
      rows: [row('plan_apply', changes('sub_2', 'in_1', 'cus_1', 'sub_1'))],
      targets: ['cus_1', 'in_1', 'sub_1', 'sub_2'],
    },
    {
      name: 'each target once over many attempts',
      rows: [row('plan_apply', changes('sub_1', 'sub_1')), row('plan_apply', changes('sub_1', 'in_1'))],
      targets: ['in_1', 'sub_1'],
    },
    {
      name: 'only plan-apply attempts',
      rows: [
        row('gather', changes('sub_gather')),
        row('detect', changes('sub_detect')),
        row('www_resync', changes('sub_www')),
        row('plan_apply', changes('sub_1')),
      ],
      targets: ['sub_1'],
    },
    {
      name: 'targets that are strings only',
      rows: [
        row('plan_apply', changes({ object: 'subscription', id: 'sub_obj' }, 7, null, undefined, 'sub_1')),
      ],
      targets: ['sub_1'],
    },
    {
      name: 'a result without changes',
      rows: [row('plan_apply', { outcome: 'noop' }), row('plan_apply', {})],
      targets: [],
    },
    {
      name: 'a truncated result (the audit cuts rows over 900 KB)',
      rows: [
        withResultJson(row('plan_apply', {}), '{"changes":[{"target":"sub_cut'),
        row('plan_apply', changes('sub_1')),
      ],
      targets: ['sub_1'],
    },
    {
      name: "the audit's truncation marker",
      rows: [
        withResultJson(row('plan_apply', {}), JSON.stringify({ truncated: true, head: '{"changes":[' })),
      ],
      targets: [],
    },
    {
      name: 'garbage and odd JSON',
      rows: [
        withResultJson(row('plan_apply', {}), 'not json at all'),
        withResultJson(row('plan_apply', {}), ''),
        withResultJson(row('plan_apply', {}), 'null'),
        withResultJson(row('plan_apply', {}), '[1,2]'),
        withResultJson(row('plan_apply', {}), '"sub_string"'),
        withResultJson(row('plan_apply', {}), '{"changes":5}'),
        withResultJson(row('plan_apply', {}), '{"changes":"sub_x"}'),
        withResultJson(row('plan_apply', {}), '{"changes":[null]}'),
        row('plan_apply', changes('in_9')),
      ],
      targets: ['in_9'],
    },
  ])('reads $name', ({ rows, targets }) => {
    expect(targetsOf(rows)).toEqual(targets);
  });
});

describe('stripeLinks', () => {
  const ids = (links: StripeLink[]) => links.map((l) => `${l.kind}:${l.id}`);

  it('lists the customer first, then subscriptions and invoices, each sorted and once', () => {
    const links = stripeLinks(BASE, {
      customer: 'cus_1',
      subscriptions: ['sub_b', 'sub_a', 'sub_b'],
      invoices: ['in_2', 'in_1', 'in_2', 'in_1'],
    });
    expect(ids(links)).toEqual([
      'customer:cus_1',
      'subscription:sub_a',
      'subscription:sub_b',
      'invoice:in_1',
      'invoice:in_2',
    ]);
    expect(links[0]?.url).toBe(`${BASE}/customers/cus_1`);
    expect(links[4]?.url).toBe(`${BASE}/invoices/in_2`);
  });

  it.each([
    { name: 'no customer', customer: null, expected: ['subscription:sub_1'] },
    { name: 'a customer id that is not one', customer: 'acc_1', expected: ['subscription:sub_1'] },
    { name: 'a customer id with markup', customer: 'cus_1"><b>', expected: ['subscription:sub_1'] },
  ])('leaves out $name', ({ customer, expected }) => {
    expect(ids(stripeLinks(BASE, { customer, subscriptions: ['sub_1'], invoices: [] }))).toEqual(expected);
  });

  it('drops ids of the wrong kind or charset wherever they are', () => {
    const links = stripeLinks(BASE, {
      customer: 'cus_ok',
      subscriptions: ['in_1', 'sub_ok', 'sub_x y', 'cus_ok'],
      invoices: ['sub_1', 'in_ok', 'in_<i>'],
    });
    expect(ids(links)).toEqual(['customer:cus_ok', 'subscription:sub_ok', 'invoice:in_ok']);
  });

  it('gives nothing for nothing', () => {
    expect(stripeLinks(BASE, { customer: null, subscriptions: [], invoices: [] })).toEqual([]);
  });

  it('uses the base without a doubled slash', () => {
    const [link] = stripeLinks(`${BASE}/`, { customer: 'cus_1', subscriptions: [], invoices: [] });
    expect(link?.url).toBe(`${BASE}/customers/cus_1`);
  });
});

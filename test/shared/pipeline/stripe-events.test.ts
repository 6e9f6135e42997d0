import { describe, expect, it } from 'vitest';
import { WebhookSender } from '../../../local/stripe/index.js';
import { customerOf, receiveStripeEvent } from '../../../shared/pipeline/stripe-events.js';
import { UpstreamError } from '../../../shared/ports/errors.js';
import { FAKE_WEBHOOK_SECRET, fakeDeps } from '../../support/fakes.js';
import { healthyView } from '../../support/views.js';

/** stripe-events' core: signature, type, own heals, mapping, de-duplication and the pending check. */

const view = healthyView();
const customerId = view.stripe.customer.data?.id as string;

const eventBody = (over: Record<string, unknown> = {}, object: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type: 'customer.subscription.updated',
    created: 1_790_000_000,
    request: { id: 'req_1', idempotency_key: 'person-in-dashboard' },
    data: { object: { id: 'sub_1', object: 'subscription', customer: customerId, ...object } },
    ...over,
  });
const signed = (body: string, secret = FAKE_WEBHOOK_SECRET, timestamp?: number) =>
  WebhookSender.sign(body, secret, timestamp);

function setup() {
  const f = fakeDeps(view);
  return {
    ...f,
    receive: (body: string, signature: string | null) => receiveStripeEvent(f.deps, body, signature),
  };
}

describe('receiveStripeEvent', () => {
  it('schedules one check of the mapped account after the settle delay', async () => {
    const { receive, events, control } = setup();
    await control.updateConfig({ eventSettleSeconds: 90 });
    const body = eventBody();
    const result = await receive(body, signed(body));
    expect(result).toMatchObject({
      status: 200,
      outcome: 'scheduled',
      eventId: 'evt_1',
      accountIds: [view.accountId],
    });
    const [check] = await events.pending(10);
    expect(check).toMatchObject({
      accountId: view.accountId,
      eventIds: ['evt_1'],
      eventCount: 1,
      sources: ['stripe'],
    });
    expect((check?.dueAtMs ?? 0) - (check?.firstEventAtMs ?? 0)).toBe(90_000);
  });

  it.each([
    ['no signature header', (b: string) => (b ? null : null), 'missing_signature'],
    ['an empty signature header', () => '', 'missing_signature'],
    ['another secret', (b: string) => signed(b, 'whsec_someone_else'), 'bad_signature'],
    ['a body changed after signing', (b: string) => signed(b.replace('sub_1', 'sub_2')), 'bad_signature'],
    [
      'a signature older than the tolerance',
      (b: string) => signed(b, FAKE_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301),
      'timestamp_outside_tolerance',
    ],
    ['garbage', () => 't=abc,v1=def', 'bad_signature'],
  ])('refuses %s with a 400 and records nothing', async (_name, sign, code) => {
    const { receive, events } = setup();
    const body = eventBody();
    const result = await receive(body, sign(body));
    expect(result).toMatchObject({ status: 400, outcome: 'refused', reason: code, accountIds: [] });
    expect(await events.recent(10)).toEqual([]);
    expect(await events.pending(10)).toEqual([]);
  });

  it.each([
    ['a type a heal does not read', { type: 'charge.succeeded' }, {}, 'ignored_type'],
    [
      'our own heal (its request carried our idempotency key)',
      { request: { id: 'req_2', idempotency_key: 'driftcontrol-abc' } },
      {},
      'own_change',
    ],
    ['an object of no mapped customer', {}, { customer: 'cus_nobody' }, 'unmapped'],
    [
      'an object with no customer',
      { type: 'invoice.updated' },
      { object: 'invoice', customer: null },
      'unmapped',
    ],
  ])('acks %s (200) and schedules no check', async (_name, over, object, outcome) => {
    const { receive, events } = setup();
    const body = eventBody(over, object);
    const result = await receive(body, signed(body));
    expect(result).toMatchObject({ status: 200, outcome });
    expect(await events.pending(10)).toEqual([]);
  });

  it.each([
    ['not an event at all', { id: 'not-an-event', data: {} }],
    ['a watched type whose object is not readable', { id: 'evt_9', type: 'customer.updated', data: {} }],
  ])(
    'a signed body that is %s is acked 200 invalid_event (Stripe would retry a 400 for days)',
    async (_n, e) => {
      const { receive, events } = setup();
      const body = JSON.stringify(e);
      expect(await receive(body, signed(body))).toMatchObject({ status: 200, outcome: 'invalid_event' });
      expect(await events.pending(10)).toEqual([]);
    },
  );

  it('an invoice.upcoming event (its invoice has no id) is read, not refused', async () => {
    const { receive } = setup();
    const body = eventBody({ type: 'invoice.upcoming' }, { id: undefined, object: 'invoice' });
    expect(await receive(body, signed(body))).toMatchObject({ status: 200, outcome: 'scheduled' });
  });

  it('a detached payment method is mapped through its previous customer', async () => {
    const { receive } = setup();
    const body = JSON.stringify({
      id: 'evt_pm',
      type: 'payment_method.detached',
      data: {
        object: { id: 'pm_1', object: 'payment_method', customer: null },
        previous_attributes: { customer: customerId },
      },
    });
    expect(await receive(body, signed(body))).toMatchObject({
      outcome: 'scheduled',
      accountIds: [view.accountId],
    });
  });

  it('a redelivered event (same id) changes nothing', async () => {
    const { receive, events } = setup();
    const body = eventBody();
    await receive(body, signed(body));
    const before = await events.pending(10);
    expect(await receive(body, signed(body))).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(await events.pending(10)).toEqual(before);
  });

  it('events in any order for one account make one check that names them all', async () => {
    const { receive, events } = setup();
    for (const id of ['evt_3', 'evt_1', 'evt_2']) {
      const body = eventBody({ id });
      await receive(body, signed(body));
    }
    const checks = await events.pending(10);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ eventIds: ['evt_3', 'evt_1', 'evt_2'], eventCount: 3 });
  });

  it('a failing store throws (Stripe delivers again), and the retry is not taken for a duplicate', async () => {
    const { receive, events } = setup();
    const body = eventBody();
    events.failNext = new UpstreamError('subs-api unavailable', 'subs-api', true, 503);
    await expect(receive(body, signed(body))).rejects.toThrow(/unavailable/);
    expect(await receive(body, signed(body))).toMatchObject({ outcome: 'scheduled' });
  });
});

describe('customerOf', () => {
  it.each([
    [{ id: 'cus_9', object: 'customer' }, 'cus_9'],
    [{ id: 'sub_9', object: 'subscription', customer: 'cus_8' }, 'cus_8'],
    [{ id: 'in_9', object: 'invoice', customer: { id: 'cus_7' } }, 'cus_7'],
    [{ id: 'pm_9', object: 'payment_method', customer: null }, null],
  ])('%j -> %s', (object, expected) => {
    expect(customerOf({ id: 'evt_1', type: 'x.updated', data: { object } } as never)).toBe(expected);
  });
});

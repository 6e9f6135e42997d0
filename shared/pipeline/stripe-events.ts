import { z } from 'zod';
import { isOwnIdempotencyKey } from '../core/apply-policy.js';
import { WebhookSignatureError } from '../ports/errors.js';
import type { PipelineDeps } from './deps.js';

/**
 * stripe-events' core (docs/design.md, "Events"): a Stripe webhook is a trigger, never truth. It is
 * verified (the SDK's signature check with the endpoint's secret; anything else is refused with a 400 and
 * never processed), recognised as our own heal or not, mapped to its account through live subs_customer,
 * and turned into one pending check of that account after the settle delay — recorded with its event id in
 * one transaction, so a redelivery (Stripe delivers at least once, for days, in any order) changes
 * nothing. The check itself reads everything live, so the order of events never matters.
 */

/** The objects a heal reads: their changes can make or clear drift. */
const WATCHED = /^(customer|customer\.subscription|invoice|payment_method)\.[a-z_.]+$/;

/** What is read of an event; Stripe adds fields over time, so unknown ones are allowed. */
const StripeEventEnvelope = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9_]+$/, 'must be an event id (evt_…)'),
  type: z.string().min(1).max(128),
  request: z
    .looseObject({ id: z.string().nullable().optional(), idempotency_key: z.string().nullable().optional() })
    .nullable()
    .optional(),
  data: z.looseObject({
    object: z.looseObject({
      id: z.string().min(1).max(255),
      object: z.string().min(1).max(64),
      customer: z
        .union([z.string(), z.looseObject({ id: z.string() })])
        .nullable()
        .optional(),
    }),
  }),
});
type StripeEventEnvelope = z.infer<typeof StripeEventEnvelope>;

export type WebhookOutcome =
  /** 400: not from Stripe (or not as Stripe sent it). */
  | 'refused'
  /** 400: signed, but not an event this endpoint can read. */
  | 'invalid_event'
  /** 200: a type whose objects a heal does not read. */
  | 'ignored_type'
  /** 200: the change was one of our own heals (its request carried our idempotency key). */
  | 'own_change'
  /** 200: no account is mapped to the object's Stripe customer. */
  | 'unmapped'
  /** 200: accepted before; nothing changed. */
  | 'duplicate'
  /** 200: a check of the account is scheduled after the settle delay. */
  | 'scheduled';

export interface WebhookResult {
  readonly status: 200 | 400;
  readonly outcome: WebhookOutcome;
  readonly eventId: string | null;
  readonly accountIds: readonly string[];
  /** Why, for the answer's body and the log (no secrets, no personal data). */
  readonly reason: string;
}

type EventDeps = Pick<PipelineDeps, 'webhooks' | 'events' | 'subsApi' | 'control' | 'clock' | 'log'>;

/** The Stripe customer an event's object belongs to (the object itself for a customer event). */
export function customerOf(event: StripeEventEnvelope): string | null {
  const object = event.data.object;
  if (object.object === 'customer') return object.id;
  const customer = object.customer;
  if (typeof customer === 'string') return customer;
  return customer?.id ?? null;
}

/**
 * Handles one delivery. Returns the answer to give Stripe; throws when a store it needs failed (the
 * handler answers 500 and Stripe delivers the event again later).
 */
export async function receiveStripeEvent(
  deps: EventDeps,
  rawBody: Buffer | string,
  signatureHeader: string | null,
): Promise<WebhookResult> {
  const answer = (
    status: 200 | 400,
    outcome: WebhookOutcome,
    reason: string,
    eventId: string | null = null,
    accountIds: readonly string[] = [],
  ): WebhookResult => {
    deps.log.info(
      { event: 'stripe_webhook', outcome, event_id: eventId, accounts: accountIds.length },
      reason,
    );
    return { status, outcome, eventId, accountIds, reason };
  };
  let verified: unknown;
  try {
    verified = await deps.webhooks.verify(rawBody, signatureHeader);
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    deps.log.warn({ event: 'stripe_webhook_refused', code: error.code }, error.message);
    return { status: 400, outcome: 'refused', eventId: null, accountIds: [], reason: error.code };
  }
  const parsed = StripeEventEnvelope.safeParse(verified);
  if (!parsed.success)
    return answer(
      400,
      'invalid_event',
      `not a readable Stripe event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const event = parsed.data;
  if (!WATCHED.test(event.type))
    return answer(200, 'ignored_type', `${event.type} is not a change a heal reads`, event.id);
  if (isOwnIdempotencyKey(event.request?.idempotency_key ?? null))
    return answer(200, 'own_change', `${event.type} was written by driftcontrol itself`, event.id);
  const customerId = customerOf(event);
  const accountIds = customerId === null ? [] : await deps.subsApi.accountsOfCustomer(customerId);
  const config = await deps.control.getConfig();
  const outcome: WebhookOutcome = accountIds.length === 0 ? 'unmapped' : 'scheduled';
  const accepted = await deps.events.accept({
    eventId: event.id,
    type: event.type,
    source: 'stripe',
    accountIds,
    outcome,
    nowMs: deps.clock.now().getTime(),
    settleMs: config.eventSettleSeconds * 1000,
    maxWaitMs: config.eventMaxWaitSeconds * 1000,
  });
  if (accepted === 'duplicate')
    return answer(200, 'duplicate', `event ${event.id} was accepted before`, event.id, accountIds);
  if (outcome === 'unmapped')
    return answer(200, 'unmapped', `no account is mapped to the event's Stripe customer`, event.id);
  return answer(
    200,
    'scheduled',
    `check of ${accountIds.join(', ')} scheduled in ${config.eventSettleSeconds}s`,
    event.id,
    accountIds,
  );
}

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

/** First, what every event has: its id and type (read before anything else, to ignore other types). */
const EventHead = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9_]+$/, 'must be an event id (evt_…)'),
  type: z.string().min(1).max(128),
});

/** Then what a watched event is read for; Stripe adds fields over time, so unknown ones are allowed. */
const CustomerRef = z
  .union([z.string(), z.looseObject({ id: z.string() })])
  .nullable()
  .optional();
const StripeEventEnvelope = EventHead.extend({
  request: z
    .looseObject({ id: z.string().nullable().optional(), idempotency_key: z.string().nullable().optional() })
    .nullable()
    .optional(),
  data: z.looseObject({
    object: z.looseObject({ object: z.string().min(1).max(64), customer: CustomerRef }),
    /** A detached payment method's customer is only here (the object's is null after the detach). */
    previous_attributes: z.looseObject({ customer: CustomerRef }).nullable().optional(),
  }),
});
type StripeEventEnvelope = z.infer<typeof StripeEventEnvelope>;

export type WebhookOutcome =
  /** 400: not from Stripe (or not as Stripe sent it). */
  | 'refused'
  /**
   * 200: signed by Stripe, but not an event this endpoint can read. Acked (a retry cannot help, and an
   * endpoint that keeps failing gets disabled by Stripe), logged as a warning for someone to look at.
   */
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
  if (object.object === 'customer') return typeof object.id === 'string' ? object.id : null;
  const idOf = (ref: z.infer<typeof CustomerRef>) => (typeof ref === 'string' ? ref : (ref?.id ?? null));
  return idOf(object.customer) ?? idOf(event.data.previous_attributes?.customer);
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
  const unreadable = (error: z.ZodError, eventId: string | null) => {
    const reason = `a signed event this endpoint cannot read: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    deps.log.warn({ event: 'stripe_webhook_unreadable', event_id: eventId }, reason);
    return { status: 200 as const, outcome: 'invalid_event' as const, eventId, accountIds: [], reason };
  };
  const head = EventHead.safeParse(verified);
  if (!head.success) return unreadable(head.error, null);
  if (!WATCHED.test(head.data.type))
    return answer(200, 'ignored_type', `${head.data.type} is not a change a heal reads`, head.data.id);
  const parsed = StripeEventEnvelope.safeParse(verified);
  if (!parsed.success) return unreadable(parsed.error, head.data.id);
  const event = parsed.data;
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

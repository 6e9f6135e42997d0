import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

/**
 * Webhook events as Stripe sends them (docs/local-stack.md, "Webhooks"): when a write changes an object,
 * an event `{ id, object: 'event', type, created, data: { object, previous_attributes }, request }` is
 * POSTed as JSON to every configured endpoint, signed in the `Stripe-Signature` header with the
 * endpoint's secret (the scheme the SDK's `webhooks.constructEvent` verifies). A delivery answered with
 * anything but a 2xx (or not answered) is retried later, as Stripe retries for up to three days; here the
 * delays are short and configurable.
 */

export interface WebhookEndpoint {
  readonly url: string;
  /** `whsec_…`: signs every delivery to this endpoint. */
  readonly secret: string;
}

export interface WebhookEvent {
  readonly id: string;
  readonly object: 'event';
  readonly api_version: string;
  readonly created: number;
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly type: string;
  readonly request: { readonly id: string | null; readonly idempotency_key: string | null };
  readonly data: { readonly object: unknown; readonly previous_attributes?: Record<string, unknown> };
}

export interface WebhookDelivery {
  readonly eventId: string;
  readonly type: string;
  readonly url: string;
  attempts: number;
  /** The last answer's status; 0: no answer (refused, reset, timed out). */
  lastStatus: number;
  delivered: boolean;
}

export interface WebhookSenderOptions {
  /** Delay before each retry of an undelivered event, in ms (default 0.5 s, 2 s, 5 s, 10 s). */
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
}

/** The event type Stripe sends for a write to an object (`customer.subscription.updated`, …). */
export function eventTypeOf(objectType: string, method: string, after: unknown): string | null {
  const prefix: Record<string, string> = {
    customer: 'customer',
    subscription: 'customer.subscription',
    invoice: 'invoice',
    payment_method: 'payment_method',
  };
  const base = prefix[objectType];
  if (base === undefined) return null;
  const status = (after as { status?: unknown } | null)?.status;
  if (objectType === 'subscription' && (method === 'DELETE' || status === 'canceled'))
    return `${base}.deleted`;
  return `${base}.updated`;
}

/** The top-level fields whose value a write changed, with their value before (Stripe's `previous_attributes`). */
export function previousAttributes(before: unknown, after: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(a))
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out[key] = b[key] ?? null;
  return out;
}

export class WebhookSender {
  private readonly endpoints: WebhookEndpoint[] = [];
  private readonly log: WebhookDelivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  private stopped = false;

  constructor(options: WebhookSenderOptions = {}) {
    this.retryDelaysMs = options.retryDelaysMs ?? [500, 2000, 5000, 10_000];
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  addEndpoint(endpoint: WebhookEndpoint): void {
    this.endpoints.push(endpoint);
  }

  clearEndpoints(): void {
    this.endpoints.length = 0;
  }

  get endpointCount(): number {
    return this.endpoints.length;
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Sends an event to every endpoint, in the background; `settled()` waits for the deliveries in flight. */
  emit(event: Omit<WebhookEvent, 'id' | 'object' | 'livemode' | 'pending_webhooks'>): WebhookEvent | null {
    if (this.endpoints.length === 0 || this.stopped) return null;
    const full: WebhookEvent = {
      id: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      object: 'event',
      livemode: false,
      pending_webhooks: this.endpoints.length,
      ...event,
    };
    for (const endpoint of this.endpoints) {
      const delivery: WebhookDelivery = {
        eventId: full.id,
        type: full.type,
        url: endpoint.url,
        attempts: 0,
        lastStatus: 0,
        delivered: false,
      };
      this.log.push(delivery);
      const task = this.deliver(endpoint, full, delivery).finally(() => this.pending.delete(task));
      this.pending.add(task);
    }
    return full;
  }

  /** Sends a payload as it is, with the given headers: a test posing as someone who is not Stripe. */
  static async post(url: string, payload: string, headers: Record<string, string>): Promise<number> {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: payload,
    });
    await answer.text();
    return answer.status;
  }

  /** The `Stripe-Signature` header Stripe would send for this payload, signed now (or at `timestamp`). */
  static sign(payload: string, secret: string, timestamp?: number): string {
    return Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      ...(timestamp !== undefined ? { timestamp } : {}),
    });
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  private async deliver(endpoint: WebhookEndpoint, event: WebhookEvent, delivery: WebhookDelivery) {
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, this.retryDelaysMs[attempt - 1]));
      }
      delivery.attempts++;
      try {
        const answer = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'Stripe-Signature': WebhookSender.sign(payload, endpoint.secret),
          },
          body: payload,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await answer.text();
        delivery.lastStatus = answer.status;
        if (answer.status >= 200 && answer.status < 300) {
          delivery.delivered = true;
          return;
        }
      } catch {
        delivery.lastStatus = 0;
      }
    }
  }
}

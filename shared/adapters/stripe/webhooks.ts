import Stripe from 'stripe';
import { WebhookSignatureError } from '../../ports/errors.js';
import type { WebhookVerifierPort } from '../../ports/index.js';

/**
 * WebhookVerifierPort with the Stripe SDK's own verification (`webhooks.constructEvent`): the
 * `Stripe-Signature` header's HMAC over the raw body with the endpoint's signing secret, and its
 * timestamp within the tolerance (a replayed old delivery is refused). docs/design.md, "Events".
 */
export class StripeWebhookVerifier implements WebhookVerifierPort {
  private readonly stripe = new Stripe('sk_test_verify_only_never_calls_the_api');

  constructor(
    private readonly secret: string,
    private readonly toleranceS: number,
  ) {}

  async verify(rawBody: Buffer | string, signatureHeader: string | null): Promise<unknown> {
    if (signatureHeader === null || signatureHeader.trim() === '')
      throw new WebhookSignatureError('no Stripe-Signature header', 'missing_signature');
    try {
      return this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.secret, this.toleranceS);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /timestamp outside the tolerance/i.test(message)
        ? 'timestamp_outside_tolerance'
        : 'bad_signature';
      throw new WebhookSignatureError(`the Stripe-Signature does not verify (${code})`, code, {
        cause: error,
      });
    }
  }
}

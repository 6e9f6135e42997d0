import Stripe from 'stripe';
import { WebhookSignatureError } from '../../ports/errors.js';
import type { WebhookVerifierPort } from '../../ports/index.js';

/**
 * WebhookVerifierPort with the Stripe SDK's own verification (`Stripe.webhooks.constructEvent`): the
 * `Stripe-Signature` header's HMAC over the raw body with the endpoint's signing secret, and its
 * timestamp within the tolerance (a replayed old delivery is refused). docs/design.md, "Events".
 */
export class StripeWebhookVerifier implements WebhookVerifierPort {
  constructor(
    private readonly secret: string,
    private readonly toleranceS: number,
  ) {}

  async verify(rawBody: Buffer | string, signatureHeader: string | null): Promise<unknown> {
    if (signatureHeader === null || signatureHeader.trim() === '')
      throw new WebhookSignatureError('no Stripe-Signature header', 'missing_signature');
    try {
      return Stripe.webhooks.constructEvent(rawBody, signatureHeader, this.secret, this.toleranceS);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) throw error;
      // The SDK has one error class for both: the stale timestamp is told apart by its message.
      const code = /timestamp outside the tolerance/i.test(error.message)
        ? 'timestamp_outside_tolerance'
        : 'bad_signature';
      throw new WebhookSignatureError(`the Stripe-Signature does not verify (${code})`, code, {
        cause: error,
      });
    }
  }
}

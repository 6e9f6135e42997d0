import type { StripePort } from '../../ports/index.js';

/** A write through a read-only Stripe port (the console): refused before it leaves the process. */
export class StripeReadOnlyError extends Error {
  override readonly name = 'StripeReadOnlyError';
  constructor(readonly changeId: string) {
    super(`Stripe is read-only here (STRIPE_READ_ONLY=true): change ${changeId} was not written`);
  }
}

/**
 * The console moves no money (docs/support.md): its Stripe port reads and refuses every write, whatever
 * its key could do. The restricted key Terraform gives it is the second lock.
 */
export function readOnlyStripe(port: StripePort): StripePort {
  return {
    readAccount: (customerId) => port.readAccount(customerId),
    readLive: (target) => port.readLive(target),
    write: (change) => Promise.reject(new StripeReadOnlyError(change.id)),
  };
}

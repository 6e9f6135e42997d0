import { z } from 'zod';
import type { CatalogueEntry } from '../../domain/account-view.js';
import { Interval } from '../../domain/common.js';
import type { BillingProdPort, Stamped } from '../../ports/index.js';
import type { ReadReplica } from './replica.js';

/**
 * BillingProdPort on a read replica of billing_prod (table `catalogue`: product, interval, currency ->
 * the Stripe price and its unit amount). The whole catalogue in one query: it is small, and a plan prices
 * every OPE item of the account against it.
 */

const CATALOGUE_SQL = `
SELECT product_id, billing_interval, currency, stripe_price_id, unit_amount
FROM catalogue
ORDER BY product_id, billing_interval, currency`;

const EntryRow = z.object({
  product_id: z.string().min(1),
  billing_interval: Interval,
  currency: z.string(),
  stripe_price_id: z.string().min(1),
  // bigint arrives as a string from the driver: money stays an exact integer.
  unit_amount: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
});

export class BillingProdReplica implements BillingProdPort {
  constructor(
    private readonly replica: ReadReplica,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async catalogue(): Promise<Stamped<{ catalogue: CatalogueEntry[] }>> {
    const asOf = this.now().toISOString();
    const rows = await this.replica.query('the catalogue', CATALOGUE_SQL, [], EntryRow);
    return {
      source: 'billing_prod',
      asOf,
      data: {
        catalogue: rows.map((r) => ({
          productId: r.product_id,
          interval: r.billing_interval,
          currency: r.currency,
          stripePriceId: r.stripe_price_id,
          unitAmountMinor: r.unit_amount,
        })),
      },
    };
  }
}

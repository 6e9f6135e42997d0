import { z } from 'zod';
import { type OpeSubscription, OpeSubscriptionStatus } from '../../domain/account-view.js';
import { Interval } from '../../domain/common.js';
import type { OpePort, Stamped } from '../../ports/index.js';
import type { ReadReplica } from './replica.js';

/**
 * OpePort on a read replica of OPE's database (tables `subscriptions` and `items`, the same columns the
 * nightly mirror copies into billing_mirror.ope_*). One query per account: subscriptions with their items
 * aggregated, deleted, scheduled and contract ones included (the planner classifies them).
 */

const ACCOUNT_SUBSCRIPTIONS_SQL = `
SELECT s.id, s.status, s.billing_interval, s.currency, s.cancel_at_period_end,
       COALESCE(s.metadata ->> 'contract' = 'true', false) AS is_contract,
       COALESCE(
         json_agg(json_build_object(
           'id', i.id, 'product_id', i.product_id, 'quantity', i.quantity, 'deleted', i.deleted,
           'is_contract', COALESCE(i.metadata ->> 'contract' = 'true', false),
           'effective_at', i.scheduled_change_effective_at,
           'change_product_id', i.scheduled_change_product_id,
           'change_quantity', i.scheduled_change_quantity
         ) ORDER BY i.id) FILTER (WHERE i.id IS NOT NULL),
         '[]'::json
       ) AS items
FROM subscriptions AS s
LEFT JOIN items AS i ON i.subscription_id = s.id
WHERE s.account_id = $1
GROUP BY s.id
ORDER BY s.id`;

/** A timestamp as PostgreSQL's JSON writes it, as an ISO-8601 instant in UTC. */
const timestamp = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a timestamp')
  .transform((v) => new Date(v).toISOString());

const ItemRow = z.object({
  id: z.string().min(1),
  product_id: z.string().min(1),
  quantity: z.number().int(),
  deleted: z.boolean(),
  is_contract: z.boolean(),
  effective_at: timestamp.nullable(),
  change_product_id: z.string().min(1).nullable(),
  change_quantity: z.number().int().nullable(),
});

const SubscriptionRow = z.object({
  id: z.string().min(1),
  status: OpeSubscriptionStatus,
  billing_interval: Interval,
  currency: z.string(),
  cancel_at_period_end: z.boolean(),
  is_contract: z.boolean(),
  items: z.array(ItemRow),
});

export class OpeReplica implements OpePort {
  constructor(
    private readonly replica: ReadReplica,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async subscriptions(accountId: string): Promise<Stamped<{ subscriptions: OpeSubscription[] }>> {
    const asOf = this.now().toISOString();
    const rows = await this.replica.query(
      `subscriptions of ${accountId}`,
      ACCOUNT_SUBSCRIPTIONS_SQL,
      [accountId],
      SubscriptionRow,
    );
    return {
      source: 'ope',
      asOf,
      data: {
        subscriptions: rows.map((s) => ({
          id: s.id,
          status: s.status,
          interval: s.billing_interval,
          currency: s.currency,
          cancelAtPeriodEnd: s.cancel_at_period_end,
          contract: s.is_contract,
          items: s.items.map((i) => ({
            id: i.id,
            productId: i.product_id,
            quantity: i.quantity,
            deleted: i.deleted,
            contract: i.is_contract,
            scheduledChange:
              i.effective_at === null
                ? null
                : {
                    effectiveAt: i.effective_at,
                    ...(i.change_product_id === null ? {} : { productId: i.change_product_id }),
                    ...(i.change_quantity === null ? {} : { quantity: i.change_quantity }),
                  },
          })),
        })),
      },
    };
  }
}

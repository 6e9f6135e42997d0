import { z } from 'zod';
import type { CfProdPort, Stamped } from '../../ports/index.js';
import type { ReadReplica } from './replica.js';

/**
 * CfProdPort on a read replica of cf_prod (tables `accounts` and `zones`): the account type as the
 * product database knows it, and the account's zones with their plan levels, in one query.
 */

const ACCOUNT_SQL = `
SELECT a.account_type,
       COALESCE(
         (SELECT json_agg(json_build_object('id', z.zone_id, 'plan_level', z.plan_level) ORDER BY z.zone_id)
          FROM zones AS z WHERE z.account_id = a.account_id),
         '[]'::json
       ) AS zones
FROM accounts AS a
WHERE a.account_id = $1`;

const AccountRow = z.object({
  account_type: z.string().min(1),
  zones: z.array(z.object({ id: z.string().min(1), plan_level: z.string().min(1) })),
});

export class CfProdReplica implements CfProdPort {
  constructor(
    private readonly replica: ReadReplica,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async account(
    accountId: string,
  ): Promise<Stamped<{ accountType: string; zones: { id: string; planLevel: string }[] }> | null> {
    const asOf = this.now().toISOString();
    const [row] = await this.replica.query(`account ${accountId}`, ACCOUNT_SQL, [accountId], AccountRow);
    if (row === undefined) return null;
    return {
      source: 'cf_prod',
      asOf,
      data: {
        accountType: row.account_type,
        zones: row.zones.map((z) => ({ id: z.id, planLevel: z.plan_level })),
      },
    };
  }
}

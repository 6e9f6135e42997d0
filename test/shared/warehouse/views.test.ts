import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBigQuery, startLocalBigQuery } from '../../../local/bigquery/index.js';
import { deployWarehouse } from '../../../local/provision/warehouse.js';
import { loadWorld } from '../../../local/synthetic/load.js';
import { createWorld, UNSUPPORTED_ACCOUNT_TYPES } from '../../../local/synthetic/world.js';
import { querySql, readsAudit, viewFiles } from '../../../shared/warehouse/sql-files.js';

process.env.METADATA_SERVER_DETECTION = 'none';

let lb: LocalBigQuery;
let bq: BigQuery;
const world = createWorld({ seed: 7, accounts: 4000, days: 2 });
const today = world.dates[1] as string;

beforeAll(async () => {
  lb = await startLocalBigQuery();
  bq = new BigQuery({ projectId: 'views', apiEndpoint: lb.url });
  await deployWarehouse(bq);
  await loadWorld(lb.db, world);
}, 120_000);
afterAll(async () => {
  await lb.stop();
});

async function q<T = Record<string, unknown>>(
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const [rows] = await bq.query({ query, params: { d: bq.date(today), ...params } });
  return rows as T[];
}

describe('every view over the mirror runs on the local warehouse over generated data', () => {
  // The audit views read the audit table, not the mirror: test/shared/warehouse/audit-views.test.ts.
  for (const v of viewFiles().filter((x) => !readsAudit(x))) {
    it(`${v.name} runs, exposes snapshot_date and has rows`, async () => {
      const rows = await q<{ n: number; dates: number }>(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT snapshot_date) AS dates FROM billing_observability.${v.name} WHERE snapshot_date = @d`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
      expect(rows[0]?.dates).toBe(1);
    });
  }
});

describe('the generated mix reaches every rule', () => {
  it('every element class and every element drift kind', async () => {
    const classes = await q<{ c: string }>(
      'SELECT DISTINCT element_class AS c FROM billing_observability.line_item_classification WHERE snapshot_date = @d',
    );
    expect(classes.map((r) => r.c).sort()).toEqual(
      [
        'bad_debt_item',
        'contract',
        'delayed_upgrade',
        'deleted_from_ope',
        'expected_in_stripe',
        'missing_price',
      ].sort(),
    );
    const kinds = await q<{ k: string }>(
      'SELECT DISTINCT k FROM billing_observability.line_item_classification AS c, UNNEST(c.drift_kinds) AS k WHERE c.snapshot_date = @d',
    );
    expect(kinds.map((r) => r.k).sort()).toEqual(
      ['extra_item', 'interval', 'missing_item', 'missing_price', 'price', 'quantity'].sort(),
    );
  });

  it('every account drift kind', async () => {
    const kinds = await q<{ k: string }>(
      'SELECT DISTINCT k FROM billing_observability.stripe_account_drift AS a, UNNEST(a.account_drift_kinds) AS k WHERE a.snapshot_date = @d',
    );
    expect(kinds.map((r) => r.k).sort()).toEqual(
      ['bad_debt_flag', 'currency', 'invoice_metadata', 'missing_subscription', 'status'].sort(),
    );
  });

  it('new, persistent and excluded Stripe drift, with every unsupported account type as a reason', async () => {
    const rows = await q<{ disposition: string; exclusion_reasons: string[] }>(
      querySql('stripe_drift_triage'),
      {
        snapshot_date: bq.date(today),
      },
    );
    const dispositions = new Set(rows.map((r) => r.disposition));
    expect([...dispositions].sort()).toEqual(['excluded', 'new', 'persistent']);
    const reasons = rows.flatMap((r) => r.exclusion_reasons).join(' ');
    for (const t of UNSUPPORTED_ACCOUNT_TYPES) expect(reasons).toContain(t);
    expect(reasons).toContain('persistent_drift');
    for (const r of rows) expect(r.disposition === 'new').toBe(r.exclusion_reasons.length === 0);
    const fresh = await q<{ account_id: string }>(querySql('new_stripe_drift'), {
      snapshot_date: bq.date(today),
    });
    expect(fresh.map((r) => r.account_id)).toEqual(
      rows
        .filter((r) => r.disposition === 'new')
        .map((r) => (r as unknown as { account_id: string }).account_id),
    );
  });

  it('reading views as materialised CTEs returns the same rows as inlining them', async () => {
    const run = async () =>
      JSON.stringify(await q(querySql('stripe_drift_triage'), { snapshot_date: bq.date(today) }));
    const expanded = await run();
    lb.db.expandViews = false;
    try {
      expect(await run()).toBe(expanded);
    } finally {
      lb.db.expandViews = true;
    }
  });

  it('WWW drift of every kind, new and persistent, and the new-WWW-drift query agrees with the triage', async () => {
    const rows = await q<{ drift_kind: string; disposition: string; zone_id: string }>(
      querySql('www_drift_triage'),
      {
        snapshot_date: bq.date(today),
      },
    );
    expect(new Set(rows.map((r) => r.drift_kind))).toEqual(
      new Set(['plan_level', 'missing_in_www', 'missing_in_subs_api']),
    );
    expect(new Set(rows.map((r) => r.disposition))).toEqual(new Set(['new', 'persistent', 'excluded']));
    const fresh = await q<{ zone_id: string }>(querySql('new_www_drift'), { snapshot_date: bq.date(today) });
    expect(fresh.map((r) => r.zone_id)).toEqual(
      rows.filter((r) => r.disposition === 'new').map((r) => r.zone_id),
    );
  });

  it('the two drift tables hold one row per account per snapshot date', async () => {
    for (const t of [
      'cloudflare_account_inconsistencies_summary',
      'cloudflare_inconsistent_bad_debt_accounts',
    ]) {
      const rows = await q<{ n: number; accounts: number }>(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT account_id) AS accounts FROM billing_observability.${t} WHERE snapshot_date = @d`,
      );
      expect(rows[0]?.n).toBeGreaterThan(0);
      expect(rows[0]?.n).toBe(rows[0]?.accounts);
    }
    const reasons = await q<{ inconsistency: string }>(
      'SELECT DISTINCT inconsistency FROM billing_observability.cloudflare_inconsistent_bad_debt_accounts WHERE snapshot_date = @d',
    );
    expect(reasons.map((r) => r.inconsistency).sort()).toEqual(
      ['stripe_flag_missing', 'stripe_flag_stale', 'uncollectible_without_bad_debt'].sort(),
    );
  });

  it('merged accounts and accounts without a Stripe customer reach the account snapshot', async () => {
    const rows = await q<{ shared: number; listed: number; none: number; deleted: number }>(
      `SELECT COUNTIF(accounts_for_customer > 1) AS shared, COUNTIF(ARRAY_LENGTH(merged_account_ids) > 0) AS listed,
              COUNTIF(stripe_customer_id IS NULL OR NOT stripe_customer_found) AS none,
              COUNTIF(stripe_customer_deleted) AS deleted
       FROM billing_observability.account_snapshot WHERE snapshot_date = @d`,
    );
    expect(rows[0]?.shared).toBeGreaterThan(0);
    expect(rows[0]?.listed).toBeGreaterThan(0);
    expect(rows[0]?.none).toBeGreaterThan(0);
    expect(rows[0]?.deleted).toBeGreaterThan(0);
  });
});

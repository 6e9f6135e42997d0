import { BigQuery } from '@google-cloud/bigquery';
import { AUDIT_TABLE, DATASETS } from '../contracts/topology.js';
import type { OpeSubscription } from '../domain/account-view.js';
import type { AuditRecord, DriftSystem } from '../domain/audit.js';
import { dayBefore, type Interval } from '../domain/common.js';
import { UpstreamError } from '../ports/errors.js';
import type {
  AuditTablePort,
  MirrorAccountParts,
  MirrorHealth,
  MirrorPort,
  NewStripeDriftRow,
  NewWwwDriftRow,
} from '../ports/index.js';
import { querySql } from '../warehouse/sql-files.js';

/**
 * BigQuery adapter: the mirror and drift views (MirrorPort) and the audit table (AuditTablePort), with the
 * real @google-cloud/bigquery client. Locally it talks to the DuckDB-backed endpoint
 * (local/bigquery) through `apiEndpoint`; in production, to BigQuery. Every query filters
 * the partition column (the mirror tables require it).
 */

const M = DATASETS.mirror;
const O = DATASETS.observability;

/** The mirror tables each drift system reads: all must have landed for both dates before a run. */
export const MIRROR_TABLES: Readonly<Record<DriftSystem, readonly string[]>> = {
  stripe: [
    'ope_subscriptions',
    'ope_items',
    'stripe_customers',
    'stripe_subscriptions',
    'stripe_subscription_items',
    'stripe_prices',
    'stripe_invoices',
    'subs_account',
    'subs_customer',
    'subs_dunning',
    'billing_prod',
    'cf_prod_accounts',
  ],
  www: ['www_zones', 'subs_api_zones', 'subs_account', 'cf_prod_accounts'],
};

type Row = Record<string, unknown>;

/** BigQuery returns DATE/TIMESTAMP as wrapper objects with a `value`; plain strings locally and in tests. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'value' in (v as object)) return String((v as { value: unknown }).value);
  return String(v);
}
function iso(v: unknown): string | null {
  const t = text(v);
  if (t === null) return null;
  const d = new Date(t.includes('T') || t.includes(' ') ? t.replace(' ', 'T') : `${t}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
/** The triage queries' reasons look like `unsupported_account_type:msp/msp` or `persistent_drift`. */
function exclusion(r: Row): { excludedReason: string | null; excludedCode: string | null } {
  if (r.disposition === 'new') return { excludedReason: null, excludedCode: null };
  const reasons = ((r.exclusion_reasons as string[] | null) ?? []).map(String);
  if (reasons.length === 0) reasons.push(String(r.disposition));
  return { excludedReason: reasons.join('; '), excludedCode: (reasons[0] as string).split(':')[0] as string };
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(text(v));
}

/** Every mirror part gather needs for one account on one date (@a, @d), as one row of arrays. */
const ACCOUNT_PARTS_SQL = `
SELECT
  ARRAY(
    SELECT STRUCT(account_type AS account_type, merged_account_ids AS merged_account_ids)
    FROM ${M}.subs_account WHERE snapshot_date = @d AND account_id = @a
  ) AS subs_account,
  ARRAY(
    SELECT STRUCT(
      c.stripe_customer_id AS stripe_customer_id,
      ARRAY(
        SELECT DISTINCT o.account_id FROM ${M}.subs_customer AS o
        WHERE o.snapshot_date = @d AND o.stripe_customer_id = c.stripe_customer_id
        ORDER BY o.account_id
      ) AS account_ids
    )
    FROM ${M}.subs_customer AS c WHERE c.snapshot_date = @d AND c.account_id = @a
    ORDER BY c.stripe_customer_id
  ) AS subs_customer,
  ARRAY(
    SELECT STRUCT(state AS state) FROM ${M}.subs_dunning WHERE snapshot_date = @d AND account_id = @a
  ) AS subs_dunning,
  ARRAY(
    SELECT STRUCT(account_type AS account_type)
    FROM ${M}.cf_prod_accounts WHERE snapshot_date = @d AND account_id = @a
  ) AS cf_prod_account,
  ARRAY(
    SELECT STRUCT(zone_id AS zone_id, plan_level AS plan_level)
    FROM ${M}.cf_prod_zones WHERE snapshot_date = @d AND account_id = @a ORDER BY zone_id
  ) AS cf_prod_zones,
  ARRAY(
    SELECT STRUCT(id AS id, status AS status, billing_interval AS billing_interval, currency AS currency,
      cancel_at_period_end AS cancel_at_period_end, is_contract AS is_contract)
    FROM ${O}.ope_subscriptions_metadata WHERE snapshot_date = @d AND account_id = @a ORDER BY id
  ) AS ope_subscriptions,
  ARRAY(
    SELECT STRUCT(id AS id, subscription_id AS subscription_id, product_id AS product_id, quantity AS quantity,
      deleted AS deleted, is_contract AS is_contract,
      scheduled_change_effective_at AS scheduled_change_effective_at,
      scheduled_change_product_id AS scheduled_change_product_id,
      scheduled_change_quantity AS scheduled_change_quantity)
    FROM ${O}.ope_items_metadata WHERE snapshot_date = @d AND account_id = @a ORDER BY id
  ) AS ope_items`;

export class BigQueryMirror implements MirrorPort, AuditTablePort {
  /** The billing_prod catalogue of a date is the same for every account: read once per date. */
  private readonly catalogues = new Map<string, Promise<MirrorAccountParts['billingProd']>>();

  constructor(readonly bq: BigQuery) {}

  async query(sql: string, params: Record<string, unknown>, types?: Record<string, string>): Promise<Row[]> {
    try {
      const [rows] = await this.bq.query({ query: sql, params, ...(types ? { types } : {}) });
      return rows as Row[];
    } catch (error) {
      const status = (error as { code?: number }).code ?? null;
      const retryable = status === null || status === 429 || status >= 500;
      throw new UpstreamError(
        `BigQuery query failed: ${(error as Error).message}`,
        'bigquery',
        retryable,
        status,
        { cause: error },
      );
    }
  }

  async health(system: DriftSystem, snapshotDate: string): Promise<MirrorHealth> {
    const yesterday = dayBefore(snapshotDate);
    const tables = MIRROR_TABLES[system];
    // Landing is judged from the mirror job's completion markers (docs/warehouse.md, "Landing"), and a
    // marker is believed only when the partition holds the rows it says: an empty table can be complete,
    // a half-loaded one is not.
    const counted = tables
      .map(
        (t) =>
          `SELECT '${t}' AS table_name, snapshot_date, COUNT(*) AS row_count FROM ${M}.${t} WHERE snapshot_date IN (@today, @yesterday) GROUP BY snapshot_date`,
      )
      .join('\nUNION ALL\n');
    const manifest = `SELECT table_name, snapshot_date, row_count FROM ${M}.mirror_manifest WHERE snapshot_date IN (@today, @yesterday) AND table_name IN UNNEST(@tables)`;
    const accounts = `SELECT snapshot_date, COUNT(*) AS accounts FROM ${M}.subs_account WHERE snapshot_date IN (@today, @yesterday) GROUP BY snapshot_date`;
    // Dates go as BigQuery DATE values (BigQuery.date), which BigQuery and the local endpoint both type.
    const params = { today: BigQuery.date(snapshotDate), yesterday: BigQuery.date(yesterday) };
    const [counts, marks, accountRows] = await Promise.all([
      this.query(counted, params),
      this.query(manifest, { ...params, tables: [...tables] }),
      this.query(accounts, params),
    ]);
    const key = (r: Row) => `${r.table_name}@${text(r.snapshot_date)}`;
    const actual = new Map(counts.map((r) => [key(r), num(r.row_count)]));
    const marked = new Map(marks.map((r) => [key(r), num(r.row_count)]));
    const stats = (date: string) => ({
      snapshotDate: date,
      accounts: num(accountRows.find((r) => text(r.snapshot_date) === date)?.accounts ?? 0),
      missingTables: tables.filter((t) => !marked.has(`${t}@${date}`)),
      incompleteTables: tables.filter(
        (t) => marked.has(`${t}@${date}`) && marked.get(`${t}@${date}`) !== (actual.get(`${t}@${date}`) ?? 0),
      ),
    });
    return { today: stats(snapshotDate), yesterday: stats(yesterday) };
  }

  async latestSnapshotDate(today: string): Promise<string | null> {
    // The manifest is partitioned by date and must be filtered on it: the last five weeks are plenty.
    const rows = await this.query(
      `SELECT MAX(snapshot_date) AS d FROM ${M}.mirror_manifest WHERE snapshot_date BETWEEN DATE_SUB(@today, INTERVAL 35 DAY) AND @today AND table_name = 'subs_account'`,
      { today: BigQuery.date(today) },
    );
    const d = rows[0]?.d;
    return d === null || d === undefined ? null : text(d);
  }

  async newStripeDrift(snapshotDate: string): Promise<NewStripeDriftRow[]> {
    const rows = await this.query(querySql('stripe_drift_triage'), {
      snapshot_date: BigQuery.date(snapshotDate),
    });
    return rows.map((r) => ({ accountId: String(r.account_id), ...exclusion(r) }));
  }

  async stripeDriftOf(snapshotDate: string, accountIds: readonly string[]): Promise<NewStripeDriftRow[]> {
    if (accountIds.length === 0) return [];
    // The triage query as detection runs it, narrowed to the accounts asked about.
    const sql = `SELECT * FROM (${querySql('stripe_drift_triage').trim().replace(/;\s*$/, '')}) AS triage WHERE triage.account_id IN UNNEST(@account_ids)`;
    const rows = await this.query(sql, {
      snapshot_date: BigQuery.date(snapshotDate),
      account_ids: [...accountIds],
    });
    return rows.map((r) => ({ accountId: String(r.account_id), ...exclusion(r) }));
  }

  async newWwwDrift(snapshotDate: string): Promise<NewWwwDriftRow[]> {
    const rows = await this.query(querySql('www_drift_triage'), {
      snapshot_date: BigQuery.date(snapshotDate),
    });
    return rows.map((r) => ({
      zoneId: String(r.zone_id),
      accountId: String(r.account_id),
      wwwPlanLevel: r.www_plan_level === null ? null : String(r.www_plan_level),
      subsApiPlanLevel: r.subs_api_plan_level === null ? null : String(r.subs_api_plan_level),
      ...exclusion(r),
    }));
  }

  private catalogue(snapshotDate: string, asOf: string): Promise<MirrorAccountParts['billingProd']> {
    let cached = this.catalogues.get(snapshotDate);
    if (!cached) {
      cached = this.query(
        `SELECT product_id, billing_interval, currency, stripe_price_id, unit_amount FROM ${M}.billing_prod WHERE snapshot_date = @d ORDER BY product_id, billing_interval, currency`,
        { d: BigQuery.date(snapshotDate) },
      ).then((rows) => ({
        source: 'billing_prod' as const,
        asOf,
        data: {
          catalogue: rows.map((r) => ({
            productId: String(r.product_id),
            interval: r.billing_interval as Interval,
            currency: String(r.currency),
            stripePriceId: String(r.stripe_price_id),
            unitAmountMinor: num(r.unit_amount),
          })),
        },
      }));
      cached.catch(() => this.catalogues.delete(snapshotDate));
      this.catalogues.set(snapshotDate, cached);
    }
    return cached;
  }

  async accountParts(accountId: string, snapshotDate: string): Promise<MirrorAccountParts | null> {
    // Dates go as BigQuery DATE values (BigQuery.date), which both BigQuery and the local endpoint type.
    const p = { a: accountId, d: BigQuery.date(snapshotDate) };
    const asOf = `${snapshotDate}T00:00:00.000Z`;
    // One query per account (one BigQuery job against the concurrent-query quota, one round trip), and
    // the catalogue once per date. Each part is an ARRAY of STRUCTs: BigQuery refuses NULL array elements,
    // a STRUCT with NULL fields is fine.
    const [[row], catalogue] = await Promise.all([
      this.query(ACCOUNT_PARTS_SQL, p),
      this.catalogue(snapshotDate, asOf),
    ]);
    const part = (name: string): Row[] => (row?.[name] as Row[] | null | undefined) ?? [];
    const account = part('subs_account');
    const customer = part('subs_customer');
    const dunning = part('subs_dunning');
    const cf = part('cf_prod_account');
    const zones = part('cf_prod_zones');
    const subs = part('ope_subscriptions');
    const items = part('ope_items');
    const acc = account[0];
    if (acc === undefined) return null;
    const cust = customer[0];
    const subscriptions: OpeSubscription[] = subs.map((s) => ({
      id: String(s.id),
      status: s.status as OpeSubscription['status'],
      interval: s.billing_interval as Interval,
      currency: String(s.currency),
      cancelAtPeriodEnd: Boolean(s.cancel_at_period_end),
      contract: Boolean(s.is_contract),
      items: items
        .filter((i) => i.subscription_id === s.id)
        .map((i) => {
          const effectiveAt = iso(i.scheduled_change_effective_at);
          return {
            id: String(i.id),
            productId: String(i.product_id),
            quantity: num(i.quantity),
            deleted: Boolean(i.deleted),
            contract: Boolean(i.is_contract),
            scheduledChange:
              effectiveAt === null
                ? null
                : {
                    effectiveAt,
                    ...(i.scheduled_change_product_id
                      ? { productId: String(i.scheduled_change_product_id) }
                      : {}),
                    ...(i.scheduled_change_quantity !== null && i.scheduled_change_quantity !== undefined
                      ? { quantity: num(i.scheduled_change_quantity) }
                      : {}),
                  },
          };
        }),
    }));
    return {
      ope: { source: 'ope', asOf, data: { subscriptions } },
      subsAccount: {
        source: 'subs_account',
        asOf,
        data: {
          accountType: String(acc.account_type),
          mergedAccountIds: ((acc.merged_account_ids as string[] | null) ?? []).map(String),
        },
      },
      subsCustomer: {
        source: 'subs_customer',
        asOf,
        data: {
          stripeCustomerId: cust?.stripe_customer_id ? String(cust.stripe_customer_id) : null,
          // Every account mapped to the customer this row names (MergedAccount evidence).
          accountIdsForCustomer: cust?.stripe_customer_id
            ? ((cust.account_ids as string[] | null) ?? [accountId]).map(String)
            : [accountId],
        },
      },
      subsDunning: {
        source: 'subs_dunning',
        asOf,
        data: { state: (dunning[0]?.state as 'none' | 'dunning' | 'bad_debt') ?? 'none' },
      },
      billingProd: catalogue,
      cfProd: {
        source: 'cf_prod',
        asOf,
        data: {
          accountType: String(cf[0]?.account_type ?? acc.account_type),
          zones: zones.map((z) => ({ id: String(z.zone_id), planLevel: String(z.plan_level) })),
        },
      },
    };
  }

  async insert(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.bq
        .dataset(DATASETS.audit)
        .table(AUDIT_TABLE)
        .insert(
          records.map((r) => ({ insertId: r.row_id, json: r })),
          { raw: true },
        );
    } catch (error) {
      throw new UpstreamError(
        `BigQuery insert into ${AUDIT_TABLE} failed: ${(error as Error).message}`,
        'bigquery',
        true,
        null,
        {
          cause: error,
        },
      );
    }
  }
}

export function bigQueryClient(projectId: string, apiEndpoint?: string): BigQuery {
  return new BigQuery({ projectId, ...(apiEndpoint ? { apiEndpoint } : {}) });
}

// Warehouse benchmark: the new-drift query over N accounts x 2 snapshot dates on the local warehouse,
// through the real BigQuery client, against its lower bound measured in the same run: a bare scan of
// every column of every mirror table over the same two partitions. Target: new-drift / bare scan <= 3.
// Also reports generation + bulk load time and peak memory (RSS), and a second reference, the relational
// floor: the three joins any correct drift query has to make (FLOOR_SQL), measured the same way, which
// tells how much of the gap to the bare scan is the SQL and how much is the engine's cost per join.
// Run: npx tsx bench/warehouse.ts [--accounts N] [--rounds R] [--seed S] [--db FILE]
import { parseArgs } from 'node:util';
import { BigQuery } from '@google-cloud/bigquery';
import { startLocalBigQuery } from '../local/bigquery/index.js';
import { deployWarehouse } from '../local/provision/warehouse.js';
import { loadWorld } from '../local/synthetic/load.js';
import { MIRROR_COLUMNS, MIRROR_TABLES } from '../local/synthetic/rows.js';
import { createWorld } from '../local/synthetic/world.js';
import { querySql } from '../shared/warehouse/sql-files.js';
import { fmt, median } from './stats.js';

process.env.METADATA_SERVER_DETECTION = 'none';

/** Peak RSS sampled while `fn` runs (DuckDB works off the event loop, so sampling keeps running). */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peakRss: number; ms: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, peakRss: Math.max(peak, process.memoryUsage().rss), ms: performance.now() - t0 };
  } finally {
    clearInterval(timer);
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/** Reads every column of every mirror table in the two partitions: what any query over them must at least do. */
function bareScanSql(): string {
  const parts = MIRROR_TABLES.map((t, i) => {
    const cols = MIRROR_COLUMNS[t]
      .filter((c) => c !== 'snapshot_date')
      .map((c) =>
        c === 'subscription_item_ids' || c === 'merged_account_ids' ? `MAX(ARRAY_LENGTH(${c}))` : `MAX(${c})`,
      );
    return `(SELECT COUNT(*) AS n${i}, ${cols.map((c, j) => `${c} AS c${i}_${j}`).join(', ')}
      FROM billing_mirror.${t} WHERE snapshot_date IN (@today, @yesterday)) AS t${i}`;
  });
  return `SELECT ${MIRROR_TABLES.map((_, i) => `n${i}`).join(' + ')} AS rows_scanned FROM ${parts.join(' CROSS JOIN ')}`;
}

/**
 * The joins no formulation of the drift rules can avoid (docs/domain-rules.md, docs/warehouse.md
 * "Benchmark"): Stripe items carry only their subscription id, so they must be joined to their
 * subscription; subscriptions reach an account only through subs_customer; and each item of a live
 * subscription must be paired with its OPE item by the ope_item_id in its metadata, within the account.
 * Everything else the drift view does (classification, OPE subscriptions, invoices, account facts, the
 * per-account aggregation, today vs yesterday) is on top of this. It is the cost of those joins as the
 * engine plans them, a reference point rather than a proof: new-drift / floor is the SQL's own overhead.
 */
export const FLOOR_SQL = `
SELECT COUNT(*) AS live_item_rows, COUNTIF(o.id IS NOT NULL) AS paired_with_ope
FROM billing_mirror.stripe_subscription_items AS i
JOIN billing_mirror.stripe_subscriptions AS s
  ON s.snapshot_date = i.snapshot_date AND s.id = i.subscription_id
  AND s.status NOT IN ('canceled', 'incomplete_expired')
JOIN billing_mirror.subs_customer AS sc
  ON sc.snapshot_date = s.snapshot_date AND sc.stripe_customer_id = s.customer_id
LEFT JOIN (
  SELECT snapshot_date, account_id, id FROM billing_mirror.ope_items WHERE snapshot_date IN (@today, @yesterday)
) AS o
  ON o.snapshot_date = i.snapshot_date AND o.account_id = sc.account_id
  AND o.id = JSON_VALUE(i.metadata, '$.ope_item_id')
WHERE i.snapshot_date IN (@today, @yesterday)
  AND s.snapshot_date IN (@today, @yesterday)
  AND sc.snapshot_date IN (@today, @yesterday)`;

export async function benchWarehouse(options: {
  accounts: number;
  rounds: number;
  seed: number;
  dbPath?: string;
}) {
  const world = createWorld({ seed: options.seed, accounts: options.accounts, days: 2 });
  const [yesterday, today] = world.dates as [string, string];
  const lb = await startLocalBigQuery(options.dbPath ? { dbPath: options.dbPath } : {});
  try {
    const bq = new BigQuery({ projectId: 'bench', apiEndpoint: lb.url });
    await deployWarehouse(bq);
    const load = await withPeakRss(() => loadWorld(lb.db, world));
    const totalRows = Object.values(load.value.rows).reduce((a, b) => a + b, 0);
    console.log(
      `warehouse: generated ${fmt(options.accounts, 0)} accounts x 2 dates = ${fmt(totalRows, 0)} mirror rows; ` +
        `generate ${fmt(load.value.generateMs / 1000, 1)} s + bulk load ${fmt(load.value.copyMs / 1000, 1)} s ` +
        `(${fmt(load.ms / 1000, 1)} s total, ${fmt(options.accounts / (load.ms / 1000), 0)} accounts/s), peak RSS ${mb(load.peakRss)}`,
    );

    const params = { today: bq.date(today), yesterday: bq.date(yesterday), snapshot_date: bq.date(today) };
    const scan = bareScanSql();
    const newDrift = querySql('new_stripe_drift');
    const runScan = async () =>
      (await bq.query({ query: scan, params: { today: params.today, yesterday: params.yesterday } }))[0];
    const runFloor = async () =>
      (await bq.query({ query: FLOOR_SQL, params: { today: params.today, yesterday: params.yesterday } }))[0];
    const runNewDrift = async () =>
      (await bq.query({ query: newDrift, params: { snapshot_date: params.today } }))[0];
    // Warm-up: first touches of the data, the macros and the views' plans.
    await runScan();
    await runFloor();
    await runNewDrift();
    const scanMs: number[] = [];
    const driftMs: number[] = [];
    const floorMs: number[] = [];
    let scanPeak = 0;
    let driftPeak = 0;
    let newAccounts = 0;
    let floorRow: { live_item_rows: number; paired_with_ope: number } | undefined;
    for (let r = 0; r < options.rounds; r++) {
      const s = await withPeakRss(runScan);
      scanMs.push(s.ms);
      scanPeak = Math.max(scanPeak, s.peakRss);
      const f = await withPeakRss(runFloor);
      floorMs.push(f.ms);
      floorRow = f.value[0] as typeof floorRow;
      const d = await withPeakRss(runNewDrift);
      driftMs.push(d.ms);
      driftPeak = Math.max(driftPeak, d.peakRss);
      newAccounts = d.value.length;
    }
    const scanMedian = median(scanMs);
    const driftMedian = median(driftMs);
    const floorMedian = median(floorMs);
    const ratio = driftMedian / scanMedian;
    const floorRatio = floorMedian / scanMedian;
    console.log(
      `warehouse: new-drift query ${fmt(driftMedian, 0)} ms (${fmt(newAccounts, 0)} new-drift accounts, peak RSS ${mb(driftPeak)}) ` +
        `vs bare scan of the same two partitions ${fmt(scanMedian, 0)} ms (peak RSS ${mb(scanPeak)}), ` +
        `median of ${options.rounds}: ratio ${fmt(ratio, 2)} (target <= 3) ${ratio <= 3 ? 'OK' : 'OVER TARGET'}`,
    );
    console.log(
      `warehouse: relational floor (items->subscription->account joins + OPE pairing: ` +
        `${fmt(floorRow?.paired_with_ope ?? 0, 0)} of ${fmt(floorRow?.live_item_rows ?? 0, 0)} live item rows paired) ${fmt(floorMedian, 0)} ms = ` +
        `${fmt(floorRatio, 2)} x the bare scan${floorRatio > 3 ? ' (the floor alone exceeds the target)' : ''}; ` +
        `new-drift = ${fmt(driftMedian / floorMedian, 2)} x the floor`,
    );
    console.log(`warehouse: process peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
    return {
      ratio,
      floorRatio,
      driftMs: driftMedian,
      scanMs: scanMedian,
      floorMs: floorMedian,
      floorRow,
      generateMs: load.ms,
      newAccounts,
    };
  } finally {
    await lb.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '1000000' },
      rounds: { type: 'string', default: '3' },
      seed: { type: 'string', default: '42' },
      db: { type: 'string' },
    },
  });
  await benchWarehouse({
    accounts: Number(values.accounts),
    rounds: Number(values.rounds),
    seed: Number(values.seed),
    ...(values.db ? { dbPath: values.db } : {}),
  });
}

import { describe, expect, it } from 'vitest';
import {
  checkPartitionFilters,
  partitionedRelations,
  relationsRead,
} from '../../../local/bigquery/partition-check.js';
import { parseBigQuery } from '../../../local/bigquery/translate/cst.js';
import { MANIFEST_COLUMNS } from '../../../local/synthetic/load.js';
import { MIRROR_COLUMNS } from '../../../local/synthetic/rows.js';
import { ddlFiles, queryFiles, readsAudit, viewFiles } from '../../../shared/warehouse/sql-files.js';

// biome-ignore lint/suspicious/noExplicitAny: CST inspection
type Node = any;
const statements = (sql: string): Node[] =>
  (parseBigQuery(sql).statements as Node[]).filter((s) => s.type !== 'empty');

const mirrorTables = new Map(ddlFiles().map((f) => [`billing_mirror.${f.table}`, 'snapshot_date']));
const views = new Map(viewFiles().map((v) => [`billing_observability.${v.name}`, v.sql]));
const partitioned = partitionedRelations(mirrorTables, views);

describe('every SQL file parses as BigQuery SQL (sql-parser-cst, dialect bigquery)', () => {
  for (const f of [...ddlFiles(), ...viewFiles(), ...queryFiles()]) {
    it(f.file, () => {
      expect(statements(f.sql)).toHaveLength(1);
    });
  }
});

describe('mirror DDL conventions', () => {
  for (const f of ddlFiles()) {
    it(`${f.file}: CREATE TABLE IF NOT EXISTS billing_mirror.${f.table}, partitioned, clustered, partition filter required`, () => {
      const [stmt] = statements(f.sql);
      expect(stmt.type).toBe('create_table_stmt');
      expect(stmt.ifNotExistsKw.map((k: { name: string }) => k.name)).toEqual(['IF', 'NOT', 'EXISTS']);
      expect(stmt.name.object.name).toBe('billing_mirror');
      expect(stmt.name.property.name).toBe(f.table);
      const clauses = Object.fromEntries(stmt.clauses.map((c: Node) => [c.type, c]));
      expect(clauses.partition_by_clause.specifications.items[0].name).toBe('snapshot_date');
      expect(clauses.cluster_by_clause.columns.items.length).toBeGreaterThan(0);
      const opt = clauses.bigquery_options.options.expr.items[0];
      expect([opt.left.name, opt.right.value]).toEqual(['require_partition_filter', true]);
      // The generator (or, for the manifest, the mirror job's completion marker) writes exactly these
      // columns, in this order.
      const cols = stmt.columns.expr.items.map((c: Node) => c.name.name);
      expect(cols).toEqual(
        f.table === 'mirror_manifest'
          ? [...MANIFEST_COLUMNS]
          : [...MIRROR_COLUMNS[f.table as keyof typeof MIRROR_COLUMNS]],
      );
    });
  }
});

describe('view files', () => {
  const order = new Map(viewFiles().map((v) => [`billing_observability.${v.name}`, v.order]));
  for (const v of viewFiles()) {
    it(`${v.file}: a SELECT body only, dataset-qualified reads, reads only views with a smaller NN`, () => {
      const [stmt] = statements(v.sql);
      expect(['select_stmt', 'compound_select_stmt']).toContain(stmt.type);
      for (const rel of relationsRead(v.sql)) {
        const [dataset] = rel.split('.');
        expect(['billing_mirror', 'billing_observability', 'billing_audit', 'billing_tickets']).toContain(
          dataset,
        );
        if (dataset === 'billing_observability') {
          expect(order.has(rel), `${v.file} reads unknown view ${rel}`).toBe(true);
          expect(order.get(rel) as number).toBeLessThan(v.order);
        } else if (dataset === 'billing_audit') {
          expect(rel, `${v.file} reads an unknown audit relation`).toBe(
            'billing_audit.cfbill_migrations_audit',
          );
        } else if (dataset === 'billing_tickets') {
          expect(rel, `${v.file} reads an unknown ticket relation`).toBe(
            'billing_tickets.ticket_classifications',
          );
        } else {
          expect(mirrorTables.has(rel), `${v.file} reads unknown table ${rel}`).toBe(true);
        }
      }
    });
  }
});

describe('partition filter check', () => {
  for (const q of queryFiles()) {
    it(`${q.file} filters every partitioned read on snapshot_date`, () => {
      expect(checkPartitionFilters(q.sql, partitioned)).toEqual([]);
    });
  }

  it('every view over the mirror is partitioned, so reading one needs the filter; the audit and ticket views are not', () => {
    for (const v of viewFiles())
      expect(partitioned.get(`billing_observability.${v.name}`)).toBe(
        readsAudit(v) ? undefined : 'snapshot_date',
      );
  });

  const bad: [string, string][] = [
    ['no filter', 'SELECT * FROM billing_mirror.ope_items'],
    [
      'filter under OR',
      "SELECT * FROM billing_mirror.ope_items WHERE snapshot_date = '2026-01-01' OR quantity > 1",
    ],
    [
      "filter on another relation's column",
      'SELECT * FROM billing_mirror.ope_items AS i JOIN billing_mirror.ope_subscriptions AS s ON s.id = i.subscription_id WHERE s.snapshot_date = @d',
    ],
    [
      'column compared with a column',
      'SELECT * FROM billing_mirror.ope_items AS i WHERE i.snapshot_date = i.deleted_at',
    ],
    ['a view without a filter', 'SELECT COUNT(*) FROM billing_observability.stripe_account_drift'],
    [
      'filter only outside the CTE that reads the table',
      'WITH x AS (SELECT * FROM billing_mirror.ope_items) SELECT * FROM x WHERE snapshot_date = @d',
    ],
    ['NOT BETWEEN', 'SELECT * FROM billing_mirror.ope_items WHERE snapshot_date NOT BETWEEN @a AND @b'],
    ['backticked, project-qualified', 'SELECT * FROM `proj.billing_mirror.ope_items`'],
  ];
  for (const [name, sql] of bad) {
    it(`flags a read with ${name}`, () => {
      expect(checkPartitionFilters(sql, partitioned).length).toBeGreaterThan(0);
    });
  }

  const good: [string, string][] = [
    ['= @param', 'SELECT * FROM billing_mirror.ope_items WHERE snapshot_date = @d'],
    [
      'qualified, with other conjuncts',
      "SELECT * FROM billing_mirror.ope_items AS i WHERE i.account_id = 'a' AND (i.snapshot_date = @d)",
    ],
    [
      'IN list',
      'SELECT * FROM billing_mirror.ope_items WHERE snapshot_date IN (@d, DATE_SUB(@d, INTERVAL 1 DAY))',
    ],
    ['BETWEEN', 'SELECT * FROM billing_mirror.ope_items WHERE snapshot_date BETWEEN @a AND @b'],
    [
      'both sides of a join',
      'SELECT * FROM billing_mirror.ope_items AS i JOIN billing_mirror.ope_subscriptions AS s ON s.id = i.subscription_id AND s.snapshot_date = @d WHERE i.snapshot_date = @d',
    ],
    ['a non-partitioned relation', 'SELECT * FROM billing_audit.cfbill_migrations_audit'],
  ];
  for (const [name, sql] of good) {
    it(`accepts ${name}`, () => {
      expect(checkPartitionFilters(sql, partitioned)).toEqual([]);
    });
  }
});

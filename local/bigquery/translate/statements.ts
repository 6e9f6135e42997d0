/**
 * The BigQuery -> DuckDB compatibility layer's entry points. BigQuery SQL is parsed with a real
 * BigQuery-dialect parser (cst.ts), the syntax DuckDB spells differently is rewritten on the tree
 * (rewrite.ts), and the functions whose semantics differ are routed to `bq_*` macros (functions.ts,
 * macros.ts). Anything outside the documented subset (docs/warehouse.md) is rejected with an
 * UnsupportedSqlError naming the construct: a wrong answer from a silently mistranslated query would be
 * worse than an error.
 *
 * This file takes the one statement apart by kind: queries and DML go through the rewrite; DDL (CREATE
 * TABLE / VIEW, DROP, TRUNCATE) becomes DuckDB DDL plus the table metadata BigQuery keeps (TableSpec).
 */
import { show } from 'sql-parser-cst';
import type { Ctx } from './context.js';
import { argItems, type Node, nameOf, parseBigQuery, s } from './cst.js';
import { UnsupportedSqlError } from './errors.js';
import { type BqQueryParameter, parameterLiteral } from './parameters.js';
import { quoteIdent } from './quoting.js';
import { countBareRefs, datasetTable } from './relations.js';
import { tx } from './rewrite.js';
import { type BqField, columnField, duckTypeForField } from './types.js';

export interface TableSpec {
  dataset: string;
  table: string;
  schema: BqField[];
  partitionField?: string;
  clustering?: string[];
  requirePartitionFilter: boolean;
  description?: string;
}

export type Translated =
  | { kind: 'query'; sql: string }
  | { kind: 'dml'; sql: string; verb: string }
  | { kind: 'create_table'; sql: string; spec: TableSpec; ifNotExists: boolean; orReplace: boolean }
  | { kind: 'create_view'; sql: string; dataset: string; table: string; query: string; orReplace: boolean }
  | { kind: 'drop'; sql: string; dataset: string; table: string };

function createTable(stmt: Node, ctx: Ctx): Translated {
  const { dataset, table } = datasetTable(stmt.name);
  const orReplace = !!stmt.orReplaceKw;
  const ifNotExists = !!stmt.ifNotExistsKw;
  if (stmt.temporaryKw || stmt.externalKw || stmt.snapshotKw)
    throw new UnsupportedSqlError('CREATE TEMP/EXTERNAL TABLE');
  const spec: TableSpec = { dataset, table, schema: [], requirePartitionFilter: false };
  let asSelect: string | undefined;
  for (const c of stmt.clauses ?? []) {
    switch (c.type) {
      case 'partition_by_clause': {
        const item = c.specifications?.items?.[0];
        const col =
          nameOf(item) ??
          (item?.type === 'func_call' ? nameOf(argItems(item)[0]) : undefined) ??
          (item?.type === 'cast_expr' ? nameOf(item.args?.expr?.expr) : undefined);
        if (!col) throw new UnsupportedSqlError('PARTITION BY expression', show(item));
        spec.partitionField = col;
        break;
      }
      case 'cluster_by_clause':
        spec.clustering = (c.columns?.items ?? []).map((x: Node) => nameOf(x) as string);
        break;
      case 'bigquery_options':
        for (const opt of c.options?.expr?.items ?? []) {
          const key = String(nameOf(opt.left)).toLowerCase();
          if (key === 'require_partition_filter') spec.requirePartitionFilter = opt.right?.value === true;
          else if (key === 'description') spec.description = String(opt.right?.value);
        }
        break;
      case 'as_clause':
        asSelect = s(tx(c.expr, ctx)).trim();
        break;
      default:
        throw new UnsupportedSqlError(`CREATE TABLE clause ${c.type}`);
    }
  }
  const target = `${quoteIdent(dataset)}.${quoteIdent(table)}`;
  const head = `CREATE ${orReplace ? 'OR REPLACE ' : ''}TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${target}`;
  if (stmt.columns) {
    spec.schema = (stmt.columns.expr?.items ?? []).map(columnField);
    const cols = spec.schema.map(
      (f) => `${quoteIdent(f.name)} ${duckTypeForField(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
    );
    if (asSelect) throw new UnsupportedSqlError('CREATE TABLE with both columns and AS SELECT');
    return { kind: 'create_table', sql: `${head} (${cols.join(', ')})`, spec, ifNotExists, orReplace };
  }
  if (!asSelect) throw new UnsupportedSqlError('CREATE TABLE without columns');
  return { kind: 'create_table', sql: `${head} AS ${asSelect}`, spec, ifNotExists, orReplace };
}

export interface TranslateOptions {
  /** Views (dataset.view, lower-case) to read as CTEs named viewCteName(); see expandViewsAsCtes. */
  expandViews?: ReadonlySet<string>;
  /** Filled with the views read and how often. */
  viewsRead?: Map<string, number>;
}

/** Translates one BigQuery statement (a script of several is rejected: the project never sends one). */
export function translateStatement(
  sql: string,
  params: BqQueryParameter[] = [],
  opts: TranslateOptions = {},
): Translated {
  const cst = parseBigQuery(sql);
  const stmts = (cst.statements as Node[]).filter((x) => x.type !== 'empty');
  if (stmts.length !== 1)
    throw new UnsupportedSqlError('multi-statement script', `${stmts.length} statements`);
  const cteRefs = new Map<string, number>();
  countBareRefs(stmts, cteRefs);
  const ctx: Ctx = {
    params: new Map(),
    cteNames: new Set(),
    cteRefs,
    expandViews: opts.expandViews,
    viewsRead: opts.viewsRead ?? new Map(),
  };
  for (const p of params) {
    if (!p.name) throw new UnsupportedSqlError('positional query parameters');
    ctx.params.set(p.name.toLowerCase(), parameterLiteral(p.parameterType, p.parameterValue));
  }
  const stmt = stmts[0];
  switch (stmt.type) {
    case 'select_stmt':
    case 'compound_select_stmt':
      return { kind: 'query', sql: s(tx(stmt, ctx)).trim() };
    case 'create_table_stmt':
      return createTable(stmt, ctx);
    case 'create_view_stmt': {
      const { dataset, table } = datasetTable(stmt.name);
      const orReplace = !!stmt.orReplaceKw;
      const asClause = (stmt.clauses ?? []).find((c: Node) => c.type === 'as_clause');
      if (!asClause) throw new UnsupportedSqlError('CREATE VIEW without AS');
      const query = s(tx(asClause.expr, ctx)).trim();
      const head = `CREATE ${orReplace ? 'OR REPLACE ' : ''}VIEW ${stmt.ifNotExistsKw ? 'IF NOT EXISTS ' : ''}`;
      return {
        kind: 'create_view',
        sql: `${head}${quoteIdent(dataset)}.${quoteIdent(table)} AS ${query}`,
        dataset,
        table,
        query,
        orReplace,
      };
    }
    case 'drop_table_stmt':
    case 'drop_view_stmt': {
      const t = stmt.tables?.items?.[0];
      const { dataset, table } = datasetTable(t);
      const kind = stmt.type === 'drop_view_stmt' ? 'VIEW' : 'TABLE';
      return {
        kind: 'drop',
        sql: `DROP ${kind} ${stmt.ifExistsKw ? 'IF EXISTS ' : ''}${quoteIdent(dataset)}.${quoteIdent(table)}`,
        dataset,
        table,
      };
    }
    case 'insert_stmt':
    case 'update_stmt':
    case 'delete_stmt':
    case 'merge_stmt':
    case 'truncate_stmt': {
      const verb = stmt.type.replace('_stmt', '').toUpperCase();
      if (stmt.type === 'truncate_stmt') {
        const t = stmt.tables?.items?.[0] ?? stmt.table;
        const { dataset, table } = datasetTable(t);
        return { kind: 'dml', verb, sql: `DELETE FROM ${quoteIdent(dataset)}.${quoteIdent(table)}` };
      }
      return { kind: 'dml', verb, sql: s(tx(stmt, ctx)).trim() };
    }
    default:
      throw new UnsupportedSqlError(`statement ${String(stmt.type).replace(/_/g, ' ')}`);
  }
}

/** Translates a SELECT body (a view file): the same rewriting as a query, without parameters. */
export function translateSelect(
  sql: string,
  params: BqQueryParameter[] = [],
  opts: TranslateOptions = {},
): string {
  const t = translateStatement(sql, params, opts);
  if (t.kind !== 'query') throw new UnsupportedSqlError(`expected a SELECT, got ${t.kind}`);
  return t.sql;
}

/**
 * Table references: how a BigQuery table name (project.dataset.table, backticked or not) is named in
 * DuckDB, where the local warehouse holds one project and each dataset is a schema; CTE names stay bare
 * and an expanded view becomes its CTE. Also the dataset and table a DDL statement names, and the pre-pass
 * counting CTE reads (a CTE read twice is materialised once).
 */
import { show } from 'sql-parser-cst';
import type { Ctx } from './context.js';
import { type Node, nameOf, pathOf } from './cst.js';
import { UnsupportedSqlError } from './errors.js';
import { quoteIdent } from './quoting.js';
import { viewCteName } from './views.js';

/** project.dataset.table -> "dataset"."table": the local warehouse holds one project. */
export function tableName(n: Node, ctx: Ctx): string {
  const path = pathOf(n);
  if (!path || path.length === 0 || path.length > 3)
    throw new UnsupportedSqlError('table reference', show(n));
  const p = path.length === 3 ? path.slice(1) : path;
  const rel = p.join('.').toLowerCase();
  if (p.length === 2 && ctx.expandViews?.has(rel)) {
    ctx.viewsRead.set(rel, (ctx.viewsRead.get(rel) ?? 0) + 1);
    return viewCteName(rel);
  }
  if (p.length === 1 && !ctx.cteNames.has((p[0] as string).toLowerCase()) && !isSafeBare(p[0] as string))
    return quoteIdent(p[0] as string);
  return p.map((x) => (isSafeBare(x) ? x : quoteIdent(x))).join('.');
}

function isSafeBare(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

export function datasetTable(n: Node): { dataset: string; table: string } {
  const path = pathOf(n);
  if (!path || path.length < 2 || path.length > 3)
    throw new UnsupportedSqlError('table name without a dataset', n ? show(n) : '');
  const p = path.slice(-2) as [string, string];
  return { dataset: p[0], table: p[1] };
}

/** Counts FROM references by bare name (CTE reads) anywhere in the tree. */
export function countBareRefs(n: Node, out: Map<string, number>): void {
  if (!n || typeof n !== 'object') return;
  if (Array.isArray(n)) {
    for (const x of n) countBareRefs(x, out);
    return;
  }
  if (n.type === 'from_clause' || n.type === 'join_expr') {
    const items = n.type === 'from_clause' ? [n.expr] : [n.left, n.right];
    for (const it of items) {
      const target = it?.type === 'alias' ? it.expr : it;
      if (target?.type === 'identifier') {
        const k = String(nameOf(target)).toLowerCase();
        out.set(k, (out.get(k) ?? 0) + 1);
      }
    }
  }
  for (const [k, v] of Object.entries(n)) {
    if (k === 'leading' || k === 'trailing' || k === 'range') continue;
    if (typeof v === 'object' && v !== null) countBareRefs(v, out);
  }
}

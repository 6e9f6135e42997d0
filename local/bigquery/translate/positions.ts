/**
 * Where a name is used in the BigQuery SQL a client sent, as BigQuery reports it in errors (`at [line:column]`,
 * both 1-based). The engine only ever sees the translated SQL, so its own positions mean nothing to a client.
 */
import { type Node, nameOf, parseBigQuery } from './cst.js';

/** Child keys that hold a name which is not a column reference (an alias, a CTE, a function). */
const NOT_COLUMNS: Record<string, string> = {
  alias: 'alias',
  common_table_expr: 'table',
  func_call: 'name',
};
const TABLE_ITEM_PARENTS = new Set(['from_clause', 'join_expr']);

function isPath(n: Node): boolean {
  return n?.type === 'identifier' || n?.type === 'member_expr' || n?.type === 'bigquery_quoted_member_expr';
}

/** A table named in FROM (`d.t`, `d.t AS x`): its names are tables, not columns. */
function isTableItem(n: Node, parent: Node): boolean {
  if (!TABLE_ITEM_PARENTS.has(parent?.type)) return false;
  return isPath(n) || (n?.type === 'alias' && isPath(n.expr));
}

function lastName(n: Node): string | undefined {
  if (n?.type === 'member_expr') return lastName(n.property);
  return nameOf(n)?.toLowerCase();
}

/** `[line:column]` of a source offset. */
export function lineColumn(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  return `[${line}:${offset - before.lastIndexOf('\n')}]`;
}

/**
 * ` at [line:column]` of the first reference to `name` in an expression (`qualifier.name` when a qualifier
 * is given), or '' when the SQL does not name it (e.g. the name comes from a view's body).
 */
export function at(sql: string | undefined, name: string, qualifier?: string): string {
  if (sql === undefined) return '';
  let tree: Node;
  try {
    tree = parseBigQuery(sql, true);
  } catch {
    return '';
  }
  const target = name.toLowerCase();
  const q = qualifier?.toLowerCase();
  let found: number | undefined;
  const visit = (n: Node, key: string, parent: Node): void => {
    if (found !== undefined || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) visit(x, key, parent);
      return;
    }
    if (NOT_COLUMNS[parent?.type] === key || isTableItem(n, parent)) return;
    if (q === undefined && n.type === 'identifier' && nameOf(n)?.toLowerCase() === target) {
      found = n.range?.[0];
      return;
    }
    if (
      q !== undefined &&
      n.type === 'member_expr' &&
      lastName(n.property) === target &&
      lastName(n.object) === q
    ) {
      found = n.property.range?.[0];
      return;
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === 'leading' || k === 'trailing' || k === 'range') continue;
      // A member's property (`t.name`) is not an unqualified reference to `name`.
      if (q === undefined && n.type === 'member_expr' && k === 'property') continue;
      visit(v, k, n);
    }
  };
  visit(tree, '', undefined);
  return found === undefined ? '' : ` at ${lineColumn(sql, found)}`;
}

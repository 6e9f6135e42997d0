/**
 * The partition filter check. Mirror tables are declared with `require_partition_filter`: BigQuery refuses
 * a query that reads one without a filter on `snapshot_date` it can use for partition elimination. This
 * check finds such reads statically, with the BigQuery-dialect parser:
 *
 *  - a read of a partitioned relation (a mirror table, or a view that reads one, transitively) must have,
 *    in the same SELECT, a top-level AND-ed predicate in WHERE or in a JOIN's ON comparing that relation's
 *    partition column (qualified by its alias, or unqualified when it is the only relation read) with a
 *    constant expression (literals, @parameters, functions of them): =, <, <=, >, >=, BETWEEN, IN (list);
 *  - predicates under OR, comparisons with other columns and subqueries do not count.
 *
 * Views carry no parameters: they read every partition and expose `snapshot_date`, and the queries the
 * code runs filter the views (BigQuery pushes that filter down into the view). So the check applies to
 * queries, and the local BigQuery runs it on every query it receives, like BigQuery would reject one.
 * It is stricter than BigQuery in one way: a filter applied outside a CTE or subquery that reads the
 * relation does not count (write the filter where the relation is read).
 */
import { parseBigQuery } from './translate/cst.js';

// biome-ignore lint/suspicious/noExplicitAny: structural walk over sql-parser-cst nodes
type Node = any;

export interface PartitionViolation {
  /** dataset.table as read. */
  relation: string;
  /** The alias it was read under (or the table name). */
  alias: string;
  column: string;
  message: string;
}

function ident(n: Node): string | undefined {
  if (n?.type === 'identifier') return String(n.name ?? n.text).replace(/^`|`$/g, '');
  return undefined;
}

function pathOf(n: Node): string[] | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') {
    const name = ident(n) as string;
    return String(n.text).startsWith('`') ? name.split('.') : [name];
  }
  if (n.type === 'member_expr') {
    const l = pathOf(n.object);
    const r = pathOf(n.property);
    return l && r ? [...l, ...r] : undefined;
  }
  if (n.type === 'bigquery_quoted_member_expr') return pathOf(n.expr);
  return undefined;
}

/** dataset.table, lower-case, project dropped. */
export function relationName(path: string[]): string {
  return path.slice(-2).join('.').toLowerCase();
}

interface Ref {
  relation: string;
  alias: string;
  /** The name as written (project.dataset.table or dataset.table, or a bare CTE name). */
  path: string[];
}

function collectFrom(n: Node, out: Ref[], conds: Node[]): void {
  if (!n) return;
  switch (n.type) {
    case 'join_expr':
      collectFrom(n.left, out, conds);
      collectFrom(n.right, out, conds);
      if (n.specification?.type === 'join_on_specification') conds.push(n.specification.expr);
      return;
    case 'alias': {
      const p = pathOf(n.expr);
      if (p) out.push({ relation: relationName(p), alias: (ident(n.alias) ?? '').toLowerCase(), path: p });
      return;
    }
    case 'paren_expr':
      if (n.expr?.type === 'join_expr') collectFrom(n.expr, out, conds);
      return;
    default: {
      const p = pathOf(n);
      if (p)
        out.push({ relation: relationName(p), alias: (p[p.length - 1] as string).toLowerCase(), path: p });
    }
  }
}

function conjuncts(e: Node, out: Node[]): void {
  if (!e) return;
  if (e.type === 'paren_expr') {
    conjuncts(e.expr, out);
    return;
  }
  if (e.type === 'binary_expr' && opName(e) === 'AND') {
    conjuncts(e.left, out);
    conjuncts(e.right, out);
    return;
  }
  out.push(e);
}

function opName(e: Node): string {
  const op = e.operator;
  if (typeof op === 'string') return op.toUpperCase();
  if (Array.isArray(op)) return op.map((k: Node) => String(k.name).toUpperCase()).join(' ');
  return String(op?.name ?? '').toUpperCase();
}

/** True when the expression reads no column and no subquery (literals, parameters, functions of them). */
function isConstant(e: Node): boolean {
  if (!e || typeof e !== 'object') return true;
  if (Array.isArray(e)) return e.every(isConstant);
  if (e.type === 'identifier' || e.type === 'member_expr' || e.type === 'bigquery_quoted_member_expr')
    return false;
  if (e.type === 'select_stmt' || e.type === 'compound_select_stmt') return false;
  if (e.type === 'func_call') return isConstant(e.args);
  if (e.type === 'interval_unit') return true;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'leading' || k === 'trailing' || k === 'range') continue;
    if (typeof v === 'object' && v !== null && !isConstant(v)) return false;
  }
  return true;
}

/** Does `e` name column `column` of alias `alias` (or unqualified when allowed)? */
function isColumn(e: Node, alias: string, column: string, allowBare: boolean): boolean {
  if (e?.type === 'paren_expr') return isColumn(e.expr, alias, column, allowBare);
  const p = pathOf(e);
  if (!p) return false;
  const lower = p.map((x) => x.toLowerCase());
  if (lower.length === 1) return allowBare && lower[0] === column;
  return lower[lower.length - 1] === column && lower[lower.length - 2] === alias;
}

const COMPARISONS = new Set(['=', '<', '<=', '>', '>=', 'IN']);

function filters(c: Node, alias: string, column: string, allowBare: boolean): boolean {
  if (c.type === 'between_expr') {
    return (
      isColumn(c.left, alias, column, allowBare) &&
      isConstant(c.begin) &&
      isConstant(c.end) &&
      !Array.isArray(c.betweenKw)
    );
  }
  if (c.type !== 'binary_expr') return false;
  const op = opName(c);
  if (!COMPARISONS.has(op)) return false;
  if (op === 'IN')
    return (
      isColumn(c.left, alias, column, allowBare) && c.right?.type === 'paren_expr' && isConstant(c.right)
    );
  return (
    (isColumn(c.left, alias, column, allowBare) && isConstant(c.right)) ||
    (isColumn(c.right, alias, column, allowBare) && isConstant(c.left))
  );
}

function visitSelects(n: Node, fn: (sel: Node) => void): void {
  if (!n || typeof n !== 'object') return;
  if (Array.isArray(n)) {
    for (const x of n) visitSelects(x, fn);
    return;
  }
  if (n.type === 'select_stmt') fn(n);
  for (const [k, v] of Object.entries(n)) {
    if (k === 'leading' || k === 'trailing' || k === 'range') continue;
    if (typeof v === 'object' && v !== null) visitSelects(v, fn);
  }
}

/** Every dataset-qualified table the SQL reads in a FROM, as written (project.dataset.table or dataset.table). */
export function tableRefs(sql: string): string[][] {
  const out: string[][] = [];
  visitSelects(parseBigQuery(sql), (sel) => {
    for (const c of sel.clauses ?? []) {
      if (c.type !== 'from_clause') continue;
      const refs: Ref[] = [];
      collectFrom(c.expr, refs, []);
      for (const r of refs) if (r.path.length > 1) out.push(r.path);
    }
  });
  return out;
}

/** Every relation (dataset.table) the SQL reads, lower-case. */
export function relationsRead(sql: string): Set<string> {
  return new Set(tableRefs(sql).map(relationName));
}

/**
 * Partitioned relations and their partition column: the tables given, plus every view that reads one
 * (transitively). `views` maps dataset.view to its SELECT.
 */
export function partitionedRelations(
  tables: ReadonlyMap<string, string>,
  views: ReadonlyMap<string, string>,
): Map<string, string> {
  const result = new Map(tables);
  const reads = new Map([...views].map(([name, sql]) => [name.toLowerCase(), relationsRead(sql)]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const [view, rel] of reads) {
      if (result.has(view)) continue;
      for (const r of rel) {
        const col = result.get(r);
        if (col !== undefined) {
          // Views expose the partition column under the same name.
          result.set(view, col);
          changed = true;
          break;
        }
      }
    }
  }
  return result;
}

/** The reads of partitioned relations in `sql` that lack a usable partition filter. */
export function checkPartitionFilters(
  sql: string,
  partitioned: ReadonlyMap<string, string>,
): PartitionViolation[] {
  const violations: PartitionViolation[] = [];
  visitSelects(parseBigQuery(sql), (sel) => {
    const refs: Ref[] = [];
    const conds: Node[] = [];
    for (const c of sel.clauses ?? []) {
      if (c.type === 'from_clause') collectFrom(c.expr, refs, conds);
      if (c.type === 'where_clause') conds.push(c.expr);
    }
    const preds: Node[] = [];
    for (const c of conds) conjuncts(c, preds);
    for (const r of refs) {
      const column = partitioned.get(r.relation);
      if (column === undefined) continue;
      const ok = preds.some((p) => filters(p, r.alias, column.toLowerCase(), refs.length === 1));
      if (!ok)
        violations.push({
          relation: r.relation,
          alias: r.alias,
          column,
          message: `Cannot query over table '${r.relation}' without a filter over column(s) '${column}' that can be used for partition elimination`,
        });
    }
  });
  return violations;
}

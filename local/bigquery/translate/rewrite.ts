/**
 * The rewrite over the parsed tree. `tx` walks a statement, takes over the node types DuckDB reads as
 * BigQuery does (pass-through.ts) and rewrites in place the syntax DuckDB spells differently: backticked
 * names, @parameters, literals, casts and typed constructors, STRUCT literals, SELECT * EXCEPT, IN UNNEST,
 * function calls (functions.ts), `/` (BigQuery raises on a zero divisor), unnamed select-list items
 * (column-names.ts), FROM items (tables, joins, UNNEST) and DML targets. Any other node type is
 * rejected by name. The handlers and the walk recurse into each other, so they live together.
 */
import { implicitColumnNames } from './column-names.js';
import type { Ctx } from './context.js';
import { argItems, type Node, nameOf, pathOf, raw, s } from './cst.js';
import { UnsupportedSqlError } from './errors.js';
import { AGGREGATES_WITH_MODIFIERS, FUNCTIONS, funcName, plainFuncArgs } from './functions.js';
import { normaliseTimestamp } from './parameters.js';
import { PASS_THROUGH } from './pass-through.js';
import { quoteIdent, quoteString } from './quoting.js';
import { tableName } from './relations.js';
import { dataType } from './types.js';

export function tx(node: Node, ctx: Ctx): Node {
  if (Array.isArray(node)) return node.map((n) => tx(n, ctx));
  if (!node || typeof node !== 'object' || typeof node.type !== 'string') return node;
  if (node.type === 'space' || node.type === 'newline' || node.type.endsWith('_comment')) return node;
  const handler = HANDLERS[node.type];
  if (handler) return handler(node, ctx);
  if (!PASS_THROUGH.has(node.type)) throw new UnsupportedSqlError(node.type.replace(/_/g, ' '));
  return txChildren(node, ctx);
}

export function txChildren(node: Node, ctx: Ctx): Node {
  for (const key of Object.keys(node)) {
    if (key === 'leading' || key === 'trailing' || key === 'range' || key === 'type') continue;
    node[key] = tx(node[key], ctx);
  }
  return node;
}

function funcCall(fn: Node, ctx: Ctx): Node {
  const { name, safe } = funcName(fn);
  if (name === 'ARRAY') {
    const items = argItems(fn);
    if (items.length !== 1) throw new UnsupportedSqlError('ARRAY(...) without a subquery');
    return raw(`ARRAY(${s(tx(items[0], ctx))})`, fn);
  }
  fn.args = tx(fn.args, ctx);
  if (fn.over) fn.over = tx(fn.over, ctx);
  const over = fn.over ? ` ${s(fn.over).trim()}` : '';
  if (AGGREGATES_WITH_MODIFIERS.has(name)) {
    const fa = fn.args?.expr;
    if (fa?.type === 'func_args' && (fa.distinctKw || fa.nullHandlingKw || fa.orderBy || fa.limit)) {
      if (fa.limit || fa.having) throw new UnsupportedSqlError(`${name}(... LIMIT/HAVING)`);
      const items = (fa.args?.items ?? []).map((x: Node) => s(x).trim());
      const distinct = fa.distinctKw ? 'DISTINCT ' : '';
      const order = fa.orderBy ? ` ${s(fa.orderBy).trim()}` : '';
      const ignoreNulls =
        Array.isArray(fa.nullHandlingKw) && String(fa.nullHandlingKw[0]?.name).toUpperCase() === 'IGNORE';
      const duckName = name === 'ARRAY_AGG' ? 'array_agg' : name.toLowerCase();
      if (ignoreNulls && over) throw new UnsupportedSqlError(`${name}(... IGNORE NULLS) OVER`);
      // DuckDB has no IGNORE NULLS for aggregates; a FILTER clause drops the NULL inputs the same way.
      const filter = ignoreNulls ? ` FILTER (WHERE (${items[0]}) IS NOT NULL)` : '';
      const text = `${duckName}(${distinct}${items.join(', ')}${order})${filter}${over}`;
      return raw(safe ? `TRY(${text})` : text, fn);
    }
    if (name === 'ARRAY_AGG' || name === 'STRING_AGG') {
      const items = argItems(fn).map((x: Node) => s(x).trim());
      const text = `${name === 'ARRAY_AGG' ? 'array_agg' : 'string_agg'}(${items.join(', ')})${over}`;
      return raw(safe ? `TRY(${text})` : text, fn);
    }
  }
  const rewrite = FUNCTIONS[name];
  if (!rewrite) throw new UnsupportedSqlError(`function ${name}`);
  const nodes = plainFuncArgs(fn, name);
  const args = nodes.map((x: Node) => s(x).trim());
  const text = `${rewrite(args, nodes, fn)}${over}`;
  return raw(safe ? `TRY(${text})` : text, fn);
}

function structLiteral(items: Node[], ctx: Ctx, like: Node): Node {
  const fields = items.map((it: Node, i: number) => {
    let name: string | undefined;
    let expr = it;
    if (it.type === 'alias') {
      name = nameOf(it.alias);
      expr = it.expr;
    } else if (it.type === 'identifier') name = nameOf(it);
    else if (it.type === 'member_expr') name = nameOf(it.property);
    return `${quoteString(name ?? `_field_${i + 1}`)}: ${s(tx(expr, ctx)).trim()}`;
  });
  return raw(`{${fields.join(', ')}}`, like);
}

/** FROM items: tables (dataset-qualified), subqueries, joins, UNNEST. */
function fromItem(n: Node, ctx: Ctx): Node {
  switch (n.type) {
    case 'join_expr':
      n.left = fromItem(n.left, ctx);
      n.right = fromItem(n.right, ctx);
      if (n.specification) n.specification = tx(n.specification, ctx);
      return n;
    case 'alias': {
      const e = n.expr;
      if (e.type === 'unnest_expr') return unnestItem(e, n, undefined, ctx);
      if (e.type === 'unnest_with_offset_expr') {
        if (e.unnest?.type !== 'alias' || e.unnest.expr?.type !== 'unnest_expr')
          throw new UnsupportedSqlError('UNNEST WITH OFFSET without an element alias');
        return unnestItem(e.unnest.expr, e.unnest, nameOf(n.alias), ctx, n);
      }
      n.expr = fromItem(e, ctx);
      return n;
    }
    case 'identifier':
    case 'member_expr':
    case 'bigquery_quoted_member_expr':
      return raw(tableName(n, ctx), n);
    case 'paren_expr':
      n.expr = n.expr?.type === 'join_expr' ? fromItem(n.expr, ctx) : tx(n.expr, ctx);
      return n;
    case 'unnest_expr':
    case 'unnest_with_offset_expr':
      throw new UnsupportedSqlError('UNNEST in FROM without an alias');
    default:
      throw new UnsupportedSqlError(`FROM item ${n.type.replace(/_/g, ' ')}`);
  }
}

let unnestCounter = 0;

/**
 * BigQuery's `UNNEST(arr) AS e [WITH OFFSET AS o]` names the element itself; DuckDB names a table with a
 * column. WITH OFFSET is 0-based in BigQuery and WITH ORDINALITY 1-based in DuckDB, hence the subquery.
 */
function unnestItem(
  unnest: Node,
  aliasNode: Node,
  offsetAlias: string | undefined,
  ctx: Ctx,
  outer?: Node,
): Node {
  const elem = nameOf(aliasNode.alias);
  if (!elem) throw new UnsupportedSqlError('UNNEST alias');
  const arr = s(tx(unnest.expr, ctx)).trim();
  const t = `_unnest_${++unnestCounter}`;
  if (offsetAlias === undefined)
    return raw(`unnest(${arr}) AS ${t}(${quoteIdent(elem)})`, outer ?? aliasNode);
  return raw(
    `(SELECT _v AS ${quoteIdent(elem)}, _o - 1 AS ${quoteIdent(offsetAlias)} FROM unnest(${arr}) WITH ORDINALITY AS _u(_v, _o)) AS ${t}`,
    outer ?? aliasNode,
  );
}

const HANDLERS: Record<string, (n: Node, ctx: Ctx) => Node> = {
  identifier: (n) => {
    if (String(n.text).startsWith('`')) {
      const name: string = n.name ?? n.text.slice(1, -1);
      return raw(name.split('.').map(quoteIdent).join('.'), n);
    }
    return n;
  },
  member_expr: (n, ctx) => {
    n.object = tx(n.object, ctx);
    if (n.property?.type === 'array_subscript' || n.property?.type === 'array_subscript_specifier')
      throw new UnsupportedSqlError('array subscript');
    n.property = tx(n.property, ctx);
    return n;
  },
  bigquery_quoted_member_expr: (n) => {
    const path = pathOf(n) ?? [];
    return raw(path.map(quoteIdent).join('.'), n);
  },
  parameter: (n, ctx) => {
    const text = String(n.text);
    if (!text.startsWith('@')) throw new UnsupportedSqlError('positional parameter', text);
    const name = text.slice(1).replace(/^`|`$/g, '').toLowerCase();
    const lit = ctx.params.get(name);
    if (lit === undefined) throw new UnsupportedSqlError(`query parameter @${name}`, 'no value supplied');
    return raw(lit, n);
  },
  string_literal: (n) => {
    if (/^[bB]/.test(String(n.text))) throw new UnsupportedSqlError('BYTES literal');
    return raw(quoteString(String(n.value)), n);
  },
  timestamp_literal: (n) => raw(`TIMESTAMP ${quoteString(normaliseTimestamp(String(n.string.value)))}`, n),
  datetime_literal: (n) => raw(`TIMESTAMP ${quoteString(normaliseTimestamp(String(n.string.value)))}`, n),
  json_literal: (n) => raw(`CAST(${quoteString(String(n.string.value))} AS JSON)`, n),
  cast_expr: (n, ctx) => {
    const kw = String(n.castKw?.name ?? 'CAST').toUpperCase();
    const arg = n.args?.expr;
    if (arg?.type !== 'cast_arg') throw new UnsupportedSqlError(`${kw} form`);
    if (arg.format) throw new UnsupportedSqlError(`${kw} ... FORMAT`);
    const inner = s(tx(arg.expr, ctx)).trim();
    const duck = dataType(arg.dataType);
    return raw(`${kw === 'SAFE_CAST' ? 'TRY_CAST' : 'CAST'}(${inner} AS ${duck})`, n);
  },
  func_call: funcCall,
  except_columns: (n, ctx) => {
    const cols = (n.columns?.expr?.items ?? []).map((c: Node) => s(tx(c, ctx)).trim());
    const star = s(tx(n.expr, ctx)).trim();
    return raw(`${star} EXCLUDE (${cols.join(', ')})`, n);
  },
  typed_expr: (n, ctx) => {
    const dt = n.dataType;
    const kw = String(dt?.typeKw?.name ?? '').toUpperCase();
    if (n.expr?.type === 'struct_expr') {
      const lit = structLiteral(n.expr.expr?.items ?? [], ctx, n);
      const hasParams = (dt?.params?.params?.items ?? []).length > 0;
      return hasParams ? raw(`CAST(${lit.text} AS ${dataType(dt)})`, n) : lit;
    }
    if (kw === 'ARRAY' && n.expr?.type === 'array_expr') {
      const items = (n.expr.expr?.items ?? []).map((x: Node) => s(tx(x, ctx)).trim());
      return raw(`CAST([${items.join(', ')}] AS ${dataType(dt)})`, n);
    }
    throw new UnsupportedSqlError(`typed expression ${kw}`);
  },
  struct_expr: (n, ctx) => structLiteral(n.expr?.items ?? [], ctx, n),
  from_clause: (n, ctx) => {
    n.expr = fromItem(n.expr, ctx);
    return n;
  },
  with_clause: (n, ctx) => {
    if (n.recursiveKw) throw new UnsupportedSqlError('WITH RECURSIVE');
    for (const cte of n.tables?.items ?? []) {
      const nm = nameOf(cte.table);
      if (nm) ctx.cteNames.add(nm.toLowerCase());
      // BigQuery recomputes a CTE per reference; DuckDB can compute it once. Same result, less work.
      if (nm && (ctx.cteRefs.get(nm.toLowerCase()) ?? 0) >= 2 && cte.asKw && !cte.materializedKw)
        cte.asKw = { ...cte.asKw, text: 'AS MATERIALIZED' };
    }
    return txChildren(n, ctx);
  },
  binary_expr: (n, ctx) => {
    const op = Array.isArray(n.operator)
      ? n.operator.map((k: Node) => String(k.name).toUpperCase()).join(' ')
      : typeof n.operator === 'string'
        ? n.operator
        : String(n.operator?.name ?? '').toUpperCase();
    if ((op === 'IN' || op === 'NOT IN') && n.right?.type === 'unnest_expr') {
      const left = s(tx(n.left, ctx)).trim();
      const arr = s(tx(n.right.expr, ctx)).trim();
      // x IN UNNEST(arr) is membership; BigQuery yields NULL for a NULL x, list_contains too.
      const text = `list_contains(${arr}, ${left})`;
      return raw(op === 'IN' ? `(${text})` : `(NOT ${text})`, n);
    }
    if (op === '/') return raw(`bq_divide(${s(tx(n.left, ctx)).trim()}, ${s(tx(n.right, ctx)).trim()})`, n);
    return txChildren(n, ctx);
  },
  insert_clause: (n, ctx) => {
    n.table = fromTarget(n.table, ctx);
    return txChildren(n, ctx);
  },
  delete_clause: (n, ctx) => {
    if (n.tables?.type === 'list_expr') n.tables.items = n.tables.items.map((t: Node) => fromTarget(t, ctx));
    else if (n.table) n.table = fromTarget(n.table, ctx);
    return txChildren(n, ctx);
  },
  update_clause: (n, ctx) => {
    if (n.tables?.type === 'list_expr') n.tables.items = n.tables.items.map((t: Node) => fromTarget(t, ctx));
    return txChildren(n, ctx);
  },
  merge_clause: (n, ctx) => {
    n.target = fromTarget(n.target, ctx);
    n.source = fromItem(n.source, ctx);
    return txChildren(n, ctx);
  },
  select_clause: (n, ctx) => {
    const names = implicitColumnNames(n);
    txChildren(n, ctx);
    const items: Node[] = n.columns?.items ?? [];
    for (const [index, name] of names)
      items[index] = raw(`${s(items[index]).trim()} AS ${quoteIdent(name)}`, items[index]);
    return n;
  },
  select_stmt: (n, ctx) => {
    for (const c of n.clauses ?? []) {
      if (c.type === 'select_clause' && c.asStructKw) throw new UnsupportedSqlError('SELECT AS STRUCT');
      if (c.type === 'select_clause' && c.asKw) throw new UnsupportedSqlError('SELECT AS VALUE');
    }
    return txChildren(n, ctx);
  },
};

function fromTarget(n: Node, ctx: Ctx): Node {
  if (!n) return n;
  if (n.type === 'alias') {
    n.expr = raw(tableName(n.expr, ctx), n.expr);
    return n;
  }
  return raw(tableName(n, ctx), n);
}

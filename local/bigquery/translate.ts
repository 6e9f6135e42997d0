/**
 * The BigQuery -> DuckDB compatibility layer. BigQuery SQL is parsed with a real BigQuery-dialect parser
 * (sql-parser-cst), the syntax DuckDB spells differently is rewritten on the tree, and the functions whose
 * semantics differ are routed to `bq_*` macros (see macros.ts). Anything outside the documented subset
 * (docs/warehouse.md) is rejected with an UnsupportedSqlError naming the construct: a wrong answer from
 * a silently mistranslated query would be worse than an error.
 */
import { parse, show } from 'sql-parser-cst';

// The CST is a large discriminated union; the rewriter treats it structurally.
// biome-ignore lint/suspicious/noExplicitAny: structural walk over sql-parser-cst nodes
type Node = any;

export class UnsupportedSqlError extends Error {
  constructor(
    readonly construct: string,
    detail?: string,
  ) {
    super(
      `Unsupported BigQuery construct for the local warehouse: ${construct}${detail ? ` (${detail})` : ''}`,
    );
    this.name = 'UnsupportedSqlError';
  }
}

export class SqlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlSyntaxError';
  }
}

// ------------------------------------------------------------------------------------------ types

export type BqMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';
export interface BqField {
  name: string;
  type: string;
  mode?: BqMode;
  fields?: BqField[];
  description?: string;
}

export interface BqParameterType {
  type: string;
  arrayType?: BqParameterType;
  structTypes?: { name?: string; type: BqParameterType }[];
}
export interface BqParameterValue {
  value?: string | number | boolean | null;
  arrayValues?: BqParameterValue[];
  structValues?: Record<string, BqParameterValue>;
}
export interface BqQueryParameter {
  name?: string;
  parameterType: BqParameterType;
  parameterValue?: BqParameterValue;
}

/** Canonical (standard SQL) name of a BigQuery scalar type, accepting the legacy REST names. */
export function canonicalType(t: string): string {
  const u = t.toUpperCase();
  switch (u) {
    case 'INTEGER':
    case 'INT':
    case 'SMALLINT':
    case 'BIGINT':
    case 'TINYINT':
    case 'BYTEINT':
      return 'INT64';
    case 'FLOAT':
      return 'FLOAT64';
    case 'BOOLEAN':
      return 'BOOL';
    case 'RECORD':
      return 'STRUCT';
    case 'DECIMAL':
      return 'NUMERIC';
    default:
      return u;
  }
}

const SCALAR_TO_DUCK: Record<string, string> = {
  STRING: 'VARCHAR',
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  BOOL: 'BOOLEAN',
  DATE: 'DATE',
  // TIMESTAMP is an absolute instant; the local warehouse stores it as UTC wall time.
  TIMESTAMP: 'TIMESTAMP',
  DATETIME: 'TIMESTAMP',
  TIME: 'TIME',
  JSON: 'JSON',
  BYTES: 'BLOB',
};

export function duckScalarType(bqType: string): string {
  const d = SCALAR_TO_DUCK[canonicalType(bqType)];
  if (!d) throw new UnsupportedSqlError(`type ${bqType}`);
  return d;
}

/** DuckDB column type for a BigQuery REST schema field (mode REPEATED becomes a list). */
export function duckTypeForField(f: BqField): string {
  const t = canonicalType(f.type);
  const base =
    t === 'STRUCT'
      ? `STRUCT(${(f.fields ?? []).map((c) => `${quoteIdent(c.name)} ${duckTypeForField(c)}`).join(', ')})`
      : duckScalarType(t);
  return f.mode === 'REPEATED' ? `${base}[]` : base;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

// ------------------------------------------------------------------------------------------ parameters

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const TS_RE =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A BigQuery TIMESTAMP text (any offset) as a UTC wall-clock literal body `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function normaliseTimestamp(text: string, forParam = 'TIMESTAMP'): string {
  const m = TS_RE.exec(text.trim());
  if (!m) throw new UnsupportedSqlError(`${forParam} value`, `cannot parse ${JSON.stringify(text)}`);
  const [, date, hh = '00', mi = '00', ss = '00', frac = '', off] = m;
  const micros = `${frac}000000`.slice(0, 6);
  let offsetMinutes = 0;
  if (off && !/^(z|utc)$/i.test(off)) {
    const om = /^([+-])(\d{2}):?(\d{2})?$/.exec(off);
    if (!om) throw new UnsupportedSqlError(`${forParam} value`, `bad offset in ${JSON.stringify(text)}`);
    offsetMinutes = (om[1] === '-' ? -1 : 1) * (Number(om[2]) * 60 + Number(om[3] ?? '0'));
  }
  const ms = Date.parse(`${date}T${hh}:${mi}:${ss}Z`) - offsetMinutes * 60_000;
  if (Number.isNaN(ms)) throw new UnsupportedSqlError(`${forParam} value`, `invalid ${JSON.stringify(text)}`);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}`;
}

/** Renders a BigQuery query parameter as a typed DuckDB literal; values are validated, never spliced raw. */
export function parameterLiteral(type: BqParameterType, value: BqParameterValue | undefined): string {
  const t = canonicalType(type.type);
  if (t === 'ARRAY') {
    if (!type.arrayType) throw new UnsupportedSqlError('ARRAY parameter without arrayType');
    const elemType = paramDuckType(type.arrayType);
    const items = value?.arrayValues ?? [];
    return `CAST([${items.map((v) => parameterLiteral(type.arrayType as BqParameterType, v)).join(', ')}] AS ${elemType}[])`;
  }
  if (t === 'STRUCT') {
    const fields = type.structTypes ?? [];
    if (value?.structValues === undefined) return `CAST(NULL AS ${paramDuckType(type)})`;
    const sv = value.structValues;
    return `{${fields
      .map((f, i) => {
        const name = f.name ?? `_field_${i + 1}`;
        return `${quoteString(name)}: ${parameterLiteral(f.type, sv[name])}`;
      })
      .join(', ')}}`;
  }
  const duck = duckScalarType(t);
  const given: unknown = value?.value;
  if (given === undefined || given === null) return `CAST(NULL AS ${duck})`;
  // Clients send scalars as JSON strings, but some send booleans and numbers as such.
  const raw = typeof given === 'string' ? given : String(given);
  switch (t) {
    case 'STRING':
      return quoteString(raw);
    case 'INT64':
      if (!/^-?\d+$/.test(raw)) throw new UnsupportedSqlError('INT64 parameter', `not an integer: ${raw}`);
      return `CAST(${raw} AS BIGINT)`;
    case 'FLOAT64':
    case 'NUMERIC':
      if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw) && !/^(NaN|-?Infinity)$/.test(raw))
        throw new UnsupportedSqlError(`${t} parameter`, `not a number: ${raw}`);
      return `CAST(${quoteString(raw)} AS ${duck})`;
    case 'BOOL':
      if (!/^(true|false)$/i.test(raw))
        throw new UnsupportedSqlError('BOOL parameter', `not a boolean: ${raw}`);
      return raw.toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
    case 'DATE':
      if (!DATE_RE.test(raw)) throw new UnsupportedSqlError('DATE parameter', `not YYYY-MM-DD: ${raw}`);
      return `DATE ${quoteString(raw)}`;
    case 'TIMESTAMP':
    case 'DATETIME':
      return `TIMESTAMP ${quoteString(normaliseTimestamp(raw, `${t} parameter`))}`;
    case 'JSON':
      return `CAST(${quoteString(raw)} AS JSON)`;
    default:
      throw new UnsupportedSqlError(`${t} parameter`);
  }
}

function paramDuckType(type: BqParameterType): string {
  const t = canonicalType(type.type);
  if (t === 'ARRAY') return `${paramDuckType(type.arrayType as BqParameterType)}[]`;
  if (t === 'STRUCT')
    return `STRUCT(${(type.structTypes ?? [])
      .map((f, i) => `${quoteIdent(f.name ?? `_field_${i + 1}`)} ${paramDuckType(f.type)}`)
      .join(', ')})`;
  return duckScalarType(t);
}

// ------------------------------------------------------------------------------------------ rewriting

/** Node types that mean the same in DuckDB once their children are rewritten. */
const PASS_THROUGH = new Set([
  'program',
  'empty',
  'select_stmt',
  'compound_select_stmt',
  'select_clause',
  'select_distinct',
  'select_all',
  'where_clause',
  'group_by_clause',
  'having_clause',
  'qualify_clause',
  'order_by_clause',
  'limit_clause',
  'with_clause',
  'common_table_expr',
  'paren_expr',
  'list_expr',
  'binary_expr',
  'prefix_op_expr',
  'postfix_op_expr',
  'alias',
  'all_columns',
  'keyword',
  'case_expr',
  'case_when',
  'case_else',
  'between_expr',
  'join_on_specification',
  'join_using_specification',
  'number_literal',
  'boolean_literal',
  'null_literal',
  'date_literal',
  'interval_literal',
  'interval_unit',
  'extract_expr',
  'extract_from',
  'sort_specification',
  'over_arg',
  'window_definition',
  'partition_by_clause',
  'frame_clause',
  'frame_bound_current_row',
  'frame_unbounded',
  'frame_bound_preceding',
  'frame_bound_following',
  'array_expr',
  'func_args',
  'distinct_arg',
  'named_window',
  'window_clause',
  'set_clause',
  'column_assignment',
  'insert_stmt',
  'values_clause',
  'default_values',
  'delete_stmt',
  'update_stmt',
  'merge_stmt',
  'merge_when_clause',
  'merge_action_delete',
  'merge_action_update',
  'merge_action_insert',
  'merge_action_insert_row_clause',
  'truncate_stmt',
  'drop_table_stmt',
  'drop_view_stmt',
  'create_table_stmt',
  'create_view_stmt',
  'column_definition',
  'constraint_not_null',
  'data_type_name',
  'parametric_data_type',
  'generic_type_params',
  'array_type_param',
  'struct_type_param',
  'cast_arg',
  'exists_expr',
  'replace_columns',
]);

interface Ctx {
  params: Map<string, string>;
  /** Names of CTEs in scope, never dataset-qualified. */
  cteNames: Set<string>;
  /** References per CTE name in the statement (a CTE read twice is materialised once). */
  cteRefs: Map<string, number>;
  /** Views to expand as CTEs (dataset.view, lower-case) and how often each is read. */
  expandViews?: ReadonlySet<string>;
  viewsRead: Map<string, number>;
}

/** The CTE name a view is expanded under (see expandViewsAsCtes). */
export function viewCteName(relation: string): string {
  return `"__view__${relation.replace('.', '__')}"`;
}

function raw(text: string, like?: Node): Node {
  return { type: 'identifier', text, name: text, leading: like?.leading, trailing: like?.trailing };
}

function nameOf(n: Node): string | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') return n.name ?? n.text;
  return undefined;
}

/** Dotted path of a table reference (a.b.c, `a.b.c`, `a`.`b`), unquoted. */
function pathOf(n: Node): string[] | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') {
    const name: string = n.name ?? n.text;
    return n.text.startsWith('`') ? name.split('.') : [name];
  }
  if (n.type === 'member_expr') {
    const left = pathOf(n.object);
    const right = pathOf(n.property);
    return left && right ? [...left, ...right] : undefined;
  }
  if (n.type === 'bigquery_quoted_member_expr') return pathOf(n.expr);
  return undefined;
}

/** project.dataset.table -> "dataset"."table": the local warehouse holds one project. */
function tableName(n: Node, ctx: Ctx): string {
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

function tx(node: Node, ctx: Ctx): Node {
  if (Array.isArray(node)) return node.map((n) => tx(n, ctx));
  if (!node || typeof node !== 'object' || typeof node.type !== 'string') return node;
  if (node.type === 'space' || node.type === 'newline' || node.type.endsWith('_comment')) return node;
  const handler = HANDLERS[node.type];
  if (handler) return handler(node, ctx);
  if (!PASS_THROUGH.has(node.type)) throw new UnsupportedSqlError(node.type.replace(/_/g, ' '));
  return txChildren(node, ctx);
}

function txChildren(node: Node, ctx: Ctx): Node {
  for (const key of Object.keys(node)) {
    if (key === 'leading' || key === 'trailing' || key === 'range' || key === 'type') continue;
    node[key] = tx(node[key], ctx);
  }
  return node;
}

const s = (n: Node): string => (n === undefined || n === null ? '' : show(n));

function argItems(fn: Node): Node[] {
  const args = fn.args?.expr;
  if (!args) return [];
  if (args.type === 'func_args') return args.args?.items ?? [];
  if (args.type === 'list_expr') return args.items;
  return [args];
}

function plainFuncArgs(fn: Node, name: string): Node[] {
  const fa = fn.args?.expr;
  if (fa?.type === 'func_args' && (fa.distinctKw || fa.nullHandlingKw || fa.orderBy || fa.limit || fa.having))
    throw new UnsupportedSqlError(`${name}(DISTINCT/ORDER BY/IGNORE NULLS ...)`);
  return argItems(fn);
}

/** A date part given as a bare word (DAY) in DATE_DIFF & co. */
function partOf(n: Node, fn: string): string {
  const t = (nameOf(n) ?? n?.unitKw?.name ?? n?.name ?? '').toString().toLowerCase();
  if (!/^(microsecond|millisecond|second|minute|hour|day|week|month|quarter|year)$/.test(t))
    throw new UnsupportedSqlError(`${fn} date part`, show(n).trim());
  return t;
}

type FnRewrite = (args: string[], argNodes: Node[], fn: Node) => string;

const renamed =
  (to: string, arity?: number[]): FnRewrite =>
  (args, _n, fn) => {
    if (arity && !arity.includes(args.length))
      throw new UnsupportedSqlError(`${s(fn.name).trim()} with ${args.length} arguments`);
    return `${to}(${args.join(', ')})`;
  };

/** BigQuery functions the subset allows, with their DuckDB spelling. Unlisted functions are rejected. */
const FUNCTIONS: Record<string, FnRewrite> = {
  // JSON: BigQuery returns NULL for invalid JSON and for non-scalars in JSON_VALUE; the macros do too.
  JSON_VALUE: (a) => `bq_json_value(${a[0]}, ${a[1] ?? "'$'"})`,
  JSON_EXTRACT_SCALAR: (a) => `bq_json_value(${a[0]}, ${a[1] ?? "'$'"})`,
  JSON_QUERY: (a) => `bq_json_query(${a[0]}, ${a[1] ?? "'$'"})`,
  JSON_EXTRACT: (a) => `bq_json_query(${a[0]}, ${a[1] ?? "'$'"})`,
  JSON_VALUE_ARRAY: (a) => `bq_json_value_array(${a[0]}, ${a[1] ?? "'$'"})`,
  JSON_EXTRACT_STRING_ARRAY: (a) => `bq_json_value_array(${a[0]}, ${a[1] ?? "'$'"})`,
  PARSE_JSON: renamed('bq_parse_json', [1]),
  TO_JSON_STRING: renamed('bq_to_json_string', [1]),
  // Dates and times: argument order and result types differ.
  DATE_SUB: (a, n) => `CAST((${a[0]}) - ${intervalOf(n[1], 'DATE_SUB')} AS DATE)`,
  DATE_ADD: (a, n) => `CAST((${a[0]}) + ${intervalOf(n[1], 'DATE_ADD')} AS DATE)`,
  DATE_DIFF: (a, n) => `date_diff('${partOf(n[2], 'DATE_DIFF')}', ${a[1]}, ${a[0]})`,
  TIMESTAMP_SUB: (a, n) => `((${a[0]}) - ${intervalOf(n[1], 'TIMESTAMP_SUB')})`,
  TIMESTAMP_ADD: (a, n) => `((${a[0]}) + ${intervalOf(n[1], 'TIMESTAMP_ADD')})`,
  // BigQuery counts whole elapsed units; DuckDB's date_sub does the same (date_diff counts boundaries).
  TIMESTAMP_DIFF: (a, n) => `date_sub('${partOf(n[2], 'TIMESTAMP_DIFF')}', ${a[1]}, ${a[0]})`,
  DATE_TRUNC: (a, n) => `CAST(date_trunc('${partOf(n[1], 'DATE_TRUNC')}', ${a[0]}) AS DATE)`,
  TIMESTAMP_TRUNC: (a, n) => `date_trunc('${partOf(n[1], 'TIMESTAMP_TRUNC')}', ${a[0]})`,
  DATE: (a, _n, fn) => {
    if (a.length === 1) return `CAST(${a[0]} AS DATE)`;
    if (a.length === 3) return `make_date(${a.join(', ')})`;
    throw new UnsupportedSqlError(`DATE with ${a.length} arguments`, s(fn));
  },
  TIMESTAMP: (a, _n, fn) => {
    if (a.length === 1) return `bq_timestamp(${a[0]})`;
    throw new UnsupportedSqlError(`TIMESTAMP with ${a.length} arguments (time zones)`, s(fn));
  },
  CURRENT_DATE: (a) => {
    if (a.length) throw new UnsupportedSqlError('CURRENT_DATE(time zone)');
    return 'CAST(current_timestamp AS DATE)';
  },
  CURRENT_TIMESTAMP: () => 'CAST(current_timestamp AS TIMESTAMP)',
  UNIX_MICROS: renamed('epoch_us', [1]),
  UNIX_SECONDS: (a) => `CAST(epoch(${a[0]}) AS BIGINT)`,
  FORMAT_DATE: (a) => `strftime(${a[1]}, ${a[0]})`,
  // Plain renames and same-name functions.
  IF: renamed('if', [3]),
  IFNULL: renamed('ifnull', [2]),
  COALESCE: renamed('coalesce'),
  NULLIF: renamed('nullif', [2]),
  COUNTIF: renamed('count_if', [1]),
  LOGICAL_OR: renamed('bool_or', [1]),
  LOGICAL_AND: renamed('bool_and', [1]),
  ARRAY_LENGTH: (a) => `len(${a[0]})`,
  ARRAY_TO_STRING: renamed('array_to_string', [2]),
  ARRAY_CONCAT: renamed('list_concat'),
  SPLIT: (a) => `string_split(${a[0]}, ${a[1] ?? "','"})`,
  REGEXP_CONTAINS: renamed('regexp_matches', [2]),
  STARTS_WITH: renamed('starts_with', [2]),
  ENDS_WITH: renamed('ends_with', [2]),
  CONCAT: renamed('concat'),
  LOWER: renamed('lower', [1]),
  UPPER: renamed('upper', [1]),
  LENGTH: renamed('length', [1]),
  TRIM: renamed('trim', [1, 2]),
  SUBSTR: renamed('substr', [2, 3]),
  REPLACE: renamed('replace', [3]),
  ABS: renamed('abs', [1]),
  MOD: renamed('mod', [2]),
  DIV: (a) => `(${a[0]} // ${a[1]})`,
  ROUND: renamed('round', [1, 2]),
  CAST: renamed('cast'),
  // Aggregates and window functions whose plain form means the same.
  COUNT: renamed('count'),
  SUM: renamed('sum', [1]),
  MIN: renamed('min', [1]),
  MAX: renamed('max', [1]),
  AVG: renamed('avg', [1]),
  ANY_VALUE: renamed('any_value', [1]),
  ROW_NUMBER: renamed('row_number', [0]),
  RANK: renamed('rank', [0]),
  DENSE_RANK: renamed('dense_rank', [0]),
  LAG: renamed('lag', [1, 2, 3]),
  LEAD: renamed('lead', [1, 2, 3]),
  FIRST_VALUE: renamed('first_value', [1]),
  LAST_VALUE: renamed('last_value', [1]),
};

/** Aggregates whose modifiers (DISTINCT, ORDER BY, IGNORE NULLS) are translated, not rejected. */
const AGGREGATES_WITH_MODIFIERS = new Set(['ARRAY_AGG', 'STRING_AGG', 'COUNT', 'SUM', 'MIN', 'MAX']);

function intervalOf(n: Node, fn: string): string {
  if (n?.type !== 'interval_literal' && n?.type !== 'identifier')
    throw new UnsupportedSqlError(`${fn} without an INTERVAL argument`);
  return s(n).trim();
}

function funcName(fn: Node): { name: string; safe: boolean } {
  const n = fn.name;
  if (n.type === 'identifier') return { name: String(n.name ?? n.text).toUpperCase(), safe: false };
  if (n.type === 'member_expr' && nameOf(n.object)?.toUpperCase() === 'SAFE')
    return { name: String(nameOf(n.property)).toUpperCase(), safe: true };
  throw new UnsupportedSqlError('function name', show(n));
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

function dataType(n: Node): string {
  if (n.type === 'data_type_name') {
    const words = Array.isArray(n.name) ? n.name : [n.name];
    return duckScalarType(words.map((w: Node) => w.name ?? w.text).join(' '));
  }
  if (n.type === 'parametric_data_type') {
    const kw = String(n.typeKw?.name ?? '').toUpperCase();
    const params: Node[] = n.params?.params?.items ?? n.params?.expr?.items ?? [];
    if (kw === 'ARRAY') {
      const inner = params[0]?.dataType;
      if (!inner) throw new UnsupportedSqlError('ARRAY type without element type');
      return `${dataType(inner)}[]`;
    }
    if (kw === 'STRUCT') {
      if (params.length === 0) throw new UnsupportedSqlError('STRUCT type without fields');
      return `STRUCT(${params
        .map(
          (p: Node, i: number) =>
            `${quoteIdent(nameOf(p.name) ?? `_field_${i + 1}`)} ${dataType(p.dataType)}`,
        )
        .join(', ')})`;
    }
    // STRING(10), NUMERIC(10, 2): the local warehouse ignores length limits.
    return duckScalarType(kw);
  }
  throw new UnsupportedSqlError(`data type ${n.type}`);
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

// ------------------------------------------------------------------------------------------ statements

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

const PARSE_OPTIONS = {
  dialect: 'bigquery',
  paramTypes: ['@name'],
  includeSpaces: true,
  includeNewlines: true,
  includeComments: true,
} as const;

/** Parses BigQuery SQL into statements (throws SqlSyntaxError with the parser's message). */
export function parseBigQuery(sql: string): Node {
  try {
    return parse(sql, PARSE_OPTIONS as never);
  } catch (e) {
    throw new SqlSyntaxError((e as Error).message);
  }
}

function datasetTable(n: Node): { dataset: string; table: string } {
  const path = pathOf(n);
  if (!path || path.length < 2 || path.length > 3)
    throw new UnsupportedSqlError('table name without a dataset', n ? show(n) : '');
  const p = path.slice(-2) as [string, string];
  return { dataset: p[0], table: p[1] };
}

function columnField(def: Node): BqField {
  const name = nameOf(def.name);
  if (!name) throw new UnsupportedSqlError('column name');
  const field = fieldForType(name, def.dataType);
  const notNull = (def.constraints ?? []).some((c: Node) => c.type === 'constraint_not_null');
  for (const c of def.constraints ?? []) {
    if (c.type !== 'constraint_not_null' && c.type !== 'bigquery_options')
      throw new UnsupportedSqlError(`column constraint ${c.type}`);
  }
  if (notNull && field.mode !== 'REPEATED') field.mode = 'REQUIRED';
  return field;
}

function fieldForType(name: string, dt: Node): BqField {
  if (dt.type === 'data_type_name') {
    const words = Array.isArray(dt.name) ? dt.name : [dt.name];
    const t = canonicalType(words.map((w: Node) => w.name ?? w.text).join(' '));
    duckScalarType(t);
    return { name, type: t, mode: 'NULLABLE' };
  }
  if (dt.type === 'parametric_data_type') {
    const kw = String(dt.typeKw?.name ?? '').toUpperCase();
    const params: Node[] = dt.params?.params?.items ?? [];
    if (kw === 'ARRAY') {
      const inner = fieldForType(name, params[0]?.dataType);
      return { ...inner, mode: 'REPEATED' };
    }
    if (kw === 'STRUCT')
      return {
        name,
        type: 'STRUCT',
        mode: 'NULLABLE',
        fields: params.map((p: Node) => fieldForType(nameOf(p.name) ?? 'f', p.dataType)),
      };
    return { name, type: canonicalType(kw), mode: 'NULLABLE' };
  }
  throw new UnsupportedSqlError(`column type ${dt.type}`);
}

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

/** Translates one BigQuery statement (a script of several is rejected: the project never sends one). */
/** Counts FROM references by bare name (CTE reads) anywhere in the tree. */
function countBareRefs(n: Node, out: Map<string, number>): void {
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

export interface TranslateOptions {
  /** Views (dataset.view, lower-case) to read as CTEs named viewCteName(); see expandViewsAsCtes. */
  expandViews?: ReadonlySet<string>;
  /** Filled with the views read and how often. */
  viewsRead?: Map<string, number>;
}

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

/**
 * Local execution strategy for views: instead of letting DuckDB inline a view at every place it is read
 * (a layered view graph reads its lower layers many times over), the query reads each view as a CTE, and
 * a view read more than once is materialised once per query. Same rows as inlining (views are
 * deterministic); the work is proportional to the view graph, not to the number of paths through it.
 *
 * `viewBodies` maps dataset.view (lower-case) to its BigQuery SELECT.
 */
export function expandViewsAsCtes(
  mainSql: string,
  mainViewsRead: ReadonlyMap<string, number>,
  viewBodies: ReadonlyMap<string, string>,
  translateBody: (relation: string) => { sql: string; viewsRead: ReadonlyMap<string, number> },
): string {
  if (mainViewsRead.size === 0) return mainSql;
  const refs = new Map<string, number>();
  const order: string[] = [];
  const bodies = new Map<string, string>();
  const visit = (rel: string, stack: string[]) => {
    if (bodies.has(rel)) return;
    if (stack.includes(rel)) throw new UnsupportedSqlError('recursive view', [...stack, rel].join(' -> '));
    if (!viewBodies.has(rel)) throw new UnsupportedSqlError(`view ${rel}`, 'unknown view');
    const t = translateBody(rel);
    bodies.set(rel, t.sql);
    for (const [dep, n] of t.viewsRead) {
      refs.set(dep, (refs.get(dep) ?? 0) + n);
      visit(dep, [...stack, rel]);
    }
    order.push(rel);
  };
  for (const [rel, n] of mainViewsRead) {
    refs.set(rel, (refs.get(rel) ?? 0) + n);
    visit(rel, []);
  }
  const ctes = order.map(
    (rel) =>
      `${viewCteName(rel)} AS ${(refs.get(rel) ?? 0) >= 2 ? 'MATERIALIZED ' : ''}(\n${bodies.get(rel)}\n)`,
  );
  const trimmed = mainSql.trimStart();
  if (/^WITH\s/i.test(trimmed)) return `WITH ${ctes.join(',\n')},\n${trimmed.slice(5)}`;
  return `WITH ${ctes.join(',\n')}\n${trimmed}`;
}

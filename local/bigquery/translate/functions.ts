/**
 * Function rewrites: the BigQuery functions the subset allows and their DuckDB spelling. Renames where the
 * semantics match, reordered arguments for the date functions, and the `bq_*` macros (macros.ts) where
 * DuckDB's nearest function differs. A function not listed is rejected by name.
 */
import { show } from 'sql-parser-cst';
import { argItems, type Node, nameOf, s } from './cst.js';
import { UnsupportedSqlError } from './errors.js';

export function plainFuncArgs(fn: Node, name: string): Node[] {
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

type FnRewrite = ((args: string[], argNodes: Node[], fn: Node) => string) & { duckName?: string };

/** Same meaning under a DuckDB name; the name is kept so engine errors can name the BigQuery function. */
const renamed = (to: string, arity?: number[]): FnRewrite =>
  Object.assign(
    (args: string[], _n: Node[], fn: Node) => {
      if (arity && !arity.includes(args.length))
        throw new UnsupportedSqlError(`${s(fn.name).trim()} with ${args.length} arguments`);
      return `${to}(${args.join(', ')})`;
    },
    { duckName: to },
  );

/** BigQuery functions the subset allows, with their DuckDB spelling. Unlisted functions are rejected. */
export const FUNCTIONS: Record<string, FnRewrite> = {
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
  ARRAY_LENGTH: renamed('len', [1]),
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
  // `/` raises on a zero divisor (rewrite.ts); these two are how BigQuery SQL asks for another answer.
  IEEE_DIVIDE: renamed('bq_ieee_divide', [2]),
  SAFE_DIVIDE: renamed('bq_safe_divide', [2]),
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

/** DuckDB function name -> the BigQuery function it stands for (the first listed, for shared names). */
const BIGQUERY_NAMES = new Map<string, string>();
for (const [name, rewrite] of Object.entries(FUNCTIONS)) {
  if (rewrite.duckName && !BIGQUERY_NAMES.has(rewrite.duckName)) BIGQUERY_NAMES.set(rewrite.duckName, name);
}

/** The BigQuery name of a function the engine reports by its DuckDB name (`bq_*` macros drop the prefix). */
export function bigQueryFunctionName(duckName: string): string {
  const lower = duckName.toLowerCase();
  return BIGQUERY_NAMES.get(lower) ?? lower.replace(/^bq_/, '').toUpperCase();
}

/** Aggregates whose modifiers (DISTINCT, ORDER BY, IGNORE NULLS) are translated, not rejected. */
export const AGGREGATES_WITH_MODIFIERS = new Set(['ARRAY_AGG', 'STRING_AGG', 'COUNT', 'SUM', 'MIN', 'MAX']);

function intervalOf(n: Node, fn: string): string {
  if (n?.type !== 'interval_literal' && n?.type !== 'identifier')
    throw new UnsupportedSqlError(`${fn} without an INTERVAL argument`);
  return s(n).trim();
}

export function funcName(fn: Node): { name: string; safe: boolean } {
  const n = fn.name;
  if (n.type === 'identifier') return { name: String(n.name ?? n.text).toUpperCase(), safe: false };
  if (n.type === 'member_expr' && nameOf(n.object)?.toUpperCase() === 'SAFE')
    return { name: String(nameOf(n.property)).toUpperCase(), safe: true };
  throw new UnsupportedSqlError('function name', show(n));
}

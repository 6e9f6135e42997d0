/**
 * Engine errors in BigQuery's words. DuckDB's messages name DuckDB types and functions, quote the translated
 * SQL (internal job tables, view CTEs) and sometimes paths; a client of a BigQuery endpoint must see what
 * BigQuery would say instead: `Unrecognized name: x at [1:8]`, `Not found: Table p:d.t was not found in
 * location US`, `No matching signature for operator + for argument types: INT64, STRING`,
 * `division by zero: 1 / 0`. An error with no BigQuery counterpart gets a generic message; the engine's own
 * text only ever travels as the error's in-process `cause`.
 */
import { BigQueryApiError, invalidQuery, notFound } from './api-error.js';
import { SqlSyntaxError, UnsupportedSqlError } from './translate/errors.js';
import { bigQueryFunctionName } from './translate/functions.js';
import { at } from './translate/positions.js';

export interface ErrorContext {
  /** The BigQuery SQL the client sent (positions are reported in it), when the error is about a query. */
  sql?: string;
  projectId: string;
  location: string;
}

const UNMAPPED =
  'The local BigQuery could not run this statement: the engine failed in a way BigQuery has no message for';

type Rule = [RegExp, (m: RegExpExecArray, ctx: ErrorContext, cause: unknown) => BigQueryApiError];

/** DuckDB's `Kind Error: first line` -> BigQuery. First match wins. */
const RULES: Record<string, Rule[]> = {
  Catalog: [
    [
      /^Table with name "?[^"]*"? does not exist because schema "?([^"]+?)"? does not exist/,
      (m, ctx, cause) => notFound(`Dataset ${ctx.projectId}:${m[1]}`, ctx.location, cause),
    ],
    [
      /^(?:Table|View) with name "?([^"!]+?)"? does not exist/,
      (m, ctx, cause) =>
        notFound(`Table ${ctx.projectId}:${qualified(m[1] as string, ctx.sql)}`, ctx.location, cause),
    ],
    [
      /^Schema with name "?([^"!]+?)"? does not exist/,
      (m, ctx, cause) => notFound(`Dataset ${ctx.projectId}:${m[1]}`, ctx.location, cause),
    ],
    [
      /^\w+ Function with name "?([^"!]+?)"? does not exist/,
      (m, _ctx, cause) => invalidQuery(`Function not found: ${bigQueryFunctionName(m[1] as string)}`, cause),
    ],
  ],
  Binder: [
    [
      /^Referenced column "([^"]+)" (?:not found|was not found)/,
      (m, ctx, cause) => unrecognized(m[1] as string, ctx, cause),
    ],
    [/^Referenced table "([^"]+)" not found/, (m, ctx, cause) => unrecognized(m[1] as string, ctx, cause)],
    [
      /^Table "([^"]+)" does not have a column named "([^"]+)"/,
      (m, ctx, cause) =>
        invalidQuery(`Name ${m[2]} not found inside ${m[1]}${at(ctx.sql, m[2] as string, m[1])}`, cause),
    ],
    [
      /^Ambiguous reference to column name "([^"]+)"/,
      (m, ctx, cause) =>
        invalidQuery(`Column name ${m[1]} is ambiguous${at(ctx.sql, m[1] as string)}`, cause),
    ],
    [
      /^column "([^"]+)" must appear in the GROUP BY clause/,
      (m, ctx, cause) =>
        invalidQuery(
          `SELECT list expression references column ${m[1]} which is neither grouped nor aggregated${at(ctx.sql, m[1] as string)}`,
          cause,
        ),
    ],
    [
      /(?:argument types '|function call ")([^(]+)\((.*)\)['"]/,
      (m, _ctx, cause) => noMatchingSignature(m[1] as string, m[2] as string, cause),
    ],
  ],
  Conversion: [
    [
      /^Could not convert string '(.*)' to (U?INT\d*|DOUBLE|FLOAT|BOOL|DECIMAL)/,
      (m, _ctx, cause) => invalidQuery(badValue(m[2] as string, m[1] as string), cause),
    ],
    [
      /^(?:invalid )?date field (?:format|value out of range): "([^"]*)"/,
      (m, _ctx, cause) => invalidQuery(`Invalid date: '${m[1]}'`, cause),
    ],
    [
      /^(?:invalid )?timestamp field (?:format|value out of range): "([^"]*)"/,
      (m, _ctx, cause) => invalidQuery(`Invalid timestamp: '${m[1]}'`, cause),
    ],
    [
      /^Type \S+ with value (\S+) can't be cast because the value is out of range for the destination type (\S+)/,
      (m, _ctx, cause) => invalidQuery(badValue(m[2] as string, m[1] as string), cause),
    ],
  ],
  'Out of Range': [
    [
      /^Overflow in \w+ of U?INT\d+ \((.*)\)/,
      (m, _ctx, cause) => invalidQuery(`int64 overflow: ${m[1]}`, cause),
    ],
  ],
  'Invalid Input': [
    // Raised by the bq_divide macro (macros.ts) in BigQuery's own words.
    [/^(division by zero: .*)$/, (m, _ctx, cause) => invalidQuery(m[1] as string, cause)],
  ],
  Parser: [
    [
      /^syntax error at or near "([^"]*)"/,
      (m, _ctx, cause) => invalidQuery(`Syntax error: Unexpected "${m[1]}"`, cause),
    ],
    [
      /^syntax error at end of input/,
      (_m, _ctx, cause) => invalidQuery('Syntax error: Unexpected end of script', cause),
    ],
  ],
  Constraint: [
    [
      /^NOT NULL constraint failed: (?:[^.\s]+\.)*([^.\s]+)/,
      (m, _ctx, cause) => invalidQuery(`Required field ${m[1]} cannot be null`, cause),
    ],
  ],
};

/** Any error raised while translating or running a statement, as the BigQuery error a client gets. */
export function toBigQueryError(e: unknown, ctx: ErrorContext): BigQueryApiError {
  if (e instanceof BigQueryApiError) return e;
  // Both carry the local warehouse's own wording (BigQuery's, or a named unsupported construct).
  if (e instanceof UnsupportedSqlError || e instanceof SqlSyntaxError) return invalidQuery(e.message, e);
  const text = e instanceof Error ? e.message : String(e);
  const m = /^([A-Z][A-Za-z ]*?) Error: ([^\n]*)/.exec(text);
  for (const [re, make] of RULES[m?.[1] ?? ''] ?? []) {
    const hit = re.exec(m?.[2] ?? '');
    if (hit) return make(hit, ctx, e);
  }
  return m ? invalidQuery(UNMAPPED, e) : new BigQueryApiError(500, 'backendError', UNMAPPED, { cause: e });
}

function unrecognized(name: string, ctx: ErrorContext, cause: unknown): BigQueryApiError {
  return invalidQuery(`Unrecognized name: ${name}${at(ctx.sql, name)}`, cause);
}

/** DuckDB only names the table; the SQL names its dataset (`d.t`, `p.d.t`, backticked or not). */
function qualified(table: string, sql: string | undefined): string {
  const escaped = table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`([A-Za-z0-9_]+)\`?\\.\`?${escaped}\\b`, 'i').exec(sql ?? '');
  return m ? `${m[1]}.${table}` : table;
}

function badValue(duckType: string, value: string): string {
  const t = bigQueryType(duckType);
  return t === 'NUMERIC' ? `Invalid NUMERIC value: ${value}` : `Bad ${t.toLowerCase()} value: ${value}`;
}

/** DuckDB operator names BigQuery spells as words. */
const OPERATORS: Record<string, string> = { '~~': 'LIKE', '!~~': 'NOT LIKE' };

function noMatchingSignature(duckName: string, duckArgs: string, cause: unknown): BigQueryApiError {
  const types = splitTopLevel(duckArgs).map(bigQueryType).join(', ');
  const isOperator = /^[^A-Za-z0-9_]+$/.test(duckName);
  const what = isOperator
    ? `operator ${OPERATORS[duckName] ?? duckName}`
    : `function ${bigQueryFunctionName(duckName)}`;
  return invalidQuery(`No matching signature for ${what} for argument types: ${types}`, cause);
}

function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = list.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

/** A DuckDB type name (as its errors print it) in BigQuery's spelling. */
function bigQueryType(duck: string): string {
  const t = duck.trim().toUpperCase();
  if (t.endsWith('[]')) return `ARRAY<${bigQueryType(t.slice(0, -2))}>`;
  if (t.startsWith('STRUCT')) return 'STRUCT';
  if (t.startsWith('DECIMAL')) return 'NUMERIC';
  if (/^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|U?INT\d*|INTEGER_LITERAL|"?NULL"?)$/.test(t))
    return 'INT64';
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t)) return 'FLOAT64';
  if (/^(VARCHAR|STRING_LITERAL)$/.test(t)) return 'STRING';
  if (/^BOOL(EAN)?$/.test(t)) return 'BOOL';
  if (t === 'BLOB') return 'BYTES';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  return t;
}

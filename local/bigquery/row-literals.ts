/**
 * An insertAll row as a DuckDB VALUES tuple, validated against the table schema the way BigQuery validates
 * a streamed row: each problem is a RowError naming the field, which insertAll reports in `insertErrors`.
 * Values reach DuckDB as typed, quoted literals, never spliced raw.
 */
import { normaliseTimestamp } from './translate/parameters.js';
import { quoteString } from './translate/quoting.js';
import { type BqField, canonicalType, duckTypeForField } from './translate/types.js';

/** A row BigQuery would refuse: `location` is the field (BigQuery's `insertErrors[].errors[].location`). */
export class RowError extends Error {
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(message);
    this.name = 'RowError';
  }
}

/** One row of an insertAll request as a DuckDB VALUES tuple, validated against the schema. */
export function rowLiteral(fields: BqField[], json: Record<string, unknown>, ignoreUnknown: boolean): string {
  const known = new Set(fields.map((f) => f.name.toLowerCase()));
  for (const k of Object.keys(json)) {
    if (!known.has(k.toLowerCase()) && !ignoreUnknown) throw new RowError(`no such field: ${k}.`, k);
  }
  const lower = new Map(Object.entries(json).map(([k, v]) => [k.toLowerCase(), v]));
  return `(${fields.map((f) => valueLiteral(f, lower.get(f.name.toLowerCase()), f.name)).join(', ')})`;
}

function valueLiteral(f: BqField, v: unknown, path: string): string {
  if (f.mode === 'REPEATED') {
    if (v === undefined || v === null) return `CAST([] AS ${duckTypeForField(f)})`;
    if (!Array.isArray(v)) throw new RowError(`Array specified for non-repeated field: ${path}.`, path);
    const inner: BqField = { ...f, mode: 'NULLABLE' };
    return `CAST([${v.map((x, i) => valueLiteral(inner, x, `${path}[${i}]`)).join(', ')}] AS ${duckTypeForField(f)})`;
  }
  if (v === undefined || v === null) {
    if (f.mode === 'REQUIRED') throw new RowError(`Missing required field: ${path}.`, path);
    return `CAST(NULL AS ${duckTypeForField(f)})`;
  }
  const t = canonicalType(f.type);
  const str = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  switch (t) {
    case 'STRING':
      if (typeof v === 'object') throw new RowError(`This field: ${path} is not a record.`, path);
      return quoteString(str);
    case 'JSON':
      return `CAST(${quoteString(str)} AS JSON)`;
    case 'INT64':
      if (!/^-?\d+$/.test(str)) throw new RowError(`Cannot convert value to integer: ${path}.`, path);
      return `CAST(${str} AS BIGINT)`;
    case 'FLOAT64':
    case 'NUMERIC':
      if (Number.isNaN(Number(str))) throw new RowError(`Cannot convert value to ${t}: ${path}.`, path);
      return `CAST(${quoteString(str)} AS ${duckTypeForField({ ...f, mode: 'NULLABLE' })})`;
    case 'BOOL':
      if (!/^(true|false)$/i.test(str)) throw new RowError(`Cannot convert value to boolean: ${path}.`, path);
      return str.toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
    case 'DATE':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(str)) throw new RowError(`Invalid date: ${path}.`, path);
      return `DATE ${quoteString(str)}`;
    case 'TIMESTAMP':
    case 'DATETIME': {
      // insertAll accepts seconds since the epoch as a number, or a timestamp string.
      if (typeof v === 'number') return `make_timestamp(CAST(${Math.round(v * 1e6)} AS BIGINT))`;
      try {
        return `TIMESTAMP ${quoteString(normaliseTimestamp(str))}`;
      } catch {
        throw new RowError(`Invalid timestamp: ${path}.`, path);
      }
    }
    case 'STRUCT': {
      if (typeof v !== 'object' || Array.isArray(v))
        throw new RowError(`This field: ${path} is a record.`, path);
      const o = v as Record<string, unknown>;
      return `{${(f.fields ?? []).map((c) => `${quoteString(c.name)}: ${valueLiteral(c, o[c.name], `${path}.${c.name}`)}`).join(', ')}}`;
    }
    default:
      throw new RowError(`Unsupported field type ${f.type}: ${path}.`, path);
  }
}

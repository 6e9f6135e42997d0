/**
 * Query parameters: BigQuery's REST parameter shapes and their rendering as typed DuckDB literals, each
 * value validated against its declared type and quoted, never spliced raw. Also the TIMESTAMP text
 * normalisation (any offset to UTC wall time) that parameters, TIMESTAMP literals and the engine share.
 */
import { UnsupportedSqlError } from './errors.js';
import { quoteIdent, quoteString } from './quoting.js';
import { canonicalType, duckScalarType } from './types.js';

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

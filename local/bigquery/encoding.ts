/**
 * BigQuery's REST encoding of what DuckDB holds: the schema field (legacy type names, as BigQuery reports
 * query results and table data) for a DuckDB column type, and each value in the f/v row form. Shared by
 * query results, table data and dry runs.
 */
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from '@duckdb/node-api';
import { BigQueryApiError } from './api-error.js';
import type { BqField } from './translate/types.js';

/** One row in BigQuery's f/v form. */
export interface FvRow {
  f: { v: unknown }[];
}

/** BigQuery schema field (legacy REST type names, as BigQuery reports query results) for a DuckDB type. */
export function fieldForDuckType(name: string, t: DuckDBType): BqField {
  if (t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) {
    const inner = fieldForDuckType(name, (t as unknown as { valueType: DuckDBType }).valueType);
    return { ...inner, mode: 'REPEATED' };
  }
  if (t.typeId === DuckDBTypeId.STRUCT) {
    const st = t as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
    return {
      name,
      type: 'RECORD',
      mode: 'NULLABLE',
      fields: st.entryNames.map((n, i) => fieldForDuckType(n, st.entryTypes[i] as DuckDBType)),
    };
  }
  return { name, type: legacyTypeName(t), mode: 'NULLABLE' };
}

function legacyTypeName(t: DuckDBType): string {
  if (t.alias === 'JSON') return 'JSON';
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'BOOLEAN';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
      return 'INTEGER';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'FLOAT';
    case DuckDBTypeId.DECIMAL:
      return 'NUMERIC';
    case DuckDBTypeId.DATE:
      return 'DATE';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'TIMESTAMP';
    case DuckDBTypeId.TIME:
      return 'TIME';
    case DuckDBTypeId.BLOB:
      return 'BYTES';
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.SQLNULL:
      return 'STRING';
    default:
      throw new BigQueryApiError(
        400,
        'invalidQuery',
        `Result column type ${t.toString()} has no BigQuery equivalent`,
      );
  }
}

const DAY_MS = 86_400_000;

/** A DuckDB value in BigQuery's REST encoding: scalars as strings, arrays as [{v}], records as {f:[{v}]}. */
export function encodeValue(v: DuckDBValue, field: BqField, timestampsAsInt64: boolean): unknown {
  if (field.mode === 'REPEATED') {
    // BigQuery returns a NULL array as an empty one.
    if (v === null || v === undefined) return [];
    const items = (v as DuckDBListValue).items ?? [];
    const inner: BqField = { ...field, mode: 'NULLABLE' };
    return items.map((x) => ({ v: encodeValue(x, inner, timestampsAsInt64) }));
  }
  if (v === null || v === undefined) return null;
  if (field.type === 'RECORD') {
    const entries = (v as DuckDBStructValue).entries;
    return {
      f: (field.fields ?? []).map((f) => ({ v: encodeValue(entries[f.name] ?? null, f, timestampsAsInt64) })),
    };
  }
  if (v instanceof DuckDBTimestampValue) {
    if (timestampsAsInt64) return v.micros.toString();
    // Float seconds, as BigQuery writes them without useInt64Timestamp.
    return (Number(v.micros) / 1e6).toString();
  }
  if (v instanceof DuckDBDateValue) return new Date(v.days * DAY_MS).toISOString().slice(0, 10);
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBListValue || v instanceof DuckDBStructValue) return JSON.stringify(v.toString());
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  return String(v);
}

/** Rows of DuckDB values in f/v form, column i encoded as schema field i. */
export function encodeRows(rows: DuckDBValue[][], schema: BqField[], timestampsAsInt64: boolean): FvRow[] {
  return rows.map((row) => ({
    f: row.map((v, i) => ({ v: encodeValue(v, schema[i] as BqField, timestampsAsInt64) })),
  }));
}

/** The schema of a result, from DuckDB's column names and types. */
export function schemaOf(names: readonly string[], types: readonly DuckDBType[]): BqField[] {
  return names.map((n, i) => fieldForDuckType(n, types[i] as DuckDBType));
}

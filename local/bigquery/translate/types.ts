/**
 * Type mapping between BigQuery and DuckDB: BigQuery's REST schema fields, canonical type names (legacy
 * REST spellings included), the DuckDB type each maps to, and the readers of BigQuery type syntax in SQL
 * (CAST targets and typed constructors as DuckDB types; column definitions as REST schema fields). A type
 * with no DuckDB counterpart is rejected.
 */
import { type Node, nameOf } from './cst.js';
import { UnsupportedSqlError } from './errors.js';
import { quoteIdent } from './quoting.js';

export type BqMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';
export interface BqField {
  name: string;
  type: string;
  mode?: BqMode;
  fields?: BqField[];
  description?: string;
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

/** DuckDB type for a BigQuery type written in SQL (a CAST target, a typed ARRAY or STRUCT constructor). */
export function dataType(n: Node): string {
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

/** REST schema field for a CREATE TABLE column definition (NOT NULL makes it REQUIRED). */
export function columnField(def: Node): BqField {
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

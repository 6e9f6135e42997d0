/**
 * DuckDB quoting of identifiers and string literals, shared by the type mapping, the parameters, the
 * rewrite and the DDL: names and values reach DuckDB quoted, never spliced raw.
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

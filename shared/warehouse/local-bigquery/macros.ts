/**
 * DuckDB macros giving BigQuery function semantics where DuckDB's same-named or nearest function differs.
 * translate.ts routes the BigQuery functions here; tests/warehouse/compat.test.ts pins each behaviour.
 */
export const DUCKDB_MACROS: readonly string[] = [
  // JSON_VALUE: scalar as STRING; NULL for invalid JSON, missing paths, objects and arrays (DuckDB throws
  // on invalid JSON and returns objects as text).
  `CREATE OR REPLACE MACRO bq_json_value(j, p) AS
     CASE WHEN j IS NULL OR NOT json_valid(j) THEN NULL
          WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL
          ELSE json_extract_string(j, p) END`,
  // JSON_QUERY: the JSON text at the path; NULL for invalid JSON or a missing path.
  `CREATE OR REPLACE MACRO bq_json_query(j, p) AS
     CASE WHEN j IS NULL OR NOT json_valid(j) THEN NULL
          ELSE CAST(json_extract(j, p) AS VARCHAR) END`,
  // JSON_VALUE_ARRAY: an array of scalars as ARRAY<STRING>; NULL when the path is not an array.
  `CREATE OR REPLACE MACRO bq_json_value_array(j, p) AS
     CASE WHEN j IS NULL OR NOT json_valid(j) OR json_type(j, p) IS DISTINCT FROM 'ARRAY' THEN NULL
          ELSE json_extract_string(j, CASE WHEN p = '$' THEN '$[*]' ELSE p || '[*]' END) END`,
  `CREATE OR REPLACE MACRO bq_parse_json(s) AS CAST(s AS JSON)`,
  `CREATE OR REPLACE MACRO bq_to_json_string(x) AS CAST(to_json(x) AS VARCHAR)`,
  // TIMESTAMP(x): a DATE is midnight UTC; a string may carry an offset (without ICU DuckDB's TIMESTAMPTZ is UTC).
  `CREATE OR REPLACE MACRO bq_timestamp(x) AS CAST(CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)`,
];

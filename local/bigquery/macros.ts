/**
 * DuckDB macros giving BigQuery function semantics where DuckDB's same-named or nearest function differs.
 * translate/functions.ts routes the BigQuery functions here; test/local/bigquery/compat.test.ts pins each
 * behaviour.
 */
export const DUCKDB_MACROS: readonly string[] = [
  // JSON_VALUE: scalar as STRING; NULL for invalid JSON, missing paths, objects and arrays (DuckDB throws
  // on invalid JSON and returns objects as text).
  // One parse in the common case: TRY turns invalid JSON into NULL, and only a value that looks like an
  // object or array (rare in metadata) pays a second parse to confirm it is not a scalar.
  `CREATE OR REPLACE MACRO bq__json_scalar(j, p, x) AS
     CASE WHEN x IS NULL THEN NULL
          WHEN (starts_with(x, '{') OR starts_with(x, '[')) AND json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL
          ELSE x END`,
  `CREATE OR REPLACE MACRO bq_json_value(j, p) AS bq__json_scalar(j, p, TRY(json_extract_string(j, p)))`,
  // JSON_QUERY: the JSON text at the path; NULL for invalid JSON or a missing path.
  `CREATE OR REPLACE MACRO bq_json_query(j, p) AS CAST(TRY(json_extract(j, p)) AS VARCHAR)`,
  // JSON_VALUE_ARRAY: an array of scalars as ARRAY<STRING>; NULL when the path is not an array.
  `CREATE OR REPLACE MACRO bq_json_value_array(j, p) AS
     CASE WHEN j IS NULL OR NOT json_valid(j) OR json_type(j, p) IS DISTINCT FROM 'ARRAY' THEN NULL
          ELSE json_extract_string(j, CASE WHEN p = '$' THEN '$[*]' ELSE p || '[*]' END) END`,
  `CREATE OR REPLACE MACRO bq_parse_json(s) AS CAST(s AS JSON)`,
  `CREATE OR REPLACE MACRO bq_to_json_string(x) AS CAST(to_json(x) AS VARCHAR)`,
  // `/`: BigQuery raises on a zero divisor, in these words, where DuckDB answers NULL; a NULL operand is NULL.
  `CREATE OR REPLACE MACRO bq_divide(a, b) AS
     CASE WHEN b = 0 AND a IS NOT NULL
          THEN error('division by zero: ' || CAST(a AS VARCHAR) || ' / ' || CAST(b AS VARCHAR))
          ELSE a / b END`,
  // IEEE_DIVIDE: IEEE 754 division, so a zero divisor gives +/-Infinity, or NaN for 0/0 and NaN/0.
  `CREATE OR REPLACE MACRO bq_ieee_divide(a, b) AS
     CASE WHEN a IS NULL OR b IS NULL THEN NULL
          WHEN b <> 0 THEN CAST(a AS DOUBLE) / b
          WHEN isnan(CAST(a AS DOUBLE)) OR a = 0 THEN CAST('NaN' AS DOUBLE)
          WHEN a > 0 THEN CAST('Infinity' AS DOUBLE)
          ELSE CAST('-Infinity' AS DOUBLE) END`,
  // SAFE_DIVIDE: NULL for a zero divisor.
  `CREATE OR REPLACE MACRO bq_safe_divide(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END`,
  // TIMESTAMP(x): a DATE is midnight UTC; a string may carry an offset (without ICU DuckDB's TIMESTAMPTZ is UTC).
  `CREATE OR REPLACE MACRO bq_timestamp(x) AS CAST(CAST(x AS TIMESTAMPTZ) AS TIMESTAMP)`,
];

export { BigQueryApiError, type JobInfo, LocalWarehouse, type TableResource } from './engine.js';
export { DUCKDB_MACROS } from './macros.js';
export { type LocalBigQuery, type StartOptions, startLocalBigQuery } from './server.js';
export {
  type BqField,
  type BqQueryParameter,
  parseBigQuery,
  SqlSyntaxError,
  type Translated,
  translateSelect,
  translateStatement,
  UnsupportedSqlError,
} from './translate.js';

export { BigQueryApiError, type JobInfo, LocalWarehouse, type TableResource } from './engine.js';
export { DUCKDB_MACROS } from './macros.js';
export { type LocalBigQuery, type StartOptions, startLocalBigQuery } from './server.js';
export { parseBigQuery } from './translate/cst.js';
export { SqlSyntaxError, UnsupportedSqlError } from './translate/errors.js';
export type { BqQueryParameter } from './translate/parameters.js';
export { type Translated, translateSelect, translateStatement } from './translate/statements.js';
export type { BqField } from './translate/types.js';

/** The warehouse's public surface for the pipeline (see docs/warehouse.md). */
export { deployWarehouse, ensureDatasets } from './deploy.js';
export {
  BigQueryApiError,
  type LocalBigQuery,
  LocalWarehouse,
  type StartOptions,
  startLocalBigQuery,
  UnsupportedSqlError,
} from './local-bigquery/index.js';
export { checkPartitionFilters, type PartitionViolation, partitionedRelations } from './partition-check.js';
export {
  ddlFiles,
  MIRROR_DATASET,
  OBSERVABILITY_DATASET,
  querySql,
  viewDdl,
  viewFiles,
} from './sql-files.js';
export { accountViewFor, accountViewFromState, upcomingInvoice } from './synthetic/account-view.js';
export { exportMirrorNdjson, type LoadResult, loadWorld } from './synthetic/load.js';
export {
  type AccountState,
  accountIdOf,
  accountIndexOf,
  buildAccount,
  createWorld,
  stripeSideFor,
  type World,
  type WorldOptions,
} from './synthetic/world.js';

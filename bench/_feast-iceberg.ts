export { feastIcebergTable } from '../features/import/feast-iceberg-table.js';
export type { FeastIcebergTable } from '../features/import/feast-iceberg-table.js';

/** Only the DuckDB offline store reads IcebergSource: the reason Feast-on-Iceberg cannot run without it. */
export const NEEDS_DUCKDB_STORE = "Feast's DuckDB offline store did not install, and only it reads IcebergSource";

/** Only the DuckDB offline store reads IcebergSource: the reason Feast-on-Iceberg cannot run without it. */
export const NEEDS_DUCKDB_STORE = "Feast's DuckDB offline store did not install, and only it reads IcebergSource";

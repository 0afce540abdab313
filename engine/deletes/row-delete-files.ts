/**
 * What a row delete hands the writer of its delete files (position delete files on v1/v2 tables,
 * deletion vectors on v3): the positions of the rows to delete, staged in a DuckDB temp table
 * `staged(file_path, pos)`, and the scan tasks of the data files they are in.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';

export interface DeleteFilesRequest {
  readonly connection: DuckDBConnection;
  readonly table: LoadedTable;
  /** The quoted name of the temp table of deleted rows. */
  readonly staged: string;
  /** The scan tasks of the data files with a deleted row. */
  readonly tasks: readonly ScanTask[];
  /** The rows of those data files still live before this delete, with their positions (readPlanSql's rowPositions). */
  readonly liveRowsSql: string;
  /** Local scratch folder, and the name the written files start with. */
  readonly scratch: string;
  readonly name: string;
  readonly signal?: AbortSignal;
}

export interface WrittenDeleteFiles {
  /** The delete files written and uploaded, with the spec of the data files they delete from. */
  readonly files: { readonly file: DataFile; readonly specId: number }[];
  /** Delete files the new ones replace, to remove in the same commit. */
  readonly replaced: readonly DataFile[];
}

import type { Schema } from '../../iceberg/spec/schema.js';

/** With `rowPositions`: each row's data file (its location in the manifest) and position in it. */
export const ROW_FILE_PATH_COLUMN = '__floe_file_path';
export const ROW_POSITION_COLUMN = '__floe_pos';

export interface ReadPlanOptions {
  /** The local path holding a file's bytes, by the location the manifest records (FileIO's `localize`). */
  readonly localPath: (location: string) => string;
  /**
   * A row filter in SQL over the plan's column names, already quoted by the caller through
   * `quoteIdentifier` / `quoteLiteral`. DuckDB pushes it down into the Parquet scans.
   */
  readonly rowFilter?: string;
  /**
   * The snapshot's full schema, for the types of equality-delete columns that the plan's
   * (projected) schema leaves out. Without it those columns must be in the plan's schema.
   */
  readonly tableSchema?: Schema;
  /**
   * Also output ROW_FILE_PATH_COLUMN and ROW_POSITION_COLUMN (BIGINT, 0-based): what a position
   * delete of the row records.
   */
  readonly rowPositions?: boolean;
  /** Also output the v3 row lineage columns `_row_id` and `_last_updated_sequence_number` (engine/read/row-lineage.ts). */
  readonly rowLineage?: boolean;
  /** The table read (`namespace.table`), named when a column cannot be read. */
  readonly table?: string;
}

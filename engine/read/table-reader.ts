import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { ScanOptions } from '../../iceberg/scan/planner.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import { isDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';
import type { ReadFileLog } from './corrupt-parquet.js';
import { readPlanSql } from './read-plan.js';
import { deletedRowsForm } from '../deletes/deleted-rows-form.js';
import { deletionVectorKey, localizeDeletionVector } from '../deletes/deletion-vectors.js';
import { PositionsWriter } from '../deletes/positions-writer.js';
import { defined } from '../../contracts/defined.js';

export interface TableScan {
  readonly plan: ScanPlan;
  /** SQL for the snapshot's rows, over local copies of its files. */
  readonly sql: string;
}

export interface TableScanOptions extends ScanOptions {
  /** SQL over the table's column names, quoted by the caller; pushed into the Parquet scans. */
  readonly rowFilter?: string;
  /** Also output the v3 row lineage columns `_row_id` and `_last_updated_sequence_number` (engine/read/row-lineage.ts). */
  readonly rowLineage?: boolean;
  /** Files fetched at once from object storage. */
  readonly downloadConcurrency?: number;
  readonly signal?: AbortSignal;
  /** Where the local copies read are recorded for naming a corrupt one: the running engine's `readFiles`. */
  readonly readFiles?: ReadFileLog | undefined;
}

/**
 * Plans a read of one snapshot and makes every file it needs local (object-store files land in
 * FileIO's content-addressed cache), returning SQL that DuckDB runs over them. A `filter` both
 * prunes files while planning and filters the rows of the files kept (its columns are read even
 * when not projected); a `rowFilter` is SQL applied on top.
 */
export async function scanTable(table: LoadedTable, options: TableScanOptions = {}): Promise<TableScan> {
  const plan = await planScan(table, options);
  const tableName = formatTableIdentifier(table.identifier);
  const localCopies = await localizePlan(table, plan, { ...options, table: tableName });
  const localPath = options.readFiles === undefined ? localCopies : options.readFiles.recording(localCopies, tableName);
  return {
    plan,
    sql: readPlanSql(plan, {
      localPath,
      tableSchema: currentSchema(table.metadata),
      table: tableName,
      ...defined({ rowFilter: options.rowFilter }),
      ...(options.rowLineage === true ? { rowLineage: true } : {}),
    }),
  };
}

/**
 * Localizes every data and delete file of a plan; returns the lookup readPlanSql needs. A deletion
 * vector is not downloaded whole: its blob alone is read and the rows it deletes kept locally, under
 * `deletionVectorKey` (`table` names the table in its errors).
 */
export async function localizePlan(
  table: Pick<LoadedTable, 'io' | 'caches'>,
  plan: ScanPlan,
  options: {
    downloadConcurrency?: number;
    signal?: AbortSignal;
    table?: string | undefined;
    /** Where deletion vectors' deleted rows are kept (deletion-vectors.ts), if not the table's process caches' folder. */
    deletionVectorDirectory?: string;
    /** The most bytes the plan's deletion vectors may take as bits, if not DELETION_VECTOR_BITS_BUDGET. */
    deletionVectorBitsBudget?: number;
  } = {},
): Promise<(location: string) => string> {
  const vectored = plan.tasks.filter((task) => task.positionDeletes.some((ref) => isDeletionVector(ref.file)));
  const form = deletedRowsForm(
    vectored.map((task) => task.dataFile.recordCount),
    options.deletionVectorBitsBudget,
  );
  const { io } = table;
  const vectors = table.caches.deletionVectors(options.deletionVectorDirectory);
  const writer = new PositionsWriter();
  const files = new Map<string, () => Promise<string>>();
  for (const task of plan.tasks) {
    files.set(task.dataFile.filePath, () => io.localize(task.dataFile.filePath));
    for (const { file } of [...task.positionDeletes, ...task.equalityDeletes]) {
      if (isDeletionVector(file))
        files.set(deletionVectorKey(file), () =>
          localizeDeletionVector(io, file, { dataFileRows: task.dataFile.recordCount, form, writer }, { table: options.table, vectors }),
        );
      else files.set(file.filePath, () => io.localize(file.filePath));
    }
  }
  const local = new Map<string, string>();
  try {
    await mapWithConcurrency([...files], options.downloadConcurrency ?? 8, async ([location, localize]) => {
      options.signal?.throwIfAborted();
      local.set(location, await localize());
    });
  } finally {
    await writer.close();
  }
  return (location) => {
    const path = local.get(location);
    if (path === undefined) throw new Error(`File ${location} is not part of the plan that was localized`);
    return path;
  };
}

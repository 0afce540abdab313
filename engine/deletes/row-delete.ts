/**
 * Row-level delete, merge-on-read: find the rows to delete in one snapshot (deletes already in the
 * table applied), write them as delete files — position delete files on a v1/v2 table
 * (position-delete-files.ts), one deletion vector per data file on v3 (deletion-vector-files.ts) —
 * and state the commit as a row delta that fails clearly if one of those data files is removed
 * before it lands. Nothing is committed here.
 */
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { Expression } from '../../iceberg/expressions/expression.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import type { ManifestToAppend } from '../../iceberg/write/fast-append.js';
import { rowDelta } from '../../iceberg/write/row-delta.js';
import type { Engine } from '../duckdb.js';
import { writeDeletionVectors } from './deletion-vector-files.js';
import { writePositionDeleteFiles } from './position-delete-files.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from '../read/read-plan.js';
import type { DeleteFilesRequest } from './row-delete-files.js';
import { quoteIdentifier as q } from '../sql.js';
import { localizePlan } from '../read/table-reader.js';
import { defined } from '../../contracts/defined.js';

export interface DeleteRowsRequest {
  readonly engine: Engine;
  /** The rows to delete, as a filter (which also prunes the files read) … */
  readonly filter?: Expression;
  /** … and/or as SQL over the table's column names, quoted by the caller. At least one of the two. */
  readonly rowFilter?: string;
  /** Local scratch space for DuckDB's output before upload. */
  readonly workDirectory: string;
  readonly branch?: string;
  readonly idempotencyKey?: string;
  readonly summary?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface RowDeletes {
  /** The change to commit with `commitChange`; null when no row matched. */
  readonly change: TableChange | null;
  readonly deletedRows: number;
  /** The delete files written (uploaded, not yet committed). */
  readonly deleteFiles: readonly DataFile[];
  /** The snapshot the rows were read from. */
  readonly snapshotId: bigint | null;
}

export async function deleteRows(table: LoadedTable, request: DeleteRowsRequest): Promise<RowDeletes> {
  if (request.filter === undefined && request.rowFilter === undefined) {
    throw new FloeError(
      'invalid-input',
      'Say which rows to delete: give a filter or a rowFilter (to delete every row, use a filter that is always true)',
      { context: { table: formatTableIdentifier(table.identifier) } },
    );
  }
  const branch = request.branch ?? MAIN_BRANCH;
  const signal = defined({ signal: request.signal });
  const plan = await planScan(table, {
    ...(branch === MAIN_BRANCH ? {} : { ref: branch }),
    ...defined({ filter: request.filter }),
  });
  const none: RowDeletes = { change: null, deletedRows: 0, deleteFiles: [], snapshotId: plan.snapshotId };
  if (plan.tasks.length === 0) return none;
  const localPath = request.engine.readFiles.recording(await localizePlan(table, plan, signal));
  const tableSchema = currentSchema(table.metadata);
  const rowsSql = readPlanSql(plan, {
    localPath,
    tableSchema,
    rowPositions: true,
    ...defined({ rowFilter: request.rowFilter }),
  });

  const name = `delete-${randomUUID()}`;
  const scratch = join(request.workDirectory, 'scratch', name);
  await mkdir(scratch, { recursive: true });
  try {
    const written = await request.engine.withConnection(async (connection) => {
      const staged = q(`__floe_deleted_${randomUUID().replaceAll('-', '')}`);
      await connection.run(
        `CREATE TEMP TABLE ${staged} AS SELECT ${q(ROW_FILE_PATH_COLUMN)} AS file_path, ${q(ROW_POSITION_COLUMN)} AS pos FROM (${rowsSql})`,
      );
      try {
        const counts = (await connection.runAndReadAll(`SELECT file_path, count(*) FROM ${staged} GROUP BY file_path`)).getRows();
        const touched = new Set(counts.map((row) => String(row[0])));
        const tasks = plan.tasks.filter((task) => touched.has(task.dataFile.filePath));
        if (tasks.length === 0) return null;
        // The rows of those files still live, whatever the filter: a deletion vector keeps every deleted position of its file.
        const liveRowsSql = readPlanSql(unfiltered(plan, tasks), { localPath, tableSchema, rowPositions: true });
        const target: DeleteFilesRequest = { connection, table, staged, tasks, liveRowsSql, scratch, name, ...signal };
        const files = await (table.metadata.formatVersion >= 3 ? writeDeletionVectors(target) : writePositionDeleteFiles(target));
        const referenced = tasks.map((task) => task.dataFile.filePath);
        return { ...files, referenced, deletedRows: counts.reduce((sum, row) => sum + Number(row[1]), 0) };
      } finally {
        await connection.run(`DROP TABLE IF EXISTS ${staged}`);
      }
    }, signal);
    if (written === null) return none;

    const manifests: ManifestToAppend[] = [];
    for (const specId of new Set(written.files.map((entry) => entry.specId))) {
      const files = written.files.filter((entry) => entry.specId === specId).map((entry) => entry.file);
      manifests.push(await writeAddedManifest(table, files, name, { specId, content: 'deletes' }));
    }
    const change = rowDelta(
      { deletes: manifests, removedDeletes: written.replaced },
      {
        referencedDataFiles: written.referenced,
        startingSnapshotId: plan.snapshotId,
        branch,
        ...defined({ idempotencyKey: request.idempotencyKey, summary: request.summary }),
      },
    );
    return { change, deletedRows: written.deletedRows, deleteFiles: written.files.map((entry) => entry.file), snapshotId: plan.snapshotId };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The plan of these tasks without its row filter: every live row of their files. */
function unfiltered(plan: ScanPlan, tasks: readonly ScanTask[]): ScanPlan {
  const { filter: _filter, ...rest } = plan;
  return { ...rest, tasks };
}

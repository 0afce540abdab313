/**
 * Row-level delete, merge-on-read: find the rows to delete in one snapshot (deletes already in the
 * table applied), write their positions as position delete files — one per partition of the data
 * files they refer to, so readers find them by partition — and state the commit as a row delta that
 * fails clearly if one of those data files is removed before it lands. Nothing is committed here.
 */
import { formatTableIdentifier } from '../iceberg/catalog/identifier.js';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import type { TableChange } from '../iceberg/commit/table-change.js';
import { FloeError } from '../iceberg/errors.js';
import type { Expression } from '../iceberg/expressions/expression.js';
import { partitionKey } from '../iceberg/scan/partition-key.js';
import type { ScanTask } from '../iceberg/scan/plan.js';
import { planScan } from '../iceberg/scan/planner.js';
import type { DataFile } from '../iceberg/spec/manifest.js';
import { currentSchema, specById } from '../iceberg/spec/metadata.js';
import { dataFileMetrics } from '../iceberg/spec/metrics.js';
import { MAIN_BRANCH } from '../iceberg/spec/snapshot.js';
import { partitionPath } from '../iceberg/spec/transforms.js';
import { writeAddedManifest } from '../iceberg/write/added-manifest.js';
import type { ManifestToAppend } from '../iceberg/write/fast-append.js';
import { rowDelta } from '../iceberg/write/row-delta.js';
import { dataDirectory } from '../iceberg/write/table-locations.js';
import { schemaForSpec } from '../iceberg/write/table-manifests.js';
import type { Engine } from './duckdb.js';
import { POSITION_DELETE_SCHEMA, writePositionDeletes } from './parquet-writer.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from './read-plan.js';
import { quoteIdentifier as q, quoteLiteral } from './sql.js';
import { localizePlan } from './table-reader.js';

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
  /** The position delete files written (uploaded, not yet committed). */
  readonly deleteFiles: readonly DataFile[];
  /** The snapshot the rows were read from. */
  readonly snapshotId: bigint | null;
}

/** Position delete metrics are kept in full: readers compare file_path bounds to find the data files a delete file covers. */
const POSITION_DELETE_METRICS = { 'write.metadata.metrics.default': 'full' };

export async function deleteRows(table: LoadedTable, request: DeleteRowsRequest): Promise<RowDeletes> {
  if (request.filter === undefined && request.rowFilter === undefined) {
    throw new FloeError(
      'invalid-input',
      'Say which rows to delete: give a filter or a rowFilter (to delete every row, use a filter that is always true)',
      {
        context: { table: formatTableIdentifier(table.identifier) },
      },
    );
  }
  const branch = request.branch ?? MAIN_BRANCH;
  const plan = await planScan(table, {
    ...(branch === MAIN_BRANCH ? {} : { ref: branch }),
    ...(request.filter === undefined ? {} : { filter: request.filter }),
  });
  const none: RowDeletes = { change: null, deletedRows: 0, deleteFiles: [], snapshotId: plan.snapshotId };
  if (plan.tasks.length === 0) return none;
  const localPath = request.engine.readFiles.recording(
    await localizePlan(table.io, plan, request.signal === undefined ? {} : { signal: request.signal }),
  );
  const rowsSql = readPlanSql(plan, {
    localPath,
    tableSchema: currentSchema(table.metadata),
    rowPositions: true,
    ...(request.rowFilter === undefined ? {} : { rowFilter: request.rowFilter }),
  });

  const name = `delete-${randomUUID()}`;
  const scratch = join(request.workDirectory, 'scratch', name);
  await mkdir(scratch, { recursive: true });
  try {
    const written = await request.engine.withConnection(
      async (connection) => {
        const staged = q(`__floe_deleted_${randomUUID().replaceAll('-', '')}`);
        await connection.run(
          `CREATE TEMP TABLE ${staged} AS SELECT ${q(ROW_FILE_PATH_COLUMN)} AS file_path, ${q(ROW_POSITION_COLUMN)} AS pos FROM (${rowsSql})`,
        );
        try {
          const counts = await connection.runAndReadAll(`SELECT file_path, count(*) FROM ${staged} GROUP BY file_path`);
          const touched = new Set(counts.getRows().map((row) => String(row[0])));
          const groups = groupByPartition(plan.tasks.filter((task) => touched.has(task.dataFile.filePath)));
          const files: {
            group: PartitionGroup;
            localPath: string;
            recordCount: number;
            sizeBytes: number;
            stats: Parameters<typeof dataFileMetrics>[1];
          }[] = [];
          for (const [index, group] of groups.entries()) {
            request.signal?.throwIfAborted();
            const paths = group.tasks.map((task) => quoteLiteral(task.dataFile.filePath)).join(', ');
            const out = await writePositionDeletes(connection, {
              query: `SELECT file_path, pos FROM ${staged} WHERE file_path IN (${paths})`,
              directory: join(scratch, String(index)),
              fileNamePrefix: `${name}-${index}`,
            });
            for (const file of out)
              files.push({
                group,
                localPath: file.localPath,
                recordCount: file.recordCount,
                sizeBytes: file.sizeBytes,
                stats: file.columnStats,
              });
          }
          return files;
        } finally {
          await connection.run(`DROP TABLE IF EXISTS ${staged}`);
        }
      },
      request.signal === undefined ? {} : { signal: request.signal },
    );
    if (written.length === 0) return none;

    const deleteFiles: { file: DataFile; specId: number }[] = [];
    for (const file of written) {
      const { specId, partition, tasks } = file.group;
      const spec = specById(table.metadata, specId);
      if (!spec)
        throw new FloeError('corrupt', `Data files of partition spec ${specId}, which the table does not have`, {
          context: { table: formatTableIdentifier(table.identifier), specId },
        });
      const folder =
        spec.fields.length === 0
          ? dataDirectory(table)
          : `${dataDirectory(table)}/${partitionPath(spec, schemaForSpec(table.metadata, spec), partition)}`;
      const location = `${folder}/${basename(file.localPath)}`;
      await table.io.upload(file.localPath, location, { ifAbsent: true });
      deleteFiles.push({
        specId,
        file: {
          content: 'position-deletes',
          filePath: location,
          fileFormat: 'PARQUET',
          partition,
          recordCount: file.recordCount,
          fileSizeInBytes: file.sizeBytes,
          ...dataFileMetrics(POSITION_DELETE_SCHEMA, file.stats, POSITION_DELETE_METRICS),
          // A delete file of one data file says so: readers then skip it for every other file.
          referencedDataFile: tasks.length === 1 ? tasks[0]!.dataFile.filePath : null,
        },
      });
    }
    const manifests: ManifestToAppend[] = [];
    for (const specId of new Set(deleteFiles.map((entry) => entry.specId))) {
      const files = deleteFiles.filter((entry) => entry.specId === specId).map((entry) => entry.file);
      manifests.push(await writeAddedManifest(table, files, name, { specId, content: 'deletes' }));
    }
    const referenced = [...new Set(written.flatMap((file) => file.group.tasks.map((task) => task.dataFile.filePath)))];
    const change = rowDelta(
      { deletes: manifests },
      {
        referencedDataFiles: referenced,
        startingSnapshotId: plan.snapshotId,
        branch,
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
        ...(request.summary === undefined ? {} : { summary: request.summary }),
      },
    );
    return {
      change,
      deletedRows: written.reduce((sum, file) => sum + file.recordCount, 0),
      deleteFiles: deleteFiles.map((entry) => entry.file),
      snapshotId: plan.snapshotId,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface PartitionGroup {
  readonly specId: number;
  readonly partition: DataFile['partition'];
  readonly tasks: ScanTask[];
}

function groupByPartition(tasks: readonly ScanTask[]): PartitionGroup[] {
  const groups = new Map<string, PartitionGroup>();
  for (const task of tasks) {
    const key = partitionKey(task.specId, task.dataFile.partition);
    const group = groups.get(key);
    if (group) group.tasks.push(task);
    else groups.set(key, { specId: task.specId, partition: task.dataFile.partition, tasks: [task] });
  }
  return [...groups.values()];
}

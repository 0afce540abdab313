import type { DeleteFileRef, ScanPlan, ScanTask } from '../../../iceberg/scan/plan.js';
import type { DataFile, FileContent } from '../../../iceberg/spec/manifest.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import type { NestedField } from '../../../iceberg/spec/types.js';

/** Test builders for the scan-plan types: only what reading a plan looks at is filled in. */
export function file(filePath: string, content: FileContent = 'data', equalityIds?: readonly number[]): DataFile {
  return { content, filePath, fileFormat: 'PARQUET', partition: [], recordCount: 0, fileSizeInBytes: 0, equalityIds: equalityIds ?? null };
}

export function task(
  dataFile: DataFile,
  dataSequenceNumber: number,
  deletes: { position?: DeleteFileRef[]; equality?: DeleteFileRef[] } = {},
): ScanTask {
  return { dataFile, dataSequenceNumber, specId: 0, positionDeletes: deletes.position ?? [], equalityDeletes: deletes.equality ?? [] };
}

export function schema(...fields: NestedField[]): Schema {
  return { schemaId: 0, identifierFieldIds: [], fields };
}

export function plan(planSchema: Schema, tasks: readonly ScanTask[]): ScanPlan {
  const hasDeletes = tasks.some((entry) => entry.positionDeletes.length > 0 || entry.equalityDeletes.length > 0);
  return {
    snapshotId: 1n,
    schema: planSchema,
    mode: hasDeletes ? 'merge-on-read' : 'copy-on-write',
    tasks,
    summary: {
      dataFiles: tasks.length,
      positionDeleteFiles: new Set(tasks.flatMap((entry) => entry.positionDeletes.map((ref) => ref.file.filePath))).size,
      equalityDeleteFiles: new Set(tasks.flatMap((entry) => entry.equalityDeletes.map((ref) => ref.file.filePath))).size,
      dataRecords: 0,
      manifestsRead: 0,
      manifestsSkipped: 0,
      dataFilesSkipped: 0,
    },
  };
}

/** Files are "stored" at s3:// locations and localized to the test's folder, as FileIO does. */
export function locations(dir: string): { location: (name: string) => string; localPath: (location: string) => string } {
  return {
    location: (name) => `s3://bucket/table/data/${name}`,
    localPath: (location) => `${dir}/${location.replace('s3://bucket/table/data/', '')}`,
  };
}

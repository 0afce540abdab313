/**
 * Row deletes of a v1/v2 table as position delete files: one per partition of the data files they
 * refer to, so readers find them by partition, uploaded to the partition's data folder.
 */
import { basename, join } from 'node:path';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { partitionKey } from '../../iceberg/scan/partition-key.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { specById } from '../../iceberg/spec/metadata.js';
import { dataFileMetrics } from '../../iceberg/spec/metrics.js';
import { partitionPath } from '../../iceberg/spec/transforms.js';
import { dataDirectory } from '../../iceberg/write/table-locations.js';
import { schemaForSpec } from '../../iceberg/write/table-manifests.js';
import { POSITION_DELETE_SCHEMA, writePositionDeletes } from '../write/parquet-writer.js';
import type { DeleteFilesRequest, WrittenDeleteFiles } from './row-delete-files.js';
import { quoteLiteral } from '../sql.js';

/** Position delete metrics are kept in full: readers compare file_path bounds to find the data files a delete file covers. */
const POSITION_DELETE_METRICS = { 'write.metadata.metrics.default': 'full' };

export async function writePositionDeleteFiles(request: DeleteFilesRequest): Promise<WrittenDeleteFiles> {
  const { connection, table, staged } = request;
  const files: WrittenDeleteFiles['files'] = [];
  for (const [index, group] of groupByPartition(request.tasks).entries()) {
    request.signal?.throwIfAborted();
    const paths = group.tasks.map((task) => quoteLiteral(task.dataFile.filePath)).join(', ');
    const written = await writePositionDeletes(connection, {
      query: `SELECT file_path, pos FROM ${staged} WHERE file_path IN (${paths})`,
      directory: join(request.scratch, String(index)),
      fileNamePrefix: `${request.name}-${index}`,
    });
    const folder = partitionFolder(request, group);
    for (const file of written) {
      const location = `${folder}/${basename(file.localPath)}`;
      await table.io.upload(file.localPath, location, { ifAbsent: true });
      files.push({
        specId: group.specId,
        file: {
          content: 'position-deletes',
          filePath: location,
          fileFormat: 'PARQUET',
          partition: group.partition,
          recordCount: file.recordCount,
          fileSizeInBytes: file.sizeBytes,
          ...dataFileMetrics(POSITION_DELETE_SCHEMA, file.columnStats, POSITION_DELETE_METRICS),
          // A delete file of one data file says so: readers then skip it for every other file.
          referencedDataFile: group.tasks.length === 1 ? group.tasks[0]!.dataFile.filePath : null,
        },
      });
    }
  }
  return { files, replaced: [] };
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

function partitionFolder({ table }: DeleteFilesRequest, group: PartitionGroup): string {
  const spec = specById(table.metadata, group.specId);
  if (!spec)
    throw new FloeError('corrupt', `Data files of partition spec ${group.specId}, which the table does not have`, {
      context: { table: formatTableIdentifier(table.identifier), specId: group.specId },
    });
  if (spec.fields.length === 0) return dataDirectory(table);
  return `${dataDirectory(table)}/${partitionPath(spec, schemaForSpec(table.metadata, spec), group.partition)}`;
}

/**
 * Row deletes of a v3 table as deletion vectors (spec: "Deletion Vectors"): one vector per data
 * file, all of one delete in one Puffin file in the table's data folder. A data file has at most
 * one vector, so the new one holds every deleted position of its file — the rows this delete
 * removes and those already gone (its older vector, position delete files from before an upgrade
 * to v3, rows an equality delete removed) — and replaces, in the same commit, the older vector and
 * the position delete files that name only that data file. Positions are computed in DuckDB as the
 * file's positions without a live row left; only the deleted positions reach JavaScript.
 */
import { deletionVectorBlob, isDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import { contentFileKey } from '../../iceberg/spec/manifest.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { onlyReferencedPath } from '../../iceberg/spec/position-deletes.js';
import { writePuffin } from '../../iceberg/spec/puffin.js';
import { dataDirectory } from '../../iceberg/write/table-locations.js';
import { ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from '../read/read-plan.js';
import type { DeleteFilesRequest, WrittenDeleteFiles } from './row-delete-files.js';
import { quoteIdentifier as q, quoteLiteral } from '../sql.js';

export async function writeDeletionVectors(request: DeleteFilesRequest): Promise<WrittenDeleteFiles> {
  const { connection, table, tasks, staged } = request;
  const files = tasks.map((task) => `(${quoteLiteral(task.dataFile.filePath)}, ${task.dataFile.recordCount}::BIGINT)`).join(', ');
  const reader = await connection.runAndReadAll(
    `WITH files(file_path, record_count) AS (VALUES ${files}), ` +
      `live AS (SELECT ${q(ROW_FILE_PATH_COLUMN)} AS file_path, ${q(ROW_POSITION_COLUMN)} AS pos FROM (${request.liveRowsSql})), ` +
      `kept AS (SELECT file_path, pos FROM live EXCEPT SELECT file_path, pos FROM ${staged}), ` +
      `every AS (SELECT file_path, unnest(range(record_count)) AS pos FROM files) ` +
      `SELECT file_path, list(pos ORDER BY pos) FROM (SELECT file_path, pos FROM every EXCEPT SELECT file_path, pos FROM kept) GROUP BY file_path ORDER BY file_path`,
  );
  const vectors = reader.getRowsJS().map(([path, positions]) => ({
    dataFile: String(path),
    blob: deletionVectorBlob(String(path), positions as bigint[]),
  }));
  request.signal?.throwIfAborted();
  const puffin = writePuffin(vectors.map((vector) => vector.blob));
  const location = `${dataDirectory(table)}/${request.name}-dv.puffin`;
  await table.io.write(location, puffin.bytes, { ifAbsent: true });
  const byPath = new Map(tasks.map((task) => [task.dataFile.filePath, task]));
  return {
    files: vectors.map((vector, index) => {
      const task = byPath.get(vector.dataFile)!;
      const placed = puffin.metadata.blobs[index]!;
      const file: DataFile = {
        content: 'position-deletes',
        filePath: location,
        fileFormat: 'PUFFIN',
        partition: task.dataFile.partition,
        recordCount: vector.blob.cardinality,
        fileSizeInBytes: puffin.bytes.length,
        referencedDataFile: vector.dataFile,
        contentOffset: placed.offset,
        contentSizeInBytes: placed.length,
      };
      return { file, specId: task.specId };
    }),
    replaced: replacedDeleteFiles(request),
  };
}

/** The older vectors of the files, and the position delete files that name only one of them: the new vectors hold their deletes. */
function replacedDeleteFiles({ tasks }: DeleteFilesRequest): DataFile[] {
  const replaced = new Map<string, DataFile>();
  for (const task of tasks) {
    for (const { file } of task.positionDeletes) {
      if (isDeletionVector(file) || onlyReferencedPath(file) === task.dataFile.filePath) replaced.set(contentFileKey(file), file);
    }
  }
  return [...replaced.values()];
}

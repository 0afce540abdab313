/**
 * Deletion vectors as DuckDB reads them. Each one's blob alone is read from its Puffin file (the
 * manifest's `content_offset` and `content_size_in_bytes`), decoded, checked against the
 * cardinality its manifest entry records, and its positions written once to a local file of one
 * position a line, named by the Puffin file, offset and length (table files are immutable). The
 * read plan anti-joins those positions on `file_row_number` exactly as a position delete file's.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FloeError } from '../../iceberg/errors.js';
import type { FileIO } from '../../iceberg/io/file-io.js';
import { readDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';

/** Where decoded deletion vectors are kept when the caller names no folder. */
export const DEFAULT_DELETION_VECTOR_DIRECTORY = join(tmpdir(), 'floe-deletion-vectors');

/** The name a read plan's `localPath` knows a deletion vector's positions by: its Puffin file and blob. */
export function deletionVectorKey(file: DataFile): string {
  return `${file.filePath}#${file.contentOffset ?? ''}+${file.contentSizeInBytes ?? ''}`;
}

/**
 * The local file holding the positions `file` (a deletion vector) deletes, one a line, ascending:
 * read, checked and written on first use. `table` is named in errors.
 */
export async function localizeDeletionVector(
  io: FileIO,
  file: DataFile,
  options: { readonly directory?: string | undefined; readonly table?: string | undefined },
): Promise<string> {
  const { offset, length, dataFile } = blobOf(file, options.table);
  const directory = options.directory ?? DEFAULT_DELETION_VECTOR_DIRECTORY;
  const digest = createHash('sha256').update(`${file.filePath}\0${offset}\0${length}`).digest('hex');
  const path = join(directory, `${digest}.positions`);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return path;
  const owner = { dataFile, table: options.table };
  const positions = readDeletionVector(await io.readRange(file.filePath, offset, length), owner);
  if (positions.length !== file.recordCount) {
    const table = options.table === undefined ? '' : ` of table ${options.table}`;
    throw new FloeError(
      'corrupt',
      `The deletion vector of data file ${dataFile}${table} deletes ${positions.length} rows, but its manifest entry's record_count says ${file.recordCount}: expected the vector's cardinality`,
      { context: { table: options.table, file: dataFile }, retryable: false },
    );
  }
  await mkdir(directory, { recursive: true });
  const temp = `${path}.${randomUUID()}.part`;
  try {
    await writeFile(temp, positions.length === 0 ? '' : `${positions.join('\n')}\n`, { flag: 'wx' });
    await rename(temp, path);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return path;
}

/** Where a deletion vector's blob is, and the data file it deletes rows of; a clear error when its manifest entry does not say. */
function blobOf(file: DataFile, table: string | undefined): { offset: number; length: number; dataFile: string } {
  const { referencedDataFile, contentOffset, contentSizeInBytes } = file;
  if (referencedDataFile == null || contentOffset == null || contentSizeInBytes == null) {
    const of = table === undefined ? '' : ` of table ${table}`;
    throw new FloeError(
      'corrupt',
      `A deletion vector in ${file.filePath}${of} lacks referenced_data_file, content_offset or content_size_in_bytes in its manifest entry: the spec requires all three`,
      { context: { table, file: file.filePath }, retryable: false },
    );
  }
  return { offset: contentOffset, length: contentSizeInBytes, dataFile: referencedDataFile };
}

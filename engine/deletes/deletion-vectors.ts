/**
 * Deletion vectors as DuckDB reads them. Each one's blob alone is read from its Puffin file (the
 * manifest's `content_offset` and `content_size_in_bytes`), decoded, checked against the
 * cardinality its manifest entry records, and kept locally, named by the Puffin file, offset and
 * length (table files are immutable), in a bounded cache (iceberg/io/local-cache.ts, one per folder
 * in the process caches, iceberg/process-caches.ts): a worker that
 * reads snapshot after snapshot keeps the newest vectors, not every one it met. Kept in one of two
 * forms
 * (deleted-rows-form.ts).
 */
import { writeFile } from 'node:fs/promises';
import { FloeError } from '../../core/errors.js';
import type { FileIO } from '../../iceberg/io/file-io.js';
import type { LocalFileCache } from '../../iceberg/io/local-cache.js';
import { readDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { DELETED_ROWS_EXTENSION, rowBits, rowBitsLength } from './deleted-rows-form.js';
import type { DeletedRowsForm } from './deleted-rows-form.js';
import type { PositionsWriter } from './positions-writer.js';

/** The name a read plan's `localPath` knows a deletion vector's positions by: its Puffin file and blob. */
export function deletionVectorKey(file: DataFile): string {
  return `${file.filePath}#${file.contentOffset ?? ''}+${file.contentSizeInBytes ?? ''}`;
}

/**
 * The local file of the rows `file` (a deletion vector) deletes, in `form`: read, checked and
 * written on first use. Bits are one per row of its data file (`dataFileRows`, the data file's
 * record count), so a position past its rows, which deletes nothing, has no bit. `vectors` is the
 * cache the file is kept in; `table` is named in errors.
 */
export async function localizeDeletionVector(
  io: FileIO,
  file: DataFile,
  kept: { readonly dataFileRows: number; readonly form: DeletedRowsForm; readonly writer: PositionsWriter },
  options: { readonly vectors: LocalFileCache; readonly table?: string | undefined },
): Promise<string> {
  const { offset, length, dataFile } = blobOf(file, options.table);
  const { dataFileRows, form } = kept;
  // The cache names a file by its key's digest and keeps the extension; a Parquet file's size is
  // known only once written.
  const blob = `${file.filePath}/${offset}+${length}`;
  const key =
    form === 'bits'
      ? { location: `${blob}${DELETED_ROWS_EXTENSION}`, size: rowBitsLength(dataFileRows), etag: String(dataFileRows) }
      : { location: `${blob}.parquet`, size: undefined, etag: '' };
  return options.vectors.get(key, async (path) => {
    const positions = readDeletionVector(await io.readRange(file.filePath, offset, length), { dataFile, table: options.table });
    if (positions.length !== file.recordCount) {
      const table = options.table === undefined ? '' : ` of table ${options.table}`;
      throw new FloeError(
        'corrupt',
        `The deletion vector of data file ${dataFile}${table} deletes ${positions.length} rows, but its manifest entry's record_count says ${file.recordCount}: expected the vector's cardinality`,
        { context: { table: options.table, file: dataFile }, retryable: false },
      );
    }
    if (form === 'bits') await writeFile(path, rowBits(positions, dataFileRows));
    else await kept.writer.write(positions, path);
  });
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

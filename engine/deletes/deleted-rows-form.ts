/**
 * The two forms a read plan keeps deletion vectors in (see deletion-vectors.ts):
 * - bits: one per row of its data file, set when the row is deleted. The read plan casts them to a
 *   DuckDB BIT and keeps a row when its `file_row_number` bit is clear: on the v3 bench table that
 *   took 36 ms where anti-joining the same positions took 41.
 * - positions: a one-column Parquet file, anti-joined on `file_row_number` as a position delete
 *   file is. A plan keeps its vectors so when their bits would pass DELETION_VECTOR_BITS_BUDGET:
 *   the join holds every vector's bits in memory, where DuckDB spills positions to disk.
 */

/** The most memory a plan's vectors may take as bits (a bit per row of their data files). */
export const DELETION_VECTOR_BITS_BUDGET = 256 * 1024 ** 2;

/** How the local files of deletion vectors kept as bits end. */
export const DELETED_ROWS_EXTENSION = '.bits';

/** DuckDB's get_bit takes an INTEGER position. */
const MAX_BITS_ROWS = 2 ** 31 - 1;

export type DeletedRowsForm = 'bits' | 'positions';

/** The form a plan keeps its vectors in, from the row counts of the data files they delete rows of. */
export function deletedRowsForm(dataFileRows: readonly number[], budget = DELETION_VECTOR_BITS_BUDGET): DeletedRowsForm {
  let bytes = 0;
  for (const rows of dataFileRows) {
    if (rows > MAX_BITS_ROWS) return 'positions';
    bytes += rowBitsLength(rows);
  }
  return bytes <= budget ? 'bits' : 'positions';
}

/** Whether a vector's local file (localizeDeletionVector's) holds bits rather than positions. */
export function holdsBits(localPath: string): boolean {
  return localPath.endsWith(DELETED_ROWS_EXTENSION);
}

/**
 * DuckDB's BIT layout of a cast from BLOB: row i is bit 7 - i % 8 of byte i / 8. At least one byte,
 * as DuckDB casts no empty BLOB to BIT.
 */
export function rowBits(positions: Float64Array, rows: number): Uint8Array {
  const bits = new Uint8Array(rowBitsLength(rows));
  for (const position of positions) if (position < rows) bits[position >>> 3]! |= 0x80 >>> (position & 7);
  return bits;
}

/** The bytes of `rowBits` for a data file of `rows` rows. */
export function rowBitsLength(rows: number): number {
  return Math.max(1, Math.ceil(rows / 8));
}

import type { PartitionValues } from './partition.js';

/** A manifest list entry (spec: "Manifest Lists"), with v1 defaults filled in. */
export interface ManifestFile {
  readonly manifestPath: string;
  readonly manifestLength: number;
  readonly partitionSpecId: number;
  readonly content: 'data' | 'deletes';
  readonly sequenceNumber: number;
  readonly minSequenceNumber: number;
  readonly addedSnapshotId: bigint;
  /** Entry and row counts by status; null only in v1 manifest lists, where null means "not zero". */
  readonly addedFilesCount: number | null;
  readonly existingFilesCount: number | null;
  readonly deletedFilesCount: number | null;
  readonly addedRowsCount: number | null;
  readonly existingRowsCount: number | null;
  readonly deletedRowsCount: number | null;
  readonly partitions: readonly FieldSummary[] | null;
  readonly keyMetadata: Uint8Array | null;
  readonly firstRowId?: bigint | null;
}

export interface FieldSummary {
  readonly containsNull: boolean;
  readonly containsNan: boolean | null;
  readonly lowerBound: Uint8Array | null;
  readonly upperBound: Uint8Array | null;
}

export type FileContent = 'data' | 'position-deletes' | 'equality-deletes';
export type FileFormat = 'PARQUET' | 'AVRO' | 'ORC' | 'PUFFIN';

/** A data or delete file as a manifest describes it. Stats maps are keyed by field id. */
export interface DataFile {
  readonly content: FileContent;
  readonly filePath: string;
  readonly fileFormat: FileFormat;
  readonly partition: PartitionValues;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  readonly columnSizes?: ReadonlyMap<number, number>;
  readonly valueCounts?: ReadonlyMap<number, number>;
  readonly nullValueCounts?: ReadonlyMap<number, number>;
  readonly nanValueCounts?: ReadonlyMap<number, number>;
  /** Bounds in the spec's single-value binary serialization ("Appendix D"). */
  readonly lowerBounds?: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds?: ReadonlyMap<number, Uint8Array>;
  readonly keyMetadata?: Uint8Array | null;
  readonly splitOffsets?: readonly number[] | null;
  readonly equalityIds?: readonly number[] | null;
  readonly sortOrderId?: number | null;
  readonly firstRowId?: bigint | null;
  readonly referencedDataFile?: string | null;
  readonly contentOffset?: number | null;
  readonly contentSizeInBytes?: number | null;
}

/**
 * A file's identity within a snapshot: its path, and for a deletion vector its blob's offset too,
 * since one Puffin file holds the deletion vectors of many data files.
 */
export function contentFileKey(file: DataFile): string {
  return file.contentOffset == null ? file.filePath : `${file.filePath}#${file.contentOffset}`;
}

/** The bytes a file adds to a table: a deletion vector's blob, not its whole Puffin file (which other vectors share). */
export function contentSizeInBytes(file: DataFile): number {
  return file.fileFormat === 'PUFFIN' ? (file.contentSizeInBytes ?? file.fileSizeInBytes) : file.fileSizeInBytes;
}

export type ManifestEntryStatus = 'existing' | 'added' | 'deleted';

/**
 * A manifest entry. When read from a table, snapshot id and sequence numbers are already inherited
 * from the manifest list entry (spec: "Sequence Number Inheritance"); when null in a manifest being
 * written, they are left for inheritance at commit.
 */
export interface ManifestEntry {
  readonly status: ManifestEntryStatus;
  readonly snapshotId: bigint | null;
  readonly sequenceNumber: number | null;
  readonly fileSequenceNumber: number | null;
  readonly dataFile: DataFile;
}

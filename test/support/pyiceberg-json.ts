/** The JSON shapes pyiceberg's side of the cross tests prints (see generate.py), from Floe's values. */
import type { ManifestEntry, ManifestFile } from '../../iceberg/spec/manifest.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { fromJsonValue } from '../../iceberg/spec/value-json.js';

export const hex = (bytes: Uint8Array | null | undefined): string | null => (bytes == null ? null : Buffer.from(bytes).toString('hex'));
export const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const mapJson = <V>(map: ReadonlyMap<number, V> | undefined, f: (v: V) => unknown): Record<string, unknown> | null =>
  map === undefined ? null : Object.fromEntries([...map].map(([k, v]) => [String(k), f(v)]));

/** pyiceberg's JSON for a value (see to_json in generate.py) as Floe's in-memory value. */
export function expectedValue(type: PrimitiveType, json: unknown): PrimitiveValue | null {
  if (json === null) return null;
  if (type === 'date' && typeof json === 'number') return json; // raw records hold days
  if ((type === 'long' || type.startsWith('decimal')) && typeof json === 'string' && /^-?\d+$/.test(json)) return BigInt(json);
  if (type === 'int' && typeof json === 'string') return Number(json);
  if (type === 'long' && typeof json === 'string') return BigInt(json);
  if (type === 'binary' && typeof json === 'string') return Uint8Array.from(Buffer.from(json, 'hex'));
  return fromJsonValue(type, json);
}

export function normalizeManifestFile(m: ManifestFile): Record<string, unknown> {
  return {
    manifestPath: basename(m.manifestPath),
    manifestLength: m.manifestLength,
    partitionSpecId: m.partitionSpecId,
    content: m.content,
    sequenceNumber: m.sequenceNumber,
    minSequenceNumber: m.minSequenceNumber,
    addedSnapshotId: m.addedSnapshotId.toString(),
    addedFilesCount: m.addedFilesCount,
    existingFilesCount: m.existingFilesCount,
    deletedFilesCount: m.deletedFilesCount,
    addedRowsCount: m.addedRowsCount,
    existingRowsCount: m.existingRowsCount,
    deletedRowsCount: m.deletedRowsCount,
    partitions:
      m.partitions?.map((p) => ({
        containsNull: p.containsNull,
        containsNan: p.containsNan,
        lowerBound: hex(p.lowerBound),
        upperBound: hex(p.upperBound),
      })) ?? null,
    keyMetadata: hex(m.keyMetadata),
  };
}

export function normalizeEntry(e: ManifestEntry, rawPartition: readonly unknown[]): Record<string, unknown> {
  const f = e.dataFile;
  return {
    status: e.status,
    snapshotId: e.snapshotId?.toString() ?? null,
    sequenceNumber: e.sequenceNumber,
    fileSequenceNumber: e.fileSequenceNumber,
    dataFile: {
      content: f.content,
      filePath: f.filePath,
      fileFormat: f.fileFormat,
      partition: rawPartition,
      recordCount: f.recordCount,
      fileSizeInBytes: f.fileSizeInBytes,
      columnSizes: mapJson(f.columnSizes, (v) => v),
      valueCounts: mapJson(f.valueCounts, (v) => v),
      nullValueCounts: mapJson(f.nullValueCounts, (v) => v),
      nanValueCounts: mapJson(f.nanValueCounts, (v) => v),
      lowerBounds: mapJson(f.lowerBounds, hex),
      upperBounds: mapJson(f.upperBounds, hex),
      splitOffsets: f.splitOffsets ?? null,
      sortOrderId: f.sortOrderId ?? null,
    },
  };
}

/**
 * Manifest lists as Avro files (spec: "Manifest Lists"): read v1, v2 and v3 with v1 defaults
 * filled in, write v1, v2 and v3.
 */
import { FloeError } from '../../core/errors.js';
import { readAvroFile, writeAvroFile } from './avro/container.js';
import type { AvroTypes } from './avro/container.js';
import { bytesOrNull, longToBigint, longToNumber, requiredValue, toBuffer } from './avro/convert.js';
import { arrayItems, fieldsById, namedTypes, valueOf } from './avro/field-ids.js';
import type { FieldSummary, ManifestFile } from './manifest.js';
import { manifestFileSchema } from './manifest-avro-schema.js';
import type { FormatVersion } from './metadata.js';

/** Java's marker for a sequence number that the manifest list writer assigns at commit. */
export const UNASSIGNED_SEQUENCE_NUMBER = -1;

export function readManifestList(
  bytes: Uint8Array,
  options: { location: string; formatVersion: FormatVersion; avroTypes?: AvroTypes | undefined },
): ManifestFile[] {
  const { location } = options;
  const file = readAvroFile(bytes, location, options.avroTypes);
  const named = namedTypes(file.schema);
  const fields = fieldsById(file.schema, named, location);
  const partitionsField = fields.get(507);
  const summaryFields = partitionsField ? fieldsById(arrayItems(partitionsField.schema, named), named, location) : new Map();

  return file.records.map((record) => {
    const get = (id: number): unknown => valueOf(record, fields, id);
    const count = (id: number, name: string): number | null => {
      const value = get(id);
      return value == null ? null : longToNumber(value, name, location);
    };
    const contentCode = get(517);
    if (contentCode != null && contentCode !== 0 && contentCode !== 1) {
      throw new FloeError('corrupt', `Manifest content ${String(contentCode)} is not 0 or 1 in manifest list ${location}`, {
        context: { file: location },
      });
    }
    const partitions = get(507);
    const firstRowId = get(520);
    const manifest: ManifestFile = {
      manifestPath: String(requiredValue(get(500), 'manifest_path', location)),
      manifestLength: longToNumber(requiredValue(get(501), 'manifest_length', location), 'manifest_length', location),
      partitionSpecId: Number(requiredValue(get(502), 'partition_spec_id', location)),
      content: contentCode === 1 ? 'deletes' : 'data',
      sequenceNumber: count(515, 'sequence_number') ?? 0,
      minSequenceNumber: count(516, 'min_sequence_number') ?? 0,
      addedSnapshotId: longToBigint(requiredValue(get(503), 'added_snapshot_id', location), 'added_snapshot_id', location),
      addedFilesCount: count(504, 'added_files_count'),
      existingFilesCount: count(505, 'existing_files_count'),
      deletedFilesCount: count(506, 'deleted_files_count'),
      addedRowsCount: count(512, 'added_rows_count'),
      existingRowsCount: count(513, 'existing_rows_count'),
      deletedRowsCount: count(514, 'deleted_rows_count'),
      partitions:
        partitions == null
          ? null
          : (partitions as unknown[]).map((summary): FieldSummary => {
              const containsNan = valueOf(summary, summaryFields, 518);
              return {
                containsNull: Boolean(requiredValue(valueOf(summary, summaryFields, 509), 'contains_null', location)),
                containsNan: containsNan == null ? null : Boolean(containsNan),
                lowerBound: bytesOrNull(valueOf(summary, summaryFields, 510)),
                upperBound: bytesOrNull(valueOf(summary, summaryFields, 511)),
              };
            }),
      keyMetadata: bytesOrNull(get(519)),
      firstRowId: firstRowId == null ? null : longToBigint(firstRowId, 'first_row_id', location),
    };
    if (manifest.content === 'deletes' && options.formatVersion === 1) {
      throw new FloeError('corrupt', `A v1 table's manifest list ${location} lists delete manifest ${manifest.manifestPath}`, {
        context: { file: location },
      });
    }
    return manifest;
  });
}

export interface WriteManifestListOptions {
  readonly formatVersion: FormatVersion;
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | null;
  /** The snapshot's sequence number: given to manifests whose sequence numbers are UNASSIGNED (-1). */
  readonly sequenceNumber: number;
  /** v3: the snapshot's first row id, from which data manifests without one are numbered. */
  readonly firstRowId?: bigint;
  /** Where the compiled schema is kept for the next file (spec/avro/container.ts). */
  readonly avroTypes?: AvroTypes | undefined;
}

export function writeManifestList(manifests: readonly ManifestFile[], options: WriteManifestListOptions): Uint8Array {
  const { formatVersion } = options;
  const assigned = formatVersion >= 3 ? assignFirstRowIds(manifests, options.firstRowId ?? 0n).manifests : manifests;
  const records = assigned.map((manifest) => manifestRecord(manifest, options));
  const metadata = new Map<string, string>([
    ['snapshot-id', options.snapshotId.toString()],
    ['parent-snapshot-id', options.parentSnapshotId === null ? 'null' : options.parentSnapshotId.toString()],
  ]);
  if (formatVersion >= 2) metadata.set('sequence-number', String(options.sequenceNumber));
  if (formatVersion >= 3) metadata.set('first-row-id', (options.firstRowId ?? 0n).toString());
  metadata.set('format-version', String(formatVersion));
  return writeAvroFile({ schema: manifestFileSchema(formatVersion), metadata, codec: 'deflate', records, avroTypes: options.avroTypes });
}

/**
 * v3 row lineage (spec: "First Row ID Assignment"): each data manifest without a first_row_id
 * gets the next id, which then advances by its added and existing rows. `nextRowId` minus the
 * snapshot's first row id is the snapshot's `added-rows`.
 */
export function assignFirstRowIds(
  manifests: readonly ManifestFile[],
  firstRowId: bigint,
): { manifests: ManifestFile[]; nextRowId: bigint } {
  let nextRowId = firstRowId;
  const out = manifests.map((manifest) => {
    if (manifest.content !== 'data') return { ...manifest, firstRowId: null };
    if (manifest.firstRowId != null) return manifest;
    const assigned = { ...manifest, firstRowId: nextRowId };
    nextRowId += BigInt((manifest.addedRowsCount ?? 0) + (manifest.existingRowsCount ?? 0));
    return assigned;
  });
  return { manifests: out, nextRowId };
}

function manifestRecord(manifest: ManifestFile, options: WriteManifestListOptions): Record<string, unknown> {
  const v2 = options.formatVersion >= 2;
  const count = (value: number | null, name: string): number | bigint | null => {
    if (value === null && v2) {
      throw new FloeError(
        'invalid-input',
        `Manifest ${manifest.manifestPath} has no ${name}, which format version ${options.formatVersion} requires`,
        {
          context: { file: manifest.manifestPath, field: name },
        },
      );
    }
    return value;
  };
  const long = (value: number | null): bigint | null => (value === null ? null : BigInt(value));
  const sequenceNumber = manifest.sequenceNumber === UNASSIGNED_SEQUENCE_NUMBER ? options.sequenceNumber : manifest.sequenceNumber;
  const minSequenceNumber = manifest.minSequenceNumber === UNASSIGNED_SEQUENCE_NUMBER ? sequenceNumber : manifest.minSequenceNumber;
  if (options.formatVersion === 1 && manifest.content === 'deletes') {
    throw new FloeError('invalid-input', `Format version 1 has no delete manifests: ${manifest.manifestPath}`, {
      context: { file: manifest.manifestPath },
    });
  }
  return {
    manifest_path: manifest.manifestPath,
    manifest_length: BigInt(manifest.manifestLength),
    partition_spec_id: manifest.partitionSpecId,
    content: manifest.content === 'deletes' ? 1 : 0,
    sequence_number: BigInt(sequenceNumber),
    min_sequence_number: BigInt(minSequenceNumber),
    added_snapshot_id: manifest.addedSnapshotId,
    added_files_count: count(manifest.addedFilesCount, 'added_files_count'),
    existing_files_count: count(manifest.existingFilesCount, 'existing_files_count'),
    deleted_files_count: count(manifest.deletedFilesCount, 'deleted_files_count'),
    added_rows_count: long(count(manifest.addedRowsCount, 'added_rows_count') as number | null),
    existing_rows_count: long(count(manifest.existingRowsCount, 'existing_rows_count') as number | null),
    deleted_rows_count: long(count(manifest.deletedRowsCount, 'deleted_rows_count') as number | null),
    partitions: manifest.partitions
      ? manifest.partitions.map((summary) => ({
          contains_null: summary.containsNull,
          contains_nan: summary.containsNan,
          lower_bound: toBuffer(summary.lowerBound),
          upper_bound: toBuffer(summary.upperBound),
        }))
      : null,
    key_metadata: toBuffer(manifest.keyMetadata),
    first_row_id: manifest.firstRowId ?? null,
  };
}

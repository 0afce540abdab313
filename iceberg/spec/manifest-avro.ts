/**
 * Manifests as Avro files (spec: "Manifests"): read v1, v2 and v3, write v1, v2 and v3.
 * Entries are read as stored; `inheritFromManifestFile` fills in what a null inherits.
 */
import { stringify } from 'lossless-json';
import { FloeError } from '../../core/errors.js';
import { readAvroFile, writeAvroFile } from './avro/container.js';
import type { AvroTypes } from './avro/container.js';
import { longToBigint, longToNumber, requiredValue } from './avro/convert.js';
import { fieldsById, namedTypes, valueOf } from './avro/field-ids.js';
import type { AvroField } from './avro/field-ids.js';
import { icebergTypeOfAvro } from './avro/iceberg-avro-types.js';
import { dataFileRecord, readDataFile } from './data-file-avro.js';
import type { PartitionSlot } from './data-file-avro.js';
import type { FieldSummary, ManifestEntry, ManifestEntryStatus, ManifestFile } from './manifest.js';
import { manifestEntrySchema } from './manifest-avro-schema.js';
import type { PartitionFieldType } from './manifest-avro-schema.js';
import { partitionFieldsToJson } from './partition-json.js';
import { schemaToJson } from './schema-json.js';
import type { FormatVersion } from './metadata.js';
import type { PartitionSpec } from './partition.js';
import { summarizePartitions } from './partition-summary.js';
import { findField } from './schema.js';
import type { Schema } from './schema.js';
import { bindPartitionField, parseTransform } from './transforms.js';

const STATUS_BY_CODE: readonly ManifestEntryStatus[] = ['existing', 'added', 'deleted'];

export interface ReadManifestResult {
  readonly specId: number;
  readonly content: 'data' | 'deletes';
  readonly formatVersion: FormatVersion;
  readonly entries: ManifestEntry[];
}

export function readManifest(
  bytes: Uint8Array,
  options: { location: string; specs: readonly PartitionSpec[]; schemas: readonly Schema[]; avroTypes?: AvroTypes | undefined },
): ReadManifestResult {
  const { location } = options;
  const file = readAvroFile(bytes, location, options.avroTypes);
  const named = namedTypes(file.schema);
  const formatVersion = parseFormatVersion(file.metadata.get('format-version'), location);
  const content = file.metadata.get('content') === 'deletes' ? 'deletes' : 'data';
  const spec = findManifestSpec(file.metadata, options.specs, location);

  const entryFields = fieldsById(file.schema, named, location);
  const dataFileField = requiredValue(entryFields.get(2), 'data_file (field id 2)', location);
  const dataFileFields = fieldsById(dataFileField.schema, named, location);
  const partitionField = requiredValue(dataFileFields.get(102), 'partition (field id 102)', location);
  const partitionFields = fieldsById(partitionField.schema, named, location);
  const partitionTypes = readPartitionTypes(spec, options.schemas, file.metadata.get('schema-id'), partitionFields);

  const entries = file.records.map((record) => {
    const statusCode = valueOf(record, entryFields, 0);
    const status = STATUS_BY_CODE[Number(statusCode)];
    if (status === undefined)
      throw new FloeError('corrupt', `Manifest entry status ${String(statusCode)} is not 0, 1 or 2 in ${location}`, {
        context: { file: location },
      });
    const snapshotId = valueOf(record, entryFields, 1);
    const sequenceNumber = valueOf(record, entryFields, 3);
    const fileSequenceNumber = valueOf(record, entryFields, 4);
    const dataFileRecord = requiredValue(valueOf(record, entryFields, 2), 'data_file', location);
    const entry: ManifestEntry = {
      status,
      snapshotId: snapshotId == null ? null : longToBigint(snapshotId, 'snapshot_id', location),
      sequenceNumber: sequenceNumber == null ? null : longToNumber(sequenceNumber, 'sequence_number', location),
      fileSequenceNumber: fileSequenceNumber == null ? null : longToNumber(fileSequenceNumber, 'file_sequence_number', location),
      dataFile: readDataFile(dataFileRecord, dataFileFields, partitionFields, partitionTypes, named, location),
    };
    return entry;
  });
  return { specId: spec.specId, content, formatVersion, entries };
}

function parseFormatVersion(text: string | undefined, location: string): FormatVersion {
  if (text === undefined) return 1;
  const version = Number(text);
  if (version === 1 || version === 2 || version === 3) return version;
  throw new FloeError('unsupported', `Manifest ${location} has format-version ${text}; Floe reads 1, 2 and 3`, {
    context: { file: location, formatVersion: text },
  });
}

function findManifestSpec(metadata: ReadonlyMap<string, string>, specs: readonly PartitionSpec[], location: string): PartitionSpec {
  const idText = metadata.get('partition-spec-id');
  if (idText !== undefined) {
    const spec = specs.find((candidate) => candidate.specId === Number(idText));
    if (!spec) {
      throw new FloeError(
        'corrupt',
        `Manifest ${location} was written with partition spec ${idText}, which the table's metadata does not have`,
        {
          context: { file: location, specId: idText },
        },
      );
    }
    return spec;
  }
  // Old v1 manifests may name only the spec's fields: match them.
  const fieldsText = metadata.get('partition-spec');
  if (fieldsText !== undefined) {
    try {
      const fields = JSON.parse(fieldsText) as { 'source-id': number; 'field-id'?: number; transform: string }[];
      const match = specs.find(
        (spec) =>
          spec.fields.length === fields.length &&
          spec.fields.every((field, i) => field.sourceId === fields[i]?.['source-id'] && field.transform === fields[i]?.transform),
      );
      if (match) return match;
    } catch {
      // fall through to the default below
    }
  }
  const first = specs[0];
  if (!first)
    throw new FloeError('invalid-input', `No partition specs given to read manifest ${location}`, { context: { file: location } });
  return specs.find((spec) => spec.specId === 0) ?? first;
}

/** The result type of each spec field, from the table's schemas, or else the file's Avro types. */
function readPartitionTypes(
  spec: PartitionSpec,
  schemas: readonly Schema[],
  schemaIdText: string | undefined,
  avroFields: ReadonlyMap<number, AvroField>,
): PartitionSlot[] {
  const preferred = schemas.find((schema) => String(schema.schemaId) === schemaIdText);
  const candidates = preferred ? [preferred, ...[...schemas].reverse()] : [...schemas].reverse();
  return spec.fields.map((field, index) => {
    for (const schema of candidates) {
      const source = findField(schema, field.sourceId);
      if (source && typeof source.type === 'string') {
        const transform = parseTransform(field.transform);
        if (transform.canTransform(source.type))
          return { fieldId: field.fieldId, type: bindPartitionField(spec, schema, index).resultType };
      }
    }
    const avroType = avroFields.get(field.fieldId);
    return { fieldId: field.fieldId, type: (avroType && icebergTypeOfAvro(avroType.schema)) ?? 'int' };
  });
}

/**
 * Fills in what a manifest entry inherits from its manifest list entry (spec: "Sequence Number
 * Inheritance"): a null snapshot id always; null sequence numbers for ADDED entries, and for every
 * entry of a v1 manifest (sequence number 0), as Java does.
 */
export function inheritFromManifestFile(entry: ManifestEntry, manifest: ManifestFile): ManifestEntry {
  const inheritsSequence = entry.status === 'added' || manifest.sequenceNumber === 0;
  return {
    ...entry,
    snapshotId: entry.snapshotId ?? manifest.addedSnapshotId,
    sequenceNumber: entry.sequenceNumber ?? (inheritsSequence ? manifest.sequenceNumber : null),
    fileSequenceNumber: entry.fileSequenceNumber ?? (inheritsSequence ? manifest.sequenceNumber : null),
  };
}

/**
 * Inheritance for all entries of one manifest, in order, including v3 row lineage (spec: "First
 * Row ID Inheritance"): live data files without a first_row_id get the manifest's first_row_id
 * plus the records of the files before them that also had none.
 */
export function inheritManifestEntries(entries: readonly ManifestEntry[], manifest: ManifestFile): ManifestEntry[] {
  let nextRowId = manifest.firstRowId ?? null;
  return entries.map((stored) => {
    const entry = inheritFromManifestFile(stored, manifest);
    if (nextRowId === null || entry.status === 'deleted' || entry.dataFile.content !== 'data' || entry.dataFile.firstRowId != null)
      return entry;
    const firstRowId = nextRowId;
    nextRowId += BigInt(entry.dataFile.recordCount);
    return { ...entry, dataFile: { ...entry.dataFile, firstRowId } };
  });
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface WriteManifestOptions {
  readonly formatVersion: FormatVersion;
  readonly spec: PartitionSpec;
  readonly schema: Schema;
  readonly content: 'data' | 'deletes';
  /** For v1, the snapshot id of entries that have none (v1 stores it on every entry). */
  readonly snapshotId: bigint | null;
  /** Where the compiled schema is kept for the next file (spec/avro/container.ts). */
  readonly avroTypes?: AvroTypes | undefined;
}

export interface WrittenManifest {
  readonly bytes: Uint8Array;
  readonly partitions: FieldSummary[];
  readonly addedFilesCount: number;
  readonly existingFilesCount: number;
  readonly deletedFilesCount: number;
  readonly addedRowsCount: number;
  readonly existingRowsCount: number;
  readonly deletedRowsCount: number;
  /** The least data sequence number of live entries, or null when none is assigned yet. */
  readonly minSequenceNumber: number | null;
}

export function writeManifest(entries: readonly ManifestEntry[], options: WriteManifestOptions): WrittenManifest {
  const { formatVersion, spec, schema, content } = options;
  if (formatVersion === 1 && content === 'deletes') {
    throw new FloeError('invalid-input', 'Format version 1 has no delete files: cannot write a delete manifest', {
      context: { formatVersion },
    });
  }
  const partitionTypes: PartitionFieldType[] = spec.fields.map((field, index) => ({
    fieldId: field.fieldId,
    name: field.name,
    type: bindPartitionField(spec, schema, index).resultType,
  }));
  const counts = { added: 0, existing: 0, deleted: 0, addedRows: 0, existingRows: 0, deletedRows: 0 };
  let minSequenceNumber: number | null = null;
  const records = entries.map((entry, index) => {
    checkEntry(entry, index, options);
    const rows = entry.dataFile.recordCount;
    if (entry.status === 'added') [counts.added, counts.addedRows] = [counts.added + 1, counts.addedRows + rows];
    else if (entry.status === 'existing') [counts.existing, counts.existingRows] = [counts.existing + 1, counts.existingRows + rows];
    else [counts.deleted, counts.deletedRows] = [counts.deleted + 1, counts.deletedRows + rows];
    if (
      entry.status !== 'deleted' &&
      entry.sequenceNumber !== null &&
      (minSequenceNumber === null || entry.sequenceNumber < minSequenceNumber)
    ) {
      minSequenceNumber = entry.sequenceNumber;
    }
    return entryRecord(entry, formatVersion, partitionTypes, options.snapshotId);
  });
  const metadata = new Map<string, string>([
    ['schema', stringify(schemaToJson(schema)) ?? '{}'],
    ['schema-id', String(schema.schemaId)],
    ['partition-spec', stringify(partitionFieldsToJson(spec.fields)) ?? '[]'],
    ['partition-spec-id', String(spec.specId)],
    ['format-version', String(formatVersion)],
  ]);
  if (formatVersion >= 2) metadata.set('content', content);
  const bytes = writeAvroFile({
    schema: manifestEntrySchema(formatVersion, partitionTypes),
    metadata,
    codec: 'deflate',
    records,
    avroTypes: options.avroTypes,
  });
  return {
    bytes,
    partitions: summarizePartitions(
      spec,
      schema,
      entries.map((entry) => entry.dataFile.partition),
    ),
    addedFilesCount: counts.added,
    existingFilesCount: counts.existing,
    deletedFilesCount: counts.deleted,
    addedRowsCount: counts.addedRows,
    existingRowsCount: counts.existingRows,
    deletedRowsCount: counts.deletedRows,
    minSequenceNumber,
  };
}

function checkEntry(entry: ManifestEntry, index: number, options: WriteManifestOptions): void {
  const context = { entry: index, file: entry.dataFile.filePath };
  const isData = entry.dataFile.content === 'data';
  if (isData !== (options.content === 'data')) {
    throw new FloeError(
      'invalid-input',
      `A ${options.content} manifest cannot hold ${entry.dataFile.content} file ${entry.dataFile.filePath}`,
      { context },
    );
  }
  if (entry.dataFile.partition.length !== options.spec.fields.length) {
    throw new FloeError(
      'invalid-input',
      `File ${entry.dataFile.filePath} has ${entry.dataFile.partition.length} partition values but spec ${options.spec.specId} has ${options.spec.fields.length} fields`,
      { context },
    );
  }
  if (options.formatVersion === 1 && entry.snapshotId === null && options.snapshotId === null) {
    throw new FloeError(
      'invalid-input',
      `A v1 manifest entry needs a snapshot id: file ${entry.dataFile.filePath} has none and none was given`,
      { context },
    );
  }
  if (options.formatVersion >= 2 && entry.status !== 'added' && (entry.sequenceNumber === null || entry.fileSequenceNumber === null)) {
    throw new FloeError(
      'invalid-input',
      `An ${entry.status} entry must carry its sequence numbers (spec: "Sequence Number Inheritance"): file ${entry.dataFile.filePath}`,
      { context },
    );
  }
}

const STATUS_CODE: Record<ManifestEntryStatus, number> = { existing: 0, added: 1, deleted: 2 };

function entryRecord(
  entry: ManifestEntry,
  formatVersion: FormatVersion,
  partitionTypes: readonly PartitionFieldType[],
  defaultSnapshotId: bigint | null,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    status: STATUS_CODE[entry.status],
    snapshot_id: entry.snapshotId ?? (formatVersion === 1 ? defaultSnapshotId : null),
    data_file: dataFileRecord(entry.dataFile, formatVersion, partitionTypes),
  };
  if (formatVersion >= 2) {
    record.sequence_number = entry.sequenceNumber === null ? null : BigInt(entry.sequenceNumber);
    record.file_sequence_number = entry.fileSequenceNumber === null ? null : BigInt(entry.fileSequenceNumber);
  }
  return record;
}

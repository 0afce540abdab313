/**
 * A manifest entry's data file (spec: "Manifests", `data_file` struct) as its Avro record: read
 * from a manifest of any version, written in the shape of the version's schema.
 */
import { FloeError } from '../../core/errors.js';
import { bytesOrNull, longToBigint, longToNumber, requiredValue, toBuffer } from './avro/convert.js';
import { arrayItems, valueOf } from './avro/field-ids.js';
import type { AvroField } from './avro/field-ids.js';
import { avroCompatibleName, fromAvroValue, toAvroValue } from './avro/iceberg-avro-types.js';
import type { DataFile, FileContent, FileFormat } from './manifest.js';
import type { PartitionFieldType } from './manifest-avro-schema.js';
import type { FormatVersion } from './metadata.js';
import type { PartitionValues } from './partition.js';
import type { PrimitiveType, PrimitiveValue } from './types.js';
import { defined } from '../../contracts/defined.js';

const CONTENT_BY_CODE: readonly FileContent[] = ['data', 'position-deletes', 'equality-deletes'];
const CONTENT_CODE: Record<FileContent, number> = { data: 0, 'position-deletes': 1, 'equality-deletes': 2 };
const FILE_FORMATS: ReadonlySet<string> = new Set(['PARQUET', 'AVRO', 'ORC', 'PUFFIN']);
/** What Java writes for v1's deprecated, required block_size_in_bytes. */
const V1_BLOCK_SIZE = 64n * 1024n * 1024n;

/** A partition field's id and the type its values read as. */
export interface PartitionSlot {
  readonly fieldId: number;
  readonly type: PrimitiveType;
}

export function readDataFile(
  record: unknown,
  fields: ReadonlyMap<number, AvroField>,
  partitionFields: ReadonlyMap<number, AvroField>,
  partitionTypes: readonly PartitionSlot[],
  named: ReadonlyMap<string, unknown>,
  location: string,
): DataFile {
  const get = (id: number): unknown => valueOf(record, fields, id);
  const contentCode = get(134);
  const content = contentCode == null ? 'data' : CONTENT_BY_CODE[Number(contentCode)];
  if (content === undefined)
    throw new FloeError('corrupt', `Data file content ${String(contentCode)} is not 0, 1 or 2 in ${location}`, {
      context: { file: location },
    });
  const format = String(requiredValue(get(101), 'file_format', location)).toUpperCase();
  if (!FILE_FORMATS.has(format))
    throw new FloeError('corrupt', `Unknown file format ${format} in ${location}`, { context: { file: location, fileFormat: format } });
  const partitionRecord = requiredValue(get(102), 'partition', location);
  const partition: PartitionValues = partitionTypes.map((slot) => {
    const value = valueOf(partitionRecord, partitionFields, slot.fieldId);
    return value == null ? null : fromAvroValue(slot.type, value, location);
  });
  const countMap = (id: number, what: string): ReadonlyMap<number, number> | undefined =>
    readMap(get(id), fields.get(id), named, (v) => longToNumber(v, what, location));
  const bytesMap = (id: number): ReadonlyMap<number, Uint8Array> | undefined =>
    readMap(get(id), fields.get(id), named, (v) => Uint8Array.from(v as Uint8Array));
  const optionalNumber = (id: number, what: string): number | null => {
    const value = get(id);
    return value == null ? null : longToNumber(value, what, location);
  };
  const optionalList = (id: number, what: string): number[] | null => {
    const value = get(id);
    return value == null ? null : (value as unknown[]).map((item) => longToNumber(item, what, location));
  };
  const firstRowId = get(142);
  const referencedDataFile = get(143);
  const dataFile: DataFile = {
    content,
    filePath: String(requiredValue(get(100), 'file_path', location)),
    fileFormat: format as FileFormat,
    partition,
    recordCount: longToNumber(requiredValue(get(103), 'record_count', location), 'record_count', location),
    fileSizeInBytes: longToNumber(requiredValue(get(104), 'file_size_in_bytes', location), 'file_size_in_bytes', location),
    ...defined({
      columnSizes: countMap(108, 'column_sizes'),
      valueCounts: countMap(109, 'value_counts'),
      nullValueCounts: countMap(110, 'null_value_counts'),
      nanValueCounts: countMap(137, 'nan_value_counts'),
      lowerBounds: bytesMap(125),
      upperBounds: bytesMap(128),
    }),
    keyMetadata: bytesOrNull(get(131)),
    splitOffsets: optionalList(132, 'split_offsets'),
    equalityIds: optionalList(135, 'equality_ids'),
    sortOrderId: optionalNumber(140, 'sort_order_id'),
    firstRowId: firstRowId == null ? null : longToBigint(firstRowId, 'first_row_id', location),
    referencedDataFile: referencedDataFile == null ? null : String(referencedDataFile),
    contentOffset: optionalNumber(144, 'content_offset'),
    contentSizeInBytes: optionalNumber(145, 'content_size_in_bytes'),
  };
  return dataFile;
}

/** An Iceberg map stored as an Avro array of key/value records (keys are field ids). */
function readMap<V>(
  value: unknown,
  field: AvroField | undefined,
  named: ReadonlyMap<string, unknown>,
  convert: (raw: unknown) => V,
): ReadonlyMap<number, V> | undefined {
  if (value == null || !field) return undefined;
  const item = arrayItems(field.schema, named) as { fields?: { name: string }[] };
  const keyName = item.fields?.[0]?.name ?? 'key';
  const valueName = item.fields?.[1]?.name ?? 'value';
  const map = new Map<number, V>();
  for (const pair of value as Record<string, unknown>[]) map.set(Number(pair[keyName]), convert(pair[valueName]));
  return map;
}

export function dataFileRecord(
  file: DataFile,
  formatVersion: FormatVersion,
  partitionTypes: readonly PartitionFieldType[],
): Record<string, unknown> {
  const partition: Record<string, unknown> = {};
  partitionTypes.forEach((slot, index) => {
    const value: PrimitiveValue | null = file.partition[index] ?? null;
    partition[avroCompatibleName(slot.name)] = value === null ? null : toAvroValue(slot.type, value);
  });
  const longs = (map: ReadonlyMap<number, number> | undefined): unknown =>
    map ? [...map].map(([key, value]) => ({ key, value: BigInt(value) })) : null;
  const bytes = (map: ReadonlyMap<number, Uint8Array> | undefined): unknown =>
    map ? [...map].map(([key, value]) => ({ key, value: Buffer.from(value) })) : null;
  const optionalLong = (value: number | bigint | null | undefined): bigint | null => (value == null ? null : BigInt(value));
  const record: Record<string, unknown> = {
    content: CONTENT_CODE[file.content],
    file_path: file.filePath,
    file_format: file.fileFormat,
    partition,
    record_count: BigInt(file.recordCount),
    file_size_in_bytes: BigInt(file.fileSizeInBytes),
    block_size_in_bytes: V1_BLOCK_SIZE,
    column_sizes: longs(file.columnSizes),
    value_counts: longs(file.valueCounts),
    null_value_counts: longs(file.nullValueCounts),
    nan_value_counts: longs(file.nanValueCounts),
    lower_bounds: bytes(file.lowerBounds),
    upper_bounds: bytes(file.upperBounds),
    key_metadata: toBuffer(file.keyMetadata),
    split_offsets: file.splitOffsets ? file.splitOffsets.map((offset) => BigInt(offset)) : null,
    equality_ids: file.equalityIds ? [...file.equalityIds] : null,
    sort_order_id: file.sortOrderId ?? null,
    first_row_id: optionalLong(file.firstRowId),
    referenced_data_file: file.referencedDataFile ?? null,
    content_offset: optionalLong(file.contentOffset),
    content_size_in_bytes: optionalLong(file.contentSizeInBytes),
  };
  void formatVersion; // fields absent from the version's schema are simply not written
  return record;
}

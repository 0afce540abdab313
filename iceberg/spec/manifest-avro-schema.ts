/**
 * The Avro schemas of manifests (`manifest_entry`) and manifest lists (`manifest_file`), exactly
 * the spec's fields and field ids per format version, named as Java names them.
 */
import type { FormatVersion } from './metadata.js';
import type { PrimitiveType } from './types.js';
import { avroCompatibleName, avroSchemaFor } from './avro/iceberg-avro-types.js';

export interface PartitionFieldType {
  readonly fieldId: number;
  readonly name: string;
  readonly type: PrimitiveType;
}

type Json = Record<string, unknown>;

const required = (id: number, name: string, type: unknown, doc?: string): Json => ({ name, type, ...(doc ? { doc } : {}), 'field-id': id });
const optional = (id: number, name: string, type: unknown, doc?: string): Json => ({
  name,
  type: ['null', type],
  default: null,
  ...(doc ? { doc } : {}),
  'field-id': id,
});

function intLongMap(id: number, name: string, keyId: number, valueId: number, valueType: 'long' | 'bytes', doc: string): Json {
  return optional(
    id,
    name,
    {
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${keyId}_v${valueId}`,
        fields: [required(keyId, 'key', 'int'), required(valueId, 'value', valueType)],
      },
    },
    doc,
  );
}

function list(id: number, name: string, elementId: number, elementType: 'int' | 'long', doc: string): Json {
  return optional(id, name, { type: 'array', items: elementType, 'element-id': elementId }, doc);
}

export function partitionRecordSchema(fields: readonly PartitionFieldType[]): Json {
  const definedNames = new Set<string>();
  return {
    type: 'record',
    name: 'r102',
    fields: fields.map((field) => optional(field.fieldId, avroCompatibleName(field.name), avroSchemaFor(field.type, definedNames))),
  };
}

export function dataFileSchema(formatVersion: FormatVersion, partition: readonly PartitionFieldType[]): Json {
  const v2 = formatVersion >= 2;
  const v3 = formatVersion >= 3;
  const fields: Json[] = [];
  if (v2) fields.push(required(134, 'content', 'int', 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'));
  fields.push(
    required(100, 'file_path', 'string', 'Location URI with FS scheme'),
    required(101, 'file_format', 'string', 'File format name: avro, orc, or parquet'),
    required(102, 'partition', partitionRecordSchema(partition), 'Partition data tuple, schema based on the partition spec'),
    required(103, 'record_count', 'long', 'Number of records in the file'),
    required(104, 'file_size_in_bytes', 'long', 'Total file size in bytes'),
  );
  if (!v2) fields.push(required(105, 'block_size_in_bytes', 'long', 'Deprecated. Always write a default in v1.'));
  fields.push(
    intLongMap(108, 'column_sizes', 117, 118, 'long', 'Map of column id to total size on disk'),
    intLongMap(109, 'value_counts', 119, 120, 'long', 'Map of column id to total count, including null and NaN'),
    intLongMap(110, 'null_value_counts', 121, 122, 'long', 'Map of column id to null value count'),
    intLongMap(137, 'nan_value_counts', 138, 139, 'long', 'Map of column id to number of NaN values in the column'),
    intLongMap(125, 'lower_bounds', 126, 127, 'bytes', 'Map of column id to lower bound'),
    intLongMap(128, 'upper_bounds', 129, 130, 'bytes', 'Map of column id to upper bound'),
    optional(131, 'key_metadata', 'bytes', 'Encryption key metadata blob'),
    list(132, 'split_offsets', 133, 'long', 'Splittable offsets'),
  );
  if (v2) fields.push(list(135, 'equality_ids', 136, 'int', 'Equality comparison field IDs'));
  fields.push(optional(140, 'sort_order_id', 'int', 'Sort order ID'));
  if (v3) fields.push(optional(142, 'first_row_id', 'long', 'The _row_id of the first row in the data file'));
  if (v2)
    fields.push(
      optional(
        143,
        'referenced_data_file',
        'string',
        'Fully qualified location (URI with FS scheme) of a data file that all deletes reference',
      ),
    );
  if (v3) {
    fields.push(
      optional(144, 'content_offset', 'long', 'The offset in the file where the content starts'),
      optional(145, 'content_size_in_bytes', 'long', 'The length of referenced content stored in the file'),
    );
  }
  return { type: 'record', name: 'r2', fields };
}

export function manifestEntrySchema(formatVersion: FormatVersion, partition: readonly PartitionFieldType[]): Json {
  const fields: Json[] = [required(0, 'status', 'int')];
  if (formatVersion === 1) {
    fields.push(required(1, 'snapshot_id', 'long'));
  } else {
    fields.push(optional(1, 'snapshot_id', 'long'), optional(3, 'sequence_number', 'long'), optional(4, 'file_sequence_number', 'long'));
  }
  fields.push(required(2, 'data_file', dataFileSchema(formatVersion, partition)));
  return { type: 'record', name: 'manifest_entry', fields };
}

const fieldSummarySchema: Json = {
  type: 'record',
  name: 'r508',
  fields: [
    required(509, 'contains_null', 'boolean', 'True if any file has a null partition value'),
    optional(518, 'contains_nan', 'boolean', 'True if any file has a nan partition value'),
    optional(510, 'lower_bound', 'bytes', 'Partition lower bound for all files'),
    optional(511, 'upper_bound', 'bytes', 'Partition upper bound for all files'),
  ],
};

export function manifestFileSchema(formatVersion: FormatVersion): Json {
  const v2 = formatVersion >= 2;
  const count = v2 ? required : optional;
  const fields: Json[] = [
    required(500, 'manifest_path', 'string', 'Location URI with FS scheme'),
    required(501, 'manifest_length', 'long', 'Total file size in bytes'),
    required(502, 'partition_spec_id', 'int', 'Spec ID used to write'),
  ];
  if (v2) {
    fields.push(
      required(517, 'content', 'int', 'Contents of the manifest: 0=data, 1=deletes'),
      required(515, 'sequence_number', 'long', 'Sequence number when the manifest was added'),
      required(516, 'min_sequence_number', 'long', 'Lowest sequence number in the manifest'),
    );
  }
  fields.push(
    required(503, 'added_snapshot_id', 'long', 'Snapshot ID that added the manifest'),
    count(504, 'added_files_count', 'int', 'Added entry count'),
    count(505, 'existing_files_count', 'int', 'Existing entry count'),
    count(506, 'deleted_files_count', 'int', 'Deleted entry count'),
    count(512, 'added_rows_count', 'long', 'Added rows count'),
    count(513, 'existing_rows_count', 'long', 'Existing rows count'),
    count(514, 'deleted_rows_count', 'long', 'Deleted rows count'),
    optional(507, 'partitions', { type: 'array', items: fieldSummarySchema, 'element-id': 508 }, 'Summary for each partition'),
    optional(519, 'key_metadata', 'bytes', 'Encryption key metadata blob'),
  );
  if (formatVersion >= 3) fields.push(optional(520, 'first_row_id', 'long', 'Starting row ID to assign to new rows in ADDED data files'));
  return { type: 'record', name: 'manifest_file', fields };
}

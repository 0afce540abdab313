import type avro from 'avsc';
import { FloeError } from '../../core/errors.js';
import { avroType } from '../../iceberg/spec/avro/long.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import type { AvroStreamFormat, StreamSourceDefinition } from '../stream-source.js';
import type { AVRO_FRAMINGS } from '../stream-avro-schema.js';
import { avroNestedValue, isProblem, namedAvroTypes } from './avro-nested-values.js';

// Avro message values of a stream source. The definition's record schema is the writer's schema:
// each value is one record of it, as raw Avro binary or in the Confluent wire format (byte 0, a
// 4-byte big-endian schema id, then the Avro body). The schema id is not looked up (there is no
// schema registry client here): the definition's schema decodes every message.

/** What a field's Avro type is, as far as a column is concerned. */
type AvroKind =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'string'
  | 'bytes'
  | 'enum'
  | 'timestamp-millis'
  | 'timestamp-micros'
  | 'date'
  | 'array'
  | 'map'
  | 'record'
  | 'unsupported';

const PRIMITIVE_KINDS: ReadonlySet<string> = new Set(['boolean', 'int', 'long', 'float', 'double', 'string', 'bytes']);

interface FieldKind {
  readonly kind: AvroKind;
  readonly nullable: boolean;
  /** The field's type as written in the schema, for messages. */
  readonly shown: string;
}

/** A field's type reduced to its kind: a primitive, a logical type of one, an enum, or a `["null", T]` union of one. */
function fieldKind(type: unknown): FieldKind {
  const shown = JSON.stringify(type);
  if (Array.isArray(type)) {
    const others = type.filter((branch) => branch !== 'null');
    if (type.length === 2 && others.length === 1) return { ...fieldKind(others[0]), nullable: true, shown };
    return { kind: 'unsupported', nullable: false, shown };
  }
  if (typeof type === 'string') return { kind: PRIMITIVE_KINDS.has(type) ? (type as AvroKind) : 'unsupported', nullable: false, shown };
  if (type !== null && typeof type === 'object') {
    const { type: base, logicalType } = type as { type?: unknown; logicalType?: unknown };
    if (base === 'long' && (logicalType === 'timestamp-millis' || logicalType === 'timestamp-micros'))
      return { kind: logicalType, nullable: false, shown };
    if (base === 'int' && logicalType === 'date') return { kind: 'date', nullable: false, shown };
    if (base === 'enum') return { kind: 'enum', nullable: false, shown };
    // A list, map or struct column: each value inside is checked as the column's (push-rows.ts).
    if (base === 'array' || base === 'map' || base === 'record') return { kind: base, nullable: false, shown };
    // Another logical type is read as its underlying type, as the Avro spec says.
    if (typeof base === 'string' && PRIMITIVE_KINDS.has(base)) return { kind: base as AvroKind, nullable: false, shown };
  }
  return { kind: 'unsupported', nullable: false, shown };
}

const TIMESTAMPS: ReadonlySet<string> = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const isDecimal = (type: string) => type.startsWith('decimal');

/** The column types each kind of field may go to. */
const FITS: Record<Exclude<AvroKind, 'unsupported'>, (column: string) => boolean> = {
  boolean: (column) => column === 'boolean',
  int: (column) => ['int', 'long', 'float', 'double'].includes(column) || isDecimal(column),
  // A plain long into a timestamp column is milliseconds since the epoch.
  long: (column) => column === 'long' || column === 'double' || TIMESTAMPS.has(column) || isDecimal(column),
  float: (column) => column === 'float' || column === 'double',
  double: (column) => column === 'double',
  // Text of the column's type, checked message by message as a JSON value is (ISO 8601 for timestamps).
  string: (column) => ['string', 'uuid', 'date'].includes(column) || TIMESTAMPS.has(column) || isDecimal(column),
  enum: (column) => column === 'string',
  bytes: (column) => column === 'binary',
  'timestamp-millis': (column) => TIMESTAMPS.has(column),
  'timestamp-micros': (column) => TIMESTAMPS.has(column),
  date: (column) => column === 'date',
  array: (column) => column === 'list',
  map: (column) => column === 'map',
  record: (column) => column === 'struct',
};

/** The Avro types a column takes, for the message refusing another. */
function expectedFor(column: string): string {
  const kinds = Object.entries(FITS)
    .filter(([, fits]) => fits(column))
    .map(([kind]) => (kind.includes('-') || kind === 'date' ? `${kind} (logical type)` : kind));
  return kinds.length === 0 ? 'none: no Avro type maps to it' : kinds.join(', ');
}

/** One field of the writer's schema and where it goes. */
interface AvroColumn extends FieldKind {
  readonly field: string;
  readonly column: string;
  readonly columnType: string;
  readonly type: avro.Type;
  /** The field's type as the schema writes it (logical types inside an array, map or record are read from it). */
  readonly schema: unknown;
}

/** Decodes a message's value to a record of push values by field name (fieldMapping applied after), or says why it cannot. */
export interface AvroDecoder {
  decode(value: Buffer): Record<string, unknown> | string;
}

/**
 * The decoder of a stream source's Avro values, after checking its schema against the table:
 * every field, renamed by `fieldMapping` (and `timestampField` to the event time column), is a
 * column of a type it fits, and every required column (join keys, the event time) is a field.
 * A schema that does not fit is refused (invalid-input, exit 2) naming the stream, the field and
 * the type expected: no message could land.
 */
export function avroDecoder(
  stream: StreamSourceDefinition,
  format: AvroStreamFormat,
  table: { readonly fields: readonly NestedField[]; readonly required: ReadonlySet<string>; readonly timestampColumn: string },
): AvroDecoder {
  const record = avroType(format.schema) as avro.types.RecordType;
  const { fieldMapping = {}, timestampField } = stream;
  const byName = new Map(table.fields.map((field) => [field.name, field]));
  const refuse = (field: string, detail: string) =>
    new FloeError('invalid-input', `Stream source ${stream.name}: the Avro schema's field ${field} ${detail}`, {
      context: { stream: stream.name, field: `format.avro.schema.fields.${field}` },
    });
  const schemaFields = (format.schema as { fields: { name: string; type: unknown }[] }).fields;
  const columns: AvroColumn[] = schemaFields.map((field, index) => {
    const column = Object.hasOwn(fieldMapping, field.name)
      ? fieldMapping[field.name]!
      : field.name === timestampField
        ? table.timestampColumn
        : field.name;
    const target = byName.get(column);
    if (target === undefined)
      throw refuse(
        field.name,
        `is not a column of the table${column === field.name ? '' : ` (as ${column})`}; it has: ${table.fields.map((each) => each.name).join(', ')} (map fields to columns with fieldMapping)`,
      );
    const kind = fieldKind(field.type);
    const columnType = typeof target.type === 'string' ? target.type : target.type.type;
    if (kind.kind === 'unsupported' || !FITS[kind.kind](columnType))
      throw refuse(
        field.name,
        `is ${kind.shown}, which does not fit column ${column} (${columnType}); expected: ${expectedFor(columnType)} (each may be in a ["null", …] union)`,
      );
    return { ...kind, field: field.name, column, columnType, type: record.fields[index]!.type, schema: field.type };
  });
  const given = new Set(columns.map((column) => column.column));
  for (const column of table.required)
    if (!given.has(column))
      throw new FloeError(
        'invalid-input',
        `Stream source ${stream.name}: the Avro schema has no field for column ${column}, which every row needs (a join key or the event time)${column === table.timestampColumn ? `; name it ${column}, or set timestampField` : ''}`,
        { context: { stream: stream.name, field: 'format.avro.schema.fields', column } },
      );
  const named = namedAvroTypes(format.schema);
  return {
    decode(value) {
      const body = framed(value, format.framing, record);
      if (typeof body === 'string') return body;
      let decoded: { value: unknown; offset: number } | undefined;
      try {
        decoded = record.decode(body.bytes, 0);
      } catch {
        // diagnose says which field.
      }
      if (decoded?.offset !== body.bytes.length)
        return `the value does not decode with the Avro schema: ${diagnose(record, columns, body)}`;
      const row: Record<string, unknown> = {};
      for (const column of columns) {
        const converted = pushValue(column, (decoded.value as Record<string, unknown>)[column.field], named);
        if (isProblem(converted)) return `Avro field ${column.field} (${column.shown}): ${converted.problem}`;
        row[column.field] = converted;
      }
      return row;
    },
  };
}

interface Body {
  readonly bytes: Buffer;
  /** The schema id of a Confluent-framed value. */
  readonly schemaId?: number;
}

/**
 * The Avro body of a value. `auto`: a value starting with byte 0 that is a whole record after a
 * 5-byte Confluent header is read as one (a raw record starting with 0, such as a first field of
 * 0 or null, is read raw when the framed reading does not decode to its end).
 */
function framed(value: Buffer, framing: (typeof AVRO_FRAMINGS)[number], record: avro.Type): Body | string {
  if (value.length === 0) return 'the message has no value';
  const confluent = value.length >= 5 && value[0] === 0 ? { bytes: value.subarray(5), schemaId: value.readUInt32BE(1) } : undefined;
  if (framing === 'raw') return { bytes: value };
  if (framing === 'confluent')
    return (
      confluent ??
      `the value is not in the Confluent wire format: it starts with byte 0x${value[0]!.toString(16).padStart(2, '0')}${value.length < 5 ? ` and has ${value.length} byte(s)` : ''}, not the magic byte 0 and a 4-byte schema id`
    );
  if (confluent !== undefined && decodesWhole(record, confluent.bytes)) return confluent;
  return { bytes: value };
}

function decodesWhole(record: avro.Type, bytes: Buffer): boolean {
  try {
    return record.decode(bytes, 0).offset === bytes.length;
  } catch {
    return false;
  }
}

/** Which field a value that does not decode fails at, reading it field by field. */
function diagnose(record: avro.types.RecordType, columns: readonly AvroColumn[], body: Body): string {
  const { bytes } = body;
  const framing = body.schemaId === undefined ? '' : ` (read after a Confluent header, schema id ${body.schemaId})`;
  let position = 0;
  for (const [index, field] of record.fields.entries()) {
    const shown = columns[index]!.shown;
    let next: number;
    try {
      next = field.type.decode(bytes, position).offset;
    } catch (error) {
      return `field ${field.name} (${shown}) at byte ${position}: not valid Avro (${(error as Error).message})${framing}`;
    }
    if (next < 0 || next > bytes.length)
      return `field ${field.name} (${shown}): the value ends before it does (at byte ${position} of ${bytes.length})${framing}`;
    position = next;
  }
  const last = record.fields.at(-1)?.name ?? '(none)';
  return `${bytes.length - position} byte(s) left after the last field, ${last}: the value was written with another schema${framing}`;
}

/**
 * The instants ISO 8601 text of four-digit years writes, years 1 to 9999: what a pushed timestamp
 * or date may be (DuckDB reads no other year in the text), so a time outside is the message's
 * problem, a dead letter, rather than a batch that cannot land.
 */
const MIN_MICROS = -62_135_596_800_000_000n; // 0001-01-01T00:00:00Z
const MAX_MICROS = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z
const MIN_DAYS = -719_162;
const MAX_DAYS = 2_932_896;

/** A decoded field's value as a push value of its column (ISO text for times, inside arrays, maps and records too), or the problem with it. */
function pushValue(column: AvroColumn, value: unknown, named: ReadonlyMap<string, unknown>): unknown {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'array':
    case 'map':
    case 'record':
      return avroNestedValue(column.schema, value, { named, times: { timestampFromMicros: isoFromMicros, dateFromDays: dateText } });
    case 'timestamp-millis':
      return isoFromMicros(BigInt(value as bigint) * 1000n);
    case 'timestamp-micros':
      return isoFromMicros(BigInt(value as bigint));
    case 'long':
      return TIMESTAMPS.has(column.columnType) ? isoFromMicros(BigInt(value as bigint) * 1000n) : value;
    case 'date':
      return dateText(value as number);
    default:
      // A decimal column takes integers as text.
      return typeof value === 'bigint' && isDecimal(column.columnType) ? value.toString() : value;
  }
}

/** Days since the epoch as YYYY-MM-DD. */
function dateText(days: number): string | { problem: string } {
  return days < MIN_DAYS || days > MAX_DAYS
    ? { problem: `${String(days)} days since the epoch is out of range for a date (years 1 to 9999)` }
    : new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Microseconds since the epoch as ISO 8601 UTC text, keeping the microseconds. */
function isoFromMicros(micros: bigint): string | { problem: string } {
  if (micros > MAX_MICROS || micros < MIN_MICROS)
    return { problem: `${micros} µs since the epoch is out of range for a timestamp (years 1 to 9999)` };
  const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const seconds = (micros - fraction) / 1_000_000n;
  const text = new Date(Number(seconds) * 1000).toISOString().slice(0, -5);
  return fraction === 0n ? `${text}Z` : `${text}.${fraction.toString().padStart(6, '0').replace(/0+$/, '')}Z`;
}

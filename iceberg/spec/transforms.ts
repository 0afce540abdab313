/**
 * Partition transforms (spec: "Partition Transforms", "Bucket Transform Details", "Truncate
 * Transform Details", Appendix B): parsing, applying, the inclusive projection of predicates that
 * scan planning prunes with, and the human-readable values Java puts in partition paths.
 *
 * A transform's behaviour depends on its source type (a bigint is a long, a decimal or a
 * timestamp), so a parsed Transform is bound to a source type before it is applied.
 */
import murmur3 from 'murmurhash3js-revisited';
import { FloeError } from '../../core/errors.js';
import type { PartitionSpec, PartitionValues } from './partition.js';
import { findField } from './schema.js';
import type { Schema } from './schema.js';
import { civilFromDays, floorDiv, floorMod, formatDate, MICROS_PER_DAY, MICROS_PER_HOUR, NANOS_PER_MICRO, pad } from './temporal.js';
import { decimalParams, fixedLength, isNanosecondTimestamp } from './type-params.js';
import type { IcebergType, PrimitiveType, PrimitiveValue } from './types.js';
import type { ValuePredicate } from './value-predicate.js';
import { asBigint, asInteger, asLong, minimalBigEndian, toBinary } from './values.js';
import { humanString } from './human-string.js';
import { projectInclusive } from './partition-projection.js';
import { defined } from '../../contracts/defined.js';

export type TransformKind = 'identity' | 'bucket' | 'truncate' | 'year' | 'month' | 'day' | 'hour' | 'void';

export interface Transform {
  /** The spec's text: `identity`, `bucket[16]`, `truncate[4]`, `day`, … */
  readonly name: string;
  readonly kind: TransformKind;
  /** N of bucket[N], W of truncate[W]. */
  readonly parameter?: number;
  canTransform(source: IcebergType): boolean;
  resultType(source: IcebergType): IcebergType;
  /** This transform for one source type; invalid-input if the transform cannot apply to it. */
  bind(source: IcebergType): BoundTransform;
}

export interface BoundTransform {
  readonly transform: Transform;
  readonly sourceType: PrimitiveType;
  readonly resultType: PrimitiveType;
  apply(value: PrimitiveValue | null): PrimitiveValue | null;
  /**
   * The inclusive projection of a predicate on the source value to one on the partition value:
   * whenever the source value satisfies `predicate`, its partition value satisfies the result.
   * null means "cannot narrow": every partition may match.
   */
  projectInclusive(predicate: ValuePredicate): ValuePredicate | null;
  /** The partition value as Java writes it in a partition path (`2024-01-01`, `3`, `null`). */
  toHumanString(partitionValue: PrimitiveValue | null): string;
}

const TEMPORAL_SOURCES: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const BUCKET_SOURCES: ReadonlySet<string> = new Set([
  'int',
  'long',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
  'string',
  'uuid',
  'binary',
]);

export function parseTransform(text: string): Transform {
  const trimmed = text.trim();
  switch (trimmed) {
    case 'identity':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
    case 'void':
      return makeTransform(trimmed);
    default:
      break;
  }
  const match = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(trimmed);
  if (match) {
    const parameter = Number(match[2]);
    if (!Number.isSafeInteger(parameter) || parameter <= 0 || parameter > 2 ** 31 - 1) {
      throw new FloeError(
        'invalid-input',
        `Transform ${JSON.stringify(text)} needs a positive 32-bit ${match[1] === 'bucket' ? 'number of buckets' : 'width'}`,
        { context: { transform: text } },
      );
    }
    return makeTransform(match[1] as 'bucket' | 'truncate', parameter);
  }
  throw new FloeError(
    'unsupported',
    `Unsupported partition transform ${JSON.stringify(text)}; Floe supports identity, bucket[N], truncate[W], year, month, day, hour and void`,
    {
      context: { transform: text },
    },
  );
}

function makeTransform(kind: TransformKind, parameter?: number): Transform {
  const name = parameter === undefined ? kind : `${kind}[${parameter}]`;
  const transform: Transform = {
    name,
    kind,
    ...defined({ parameter }),
    canTransform: (source) => canTransform(kind, source),
    resultType: (source) => {
      if (!canTransform(kind, source)) throw cannotTransform(name, source);
      return resultType(kind, source as PrimitiveType);
    },
    bind: (source) => {
      if (!canTransform(kind, source)) throw cannotTransform(name, source);
      return bindTransform(transform, source as PrimitiveType);
    },
  };
  return transform;
}

function canTransform(kind: TransformKind, source: IcebergType): boolean {
  if (typeof source !== 'string') return false;
  switch (kind) {
    case 'identity':
      return source !== 'unknown';
    case 'void':
      return true;
    case 'bucket':
      return BUCKET_SOURCES.has(source) || decimalParams(source) !== undefined || fixedLength(source) !== undefined;
    case 'truncate':
      return source === 'int' || source === 'long' || source === 'string' || source === 'binary' || decimalParams(source) !== undefined;
    case 'hour':
      return TEMPORAL_SOURCES.has(source) && source !== 'date';
    default:
      return TEMPORAL_SOURCES.has(source);
  }
}

function resultType(kind: TransformKind, source: PrimitiveType): PrimitiveType {
  switch (kind) {
    case 'identity':
    case 'truncate':
    case 'void':
      return source;
    case 'day':
      return 'date';
    default:
      return 'int';
  }
}

function cannotTransform(name: string, source: IcebergType): FloeError {
  const shown = typeof source === 'string' ? source : source.type;
  return new FloeError('invalid-input', `Transform ${name} cannot be applied to a column of type ${shown}`, {
    context: { transform: name, type: shown },
  });
}

function bindTransform(transform: Transform, sourceType: PrimitiveType): BoundTransform {
  const result = resultType(transform.kind, sourceType);
  const apply = valueFunction(transform, sourceType);
  return {
    transform,
    sourceType,
    resultType: result,
    apply: (value) => (value === null ? null : apply(value)),
    projectInclusive: (predicate) => projectInclusive(transform, sourceType, apply, predicate),
    toHumanString: (value) => humanValue(transform.kind, result, value),
  };
}

// ---------------------------------------------------------------------------------------------
// Applying

function valueFunction(transform: Transform, source: PrimitiveType): (value: PrimitiveValue) => PrimitiveValue | null {
  const parameter = transform.parameter ?? 0;
  switch (transform.kind) {
    case 'identity':
      return (value) => value;
    case 'void':
      return () => null;
    case 'bucket':
      return (value) => (bucketHash(value, source) & 0x7fffffff) % parameter;
    case 'truncate':
      return truncateFunction(source, parameter);
    case 'year':
      return (value) => civilFromDays(toDays(source, value)).year - 1970;
    case 'month':
      return (value) => {
        const { year, month } = civilFromDays(toDays(source, value));
        return (year - 1970) * 12 + month - 1;
      };
    case 'day':
      return (value) => toDays(source, value);
    case 'hour':
      return (value) => Number(floorDiv(toMicros(source, value), MICROS_PER_HOUR));
  }
}

/** Microseconds since the epoch of a timestamp value, from µs or (floored) ns. */
function toMicros(source: PrimitiveType, value: PrimitiveValue): bigint {
  const raw = asBigint(source, value);
  return isNanosecondTimestamp(source) ? floorDiv(raw, NANOS_PER_MICRO) : raw;
}

function toDays(source: PrimitiveType, value: PrimitiveValue): number {
  if (source === 'date') return asInteger(source, value, -(2 ** 31), 2 ** 31 - 1);
  return Number(floorDiv(toMicros(source, value), MICROS_PER_DAY));
}

function truncateFunction(source: PrimitiveType, width: number): (value: PrimitiveValue) => PrimitiveValue {
  if (source === 'int') {
    return (value) => {
      const v = asInteger(source, value, -(2 ** 31), 2 ** 31 - 1);
      return v - (((v % width) + width) % width);
    };
  }
  if (source === 'string') return (value) => truncateCodePoints(String(value), width);
  if (source === 'binary') {
    return (value) => {
      if (!(value instanceof Uint8Array))
        throw new FloeError('invalid-input', 'A binary value must be a Uint8Array', { context: { type: source } });
      return value.length <= width ? value : value.slice(0, width);
    };
  }
  // long and decimal: the unscaled value is truncated to a multiple of W (spec: decimal uses the
  // column's scale for W, which is the same as working on the unscaled value).
  const w = BigInt(width);
  return (value) => {
    const v = asBigint(source, value);
    return v - floorMod(v, w);
  };
}

export function truncateCodePoints(text: string, length: number): string {
  let count = 0;
  let offset = 0;
  for (const char of text) {
    if (count === length) return text.slice(0, offset);
    count += 1;
    offset += char.length;
  }
  return text;
}

/** The 32-bit Murmur3 x86 hash (seed 0) of a value, as the spec's Appendix B defines per type. */
export function bucketHash(value: PrimitiveValue, type: PrimitiveType): number {
  switch (type) {
    case 'int':
    case 'date':
      return hashInt(asInteger(type, value, -(2 ** 31), 2 ** 31 - 1));
    case 'boolean':
      return hashInt(value === true ? 1 : 0);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return hashLong(asBigint(type, value));
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return hashLong(toMicros(type, value));
    default:
      return murmur3.x86.hash32(hashBytes(value, type), 0) | 0;
  }
}

// Ints, longs and times hash as 8 little-endian bytes, written into one scratch buffer: a buffer
// per value cost six times the hash itself when DuckDB buckets every row of a write.
const LONG_BYTES = new Uint8Array(8);
const LONG_VIEW = new DataView(LONG_BYTES.buffer);

function hashInt(value: number): number {
  LONG_VIEW.setInt32(0, value, true);
  LONG_VIEW.setInt32(4, value < 0 ? -1 : 0, true);
  return murmur3.x86.hash32(LONG_BYTES, 0) | 0;
}

function hashLong(value: bigint): number {
  // asLong refuses what setBigInt64 would silently wrap, as toBinary('long', …) did.
  LONG_VIEW.setBigInt64(0, asLong('long', value), true);
  return murmur3.x86.hash32(LONG_BYTES, 0) | 0;
}

function hashBytes(value: PrimitiveValue, type: PrimitiveType): Uint8Array {
  switch (type) {
    case 'float':
    case 'double': {
      const n = Number(value);
      // Java's doubleToLongBits: one NaN, and -0.0 hashed as 0.0.
      return toBinary('double', Number.isNaN(n) ? Number.NaN : n === 0 ? 0 : n);
    }
    default:
      if (decimalParams(type)) return minimalBigEndian(asBigint(type, value));
      return toBinary(type, value);
  }
}

// ---------------------------------------------------------------------------------------------
// Human-readable values and partition paths

function humanValue(kind: TransformKind, result: PrimitiveType, value: PrimitiveValue | null): string {
  if (value === null) return 'null';
  switch (kind) {
    case 'year':
      return pad(1970 + Number(value), 4);
    case 'month': {
      const months = Number(value);
      const year = 1970 + Math.floor(months / 12);
      return `${pad(year, 4)}-${pad(months - (year - 1970) * 12 + 1, 2)}`;
    }
    case 'day':
      return formatDate(Number(value));
    case 'hour': {
      const hours = Number(value);
      const days = Math.floor(hours / 24);
      return `${formatDate(days)}-${pad(hours - days * 24, 2)}`;
    }
    default:
      return humanString(result, value);
  }
}

/** URL-encodes like java.net.URLEncoder (form encoding, UTF-8), as Java's partition paths do. */
export function escapePathSegment(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(char)) out += char;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `id_bucket=3/ts_day=2024-01-01`: the partition's folder, as Java's PartitionSpec.partitionToPath. */
export function partitionPath(spec: PartitionSpec, schema: Schema, values: PartitionValues): string {
  if (values.length !== spec.fields.length) {
    throw new FloeError(
      'invalid-input',
      `Partition spec ${spec.specId} has ${spec.fields.length} fields but the partition tuple has ${values.length} values`,
      {
        context: { specId: spec.specId },
      },
    );
  }
  return spec.fields
    .map((field, index) => {
      const bound = bindPartitionField(spec, schema, index);
      return `${escapePathSegment(field.name)}=${escapePathSegment(bound.toHumanString(values[index] ?? null))}`;
    })
    .join('/');
}

/** The transform of a spec's field bound to its source column's type in `schema`. */
export function bindPartitionField(spec: PartitionSpec, schema: Schema, index: number): BoundTransform {
  const field = spec.fields[index];
  if (!field)
    throw new FloeError('invalid-input', `Partition spec ${spec.specId} has no field ${index}`, { context: { specId: spec.specId } });
  const source = findField(schema, field.sourceId);
  if (!source) {
    throw new FloeError(
      'invalid-input',
      `Partition field ${field.name} of spec ${spec.specId} has source column id ${field.sourceId}, which schema ${schema.schemaId} does not have`,
      {
        context: { specId: spec.specId, partitionField: field.name, sourceId: field.sourceId, schemaId: schema.schemaId },
      },
    );
  }
  const transform = parseTransform(field.transform);
  if (!transform.canTransform(source.type)) {
    const shown = typeof source.type === 'string' ? source.type : source.type.type;
    throw new FloeError(
      'invalid-input',
      `Partition field ${field.name} applies ${transform.name} to column ${source.name} of type ${shown}, which it cannot transform`,
      {
        context: { specId: spec.specId, partitionField: field.name, column: source.name, type: shown },
      },
    );
  }
  return transform.bind(source.type);
}

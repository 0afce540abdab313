/**
 * Iceberg primitive types as Avro schemas (spec: Appendix A) and values converted between Floe's
 * in-memory form and what avsc reads and writes (bigint longs, Buffers for bytes and fixed).
 */
import { FloeError } from '../../../core/errors.js';
import { decimalParams, decimalRequiredBytes, fixedLength } from '../type-params.js';
import type { PrimitiveType, PrimitiveValue } from '../types.js';
import { fromBigEndian, minimalBigEndian, uuidFromBytes, uuidToBytes } from '../values.js';
import { isRecord } from '../../../core/is-record.js';

type Json = Record<string, unknown>;

/**
 * The Avro schema of an Iceberg primitive. Named fixed types are defined once; `definedNames`
 * collects names already used in the schema being built so a second use refers to the first.
 */
export function avroSchemaFor(type: PrimitiveType, definedNames: Set<string>): unknown {
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': type === 'timestamptz' };
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': type === 'timestamptz_ns' };
    case 'uuid':
      return namedFixed('uuid_fixed', 16, { logicalType: 'uuid' }, definedNames);
    case 'unknown':
      return 'null';
    default: {
      const decimal = decimalParams(type);
      if (decimal) {
        return namedFixed(
          `decimal_${decimal.precision}_${decimal.scale}`.replace('-', 'n'),
          decimalRequiredBytes(decimal.precision),
          {
            logicalType: 'decimal',
            precision: decimal.precision,
            scale: decimal.scale,
          },
          definedNames,
        );
      }
      const length = fixedLength(type);
      if (length !== undefined) return namedFixed(`fixed_${length}`, length, {}, definedNames);
      throw new FloeError('unsupported', `No Avro form for type ${type}`, { context: { type } });
    }
  }
}

function namedFixed(name: string, size: number, extra: Json, definedNames: Set<string>): unknown {
  if (definedNames.has(name)) return name;
  definedNames.add(name);
  return { type: 'fixed', name, size, ...extra };
}

/** The Iceberg type an Avro schema stands for, from its logical type annotations. */
export function icebergTypeOfAvro(schema: unknown): PrimitiveType | undefined {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'boolean':
      case 'int':
      case 'long':
      case 'float':
      case 'double':
      case 'string':
        return schema;
      case 'bytes':
        return 'binary';
      default:
        return undefined;
    }
  }
  if (!isRecord(schema)) return undefined;
  const object = schema as Json;
  const utc = object['adjust-to-utc'] === true;
  switch (object.logicalType) {
    case 'date':
      return 'date';
    case 'time-micros':
      return 'time';
    case 'timestamp-micros':
      return utc ? 'timestamptz' : 'timestamp';
    case 'timestamp-nanos':
      return utc ? 'timestamptz_ns' : 'timestamp_ns';
    case 'uuid':
      return 'uuid';
    case 'decimal':
      return `decimal(${Number(object.precision)}, ${Number(object.scale ?? 0)})`;
    default:
      break;
  }
  if (object.type === 'fixed') return `fixed[${Number(object.size)}]`;
  return typeof object.type === 'string' ? icebergTypeOfAvro(object.type) : undefined;
}

/** What avsc should write for a value of an Iceberg type. */
export function toAvroValue(type: PrimitiveType, value: PrimitiveValue): unknown {
  switch (type) {
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return typeof value === 'bigint' ? value : BigInt(value as number);
    case 'uuid':
      return Buffer.from(uuidToBytes(String(value)));
    case 'binary':
      return Buffer.from(value as Uint8Array);
    default: {
      const decimal = decimalParams(type);
      if (decimal) {
        const size = decimalRequiredBytes(decimal.precision);
        const minimal = minimalBigEndian(typeof value === 'bigint' ? value : BigInt(value as number));
        if (minimal.length > size) throw new FloeError('invalid-input', `Decimal value does not fit ${type}`, { context: { type } });
        const padded = Buffer.alloc(size, (minimal[0] ?? 0) >= 0x80 ? 0xff : 0x00);
        padded.set(minimal, size - minimal.length);
        return padded;
      }
      if (fixedLength(type) !== undefined) return Buffer.from(value as Uint8Array);
      return value;
    }
  }
}

/** A value avsc read, as Floe's in-memory value of the Iceberg type (promotions included). */
export function fromAvroValue(type: PrimitiveType, value: unknown, location: string): PrimitiveValue {
  const wrong = (): FloeError =>
    new FloeError('corrupt', `A ${type} value in Avro file ${location} has an unexpected form (${typeof value})`, {
      context: { file: location, type },
    });
  switch (type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong();
      return value;
    case 'int':
    case 'date':
      if (typeof value === 'bigint') return Number(value);
      if (typeof value !== 'number') throw wrong();
      return value;
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw wrong();
      return value;
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      if (typeof value === 'number') return BigInt(value);
      if (typeof value !== 'bigint') throw wrong();
      return value;
    case 'string':
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'uuid':
      if (typeof value === 'string') return value.toLowerCase();
      if (!(value instanceof Uint8Array)) throw wrong();
      return uuidFromBytes(value);
    default: {
      if (!(value instanceof Uint8Array)) throw wrong();
      if (decimalParams(type)) return fromBigEndian(value);
      return Uint8Array.from(value);
    }
  }
}

/** Java's AvroSchemaUtil.makeCompatibleName, limited to the ASCII names Avro allows. */
export function avroCompatibleName(name: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return name;
  let out = '';
  for (const [index, char] of [...name].entries()) {
    if (/[A-Za-z_]/.test(char) || (index > 0 && /[0-9]/.test(char))) out += char;
    else if (/[0-9]/.test(char)) out += `_${char}`;
    else out += `_x${char.codePointAt(0)!.toString(16).toUpperCase()}`;
  }
  return out;
}

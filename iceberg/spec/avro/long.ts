import avro from 'avsc';
import { isRecord } from '../../../core/is-record.js';

/**
 * An Avro long read and written as a bigint, so snapshot ids (random 63-bit integers) survive.
 * avsc's own long throws beyond 2^53; the mapping layer turns the longs that are counts back into
 * numbers, and says so when one does not fit.
 */
export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer): bigint => buffer.readBigInt64LE(0),
  toBuffer: (value: bigint): Buffer => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (json: unknown): bigint => BigInt(json as string | number | bigint),
  toJSON: (value: bigint): number => Number(value),
  isValid: (value: unknown): boolean => typeof value === 'bigint' && BigInt.asIntN(64, value) === value,
  compare: (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});

/** Parses an Avro schema with every long (plain or logical) mapped to bigintLongType. */
export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    typeHook: (candidate) => (isLongSchema(candidate) ? bigintLongType : undefined),
  });
}

function isLongSchema(schema: unknown): boolean {
  if (schema === 'long') return true;
  return isRecord(schema) && schema.type === 'long';
}

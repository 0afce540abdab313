import { FloeError } from '../../../core/errors.js';

/** A long that is a count, size or offset: a number, or corrupt if it cannot be one exactly. */
export function longToNumber(value: unknown, what: string, location: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(value);
  throw new FloeError('corrupt', `${what} in Avro file ${location} is not an integer below 2^53 (got ${String(value)})`, {
    context: { file: location, field: what },
  });
}

export function longToBigint(value: unknown, what: string, location: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new FloeError('corrupt', `${what} in Avro file ${location} is not a long (got ${String(value)})`, {
    context: { file: location, field: what },
  });
}

export function requiredValue<T>(value: T | null | undefined, what: string, location: string): T {
  if (value === null || value === undefined) {
    throw new FloeError('corrupt', `Required field ${what} is missing in Avro file ${location}`, {
      context: { file: location, field: what },
    });
  }
  return value;
}

export function bytesOrNull(value: unknown): Uint8Array | null {
  return value instanceof Uint8Array ? Uint8Array.from(value) : null;
}

export function toBuffer(bytes: Uint8Array | null | undefined): Buffer | null {
  return bytes ? Buffer.from(bytes) : null;
}

/**
 * The Avro object container file format (Avro spec, "Object Container Files"), synchronously over
 * byte arrays: avsc encodes and decodes the values, this file frames them. Manifests and manifest
 * lists are small, and pure functions of bytes are easier to test and to retry than streams.
 */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import avro from 'avsc';
import type { LRUCache } from 'lru-cache';
import snappy from 'snappyjs';
import { FloeError } from '../../../core/errors.js';
import { avroType } from './long.js';
import { defined } from '../../../contracts/defined.js';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const SYNC_SIZE = 16;

const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: SYNC_SIZE } },
  ],
});
const longType = avro.Type.forSchema('long');

export interface AvroFile {
  /** The writer's schema, as parsed JSON (with Iceberg's field-id attributes). */
  readonly schema: unknown;
  /** File metadata other than avro.schema and avro.codec, as UTF-8 strings. */
  readonly metadata: ReadonlyMap<string, string>;
  readonly codec: string;
  readonly records: readonly unknown[];
  /** Where the compiled schema is kept for the next file (see readAvroFile). */
  readonly avroTypes?: AvroTypes | undefined;
}

function corrupt(location: string, message: string, cause?: unknown): FloeError {
  return new FloeError('corrupt', `${message} in Avro file ${location}`, {
    context: { file: location },
    ...defined({ cause }),
  });
}

/** Compiled Avro types by schema text: a process's (ProcessCaches.avroTypes), kept between files. */
export type AvroTypes = LRUCache<string, avro.Type>;

/** `avroTypes` keeps the compiled schema for the next file; without it the schema is compiled for this file alone. */
export function readAvroFile(bytes: Uint8Array, location: string, avroTypes?: AvroTypes): AvroFile {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < MAGIC.length || !buffer.subarray(0, MAGIC.length).equals(MAGIC))
    throw corrupt(location, 'Missing the Avro magic bytes');
  const header = decodeAt<{ meta: Record<string, Buffer>; sync: Buffer }>(headerType, buffer, 0, location, 'header');
  const meta = header.value.meta;
  const schemaText = meta['avro.schema']?.toString('utf8');
  if (schemaText === undefined) throw corrupt(location, 'No avro.schema in the header');
  let schema: unknown;
  let type: avro.Type;
  try {
    schema = JSON.parse(schemaText);
    type = compiledType(schemaText, schema, avroTypes);
  } catch (cause) {
    throw corrupt(location, 'An invalid avro.schema', cause);
  }
  const codec = meta['avro.codec']?.toString('utf8') ?? 'null';
  const metadata = new Map<string, string>();
  for (const [key, value] of Object.entries(meta)) {
    if (key !== 'avro.schema' && key !== 'avro.codec') metadata.set(key, value.toString('utf8'));
  }

  const records: unknown[] = [];
  let offset = header.offset;
  while (offset < buffer.length) {
    const count = decodeAt<number>(longType, buffer, offset, location, 'block count');
    const size = decodeAt<number>(longType, buffer, count.offset, location, 'block size');
    const start = size.offset;
    const end = start + size.value;
    if (count.value < 0 || size.value < 0 || end + SYNC_SIZE > buffer.length)
      throw corrupt(location, `A truncated data block at byte ${offset}`);
    if (!buffer.subarray(end, end + SYNC_SIZE).equals(header.value.sync))
      throw corrupt(location, `A wrong sync marker after the data block at byte ${offset}`);
    const block = decompress(codec, buffer.subarray(start, end), location);
    let position = 0;
    for (let i = 0; i < count.value; i += 1) {
      const record = decodeAt<unknown>(type, block, position, location, `record ${records.length}`);
      records.push(record.value);
      position = record.offset;
    }
    if (position !== block.length) throw corrupt(location, `${block.length - position} trailing bytes in the data block at byte ${offset}`);
    offset = end + SYNC_SIZE;
  }
  return { schema, metadata, codec, records };
}

/**
 * The compiled type of a schema, from `avroTypes` when it has it. avsc compiles a schema into
 * generated code, which costs more than decoding or encoding a manifest of a few hundred entries;
 * a table's manifests share a handful of schemas (one per partition spec and format version), so a
 * scan planning over many manifests, or a writer committing append after append, compiles each once.
 */
function compiledType(schemaText: string, schema: unknown, avroTypes: AvroTypes | undefined): avro.Type {
  let type = avroTypes?.get(schemaText);
  if (type === undefined) {
    type = avroType(schema);
    avroTypes?.set(schemaText, type);
  }
  return type;
}

function decodeAt<T>(type: avro.Type, buffer: Buffer, offset: number, location: string, what: string): { value: T; offset: number } {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(buffer, offset);
  } catch (cause) {
    throw corrupt(location, `Cannot decode the ${what}`, cause);
  }
  if (decoded.offset < 0) throw corrupt(location, `The ${what} is truncated`);
  return { value: decoded.value as T, offset: decoded.offset };
}

function decompress(codec: string, block: Buffer, location: string): Buffer {
  try {
    switch (codec) {
      case 'null':
        return block;
      case 'deflate':
        return zlib.inflateRawSync(block);
      case 'snappy': {
        // Avro's snappy blocks end with the big-endian CRC-32 of the uncompressed bytes.
        const data = Buffer.from(snappy.uncompress(block.subarray(0, block.length - 4)));
        // zlib.crc32 arrived in Node 20.15; without it the checksum goes unchecked.
        const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
        if (crc32 && crc32(data) !== block.readUInt32BE(block.length - 4)) throw corrupt(location, 'A snappy block with a wrong checksum');
        return data;
      }
      default:
        break;
    }
  } catch (cause) {
    if (FloeError.is(cause)) throw cause;
    throw corrupt(location, `A data block that does not decompress with codec ${codec}`, cause);
  }
  throw new FloeError(
    'unsupported',
    `Avro codec ${codec} is not supported (Floe reads null, deflate and snappy) in Avro file ${location}`,
    {
      context: { file: location, codec },
    },
  );
}

export interface AvroWriteOptions {
  readonly schema: unknown;
  readonly metadata: ReadonlyMap<string, string>;
  readonly codec: 'null' | 'deflate';
  readonly records: readonly unknown[];
  /** Where the compiled schema is kept for the next file (see readAvroFile). */
  readonly avroTypes?: AvroTypes | undefined;
}

/**
 * Writes one data block. The sync marker is derived from the content rather than random, so the
 * same manifest written twice (a retried activity) has the same bytes.
 */
export function writeAvroFile(options: AvroWriteOptions): Uint8Array {
  const schemaText = JSON.stringify(options.schema);
  const type = compiledType(schemaText, options.schema, options.avroTypes);
  const encoded = options.records.map((record, index) => {
    try {
      return type.toBuffer(record);
    } catch (cause) {
      throw new FloeError(
        'internal',
        `Record ${index} does not fit the Avro schema: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
  });
  const raw = Buffer.concat(encoded);
  const block = options.codec === 'deflate' ? zlib.deflateRawSync(raw) : raw;
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(schemaText, 'utf8'), 'avro.codec': Buffer.from(options.codec, 'utf8') };
  for (const [key, value] of options.metadata) meta[key] = Buffer.from(value, 'utf8');
  const sync = createHash('sha256').update(schemaText).update(raw).digest().subarray(0, SYNC_SIZE);
  const parts = [headerType.toBuffer({ magic: MAGIC, meta, sync })];
  if (options.records.length > 0) {
    parts.push(longType.toBuffer(options.records.length), longType.toBuffer(block.length), block, sync);
  }
  const out = Buffer.concat(parts);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

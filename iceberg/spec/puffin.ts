/**
 * Puffin files (Puffin spec v1): `Magic Blob₁ … Blobₙ Footer`, the footer being
 * `Magic FooterPayload FooterPayloadSize Flags Magic` with a UTF-8 JSON payload that lists each
 * blob's type, fields, offset and length. Iceberg keeps deletion vectors and statistics in them.
 * Floe writes uncompressed blobs and footers; it reads uncompressed footers and refuses an
 * LZ4-compressed one by name.
 */
import { FloeError } from '../../core/errors.js';
import { arrayOf, asInt, asLong, asObject, asString, asStringMap, optional, parseJson, required, stringifyJson } from './json.js';
import type { JsonAt } from './json.js';
import { defined } from '../../contracts/defined.js';

/** "PFA1": the first and last four bytes of every Puffin file, and the start of its footer. */
export const PUFFIN_MAGIC = Uint8Array.of(0x50, 0x46, 0x41, 0x31);

/** Bytes after the footer payload: its size (4), the flags (4) and the magic (4). */
const FOOTER_TRAILER_BYTES = 12;
/** Flags byte 0, bit 0: the footer payload is LZ4-compressed. */
const FOOTER_COMPRESSED = 0x01;

export interface PuffinBlobMetadata {
  readonly type: string;
  /** Field ids the blob was computed for. */
  readonly fields: readonly number[];
  /** -1 when not known when written (deletion vectors). */
  readonly snapshotId: bigint;
  readonly sequenceNumber: bigint;
  /** Where the blob's bytes start in the file, and how many there are. */
  readonly offset: number;
  readonly length: number;
  readonly compressionCodec?: string;
  readonly properties: Readonly<Record<string, string>>;
}

export interface PuffinFileMetadata {
  readonly blobs: readonly PuffinBlobMetadata[];
  readonly properties: Readonly<Record<string, string>>;
}

/** A blob to write: its bytes (stored uncompressed) and what the footer says of it. */
export interface PuffinBlob {
  readonly type: string;
  readonly fields: readonly number[];
  readonly snapshotId: bigint;
  readonly sequenceNumber: bigint;
  readonly data: Uint8Array;
  readonly properties?: Readonly<Record<string, string>>;
}

/** The bytes of a Puffin file holding `blobs` in order, and the footer's metadata (each blob's offset and length). */
export function writePuffin(
  blobs: readonly PuffinBlob[],
  properties: Readonly<Record<string, string>> = {},
): { readonly bytes: Uint8Array; readonly metadata: PuffinFileMetadata } {
  let offset = PUFFIN_MAGIC.length;
  const placed: PuffinBlobMetadata[] = blobs.map((blob) => {
    const metadata: PuffinBlobMetadata = {
      type: blob.type,
      fields: blob.fields,
      snapshotId: blob.snapshotId,
      sequenceNumber: blob.sequenceNumber,
      offset,
      length: blob.data.byteLength,
      properties: blob.properties ?? {},
    };
    offset += blob.data.byteLength;
    return metadata;
  });
  const metadata: PuffinFileMetadata = { blobs: placed, properties };
  const payload = new TextEncoder().encode(footerJson(metadata));
  const bytes = new Uint8Array(offset + PUFFIN_MAGIC.length + payload.byteLength + FOOTER_TRAILER_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(PUFFIN_MAGIC, 0);
  blobs.forEach((blob, index) => bytes.set(blob.data, placed[index]!.offset));
  bytes.set(PUFFIN_MAGIC, offset);
  bytes.set(payload, offset + PUFFIN_MAGIC.length);
  const trailer = offset + PUFFIN_MAGIC.length + payload.byteLength;
  view.setInt32(trailer, payload.byteLength, true);
  view.setInt32(trailer + 4, 0, true);
  bytes.set(PUFFIN_MAGIC, trailer + 8);
  return { bytes, metadata };
}

/**
 * The footer metadata of a whole Puffin file (`location` names it in errors). Checks the leading
 * and footer magic, the payload size and the flags; an LZ4-compressed footer is refused.
 */
export function readPuffinFooter(bytes: Uint8Array, location: string): PuffinFileMetadata {
  const corrupt = (what: string): FloeError =>
    new FloeError('corrupt', `Puffin file ${location} ${what}: expected a Puffin v1 file (PFA1 magic, blobs, JSON footer)`, {
      context: { file: location },
    });
  const minimum = PUFFIN_MAGIC.length * 2 + FOOTER_TRAILER_BYTES;
  if (bytes.byteLength < minimum) throw corrupt(`is ${bytes.byteLength} bytes long, too short for a footer`);
  if (!hasMagicAt(bytes, 0)) throw corrupt('does not start with the PFA1 magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const trailer = bytes.byteLength - FOOTER_TRAILER_BYTES;
  if (!hasMagicAt(bytes, trailer + 8)) throw corrupt('does not end with the PFA1 magic');
  const payloadSize = view.getInt32(trailer, true);
  const footerStart = trailer - payloadSize - PUFFIN_MAGIC.length;
  if (payloadSize < 0 || footerStart < PUFFIN_MAGIC.length)
    throw corrupt(`gives a footer payload size of ${payloadSize}, past the file's start`);
  if (!hasMagicAt(bytes, footerStart)) throw corrupt('has no PFA1 magic at the start of its footer');
  if ((view.getUint8(trailer + 4) & FOOTER_COMPRESSED) !== 0) {
    throw new FloeError(
      'unsupported',
      `Puffin file ${location} has an LZ4-compressed footer; Floe reads uncompressed Puffin footers only`,
      {
        context: { file: location },
      },
    );
  }
  const payload = bytes.subarray(footerStart + PUFFIN_MAGIC.length, trailer);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw corrupt('has a footer payload that is not UTF-8');
  }
  const at = { source: `Puffin file ${location}'s footer`, path: '' };
  const footer = asObject(parseJson(text, at.source), at);
  const blobs = required(footer, 'blobs', at, arrayOf(blobMetadata)).map((blob, index) => {
    if (blob.offset < PUFFIN_MAGIC.length || blob.length < 0 || blob.offset + blob.length > footerStart) {
      throw corrupt(`has blob ${index} at offset ${blob.offset} of length ${blob.length}, outside the blobs' bytes`);
    }
    return blob;
  });
  return { blobs, properties: optional(footer, 'properties', at, asStringMap) ?? {} };
}

function blobMetadata(value: unknown, at: JsonAt): PuffinBlobMetadata {
  const blob = asObject(value, at);
  const codec = optional(blob, 'compression-codec', at, asString);
  return {
    type: required(blob, 'type', at, asString),
    fields: required(blob, 'fields', at, arrayOf(asInt)),
    snapshotId: required(blob, 'snapshot-id', at, asLong),
    sequenceNumber: required(blob, 'sequence-number', at, asLong),
    offset: required(blob, 'offset', at, asInt),
    length: required(blob, 'length', at, asInt),
    ...defined({ compressionCodec: codec }),
    properties: optional(blob, 'properties', at, asStringMap) ?? {},
  };
}

function footerJson(metadata: PuffinFileMetadata): string {
  const blobs = metadata.blobs.map((blob) => ({
    type: blob.type,
    fields: blob.fields,
    'snapshot-id': blob.snapshotId,
    'sequence-number': blob.sequenceNumber,
    offset: blob.offset,
    length: blob.length,
    ...defined({ 'compression-codec': blob.compressionCodec }),
    ...(Object.keys(blob.properties).length === 0 ? {} : { properties: blob.properties }),
  }));
  return stringifyJson({ blobs, ...(Object.keys(metadata.properties).length === 0 ? {} : { properties: metadata.properties }) });
}

function hasMagicAt(bytes: Uint8Array, offset: number): boolean {
  return PUFFIN_MAGIC.every((byte, index) => bytes[offset + index] === byte);
}

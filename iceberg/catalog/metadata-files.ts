/**
 * Where metadata files go and how they are read and written. A commit always writes a NEW file,
 * `<metadata dir>/<5-digit version>-<uuid>.metadata.json`, never replacing one (spec: "Metastore
 * Tables"); the version is one more than the file it replaces, as Java and pyiceberg count.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { FileIO } from '../io/file-io.js';
import type { ProcessCaches } from '../process-caches.js';
import { parseTableMetadata, serializeTableMetadata } from '../spec/metadata-json.js';
import type { TableMetadata } from '../spec/metadata.js';

/** Table property that moves metadata files out of `<location>/metadata`. */
export const METADATA_PATH_PROPERTY = 'write.metadata.path';
const FILE_NAME = /^(\d+)-([0-9a-f-]{36})(?:\.gz)?\.metadata\.json$/i;

export function metadataDirectory(metadata: TableMetadata): string {
  return (metadata.properties[METADATA_PATH_PROPERTY] ?? `${metadata.location}/metadata`).replace(/\/+$/, '');
}

/** The version a metadata file name carries, or -1 when it does not follow the convention. */
export function metadataVersion(location: string): number {
  const match = FILE_NAME.exec(location.slice(location.lastIndexOf('/') + 1));
  return match ? Number(match[1]) : -1;
}

export function newMetadataLocation(metadata: TableMetadata, previousLocation?: string): string {
  const version = previousLocation === undefined ? 0 : metadataVersion(previousLocation) + 1;
  return `${metadataDirectory(metadata)}/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/**
 * Reads a metadata file, through `caches.tableMetadata` (metadata parsed before, by location, with
 * the bytes it was parsed from). Parsing is a commit's largest CPU cost and grows with the snapshot
 * log (16 ms at 150 snapshots: every int64 needs a lossless parse), while a writer loads the file it
 * has just written, and a commit loads its table twice. A hit still reads the file and compares its
 * bytes, so a file changed or damaged in place is parsed (and reported) like any other.
 */
export async function readMetadataFile(io: FileIO, location: string, caches: ProcessCaches): Promise<TableMetadata> {
  const parsed = caches.tableMetadata;
  const bytes = await io.read(location);
  const known = parsed.get(location);
  if (known !== undefined && Buffer.compare(known.bytes, bytes) === 0) return known.metadata;
  // Writers may gzip metadata (write.metadata.compression-codec); the magic bytes say so.
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const metadata = parseTableMetadata(new TextDecoder().decode(text), location);
  parsed.set(location, { bytes, metadata });
  return metadata;
}

/** Writes a metadata file; fails with `already-exists` rather than replace one. */
export async function writeMetadataFile(io: FileIO, location: string, metadata: TableMetadata, caches: ProcessCaches): Promise<void> {
  const bytes = new TextEncoder().encode(serializeTableMetadata(metadata));
  await io.write(location, bytes, { ifAbsent: true });
  caches.tableMetadata.set(location, { bytes, metadata });
}

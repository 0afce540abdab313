/**
 * Manifests and manifest lists decoded for planning (manifest lists for commits too), kept per
 * FileIO (one per catalog configuration) by table and location. Both are written once and never
 * changed: a new snapshot writes a new manifest list and new manifests, and lists the old manifests
 * it keeps. So a process that plans again (a server after each materialization, a schedule's next
 * window, a training set per request) reads and decodes only the files it has not seen, as
 * iceberg-rust's object cache does.
 */
import { LRUCache } from 'lru-cache';
import type { LoadedTable } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import type { FileIO } from '../io/file-io.js';
import { readManifest } from '../spec/manifest-avro.js';
import type { ReadManifestResult } from '../spec/manifest-avro.js';
import { readManifestList } from '../spec/manifest-list-avro.js';
import type { ManifestFile } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';

/** The bound, in the files' Avro bytes; least recently used out first. */
const MAX_BYTES = 32 * 1024 * 1024;

interface Decoded {
  readonly value: unknown;
  /** The file's size in bytes, its weight in the cache. */
  readonly bytes: number;
}

interface Read<T> {
  readonly io: FileIO;
  readonly location: string;
  readonly decode: (bytes: Uint8Array) => T;
}

type DecodedFiles = LRUCache<string, Decoded, Read<unknown>>;

const caches = new WeakMap<FileIO, DecodedFiles>();

export async function readManifestOf(io: FileIO, metadata: TableMetadata, manifest: ManifestFile): Promise<ReadManifestResult> {
  const location = manifest.manifestPath;
  return cachedRead(`${metadata.tableUuid} ${manifest.manifestLength} ${location}`, {
    io,
    location,
    decode: (bytes) => readManifest(bytes, { location, specs: metadata.partitionSpecs, schemas: metadata.schemas }),
  });
}

/** The manifests a snapshot lists; shared between callers, so never to be changed. */
export async function snapshotManifests(table: LoadedTable, snapshot: Snapshot): Promise<readonly ManifestFile[]> {
  const location = snapshot.manifestList;
  if (location === null) {
    throw new FloeError('unsupported', 'Snapshots that list their manifests inline (format v1 without a manifest list) are not supported', {
      context: { table: formatTableIdentifier(table.identifier), snapshot: snapshot.snapshotId },
    });
  }
  const { metadata } = table;
  return cachedRead(`${metadata.tableUuid} list ${location}`, {
    io: table.io,
    location,
    decode: (bytes) => readManifestList(bytes, { location, formatVersion: metadata.formatVersion }),
  });
}

async function cachedRead<T>(key: string, read: Read<T>): Promise<T> {
  let cache = caches.get(read.io);
  if (cache === undefined) {
    cache = new LRUCache({
      maxSize: MAX_BYTES,
      sizeCalculation: (decoded) => Math.max(1, decoded.bytes),
      fetchMethod: async (_, __, { context }) => {
        const bytes = await context.io.read(context.location);
        return { value: context.decode(bytes), bytes: bytes.byteLength };
      },
    });
    caches.set(read.io, cache);
  }
  // fetch() shares one read between concurrent plans and keeps nothing when the read fails.
  return (await cache.fetch(key, { context: read }))!.value as T;
}

/**
 * Manifests decoded for planning, kept per FileIO (one per catalog configuration) by table,
 * location and length. A manifest is written once and never changed: a new snapshot writes new
 * manifests and lists the old ones it keeps. So a process that plans again (a server after each
 * materialization, a schedule's next window, a training set per request) reads and decodes only
 * the manifests it has not seen, as iceberg-rust's object cache does.
 */
import { LRUCache } from 'lru-cache';
import type { FileIO } from '../io/file-io.js';
import { readManifest } from '../spec/manifest-avro.js';
import type { ReadManifestResult } from '../spec/manifest-avro.js';
import type { ManifestFile } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';

/** The bound, in the manifests' Avro bytes; least recently used out first. */
const MAX_BYTES = 32 * 1024 * 1024;

interface Decoded {
  readonly result: ReadManifestResult;
  /** The manifest's size in bytes, its weight in the cache. */
  readonly bytes: number;
}

type DecodedManifests = LRUCache<string, Decoded, { io: FileIO; metadata: TableMetadata; manifest: ManifestFile }>;

const caches = new WeakMap<FileIO, DecodedManifests>();

export async function readManifestOf(io: FileIO, metadata: TableMetadata, manifest: ManifestFile): Promise<ReadManifestResult> {
  let cache = caches.get(io);
  if (cache === undefined) {
    cache = new LRUCache({
      maxSize: MAX_BYTES,
      sizeCalculation: (decoded) => Math.max(1, decoded.bytes),
      fetchMethod: async (_, __, { context }) => {
        const bytes = await context.io.read(context.manifest.manifestPath);
        const result = readManifest(bytes, {
          location: context.manifest.manifestPath,
          specs: context.metadata.partitionSpecs,
          schemas: context.metadata.schemas,
        });
        return { result, bytes: bytes.byteLength };
      },
    });
    caches.set(io, cache);
  }
  const key = `${metadata.tableUuid} ${manifest.manifestLength} ${manifest.manifestPath}`;
  // fetch() shares one read between concurrent plans and keeps nothing when the read fails.
  return (await cache.fetch(key, { context: { io, metadata, manifest } }))!.result;
}

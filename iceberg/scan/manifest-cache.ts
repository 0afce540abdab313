/**
 * Manifests and manifest lists decoded for planning (manifest lists for commits too), kept in the
 * table's process caches per FileIO (one per catalog configuration) by table and location. Both are written once and never
 * changed: a new snapshot writes a new manifest list and new manifests, and lists the old manifests
 * it keeps. So a process that plans again (a server after each materialization, a schedule's next
 * window, a training set per request) reads and decodes only the files it has not seen, as
 * iceberg-rust's object cache does.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import type { DecodedFileRead, ProcessCaches } from '../process-caches.js';
import { readManifest } from '../spec/manifest-avro.js';
import type { ReadManifestResult } from '../spec/manifest-avro.js';
import { readManifestList } from '../spec/manifest-list-avro.js';
import type { ManifestFile } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';

export async function readManifestOf(table: LoadedTable, metadata: TableMetadata, manifest: ManifestFile): Promise<ReadManifestResult> {
  const location = manifest.manifestPath;
  return cachedRead(table.caches, `${metadata.tableUuid} ${manifest.manifestLength} ${location}`, {
    io: table.io,
    location,
    decode: (bytes) =>
      readManifest(bytes, { location, specs: metadata.partitionSpecs, schemas: metadata.schemas, avroTypes: table.caches.avroTypes }),
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
  return cachedRead(table.caches, `${metadata.tableUuid} list ${location}`, {
    io: table.io,
    location,
    decode: (bytes) => readManifestList(bytes, { location, formatVersion: metadata.formatVersion, avroTypes: table.caches.avroTypes }),
  });
}

async function cachedRead<T>(caches: ProcessCaches, key: string, read: DecodedFileRead): Promise<T> {
  // fetch() shares one read between concurrent plans and keeps nothing when the read fails.
  return (await caches.decodedFilesOf(read.io).fetch(key, { context: read }))!.value as T;
}

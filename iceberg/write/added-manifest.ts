import { formatTableIdentifier } from '../catalog/identifier.js';
import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { isDeletionVector } from '../spec/deletion-vector.js';
import { contentSizeInBytes } from '../spec/manifest.js';
import type { DataFile, ManifestEntry } from '../spec/manifest.js';
import { readManifest, writeManifest } from '../spec/manifest-avro.js';
import { specById } from '../spec/metadata.js';
import type { PartitionSpec } from '../spec/partition.js';
import { partitionKey } from '../scan/partition-key.js';
import { summarizePartitions } from '../spec/partition-summary.js';
import type { DeleteCounts, ManifestToAppend } from './fast-append.js';
import { metadataDirectory } from './table-locations.js';
import { schemaForSpec } from './table-manifests.js';

export interface AddedManifestOptions {
  /** The spec the files were written with; the table's default spec when absent. */
  readonly specId?: number;
  /** `data` when absent; `deletes` for position and equality delete files. */
  readonly content?: 'data' | 'deletes';
}

/**
 * Writes a manifest of newly added data files, before any commit: its entries carry no snapshot
 * id or sequence number, so whichever snapshot finally commits it hands them down (inheritance).
 * Every commit attempt reuses it, and so does a retried commit activity.
 */
export async function writeAddedManifest(
  table: LoadedTable,
  dataFiles: readonly DataFile[],
  name: string,
  options: AddedManifestOptions = {},
): Promise<ManifestToAppend> {
  const { metadata } = table;
  const spec = options.specId === undefined ? defaultSpec(table) : requireSpec(table, options.specId);
  const content = options.content ?? 'data';
  const entries: ManifestEntry[] = dataFiles.map((dataFile) => ({
    status: 'added',
    snapshotId: null,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile,
  }));
  const written = writeManifest(entries, {
    formatVersion: metadata.formatVersion,
    spec,
    schema: schemaForSpec(metadata, spec),
    content,
    snapshotId: null,
    avroTypes: table.caches.avroTypes,
  });
  // `<name>-m<spec id>.avro` for data, `<name>-md<spec id>.avro` for deletes: one name per manifest a change may write.
  const location = `${metadataDirectory(table)}/${name}-m${content === 'deletes' ? 'd' : ''}${spec.specId}.avro`;
  await table.io.write(location, written.bytes, { ifAbsent: true });
  return {
    location,
    length: written.bytes.length,
    specId: spec.specId,
    addedFilesCount: written.addedFilesCount,
    addedRowsCount: written.addedRowsCount,
    addedFilesSize: dataFiles.reduce((sum, file) => sum + contentSizeInBytes(file), 0),
    partitions: written.partitions,
    changedPartitionCount: new Set(dataFiles.map((file) => partitionKey(spec.specId, file.partition))).size,
    ...(content === 'deletes' ? { content, deletes: deleteCounts(dataFiles) } : {}),
  };
}

/** The files an append wrote before its commit: the manifest and the data files it lists (a commit's `ownedFiles`). */
export function appendedFiles(manifest: ManifestToAppend | null, dataFiles: readonly DataFile[]): string[] {
  return [...(manifest === null ? [] : [manifest.location]), ...dataFiles.map((file) => file.filePath)];
}

/** Reads back what `writeAddedManifest` wrote, for a commit that runs in another process. */
export async function describeAddedManifest(table: LoadedTable, location: string): Promise<ManifestToAppend> {
  const bytes = await table.io.read(location);
  const read = readManifest(bytes, {
    location,
    specs: table.metadata.partitionSpecs,
    schemas: table.metadata.schemas,
    avroTypes: table.caches.avroTypes,
  });
  if (read.entries.some((entry) => entry.status !== 'added')) {
    throw new FloeError('invalid-input', 'Only a manifest of added files can be appended', { context: { manifest: location } });
  }
  const spec = specById(table.metadata, read.specId);
  if (!spec)
    throw new FloeError('corrupt', `The manifest's partition spec ${read.specId} is not in the table`, {
      context: { manifest: location, table: formatTableIdentifier(table.identifier) },
    });
  const files = read.entries.map((entry) => entry.dataFile);
  return {
    location,
    length: bytes.length,
    specId: spec.specId,
    addedFilesCount: files.length,
    addedRowsCount: files.reduce((sum, file) => sum + file.recordCount, 0),
    addedFilesSize: files.reduce((sum, file) => sum + contentSizeInBytes(file), 0),
    partitions: summarizePartitions(
      spec,
      schemaForSpec(table.metadata, spec),
      files.map((file) => file.partition),
    ),
    changedPartitionCount: new Set(files.map((file) => partitionKey(spec.specId, file.partition))).size,
    ...(read.content === 'deletes' ? { content: 'deletes' as const, deletes: deleteCounts(files) } : {}),
  };
}

function deleteCounts(files: readonly DataFile[]): DeleteCounts {
  const of = (content: DataFile['content']): DataFile[] => files.filter((file) => file.content === content);
  const position = of('position-deletes');
  const equality = of('equality-deletes');
  const vectors = position.filter(isDeletionVector).length;
  return {
    positionDeleteFiles: position.length - vectors,
    positionDeletes: position.reduce((sum, file) => sum + file.recordCount, 0),
    equalityDeleteFiles: equality.length,
    equalityDeletes: equality.reduce((sum, file) => sum + file.recordCount, 0),
    ...(vectors === 0 ? {} : { deletionVectors: vectors }),
  };
}

export function defaultSpec(table: LoadedTable): PartitionSpec {
  const spec = specById(table.metadata, table.metadata.defaultSpecId);
  if (!spec)
    throw new FloeError('corrupt', `The table's default partition spec ${table.metadata.defaultSpecId} does not exist`, {
      context: { table: formatTableIdentifier(table.identifier) },
    });
  return spec;
}

function requireSpec(table: LoadedTable, specId: number): PartitionSpec {
  const spec = specById(table.metadata, specId);
  if (!spec)
    throw new FloeError('invalid-input', `The table has no partition spec ${specId}`, {
      context: { table: formatTableIdentifier(table.identifier), specId },
    });
  return spec;
}

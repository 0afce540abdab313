import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../errors.js';
import type { DataFile, ManifestEntry } from '../spec/manifest.js';
import { readManifest, writeManifest } from '../spec/manifest-avro.js';
import { currentSchema, specById } from '../spec/metadata.js';
import type { PartitionSpec } from '../spec/partition.js';
import { partitionKey } from '../scan/partition-key.js';
import { summarizePartitions } from '../spec/partition-summary.js';
import type { ManifestToAppend } from './fast-append.js';
import { metadataDirectory } from './fast-append.js';

/**
 * Writes a manifest of newly added data files, before any commit: its entries carry no snapshot
 * id or sequence number, so whichever snapshot finally commits it hands them down (inheritance).
 * Every commit attempt reuses it, and so does a retried commit activity.
 */
export async function writeAddedManifest(table: LoadedTable, dataFiles: readonly DataFile[], name: string): Promise<ManifestToAppend> {
  const { metadata } = table;
  const spec = defaultSpec(table);
  const entries: ManifestEntry[] = dataFiles.map((dataFile) => ({ status: 'added', snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile }));
  const written = writeManifest(entries, { formatVersion: metadata.formatVersion, spec, schema: currentSchema(metadata), content: 'data', snapshotId: null });
  const location = `${metadataDirectory(table)}/${name}-m0.avro`;
  await table.io.write(location, written.bytes, { ifAbsent: true });
  return {
    location,
    length: written.bytes.length,
    specId: spec.specId,
    addedFilesCount: written.addedFilesCount,
    addedRowsCount: written.addedRowsCount,
    addedFilesSize: dataFiles.reduce((sum, file) => sum + file.fileSizeInBytes, 0),
    partitions: written.partitions,
    changedPartitionCount: new Set(dataFiles.map((file) => partitionKey(spec.specId, file.partition))).size,
  };
}

/** Reads back what `writeAddedManifest` wrote, for a commit that runs in another process. */
export async function describeAddedManifest(table: LoadedTable, location: string): Promise<ManifestToAppend> {
  const bytes = await table.io.read(location);
  const read = readManifest(bytes, { location, specs: table.metadata.partitionSpecs, schemas: table.metadata.schemas });
  if (read.content !== 'data' || read.entries.some((entry) => entry.status !== 'added')) {
    throw new FloeError('invalid-input', 'Only a manifest of added data files can be appended', { context: { manifest: location } });
  }
  const spec = specById(table.metadata, read.specId);
  if (!spec) throw new FloeError('corrupt', `The manifest's partition spec ${read.specId} is not in the table`, { context: { manifest: location, table: table.metadataLocation } });
  const files = read.entries.map((entry) => entry.dataFile);
  return {
    location,
    length: bytes.length,
    specId: spec.specId,
    addedFilesCount: files.length,
    addedRowsCount: files.reduce((sum, file) => sum + file.recordCount, 0),
    addedFilesSize: files.reduce((sum, file) => sum + file.fileSizeInBytes, 0),
    partitions: summarizePartitions(spec, currentSchema(table.metadata), files.map((file) => file.partition)),
    changedPartitionCount: new Set(files.map((file) => partitionKey(spec.specId, file.partition))).size,
  };
}

export function defaultSpec(table: LoadedTable): PartitionSpec {
  const spec = specById(table.metadata, table.metadata.defaultSpecId);
  if (!spec) throw new FloeError('corrupt', `The table's default partition spec ${table.metadata.defaultSpecId} does not exist`, { context: { table: table.metadataLocation } });
  return spec;
}

/**
 * Reading what a snapshot holds, for the operations that rewrite, validate or clean up after it:
 * each manifest's entries with inherited snapshot ids, sequence numbers and (v3) first row ids
 * filled in, so they can be written back as EXISTING or DELETED entries. The snapshot's manifest
 * list comes from `snapshotManifests` (scan/manifest-cache.ts), which planning shares.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { inheritManifestEntries, readManifest } from '../spec/manifest-avro.js';
import type { ManifestEntry, ManifestFile } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { PartitionSpec } from '../spec/partition.js';
import { findField } from '../spec/schema.js';
import type { Schema } from '../spec/schema.js';
import { mapWithConcurrency } from '../util/concurrency.js';

export interface ManifestContents {
  readonly manifest: ManifestFile;
  readonly specId: number;
  /** Every entry, deleted ones included, with inheritance applied. */
  readonly entries: readonly ManifestEntry[];
}

export async function readManifestEntries(table: LoadedTable, manifest: ManifestFile): Promise<ManifestContents> {
  const { metadata } = table;
  const bytes = await table.io.read(manifest.manifestPath);
  const read = readManifest(bytes, {
    location: manifest.manifestPath,
    specs: metadata.partitionSpecs,
    schemas: metadata.schemas,
    avroTypes: table.caches.avroTypes,
  });
  return { manifest, specId: read.specId, entries: inheritManifestEntries(read.entries, manifest) };
}

export async function readAllManifestEntries(
  table: LoadedTable,
  manifests: readonly ManifestFile[],
  concurrency = 8,
): Promise<ManifestContents[]> {
  return mapWithConcurrency(manifests, concurrency, (manifest) => readManifestEntries(table, manifest));
}

/**
 * A schema that every source column of `spec` binds in, for writing a manifest of that spec: the
 * current schema when it has them (the usual case), else the newest schema that does (a spec whose
 * source column was dropped later).
 */
export function schemaForSpec(metadata: TableMetadata, spec: PartitionSpec): Schema {
  const bindsIn = (schema: Schema): boolean => spec.fields.every((field) => findField(schema, field.sourceId) !== undefined);
  const current = metadata.schemas.find((schema) => schema.schemaId === metadata.currentSchemaId);
  if (current && bindsIn(current)) return current;
  const fallback = [...metadata.schemas].reverse().find(bindsIn);
  if (!fallback) {
    throw new FloeError('corrupt', `No schema of the table holds every source column of partition spec ${spec.specId}`, {
      context: { table: metadata.location, specId: spec.specId },
    });
  }
  return fallback;
}

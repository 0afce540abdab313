/**
 * Removing files from a snapshot (what a rewrite and a row delta that replaces deletion vectors
 * share): manifests that hold a removed file are rewritten with that file DELETED (status 2, this
 * snapshot's id) and their other live files EXISTING; every other manifest is carried over
 * untouched, so files appended concurrently are kept. A removed file that is no longer live fails
 * the change with a non-retryable `commit-conflict`.
 *
 * Files are told apart by `contentFileKey`: a path, and for a deletion vector its offset too, since
 * one Puffin file holds the deletion vectors of many data files and each is removed on its own.
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import { randomUUID } from 'node:crypto';
import { FloeError } from '../../core/errors.js';
import { writeManifest } from '../spec/manifest-avro.js';
import { contentFileKey } from '../spec/manifest.js';
import type { DataFile, ManifestEntry, ManifestFile } from '../spec/manifest.js';
import { specById } from '../spec/metadata.js';
import type { NewSnapshotContext } from './snapshot-producer.js';
import { metadataDirectory } from './table-locations.js';
import { schemaForSpec } from './table-manifests.js';
import type { ManifestContents } from './table-manifests.js';
import { unresolvableConflict } from './validation.js';
import type { PlacedFile } from './validation.js';

export interface FilesRemoved {
  /** The snapshot's manifests: untouched ones and the rewritten ones. */
  readonly manifests: ManifestFile[];
  readonly removedEntries: PlacedFile[];
  /** The manifests this attempt wrote. */
  readonly written: string[];
}

/**
 * The parent's manifests with the `removed` files (by `contentFileKey`) marked DELETED; fails when
 * one is not live, the message starting with `refusal` ("Cannot rewrite").
 */
export async function removeFromManifests(
  context: NewSnapshotContext,
  contents: readonly ManifestContents[],
  removed: ReadonlyMap<string, DataFile>,
  options: { readonly attempt: number; readonly refusal: string },
): Promise<FilesRemoved> {
  const { base } = context;
  const found = new Set<string>();
  const removedEntries: PlacedFile[] = [];
  const manifests: ManifestFile[] = [];
  const writtenLocations: string[] = [];
  const prefix = `${metadataDirectory(base)}/rewrite-${randomUUID()}-${options.attempt}`;
  for (const [index, { manifest, specId, entries }] of contents.entries()) {
    const live = entries.filter((entry) => entry.status !== 'deleted');
    if (!live.some((entry) => removed.has(contentFileKey(entry.dataFile)))) {
      manifests.push(manifest);
      continue;
    }
    const rewritten: ManifestEntry[] = live.map((entry) => {
      const key = contentFileKey(entry.dataFile);
      if (!removed.has(key)) return { ...entry, status: 'existing' };
      found.add(key);
      removedEntries.push({ file: entry.dataFile, specId, sequenceNumber: entry.sequenceNumber ?? 0 });
      return { ...entry, status: 'deleted', snapshotId: context.snapshotId };
    });
    const spec = specById(base.metadata, specId);
    if (!spec)
      throw new FloeError('corrupt', `Manifest ${manifest.manifestPath} has partition spec ${specId}, which the table does not`, {
        context: { table: formatTableIdentifier(base.identifier), manifest: manifest.manifestPath },
      });
    const written = writeManifest(rewritten, {
      formatVersion: base.metadata.formatVersion,
      spec,
      schema: schemaForSpec(base.metadata, spec),
      content: manifest.content,
      snapshotId: context.snapshotId,
      avroTypes: base.caches.avroTypes,
    });
    const location = `${prefix}-m${index}.avro`;
    await base.io.write(location, written.bytes, { ifAbsent: true });
    writtenLocations.push(location);
    manifests.push({
      manifestPath: location,
      manifestLength: written.bytes.length,
      partitionSpecId: specId,
      content: manifest.content,
      sequenceNumber: context.sequenceNumber,
      minSequenceNumber: written.minSequenceNumber ?? context.sequenceNumber,
      addedSnapshotId: context.snapshotId,
      addedFilesCount: written.addedFilesCount,
      existingFilesCount: written.existingFilesCount,
      deletedFilesCount: written.deletedFilesCount,
      addedRowsCount: written.addedRowsCount,
      existingRowsCount: written.existingRowsCount,
      deletedRowsCount: written.deletedRowsCount,
      partitions: written.partitions,
      // v3: no first_row_id, so the manifest list writer assigns one; the entries keep their row ids
      // because inheritance wrote each existing entry's first_row_id explicitly.
      keyMetadata: null,
    });
  }
  const missing = [...removed.entries()].filter(([key]) => !found.has(key)).map(([, file]) => file.filePath);
  if (missing.length > 0) {
    const head = context.parent?.snapshotId;
    throw unresolvableConflict(
      `${options.refusal}: file ${missing[0]} is no longer in the table at snapshot ${head ?? '(none)'}${missing.length > 1 ? ` (nor are ${missing.length - 1} other file(s) to remove)` : ''}; another commit removed or rewrote it`,
      { table: formatTableIdentifier(base.identifier), file: missing[0], snapshotId: head },
    );
  }
  return { manifests, removedEntries, written: writtenLocations };
}

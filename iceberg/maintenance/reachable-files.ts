/**
 * The files snapshots reach: their manifest lists, the manifests those list, and the data and delete
 * files in those manifests. What expiry and orphan removal subtract from what they may delete.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import type { ManifestFile } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { snapshotManifests } from '../scan/manifest-cache.js';
import { readManifestEntries } from '../write/table-manifests.js';

export interface ReachableFiles {
  readonly manifestLists: Set<string>;
  readonly manifests: Set<string>;
  readonly dataFiles: Set<string>;
  readonly deleteFiles: Set<string>;
}

export function emptyReachable(): ReachableFiles {
  return { manifestLists: new Set(), manifests: new Set(), dataFiles: new Set(), deleteFiles: new Set() };
}

export interface ReachOptions {
  /** Count only files live in the manifests (not DELETED entries): what a snapshot still reads. */
  readonly liveOnly: boolean;
  /** Manifests whose files need not be read (already known reachable). */
  readonly skipManifests?: ReadonlySet<string>;
  readonly concurrency?: number;
}

export async function reachableFrom(table: LoadedTable, snapshots: readonly Snapshot[], options: ReachOptions): Promise<ReachableFiles> {
  const reachable = emptyReachable();
  const manifests = new Map<string, ManifestFile>();
  const lists = await mapWithConcurrency([...snapshots], options.concurrency ?? 8, async (snapshot) => {
    if (snapshot.manifestList !== null) reachable.manifestLists.add(snapshot.manifestList);
    return snapshot.manifestList === null
      ? (snapshot.manifests ?? []).map((path) => ({ manifestPath: path }) as ManifestFile)
      : snapshotManifests(table, snapshot);
  });
  for (const manifest of lists.flat()) {
    reachable.manifests.add(manifest.manifestPath);
    if (!options.skipManifests?.has(manifest.manifestPath)) manifests.set(manifest.manifestPath, manifest);
  }
  await mapWithConcurrency([...manifests.values()], options.concurrency ?? 8, async (manifest) => {
    const { entries } = await readManifestEntries(table, manifest);
    for (const entry of entries) {
      if (options.liveOnly && entry.status === 'deleted') continue;
      (entry.dataFile.content === 'data' ? reachable.dataFiles : reachable.deleteFiles).add(entry.dataFile.filePath);
    }
  });
  return reachable;
}

/** Statistics and partition statistics files the metadata records (kept as plain JSON in `extra`). */
export function statisticsFiles(metadata: TableMetadata, snapshotIds?: ReadonlySet<bigint>): Set<string> {
  const files = new Set<string>();
  for (const key of ['statistics', 'partition-statistics']) {
    const list = metadata.extra[key];
    if (!Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      const record = item as Record<string, unknown> | null;
      const path = record?.['statistics-path'];
      const id = record?.['snapshot-id'];
      if (typeof path !== 'string') continue;
      if (
        snapshotIds !== undefined &&
        !((typeof id === 'number' || typeof id === 'bigint' || typeof id === 'string') && snapshotIds.has(BigInt(String(id))))
      )
        continue;
      files.add(path);
    }
  }
  return files;
}

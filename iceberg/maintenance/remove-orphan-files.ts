/**
 * Remove orphan files: files under the table's location that no metadata refers to — left by
 * failed commits, crashed writers, or expiry that did not finish. Referenced are the current metadata
 * file and those in its metadata log, every snapshot's manifest list, every manifest those list and
 * every data and delete file in them (DELETED entries too), and statistics files. Only files older
 * than the threshold go (3 days by default): a writer may be about to commit a younger one.
 * Everything referenced is known before anything is deleted; an unreadable manifest fails the run.
 */
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { localPath } from '../io/local-file-io.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { reachableFrom, statisticsFiles } from './reachable-files.js';

export const DEFAULT_ORPHAN_AGE_MS = 3 * 24 * 60 * 60 * 1000;

export interface RemoveOrphanFilesOptions {
  /** Only files last modified before this (ms since the epoch) are removed; default now − 3 days. */
  readonly olderThanMs?: number;
  /** Where to look; the table's location by default. */
  readonly location?: string;
  /** Report the orphans without deleting them. */
  readonly dryRun?: boolean;
  readonly nowMs?: number;
  readonly concurrency?: number;
}

export interface OrphanFile {
  readonly location: string;
  readonly size: number;
  readonly lastModifiedMs: number;
}

export interface RemoveOrphanFilesResult {
  /** Unreferenced files old enough: deleted, unless dry run. */
  readonly orphans: readonly OrphanFile[];
  /** Unreferenced files younger than the threshold, left alone. */
  readonly tooYoung: number;
  readonly referencedFiles: number;
  readonly dryRun: boolean;
}

export async function removeOrphanFiles(table: LoadedTable, options: RemoveOrphanFilesOptions = {}): Promise<RemoveOrphanFilesResult> {
  const nowMs = options.nowMs ?? Date.now();
  const olderThanMs = options.olderThanMs ?? nowMs - DEFAULT_ORPHAN_AGE_MS;
  const location = (options.location ?? table.metadata.location).replace(/\/+$/, '');
  if (location.length === 0)
    throw new FloeError('invalid-input', 'Orphan removal needs a location to look in', {
      context: { table: formatTableIdentifier(table.identifier) },
    });

  const referenced = await referencedFiles(table, options.concurrency);
  const orphans: OrphanFile[] = [];
  let tooYoung = 0;
  for await (const file of table.io.list(`${location}/`)) {
    if (referenced.has(normalizeLocation(file.location)) || isHint(file.location)) continue;
    if (file.lastModifiedMs < olderThanMs) orphans.push({ location: file.location, size: file.size, lastModifiedMs: file.lastModifiedMs });
    else tooYoung += 1;
  }
  if (!options.dryRun) await mapWithConcurrency(orphans, options.concurrency ?? 8, (orphan) => table.io.delete(orphan.location));
  return { orphans, tooYoung, referencedFiles: referenced.size, dryRun: options.dryRun ?? false };
}

/** Every file the table's metadata refers to, normalized for comparison with listed locations. */
export async function referencedFiles(table: LoadedTable, concurrency = 8): Promise<Set<string>> {
  const { metadata } = table;
  const reachable = await reachableFrom(table, metadata.snapshots, { liveOnly: false, concurrency });
  const all = [
    table.metadataLocation,
    ...metadata.metadataLog.map((entry) => entry.metadataFile),
    ...reachable.manifestLists,
    ...reachable.manifests,
    ...reachable.dataFiles,
    ...reachable.deleteFiles,
    ...statisticsFiles(metadata),
  ];
  return new Set(all.map(normalizeLocation));
}

/**
 * One spelling per file: `s3a://` and `s3n://` are `s3://`; `file:///p`, `file:/p` and `/p` are the
 * path `/p`. A referenced file spelled differently from its listing must never look unreferenced.
 */
export function normalizeLocation(location: string): string {
  const s3 = /^s3[an]?:\/\/(.*)$/.exec(location);
  if (s3) return `s3://${s3[1]!.replace(/\/{2,}/g, '/')}`;
  if (location.startsWith('file:') || location.startsWith('/')) return localPath(location);
  return location;
}

/** Hadoop tables' pointer file: metadata of the table that is not a metadata file. */
function isHint(location: string): boolean {
  return location.endsWith('/metadata/version-hint.text');
}

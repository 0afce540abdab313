import { isoMillis } from '../../contracts/instants.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { DEFAULT_ORPHAN_AGE_MS, removeOrphanFiles } from '../../iceberg/maintenance/remove-orphan-files.js';
import { reachableFrom } from '../../iceberg/maintenance/reachable-files.js';
import { snapshotForRef } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';
import { FloeError } from '../../core/errors.js';
import { isAggregatedView } from '../../features/aggregations.js';
import type { Registry } from '../../features/registry.js';
import { deadLetterIdentifier } from '../../features/stream/dead-letters.js';
import type { CompactTarget } from '../../contracts/compact.js';
import type { VisibleNames } from './visible-definitions.js';

/** Why Floe reads or writes a table: a source's, a view's online table (tiles for an aggregated view), a stream's dead letters, the consistency reports. */
export type TableRoleKind = 'source' | 'online' | 'tiles' | 'dead-letters' | 'consistency';

export interface TableRole {
  readonly kind: TableRoleKind;
  /** The definition it belongs to; null for the consistency table (the project's). */
  readonly definition: string | null;
}

/** A table Floe reads or writes, with what `floe compact` would compact it as. */
export interface FloeTable {
  readonly table: string;
  readonly roles: readonly TableRole[];
  /** A view's online table is compacted as the view's; any other table by its name. */
  readonly compactTarget: CompactTarget;
}

/** One table from its metadata alone: its head snapshot's totals, as the snapshot summary records them. */
export interface TableSummary extends FloeTable {
  readonly exists: boolean;
  readonly formatVersion: number | null;
  readonly snapshots: number;
  /** When the main branch's head was committed (UTC ISO); null without one. */
  readonly lastCommit: string | null;
  readonly dataFiles: number | null;
  readonly records: number | null;
  /** Bytes of the live data and delete files. */
  readonly bytes: number | null;
  readonly deleteFiles: number | null;
  readonly positionDeletes: number | null;
  readonly equalityDeletes: number | null;
}

/** What reading a table's manifests and listing its folder finds: its live delete files, deletion vectors and orphan litter. Nothing is deleted. */
export interface TableLitter {
  readonly table: string;
  /** Live delete files of the head snapshot, of which `deletionVectorFiles` are Puffin files of deletion vectors (v3). */
  readonly deleteFiles: number;
  readonly deletionVectorFiles: number;
  /** Files under the table's location no metadata refers to, last modified before `olderThan`: what orphan removal (and `floe compact`) would delete. */
  readonly orphans: { readonly files: number; readonly bytes: number };
  /** Unreferenced files younger than that, which a writer may be about to commit. */
  readonly tooYoung: number;
  readonly olderThan: string;
}

/** Tables' metadata loads in flight at once. */
const LOADS_IN_FLIGHT = 16;

/**
 * The tables Floe reads or writes that a caller may see, by name: each visible Iceberg source's
 * table, each visible view's online table (an aggregated view's holds tiles), each visible stream's
 * dead-letter table, and, for a caller who may read everything, the consistency report table.
 */
export function floeTables(
  registry: Registry,
  visible: VisibleNames,
  consistencyTable: string | undefined,
  everything: boolean,
): FloeTable[] {
  const tables = new Map<string, { roles: TableRole[]; compactTarget: CompactTarget }>();
  const add = (table: string, role: TableRole, compactTarget: CompactTarget = { table }): void => {
    const entry = tables.get(table);
    if (entry === undefined) tables.set(table, { roles: [role], compactTarget });
    else entry.roles.push(role);
  };
  for (const source of registry.sources.values())
    if (visible.sources.has(source.name)) add(source.table, { kind: 'source', definition: source.name });
  for (const view of registry.featureViews.values()) {
    if (!visible.featureViews.has(view.name) || !view.online.enabled) continue;
    const table = formatTableIdentifier(registry.onlineTableOf(view));
    add(table, { kind: isAggregatedView(view) ? 'tiles' : 'online', definition: view.name }, { featureView: view.name });
  }
  for (const stream of registry.streamSources.values()) {
    if (!visible.streamSources.has(stream.name)) continue;
    const batchTable = registry.batchSourceOf(registry.pushSourceOf(stream)).table;
    add(formatTableIdentifier(deadLetterIdentifier(stream, batchTable)), { kind: 'dead-letters', definition: stream.name });
  }
  if (everything && consistencyTable !== undefined) add(consistencyTable, { kind: 'consistency', definition: null });
  return [...tables].map(([table, entry]) => ({ table, ...entry })).sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

/** Each table's summary; a table that does not exist yet is listed as such. */
export async function tableSummaries(catalog: Catalog, tables: readonly FloeTable[]): Promise<TableSummary[]> {
  return mapWithConcurrency(tables, LOADS_IN_FLIGHT, async (entry) => {
    const metadata = await catalog
      .loadTable(parseTableIdentifier(entry.table))
      .then((loaded) => loaded.metadata)
      .catch((error: unknown) => {
        if (FloeError.is(error, 'not-found')) return null;
        throw error;
      });
    const head = metadata === null ? null : snapshotForRef(metadata, MAIN_BRANCH);
    const total = (key: string): number | null => {
      if (metadata === null) return null;
      if (head === null) return 0;
      const value = head.summary[`total-${key}`];
      return value === undefined ? null : Number(value);
    };
    return {
      ...entry,
      exists: metadata !== null,
      formatVersion: metadata?.formatVersion ?? null,
      snapshots: metadata?.snapshots.length ?? 0,
      lastCommit: head === null ? null : isoMillis(head.timestampMs),
      dataFiles: total('data-files'),
      records: total('records'),
      bytes: total('files-size'),
      deleteFiles: total('delete-files'),
      positionDeletes: total('position-deletes'),
      equalityDeletes: total('equality-deletes'),
    };
  });
}

/**
 * A table's delete files and orphan litter: its head snapshot's live files from its manifests, and
 * a dry run of orphan removal (iceberg/maintenance/remove-orphan-files.ts) with its default age
 * against `nowMs`, which lists the table's folder and deletes nothing.
 */
export async function tableLitter(catalog: Catalog, table: string, nowMs: number): Promise<TableLitter> {
  const loaded = await catalog.loadTable(parseTableIdentifier(table));
  const head = snapshotForRef(loaded.metadata, MAIN_BRANCH);
  const live = head === null ? null : await reachableFrom(loaded, [head], { liveOnly: true });
  const deleteFiles = [...(live?.deleteFiles ?? [])];
  const olderThanMs = nowMs - DEFAULT_ORPHAN_AGE_MS;
  const orphanRun = await removeOrphanFiles(loaded, { dryRun: true, nowMs, olderThanMs });
  return {
    table,
    deleteFiles: deleteFiles.length,
    deletionVectorFiles: deleteFiles.filter((file) => file.endsWith('.puffin')).length,
    orphans: { files: orphanRun.orphans.length, bytes: orphanRun.orphans.reduce((sum, orphan) => sum + orphan.size, 0) },
    tooYoung: orphanRun.tooYoung,
    olderThan: isoMillis(olderThanMs),
  };
}

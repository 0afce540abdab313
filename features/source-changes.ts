import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import { planScan } from '../iceberg/scan/planner.js';
import type { DataFile } from '../iceberg/spec/manifest.js';
import { ancestorsOf } from '../iceberg/spec/metadata.js';
import type { TableMetadata } from '../iceberg/spec/metadata.js';
import type { Snapshot } from '../iceberg/spec/snapshot.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import { fromBinary } from '../iceberg/spec/values.js';
import { snapshotManifests } from '../iceberg/scan/manifest-cache.js';
import { readAllManifestEntries } from '../iceberg/write/table-manifests.js';

/**
 * What happened to a source table between the snapshot a view last processed (its cursor) and the
 * snapshot a run reads, walking the branch's ancestry back from the latter:
 * - `unchanged`: the cursor is the snapshot read;
 * - `appends`: only appends since, and replaces (a compaction: files rewritten, no row changed),
 *   so the appends' data files are all that is new (read by an incremental append scan, no old
 *   file reopened);
 * - `rewritten`: some snapshot since is an overwrite or a delete: rows were removed or replaced,
 *   and the affected event times must be restated;
 * - `cursor-lost`: the cursor is not an ancestor any more (expired, or the branch was reset).
 * A null cursor means "before the table's first snapshot": the view processed the source empty.
 */
export type SourceChanges =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'appends'; readonly snapshots: readonly Snapshot[] }
  | { readonly kind: 'rewritten'; readonly snapshots: readonly Snapshot[]; readonly first: Snapshot }
  | { readonly kind: 'cursor-lost' };

/** Operations that add rows without changing any (`append`), or change files but no row (`replace`: Iceberg's compaction). */
const ROWS_KEPT: ReadonlySet<string> = new Set(['append', 'replace']);

export function classifySourceChanges(metadata: TableMetadata, headSnapshotId: bigint | null, cursor: bigint | null): SourceChanges {
  if (headSnapshotId === cursor) return { kind: 'unchanged' };
  if (headSnapshotId === null) return { kind: 'cursor-lost' };
  const since: Snapshot[] = [];
  let found = false;
  for (const snapshot of ancestorsOf(metadata, headSnapshotId)) {
    if (snapshot.snapshotId === cursor) {
      found = true;
      break;
    }
    since.push(snapshot);
    if (snapshot.parentSnapshotId === null) found = cursor === null;
  }
  if (!found) return { kind: 'cursor-lost' };
  since.reverse();
  const first = since.find((snapshot) => !ROWS_KEPT.has(snapshot.summary.operation));
  return first === undefined ? { kind: 'appends', snapshots: since } : { kind: 'rewritten', snapshots: since, first };
}

/**
 * Among candidate cursors (source snapshot ids), the oldest: the one deepest in the ancestry of the
 * snapshot read. Null when one of them is not an ancestor (then nobody can say what came since).
 */
export function oldestAncestor(metadata: TableMetadata, headSnapshotId: bigint | null, candidates: readonly bigint[]): bigint | null {
  if (headSnapshotId === null) return null;
  const depth = new Map<bigint, number>();
  let index = 0;
  for (const snapshot of ancestorsOf(metadata, headSnapshotId)) depth.set(snapshot.snapshotId, index++);
  let oldest: bigint | null = null;
  for (const candidate of candidates) {
    const at = depth.get(candidate);
    if (at === undefined) return null;
    if (oldest === null || at > depth.get(oldest)!) oldest = candidate;
  }
  return oldest;
}

/**
 * The earliest event time (µs) any of these snapshots touched: the lower bounds of the data files
 * they added or removed, and of the data files their delete files apply to. Null when a bound is
 * unknown (no column stats, or an event-time column of another type).
 */
export async function earliestTouchedMicros(
  table: LoadedTable,
  snapshots: readonly Snapshot[],
  eventTime: { readonly fieldId: number; readonly type: PrimitiveType },
): Promise<bigint | null> {
  let earliest: bigint | null = null;
  const consider = (file: DataFile): boolean => {
    const micros = lowerBoundMicros(file, eventTime);
    if (micros === null) return false;
    if (earliest === null || micros < earliest) earliest = micros;
    return true;
  };
  for (const snapshot of snapshots) {
    const manifests = (await snapshotManifests(table, snapshot)).filter((manifest) => manifest.addedSnapshotId === snapshot.snapshotId);
    const deleteFiles = new Set<string>();
    for (const { entries } of await readAllManifestEntries(table, manifests)) {
      for (const entry of entries) {
        if (entry.snapshotId !== snapshot.snapshotId || entry.status === 'existing') continue;
        if (entry.dataFile.content === 'data') {
          if (!consider(entry.dataFile)) return null;
        } else if (entry.status === 'added' && !consider(entry.dataFile)) {
          deleteFiles.add(entry.dataFile.filePath);
        }
      }
    }
    if (deleteFiles.size === 0) continue;
    // A delete file's own stats describe the deleted rows' positions (or equality columns): the
    // event times it affects are those of the data files it applies to, as the snapshot plans them.
    const plan = await planScan(table, { snapshotId: snapshot.snapshotId });
    for (const task of plan.tasks) {
      const applies = [...task.positionDeletes, ...task.equalityDeletes].some((ref) => deleteFiles.has(ref.file.filePath));
      if (applies && !consider(task.dataFile)) return null;
    }
  }
  return earliest;
}

/** The earliest event time (µs) in a snapshot of the table, from its data files' stats; null when unknown or empty. */
export async function earliestEventMicros(
  table: LoadedTable,
  snapshotId: bigint,
  eventTime: { readonly fieldId: number; readonly type: PrimitiveType },
): Promise<bigint | null> {
  const plan = await planScan(table, { snapshotId });
  let earliest: bigint | null = null;
  for (const task of plan.tasks) {
    const micros = lowerBoundMicros(task.dataFile, eventTime);
    if (micros === null) return null;
    if (earliest === null || micros < earliest) earliest = micros;
  }
  return earliest;
}

/** A file's lower bound of the event-time column, in µs since the epoch; null when unknown. */
export function lowerBoundMicros(file: DataFile, eventTime: { readonly fieldId: number; readonly type: PrimitiveType }): bigint | null {
  const bytes = file.lowerBounds?.get(eventTime.fieldId);
  if (bytes === undefined) return null;
  const value = fromBinary(eventTime.type, bytes);
  switch (eventTime.type) {
    case 'timestamp':
    case 'timestamptz':
      return value as bigint;
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const nanos = value as bigint;
      // Floor, so the restated range still holds the row.
      return nanos >= 0n ? nanos / 1000n : -((-nanos + 999n) / 1000n);
    }
    case 'date':
      return BigInt(value as number) * 86_400_000_000n;
    default:
      return null;
  }
}

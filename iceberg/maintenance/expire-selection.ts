/**
 * Which snapshots and refs an expiry removes (Java's RemoveSnapshots rules), from metadata alone:
 *  - refs: `main` always stays; another ref goes when its snapshot is older than its max-ref-age-ms
 *    (or the table's `history.expire.max-ref-age-ms`, unlimited by default);
 *  - each kept branch keeps its ancestors while fewer than min-snapshots-to-keep are kept or they are
 *    newer than the cut-off (its own max-snapshot-age-ms, else `olderThanMs`), stopping at the first
 *    that is neither; each kept tag keeps its snapshot;
 *  - snapshots no ref reaches are kept while newer than `olderThanMs`;
 *  - explicitly named snapshots go too, unless a kept ref points at one (then it is an error).
 */
import { FloeError } from '../../core/errors.js';
import { ancestorsOf, snapshotById } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';

export const MAX_SNAPSHOT_AGE_MS_PROPERTY = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP_PROPERTY = 'history.expire.min-snapshots-to-keep';
export const MAX_REF_AGE_MS_PROPERTY = 'history.expire.max-ref-age-ms';
export const DEFAULT_MAX_SNAPSHOT_AGE_MS = 5 * 24 * 60 * 60 * 1000;
export const DEFAULT_MIN_SNAPSHOTS_TO_KEEP = 1;

export interface ExpireOptions {
  /** Expire snapshots older than this (ms since the epoch); default now − `history.expire.max-snapshot-age-ms` (5 days). */
  readonly olderThanMs?: number;
  /** Keep at least this many ancestors of every branch; default `history.expire.min-snapshots-to-keep` (1). */
  readonly retainLast?: number;
  /** Also expire these snapshots, whatever their age. Ids no longer in the table are ignored, so a retry is harmless. */
  readonly snapshotIds?: readonly bigint[];
}

export interface ExpireSelection {
  readonly snapshotIds: readonly bigint[];
  readonly refs: readonly string[];
}

export function selectExpired(metadata: TableMetadata, options: ExpireOptions, nowMs: number): ExpireSelection {
  const properties = metadata.properties;
  const olderThanMs =
    options.olderThanMs ??
    nowMs - integerProperty(properties, MAX_SNAPSHOT_AGE_MS_PROPERTY, DEFAULT_MAX_SNAPSHOT_AGE_MS, metadata.location);
  const retainLast =
    options.retainLast ?? integerProperty(properties, MIN_SNAPSHOTS_TO_KEEP_PROPERTY, DEFAULT_MIN_SNAPSHOTS_TO_KEEP, metadata.location);
  if (!Number.isSafeInteger(retainLast) || retainLast < 1) {
    throw new FloeError('invalid-input', `Snapshots to retain must be an integer of at least 1, got ${retainLast}`, {
      context: { table: metadata.location },
    });
  }
  const maxRefAgeMs = integerProperty(properties, MAX_REF_AGE_MS_PROPERTY, Number.POSITIVE_INFINITY, metadata.location);

  const keptRefs = new Map<string, (typeof metadata.refs)[string]>();
  const removedRefs: string[] = [];
  for (const [name, ref] of Object.entries(metadata.refs)) {
    const snapshot = snapshotById(metadata, ref.snapshotId);
    const keep = name === MAIN_BRANCH || (snapshot !== undefined && nowMs - snapshot.timestampMs <= (ref.maxRefAgeMs ?? maxRefAgeMs));
    if (keep) keptRefs.set(name, ref);
    else removedRefs.push(name);
  }

  const retained = new Set<bigint>();
  const reachable = new Set<bigint>();
  for (const ref of keptRefs.values()) {
    retained.add(ref.snapshotId);
    if (ref.type !== 'branch') {
      reachable.add(ref.snapshotId);
      continue;
    }
    const cutOff = ref.maxSnapshotAgeMs !== undefined ? nowMs - ref.maxSnapshotAgeMs : olderThanMs;
    const minimum = ref.minSnapshotsToKeep ?? retainLast;
    let kept = 0;
    let stopped = false;
    for (const ancestor of ancestorsOf(metadata, ref.snapshotId)) {
      reachable.add(ancestor.snapshotId);
      if (stopped) continue;
      if (kept < minimum || ancestor.timestampMs >= cutOff) {
        retained.add(ancestor.snapshotId);
        kept += 1;
      } else {
        stopped = true;
      }
    }
  }
  for (const snapshot of metadata.snapshots) {
    if (!reachable.has(snapshot.snapshotId) && snapshot.timestampMs >= olderThanMs) retained.add(snapshot.snapshotId);
  }

  const explicit = new Set(options.snapshotIds ?? []);
  for (const id of explicit) {
    const holders = [...keptRefs].filter(([, ref]) => ref.snapshotId === id).map(([name]) => name);
    if (holders.length > 0) {
      throw new FloeError('invalid-input', `Cannot expire snapshot ${id}: ref(s) ${holders.join(', ')} still point at it`, {
        context: { table: metadata.location, snapshotId: id },
      });
    }
  }
  const snapshotIds = metadata.snapshots.map((snapshot) => snapshot.snapshotId).filter((id) => explicit.has(id) || !retained.has(id));
  return { snapshotIds, refs: removedRefs };
}

function integerProperty(properties: Readonly<Record<string, string>>, key: string, fallback: number, table: string): number {
  const text = properties[key];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FloeError('invalid-input', `Table property ${key} must be a non-negative integer, got ${JSON.stringify(text)}`, {
      context: { table, property: key },
    });
  }
  return value;
}

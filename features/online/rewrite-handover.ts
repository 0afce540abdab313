import type { TableMetadata } from '../../iceberg/spec/metadata.js';

/**
 * Whether every snapshot after `held` up to the table's current one is a `replace` (a compaction:
 * files rewritten, rows unchanged), so reads may go on answering from `held` while the row store
 * stores the rewritten files. False when `held` is not an ancestor of the current snapshot.
 */
export function onlyRewritesSince(metadata: TableMetadata, held: bigint | null): boolean {
  if (held === null) return false;
  const snapshots = new Map(metadata.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  let id = metadata.currentSnapshotId ?? null;
  if (id === held) return false;
  while (id !== null && id !== held) {
    const snapshot = snapshots.get(id);
    if (snapshot === undefined || snapshot.summary.operation !== 'replace') return false;
    id = snapshot.parentSnapshotId;
  }
  return id === held;
}

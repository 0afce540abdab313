import { ancestorsOf, snapshotForRef } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import { IDEMPOTENCY_KEY_PROPERTY } from './table-change.js';

/** The snapshot on `branch` (its head or an ancestor) whose summary carries `key`. */
export function findCommitted(metadata: TableMetadata, branch: string, key: string | undefined): Snapshot | undefined {
  if (key === undefined) return undefined;
  const head = snapshotForRef(metadata, branch);
  if (head === null) return undefined;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    if (snapshot.summary[IDEMPOTENCY_KEY_PROPERTY] === key) return snapshot;
  }
  return undefined;
}

import { randomBytes } from 'node:crypto';
import type { TableMetadata } from '../spec/metadata.js';

const MAX_LONG = (1n << 63n) - 1n;

/** A fresh positive 63-bit snapshot id, as Java makes them, unused in this table. */
export function newSnapshotId(metadata: TableMetadata): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & MAX_LONG;
    if (id !== 0n && !metadata.snapshots.some((snapshot) => snapshot.snapshotId === id)) return id;
  }
}

import type { Snapshot, SnapshotOperation, SnapshotSummary } from '../spec/snapshot.js';

/** What a snapshot adds and removes, in the terms of the spec's summary properties ("Snapshot Summary"). */
export interface SummaryDelta {
  readonly addedDataFiles?: number;
  readonly deletedDataFiles?: number;
  readonly addedRecords?: number;
  readonly deletedRecords?: number;
  readonly addedFilesSize?: number;
  readonly removedFilesSize?: number;
  readonly addedDeleteFiles?: number;
  readonly removedDeleteFiles?: number;
  readonly addedPositionDeleteFiles?: number;
  readonly removedPositionDeleteFiles?: number;
  readonly addedEqualityDeleteFiles?: number;
  readonly removedEqualityDeleteFiles?: number;
  readonly addedPositionDeletes?: number;
  readonly removedPositionDeletes?: number;
  readonly addedEqualityDeletes?: number;
  readonly removedEqualityDeletes?: number;
  /** v3 deletion vectors: counted in the delete files and position deletes too, as Java counts them. */
  readonly addedDVs?: number;
  readonly removedDVs?: number;
  readonly changedPartitionCount?: number;
}

const TOTALS: readonly (readonly [total: string, added: keyof SummaryDelta, removed: keyof SummaryDelta])[] = [
  ['total-data-files', 'addedDataFiles', 'deletedDataFiles'],
  ['total-records', 'addedRecords', 'deletedRecords'],
  ['total-files-size', 'addedFilesSize', 'removedFilesSize'],
  ['total-delete-files', 'addedDeleteFiles', 'removedDeleteFiles'],
  ['total-position-deletes', 'addedPositionDeletes', 'removedPositionDeletes'],
  ['total-equality-deletes', 'addedEqualityDeletes', 'removedEqualityDeletes'],
];

const PROPERTY_OF: Readonly<Record<keyof SummaryDelta, string>> = {
  addedDataFiles: 'added-data-files',
  deletedDataFiles: 'deleted-data-files',
  addedRecords: 'added-records',
  deletedRecords: 'deleted-records',
  addedFilesSize: 'added-files-size',
  removedFilesSize: 'removed-files-size',
  addedDeleteFiles: 'added-delete-files',
  removedDeleteFiles: 'removed-delete-files',
  addedPositionDeleteFiles: 'added-position-delete-files',
  removedPositionDeleteFiles: 'removed-position-delete-files',
  addedEqualityDeleteFiles: 'added-equality-delete-files',
  removedEqualityDeleteFiles: 'removed-equality-delete-files',
  addedPositionDeletes: 'added-position-deletes',
  removedPositionDeletes: 'removed-position-deletes',
  addedEqualityDeletes: 'added-equality-deletes',
  removedEqualityDeletes: 'removed-equality-deletes',
  addedDVs: 'added-dvs',
  removedDVs: 'removed-dvs',
  changedPartitionCount: 'changed-partition-count',
};

/**
 * The summary of a new snapshot: its own changes, the running totals carried from the parent
 * (left out, as Java does, when the parent has none to carry), and any extra properties.
 */
export function buildSummary(
  operation: SnapshotOperation,
  delta: SummaryDelta,
  parent: Snapshot | null,
  extra: Readonly<Record<string, string>> = {},
): SnapshotSummary {
  const summary: Record<string, string> = { ...extra, operation };
  for (const [key, property] of Object.entries(PROPERTY_OF) as [keyof SummaryDelta, string][]) {
    const value = delta[key];
    if (value !== undefined && value !== 0) summary[property] = String(value);
  }
  for (const [total, added, removed] of TOTALS) {
    const previous = parent === null ? 0 : parseCount(parent.summary[total]);
    if (previous === undefined) continue;
    summary[total] = String(previous + (delta[added] ?? 0) - (delta[removed] ?? 0));
  }
  return summary as SnapshotSummary;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

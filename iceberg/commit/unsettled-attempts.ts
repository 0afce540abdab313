/**
 * Commit attempts whose outcome is not known yet, and the files each wrote for itself alone.
 *
 * An attempt requires the branch head it was built on (`assert-ref-snapshot-id`). Once that head is
 * a strict ancestor of the branch's head and the attempt's snapshot is not in the table, the
 * attempt can never land: its files belong to nobody. Until then it may still land, even when a
 * reload does not show it — a request that timed out or lost its answer at a proxy can still be
 * running in the catalog — so its files stay. A table loaded before the required head was there (or
 * after it was expired) proves nothing either, and settles nothing.
 *
 * A commit that gives up before it can tell leaves its attempts with `unsettledChanges`; every later
 * commit to the same table in this process settles them against the table it loads or lands on,
 * which is when a catalog that was down or jammed comes back: the commit that moves the branch is
 * the proof.
 */
import { IN_FLIGHT_FILE_AGE_MS } from '../maintenance/in-flight-file-age.js';
import { ancestorsOf, snapshotForRef } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import { findCommitted } from './find-committed.js';

export interface UnsettledAttempt {
  readonly snapshotId: bigint | undefined;
  /** The branch head the attempt required; undefined when it required none (then it is never settled). */
  readonly requiredHead: bigint | null | undefined;
  /** Its manifest list and the manifests written for it alone. */
  readonly files: readonly string[];
}

/**
 * Removes from `attempts` those settled on `metadata` and returns the files of the ones that can
 * never land. `landed`: a snapshot known to be the change's (its idempotency key's), whose files are live.
 */
export function settleAttempts(
  attempts: UnsettledAttempt[],
  metadata: TableMetadata,
  branch: string,
  landed: bigint | undefined,
): { dead: string[]; landed: boolean } {
  if (attempts.length === 0) return { dead: [], landed: false };
  const head = snapshotForRef(metadata, branch);
  const lineage = head === null ? [] : [...ancestorsOf(metadata, head.snapshotId)];
  const onBranch = new Set(lineage.map((snapshot) => snapshot.snapshotId));
  // An attempt that required an empty branch is dead only if the branch's first snapshot is known
  // and is another: a history cut short (expired snapshots, or a catalog that serves only its last
  // commits, as Nessie does) may have dropped the attempt's own snapshot although its manifests live on.
  const rootKnown = lineage.length > 0 && lineage[lineage.length - 1]!.parentSnapshotId === null;
  // Anywhere in the table (on another branch, or rolled back from this one) its files are live.
  const inTable = new Set(metadata.snapshots.map((snapshot) => snapshot.snapshotId));
  const dead: string[] = [];
  let anyLanded = false;
  for (let index = attempts.length - 1; index >= 0; index--) {
    const attempt = attempts[index]!;
    if (attempt.snapshotId !== undefined && (attempt.snapshotId === landed || inTable.has(attempt.snapshotId))) {
      attempts.splice(index, 1);
      anyLanded = true;
      continue;
    }
    const movedPast =
      head !== null &&
      attempt.requiredHead !== undefined &&
      attempt.requiredHead !== head.snapshotId &&
      (attempt.requiredHead === null ? rootKnown : onBranch.has(attempt.requiredHead));
    if (!movedPast) continue;
    attempts.splice(index, 1);
    dead.push(...attempt.files);
  }
  return { dead, landed: anyLanded };
}

/** A commit that gave up with attempts unsettled. */
export interface UnsettledChange {
  readonly tableUuid: string;
  readonly branch: string;
  readonly idempotencyKey: string | undefined;
  readonly attempts: UnsettledAttempt[];
  /** The caller's files of the change (its data files and their manifest): deleted only if no attempt landed. */
  readonly ownedFiles: readonly string[];
  /** When it was left here (ms since the epoch). */
  readonly since: number;
}

/**
 * The process's unsettled changes, by table uuid. Bounded: past `maxAttempts` attempts, or
 * `maxAgeMs` after a change was left, it is forgotten and its files are the orphan sweep's
 * (remove-orphans takes nothing younger than IN_FLIGHT_FILE_AGE_MS, the default age here).
 */
export class UnsettledChanges {
  private readonly byTable = new Map<string, UnsettledChange[]>();
  private attempts = 0;

  constructor(
    private readonly maxAttempts = 10_000,
    private readonly maxAgeMs = IN_FLIGHT_FILE_AGE_MS,
  ) {}

  get size(): number {
    return this.attempts;
  }

  add(change: UnsettledChange): void {
    if (change.attempts.length === 0) return;
    this.byTable.set(change.tableUuid, [...(this.byTable.get(change.tableUuid) ?? []), change]);
    this.attempts += change.attempts.length;
    while (this.attempts > this.maxAttempts) this.forgetOldest();
  }

  /**
   * Settles the table's changes on `metadata` and returns the files nobody can reference any more:
   * dead attempts' files, and a change's own files once none of its attempts can land.
   */
  settle(metadata: TableMetadata, now: number = Date.now()): string[] {
    const changes = this.byTable.get(metadata.tableUuid);
    if (changes === undefined) return [];
    const files: string[] = [];
    const kept: UnsettledChange[] = [];
    for (const change of changes) {
      const before = change.attempts.length;
      if (now - change.since > this.maxAgeMs) {
        this.attempts -= before;
        continue;
      }
      const key = findCommitted(metadata, change.branch, change.idempotencyKey)?.snapshotId;
      const settled = settleAttempts(change.attempts, metadata, change.branch, key);
      this.attempts -= before - change.attempts.length;
      files.push(...settled.dead);
      const landed = key !== undefined || settled.landed;
      if (landed) {
        // Whatever still waits cannot land beside the one that did: nothing more to learn.
        this.attempts -= change.attempts.length;
        continue;
      }
      if (change.attempts.length === 0) files.push(...change.ownedFiles);
      else kept.push(change);
    }
    if (kept.length === 0) this.byTable.delete(metadata.tableUuid);
    else this.byTable.set(metadata.tableUuid, kept);
    return files;
  }

  private forgetOldest(): void {
    let oldest: { uuid: string; index: number; since: number } | undefined;
    for (const [uuid, changes] of this.byTable)
      changes.forEach((change, index) => {
        if (oldest === undefined || change.since < oldest.since) oldest = { uuid, index, since: change.since };
      });
    if (oldest === undefined) return;
    const changes = this.byTable.get(oldest.uuid)!;
    this.attempts -= changes[oldest.index]!.attempts.length;
    changes.splice(oldest.index, 1);
    if (changes.length === 0) this.byTable.delete(oldest.uuid);
  }
}

/** This process's: every commit loop leaves and settles its attempts here. */
export const unsettledChanges = new UnsettledChanges();

import type { LoadedTable } from '../catalog/catalog.js';
import type { TableRequirement, TableUpdate } from '../table-updates/updates.js';

/**
 * One logical change to a table (an append, a rewrite, a schema change), able to restate itself
 * against whatever the table is when the commit is attempted. The commit loop calls `prepare` on
 * the freshly loaded table before each attempt, so a change that lost a race is replayed on the
 * new base; a change that can no longer apply (a rewrite whose input files are gone) throws a
 * non-retryable FloeError from `prepare`.
 */
export interface TableChange {
  /** Shown in errors and logs: "append 3 files", "rewrite partition id_bucket=7". */
  readonly description: string;
  /**
   * Marks the change in the snapshot it creates (`floe.idempotency-key` in the summary). When a
   * snapshot with this key is already an ancestor of the target branch, the commit returns it
   * instead of committing again: this is what makes a retried activity safe.
   */
  readonly idempotencyKey?: string | undefined;
  /** The branch the change commits to; `main` when absent. */
  readonly branch?: string;
  prepare(base: LoadedTable): Promise<PreparedChange>;
  /**
   * For a change without an idempotency key that is harmless to apply twice (setting properties):
   * whether `table` already shows it. The commit loop then chases an unknown outcome as it does
   * for a key: it reloads, stops when the change is there, and otherwise replays it.
   */
  shownIn?(table: LoadedTable): boolean;
}

export interface PreparedChange {
  readonly requirements: readonly TableRequirement[];
  readonly updates: readonly TableUpdate[];
  /**
   * Files `prepare` wrote for this attempt alone (its manifest list, rewritten manifests). The
   * commit loop deletes them once it knows the attempt can never land; files written before the
   * commit and shared by every attempt (the added data files' manifest) are not listed here.
   */
  readonly writtenFiles?: readonly string[];
}

export const IDEMPOTENCY_KEY_PROPERTY = 'floe.idempotency-key';

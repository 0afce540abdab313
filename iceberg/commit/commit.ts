/**
 * The commit loop: land one TableChange exactly once, whatever else commits at the same time.
 *
 *   load → already committed (idempotency key on the branch)? return that snapshot
 *        → prepare on the loaded table → commit → conflict: back off, reload, repeat
 *
 * A `commit-state-unknown` answer (the request may have landed) is handled like a conflict when
 * the change has an idempotency key: the reload before the next attempt looks for the key, so a
 * commit that did land is found and returned instead of applied twice. Without a key it is thrown. Errors from `prepare` and every other error
 * propagate at once; after the last attempt the loop throws a retryable error so that an outer
 * retry (a Temporal activity) can try again later.
 */
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.js';
import { formatIdentifier } from '../catalog/identifier.js';
import { FloeError } from '../errors.js';
import { ancestorsOf, snapshotForRef } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import type { Snapshot } from '../spec/snapshot.js';
import { backoffMs, retryPolicyFrom } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import { IDEMPOTENCY_KEY_PROPERTY } from './table-change.js';
import type { TableChange } from './table-change.js';
import type { TableUpdate } from './updates.js';

export interface CommitOptions {
  /** Overrides the table's `commit.retry.*` properties. */
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Told about every retry, e.g. to heartbeat a Temporal activity or log. */
  readonly onRetry?: (event: { attempt: number; waitMs: number; error: FloeError }) => void;
}

export interface CommitResult {
  readonly table: LoadedTable;
  /** The snapshot the change added, or the earlier one that already carried its idempotency key. */
  readonly snapshotId?: bigint;
  /** How many times the catalog was asked to commit (0 when the change was found already committed). */
  readonly attempts: number;
  readonly alreadyCommitted: boolean;
}

export async function commitChange(catalog: Catalog, identifier: TableIdentifier, change: TableChange, options: CommitOptions = {}): Promise<CommitResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const started = now();
  const branch = change.branch ?? MAIN_BRANCH;
  let table = await catalog.loadTable(identifier);
  const policy = retryPolicyFrom(table.metadata.properties, options.retry);

  for (let attempt = 1; ; attempt++) {
    const committed = findCommitted(table.metadata, branch, change.idempotencyKey);
    if (committed !== undefined) return { table, snapshotId: committed.snapshotId, attempts: attempt - 1, alreadyCommitted: true };

    const prepared = await change.prepare(table);
    try {
      const result = await catalog.commitTable(identifier, prepared.requirements, prepared.updates);
      const snapshotId = addedSnapshotId(prepared.updates);
      return { table: result, ...(snapshotId === undefined ? {} : { snapshotId }), attempts: attempt, alreadyCommitted: false };
    } catch (error) {
      if (!FloeError.is(error, 'commit-conflict') && !FloeError.is(error, 'commit-state-unknown')) throw error;
      // Without an idempotency key there is no way to tell whether an unknown commit landed, and
      // replaying it could apply the change twice: leave the decision to the caller.
      if (error.kind === 'commit-state-unknown' && change.idempotencyKey === undefined) throw error;
      const waitMs = backoffMs(attempt, policy, options.random);
      const outOfTime = now() - started + waitMs > policy.totalTimeoutMs;
      if (attempt > policy.numRetries || outOfTime) {
        // One last look: a commit whose outcome was unknown may have landed after all.
        if (FloeError.is(error, 'commit-state-unknown')) {
          table = await catalog.loadTable(identifier);
          const landed = findCommitted(table.metadata, branch, change.idempotencyKey);
          if (landed !== undefined) return { table, snapshotId: landed.snapshotId, attempts: attempt, alreadyCommitted: true };
        }
        throw giveUp(error, identifier, change, attempt, policy, outOfTime);
      }
      options.onRetry?.({ attempt, waitMs, error });
      await sleep(waitMs);
      table = await catalog.loadTable(identifier);
    }
  }
}

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

function addedSnapshotId(updates: readonly TableUpdate[]): bigint | undefined {
  let id: bigint | undefined;
  for (const update of updates) if (update.action === 'add-snapshot') id = update.snapshot.snapshotId;
  return id;
}

function giveUp(error: FloeError, identifier: TableIdentifier, change: TableChange, attempts: number, policy: RetryPolicy, outOfTime: boolean): FloeError {
  const table = formatIdentifier(identifier);
  const limit = outOfTime ? `the ${policy.totalTimeoutMs} ms budget (commit.retry.total-timeout-ms)` : `${policy.numRetries} retries (commit.retry.num-retries)`;
  const message =
    error.kind === 'commit-state-unknown'
      ? `Commit of ${change.description} to ${table}: outcome unknown after ${attempts} attempts and ${limit}; its idempotency key was not found`
      : `Commit of ${change.description} to ${table} kept conflicting with other commits: gave up after ${attempts} attempts and ${limit}`;
  return new FloeError(error.kind, message, { context: { table, attempts }, cause: error, retryable: true });
}

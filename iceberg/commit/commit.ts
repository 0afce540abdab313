/**
 * The commit loop: land one TableChange exactly once, whatever else commits at the same time.
 *
 *   load → already committed (idempotency key on the branch)? return that snapshot
 *        → prepare on the loaded table → commit → conflict: back off, reload, repeat
 *
 * Conflicts are retried up to the table's `commit.retry.*` policy. A `commit-state-unknown` answer
 * (the request may have landed) is resolved here, not by an outer retry: with an idempotency key
 * the loop reloads the table within a second or two and looks for the key, and keeps doing so
 * (short jittered waits) for up to `unknownOutcomeBudgetMs`, then throws a retryable error. A
 * reload that fails on a transient error during that time is tried again too. A change harmless to
 * replay (TableChange.shownIn) is chased the same way, looking for what it shows. Otherwise,
 * without a key, an unknown outcome is thrown at once. Errors from `prepare` and every other error propagate at once.
 *
 * An attempt's own files (its manifest list, rewritten manifests) are deleted as soon as the
 * attempt can no longer land: at once on a conflict, a refusal or a request that never left, and
 * for an unknown outcome once a reload shows the branch has moved past the head the attempt
 * required (its requirement can never hold again) without its snapshot. A commit that gives up
 * before it knows leaves those attempts to the next commit to the table in this process
 * (unsettled-attempts.ts). The caller's `ownedFiles` go too once no attempt can have landed.
 */
import type { Catalog, LoadedTable, TableIdentifier } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import { CommitNotSentError, CommitStateUnknownError, FloeError } from '../../core/errors.js';
import type { Redactor } from '../../core/redaction.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import type { TableUpdate } from '../table-updates/updates.js';
import { backoffMs, delay } from '../util/backoff.js';
import { retryPolicyFrom, UNKNOWN_OUTCOME_RETRY } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import type { PreparedChange, TableChange } from './table-change.js';
import { defined } from '../../contracts/defined.js';
import { findCommitted } from './find-committed.js';
import { settleAttempts, unsettledChanges } from './unsettled-attempts.js';
import type { UnsettledAttempt } from './unsettled-attempts.js';

export { findCommitted };

export interface CommitOptions {
  /** Overrides the table's `commit.retry.*` properties. */
  readonly retry?: Partial<RetryPolicy>;
  /** How long an unknown outcome is chased by reloading before the loop gives up (default 30 s). */
  readonly unknownOutcomeBudgetMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  /** Told about every retry, e.g. to heartbeat a Temporal activity or log. */
  readonly onRetry?: (event: { attempt: number; waitMs: number; error: FloeError }) => void;
  /**
   * The table as the caller loaded it to write the change's files: the first attempt starts from
   * it instead of loading the table again. Every snapshot a change adds requires the branch head it
   * was built on, so if the table moved meanwhile that attempt conflicts and the next one reloads
   * (and finds the change there, if an earlier try of it landed).
   */
  readonly loaded?: LoadedTable;
  /**
   * The caller's files of this change alone (the data files it wrote and their manifest), that no
   * other commit, and no retry of this one, will refer to: deleted when the commit fails knowing
   * that none of its attempts landed (or, when it gave up not knowing, once a later commit shows it).
   */
  readonly ownedFiles?: readonly string[];
  /** Told about a file of a failed attempt that could not be deleted (default: a warning on stderr, redacted by the catalog's redactor). */
  readonly onCleanupFailure?: (file: string, error: unknown) => void;
  /** Cancels the loop: its waits and catalog calls end, rejecting with the signal's reason (see CatalogCallOptions). */
  readonly signal?: AbortSignal;
}

export interface CommitResult {
  readonly table: LoadedTable;
  /** The snapshot the change added, or the earlier one that already carried its idempotency key. */
  readonly snapshotId?: bigint;
  /** How many times the catalog was asked to commit (0 when the change was found already committed). */
  readonly attempts: number;
  /** How many of those attempts conflicted with another commit (each was then replayed on the new base). */
  readonly conflicts: number;
  readonly alreadyCommitted: boolean;
}

/** The options past commitChange: who is told of a file that could not be deleted is settled. */
type AttemptOptions = CommitOptions & Required<Pick<CommitOptions, 'onCleanupFailure'>>;

/** What a failed commit leaves: the attempts whose outcome is unknown, and the table to delete files from. */
interface CommitState {
  table?: LoadedTable;
  readonly unresolved: UnsettledAttempt[];
}

export async function commitChange(
  catalog: Catalog,
  identifier: TableIdentifier,
  change: TableChange,
  given: CommitOptions = {},
): Promise<CommitResult> {
  const options = { ...given, onCleanupFailure: given.onCleanupFailure ?? cleanupWarning(catalog.redactor) };
  const state: CommitState = { unresolved: [] };
  try {
    return await attemptCommits(catalog, identifier, change, options, state);
  } catch (error) {
    if (state.table !== undefined) await leave(state.table, change, options, state.unresolved);
    throw error;
  }
}

/** After a failed commit: its own files go if no attempt can have landed; else its attempts wait for a later commit. */
async function leave(table: LoadedTable, change: TableChange, options: AttemptOptions, unresolved: UnsettledAttempt[]): Promise<void> {
  if (unresolved.length === 0) {
    await discard(table, options.ownedFiles ?? [], options);
    return;
  }
  unsettledChanges.add({
    tableUuid: table.metadata.tableUuid,
    branch: change.branch ?? MAIN_BRANCH,
    idempotencyKey: change.idempotencyKey,
    attempts: unresolved,
    ownedFiles: options.ownedFiles ?? [],
    since: (options.now ?? Date.now)(),
  });
}

async function attemptCommits(
  catalog: Catalog,
  identifier: TableIdentifier,
  change: TableChange,
  options: AttemptOptions,
  state: CommitState,
): Promise<CommitResult> {
  const sleep = options.sleep ?? ((ms: number) => delay(ms, options.signal));
  const call = defined({ signal: options.signal });
  const now = options.now ?? Date.now;
  const started = now();
  const branch = change.branch ?? MAIN_BRANCH;
  const unknownBudgetMs = options.unknownOutcomeBudgetMs ?? UNKNOWN_OUTCOME_RETRY.totalTimeoutMs;
  let table = (state.table = options.loaded ?? (await catalog.loadTable(identifier, call)));
  const policy = retryPolicyFrom(table.metadata.properties, options.retry);
  const settle = (loaded: LoadedTable, landed: bigint | undefined): Promise<void> => settleOn(loaded, landed, state, branch, options);
  let conflicts = 0;
  let unknowns = 0;
  let unknownSince: number | undefined;

  /** Reloads; while an unknown outcome is being chased, a transient failure is retried within its budget. */
  const reload = async (): Promise<LoadedTable> => {
    for (let retry = 1; ; retry++) {
      try {
        return await catalog.loadTable(identifier, call);
      } catch (error) {
        const waitMs = backoffMs(retry, UNKNOWN_OUTCOME_RETRY, options.random);
        if (!FloeError.is(error) || !error.retryable || unknownSince === undefined || now() - unknownSince + waitMs > unknownBudgetMs)
          throw error;
        options.onRetry?.({ attempt: retry, waitMs, error });
        await sleep(waitMs);
      }
    }
  };

  /** A reload while an unknown outcome is chased: a catalog still unreachable past the budget gives up on the commit. */
  const reloadChasing = async (unknown: FloeError, attempt: number): Promise<LoadedTable> => {
    try {
      return await reload();
    } catch (error) {
      if (!FloeError.is(error) || !error.retryable) throw error;
      throw giveUpUnknown(unknown, identifier, change, attempt, unknownBudgetMs, error);
    }
  };

  for (let attempt = 1; ; attempt++) {
    const committed = landedOn(table, change, branch, unknowns > 0);
    if (committed !== undefined) {
      await settle(table, committed.snapshotId);
      return { table, ...committed, attempts: attempt - 1, conflicts, alreadyCommitted: true };
    }
    await settle(table, undefined);

    const prepared = await prepareNamingTable(change, table, identifier);
    try {
      const result = await catalog.commitTable(identifier, prepared.requirements, prepared.updates, call);
      const snapshotId = addedSnapshotId(prepared.updates);
      // The branch is at this attempt's snapshot now: no earlier attempt's requirement can hold.
      await settle(result, undefined);
      return { table: result, ...defined({ snapshotId }), attempts: attempt, conflicts, alreadyCommitted: false };
    } catch (error) {
      if (FloeError.is(error, 'commit-state-unknown')) {
        // Without an idempotency key (or a change harmless to replay) there is no way to tell whether
        // an unknown commit landed, and replaying it could apply the change twice: leave the decision to the caller.
        state.unresolved.push(unresolvedAttempt(prepared, branch, error));
        if (change.idempotencyKey === undefined && change.shownIn === undefined) throw error;
        unknownSince ??= now();
        unknowns += 1;
        const waitMs = backoffMs(unknowns, UNKNOWN_OUTCOME_RETRY, options.random);
        if (now() - unknownSince + waitMs > unknownBudgetMs) {
          // One last look: a commit whose outcome was unknown may have landed after all.
          table = await reloadChasing(error, attempt);
          const landed = landedOn(table, change, branch, true);
          await settle(table, landed?.snapshotId);
          if (landed !== undefined) return { table, ...landed, attempts: attempt, conflicts, alreadyCommitted: true };
          throw giveUpUnknown(error, identifier, change, attempt, unknownBudgetMs);
        }
        options.onRetry?.({ attempt, waitMs, error });
        await sleep(waitMs);
        table = await reloadChasing(error, attempt);
        continue;
      }
      // A conflict, a refusal or a request that never reached the catalog means it did not apply
      // the attempt: nothing will ever point at its files. After another transient error (io) it
      // might have, so its files wait until a later commit settles it.
      if (error instanceof CommitNotSentError || (FloeError.is(error) && (error.kind === 'commit-conflict' || !error.retryable)))
        await discard(table, prepared.writtenFiles ?? [], options);
      else state.unresolved.push(unresolvedAttempt(prepared, branch, error));
      if (!FloeError.is(error, 'commit-conflict')) throw error;
      conflicts += 1;
      const waitMs = backoffMs(conflicts, policy, options.random);
      const outOfTime = now() - started + waitMs > policy.totalTimeoutMs;
      if (conflicts > policy.numRetries || outOfTime) throw giveUpConflict(error, identifier, change, attempt, policy, outOfTime);
      options.onRetry?.({ attempt, waitMs, error });
      await sleep(waitMs);
      table = await reload();
    }
  }
}

/** The change found on the branch: by its idempotency key, or (once an outcome was `unknown`) by what it shows. */
function landedOn(loaded: LoadedTable, change: TableChange, branch: string, unknown: boolean): { snapshotId?: bigint } | undefined {
  const committed = findCommitted(loaded.metadata, branch, change.idempotencyKey);
  if (committed !== undefined) return { snapshotId: committed.snapshotId };
  return unknown && change.shownIn?.(loaded) === true ? {} : undefined;
}

/** `prepare` reads the table's manifests: a corrupt or missing one is reported with the table's name. */
async function prepareNamingTable(change: TableChange, table: LoadedTable, identifier: TableIdentifier): Promise<PreparedChange> {
  try {
    return await change.prepare(table);
  } catch (error) {
    if (
      !FloeError.is(error) ||
      error.retryable ||
      (error.kind !== 'corrupt' && error.kind !== 'not-found') ||
      error.context['table'] !== undefined
    )
      throw error;
    const name = formatTableIdentifier(identifier);
    throw new FloeError(error.kind, `Commit of ${change.description} to table ${name}: ${error.detail}`, {
      context: { ...error.context, table: name },
      cause: error,
      retryable: false,
    });
  }
}

/** `error`: why its outcome is unknown; a catalog may name files it wrote for the attempt (CommitStateUnknownError). */
function unresolvedAttempt(prepared: PreparedChange, branch: string, error: unknown): UnsettledAttempt {
  const required = prepared.requirements.find((requirement) => requirement.type === 'assert-ref-snapshot-id' && requirement.ref === branch);
  return {
    snapshotId: addedSnapshotId(prepared.updates),
    requiredHead: required?.type === 'assert-ref-snapshot-id' ? required.snapshotId : undefined,
    files: [...(prepared.writtenFiles ?? []), ...(error instanceof CommitStateUnknownError ? error.attemptFiles : [])],
  };
}

/**
 * Deletes the files of the attempts that can no longer land on `loaded`, this commit's and earlier
 * failed commits' to the table; and the caller's own files when `landed`, the change's snapshot,
 * is none of this commit's attempts (an earlier run committed the change with files of its own).
 */
async function settleOn(
  loaded: LoadedTable,
  landed: bigint | undefined,
  state: CommitState,
  branch: string,
  options: AttemptOptions,
): Promise<void> {
  const elsewhere = landed !== undefined && !state.unresolved.some((attempt) => attempt.snapshotId === landed);
  const dead = settleAttempts(state.unresolved, loaded.metadata, branch, landed).dead;
  const files = [...dead, ...unsettledChanges.settle(loaded.metadata), ...(elsewhere ? (options.ownedFiles ?? []) : [])];
  await discard(loaded, files, options);
}

/** Deleting is cleanup: a file that cannot be deleted now is told about and left for remove-orphan-files; the commit goes on. */
async function discard(table: LoadedTable, files: readonly string[], options: AttemptOptions): Promise<void> {
  const report = options.onCleanupFailure;
  await Promise.all(
    files.map((file) =>
      table.io.delete(file).catch((error: unknown) => {
        report(file, error);
      }),
    ),
  );
}

function cleanupWarning(redactor: Redactor): (file: string, error: unknown) => void {
  return (file, error) => {
    const reason = FloeError.is(error) ? error.detail : error instanceof Error ? error.message : String(error);
    console.warn(
      redactor.redact(`Floe: could not delete ${file}, written for a commit attempt that did not land (${reason}); remove-orphans will`),
    );
  };
}

function addedSnapshotId(updates: readonly TableUpdate[]): bigint | undefined {
  let id: bigint | undefined;
  for (const update of updates) if (update.action === 'add-snapshot') id = update.snapshot.snapshotId;
  return id;
}

function giveUpConflict(
  error: FloeError,
  identifier: TableIdentifier,
  change: TableChange,
  attempts: number,
  policy: RetryPolicy,
  outOfTime: boolean,
): FloeError {
  const table = formatTableIdentifier(identifier);
  const limit = outOfTime
    ? `the ${policy.totalTimeoutMs} ms budget (commit.retry.total-timeout-ms)`
    : `${policy.numRetries} retries (commit.retry.num-retries)`;
  const message = `Commit of ${change.description} to ${table} kept conflicting with other commits: gave up after ${attempts} attempts and ${limit}`;
  return new FloeError(error.kind, message, { context: { table, attempts }, cause: error, retryable: true });
}

/** `reloadError`: why the last look for the idempotency key could not be taken. */
function giveUpUnknown(
  error: FloeError,
  identifier: TableIdentifier,
  change: TableChange,
  attempts: number,
  budgetMs: number,
  reloadError?: unknown,
): FloeError {
  const table = formatTableIdentifier(identifier);
  const looked =
    reloadError === undefined
      ? 'and its idempotency key was not found'
      : `and the table could not be reloaded to look for its idempotency key (${FloeError.is(reloadError) ? reloadError.detail : String(reloadError)})`;
  const message = `Commit of ${change.description} to ${table}: outcome unknown after ${attempts} attempts over ${Math.round(budgetMs / 1000)} s, ${looked} (${error.detail})`;
  return new FloeError(error.kind, message, { context: { table, attempts }, cause: error, retryable: true });
}

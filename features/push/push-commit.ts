import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { writeTableFiles } from '../../engine/write/table-writer.js';
import { duckdbType } from '../../engine/types.js';
import type { LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { commitChange } from '../../iceberg/commit/commit.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { Snapshot } from '../../iceberg/spec/snapshot.js';
import { appendedFiles, writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../iceberg/write/fast-append.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { carriedSummary, pushRequestsOf, pushSummary, recentRequestIds } from '../online-table/table-state.js';
import type { HeldRequest, SnapshotRequests } from '../online-table/table-state.js';
import type { CheckedRows } from './push-rows.js';
import { sameRequest } from './push-rows.js';

/**
 * Replicas pushing to one table conflict often, and replaying an append costs one manifest list:
 * retry soon and for longer than the tables' default policy (4 retries from 100 ms), so a caller
 * waits milliseconds, not a failed push, for a busy table.
 */
const PUSH_COMMIT_RETRY = { numRetries: 100, minWaitMs: 10, maxWaitMs: 500, totalTimeoutMs: 30_000 };

/** One checked request of a batch. */
export interface BatchRequest {
  readonly requestId?: string;
  readonly rows: CheckedRows;
  /** requestFingerprint of the rows and targets, given with a requestId. */
  readonly digest?: string;
  /**
   * Record the request_id (and fingerprint) in the table without writing the rows there: a table
   * the request does not go to, where every request of its id meets the others (see Pusher.flush).
   */
  readonly claimOnly?: boolean;
}

/**
 * A request_id a table already holds for another request (other rows, or other targets): the
 * server answers 409 and writes nothing of the request (a retry must send the same rows to the
 * same targets; anything else needs a new id).
 */
export class RequestIdConflictError extends FloeError {
  constructor(pushSource: string, requestId: string, table: string) {
    super(
      'invalid-input',
      `Push to ${pushSource}: request_id ${JSON.stringify(requestId)} was already used for different rows or targets (committed to ${table}); nothing of this request was written. Resend the same rows to the same targets with it, or use a new request_id`,
      { context: { pushSource, field: 'request_id' } },
    );
  }
}

/** Rows of a batch staged once as NDJSON (all text), read by every table's write. */
export interface StagedBatch {
  readonly file: string;
  /** Requests in the file (numbered 0..requests-1 in its `r` field). */
  readonly requests: number;
  /** The source table's columns in the file, as `c<i>`. */
  readonly columns: readonly CheckedRows['columns'][number]['field'][];
  /** When the batch was staged (ms since the epoch): what an aggregated view's allowedLateness is measured from. */
  readonly landedAt: number;
}

export async function stageBatch(directory: string, requests: readonly BatchRequest[]): Promise<StagedBatch> {
  const fields = requests[0]!.rows.columns.map((column) => column.field);
  const rows: (string | null)[][] = [];
  const requestOf: number[] = [];
  requests.forEach((request, index) => {
    // By name: a request checked against an older schema of the table has its columns elsewhere.
    const byName = new Map(request.rows.columns.map((column) => [column.field.name, column.values]));
    const values = fields.map((field) => byName.get(field.name));
    for (let row = 0; row < request.rows.rows; row++) {
      rows.push(values.map((column) => column?.[row] ?? null));
      requestOf.push(index);
    }
  });
  return stageRows(directory, fields, rows, requestOf, requests.length);
}

/**
 * Rows already in the columns' order, staged as a batch: row i is request `requestOf[i]` (by
 * default its own request, as a stream's message is). Each line is written as text: a stream
 * stages 50,000 rows a batch.
 */
export async function stageRows(
  directory: string,
  fields: StagedBatch['columns'],
  rows: readonly (readonly (string | null)[])[],
  requestOf?: readonly number[],
  requests = rows.length,
): Promise<StagedBatch> {
  const names = fields.map((_, position) => `,"c${position}":`);
  const lines = rows.map((row, index) => {
    let line = `{"r":${requestOf?.[index] ?? index}`;
    for (let position = 0; position < names.length; position++) {
      const value = row[position] ?? null;
      line += names[position]! + (value === null ? 'null' : JSON.stringify(value));
    }
    return `${line}}`;
  });
  const file = path.join(directory, 'batch.ndjson');
  await writeFile(file, lines.join('\n') + '\n');
  return { file, requests, columns: fields, landedAt: Date.now() };
}

/**
 * The staged rows of some requests, typed and named by the source table's columns. Unfiltered when
 * they are all of the batch's requests: a stream batch has one request per message, and a list of
 * 50,000 indexes costs DuckDB more to parse than the rows cost to read.
 */
export function stagedRowsSql(staged: StagedBatch, requestIndexes: readonly number[]): string {
  const types = [`${quoteLiteral('r')}: 'INTEGER'`, ...staged.columns.map((_, position) => `${quoteLiteral(`c${position}`)}: 'VARCHAR'`)];
  // A list, map or struct is staged as JSON text (push-rows.ts checked every value inside it).
  const projection = staged.columns.map(
    (field, position) =>
      `CAST(${typeof field.type === 'string' ? q(`c${position}`) : `CAST(${q(`c${position}`)} AS JSON)`} AS ${duckdbType(field.type)}) AS ${q(field.name)}`,
  );
  // The indexes are distinct (each caller filters the batch's requests), so as many means all.
  const all = requestIndexes.length === staged.requests;
  return `SELECT ${projection.join(', ')} FROM read_json(${quoteLiteral(staged.file)}, format = 'newline_delimited', columns = {${types.join(', ')}})${all ? '' : ` WHERE r IN (${requestIndexes.join(', ')})`}`;
}

export interface TableTarget {
  readonly identifier: TableIdentifier;
  /** Loads (or for an online table, makes sure of) the table. */
  readonly load: () => Promise<LoadedTable>;
  /** The rows to append, over `rows` (the staged rows of the requests it is given, by source column names) of `staged`. */
  readonly query: (rows: string, staged: StagedBatch) => string;
  /** An online table: its commits carry the watermark and source cursor forward (and never advance them). */
  readonly online: boolean;
}

/** What a request's rows became in one table: the snapshot holding them. */
export interface TableCommit {
  readonly table: string;
  readonly snapshotId: string;
}

/** Per request: its commit, or why it was refused. */
export type TableOutcome = TableCommit | RequestIdConflictError;

/**
 * Appends the requests' rows to one table in one commit, exactly once: requests whose request_id
 * a snapshot of the table already holds are left out (and answered with that snapshot), checked
 * again on every attempt of the commit, so two replicas given the same request cannot both land it.
 */
export async function commitToTable(
  context: FeatureContext,
  options: {
    pushSource: string;
    batchId: string;
    staged: StagedBatch;
    requests: readonly BatchRequest[];
    /** Per request, its index in the staged batch (default: the same index). */
    stagedIndexes?: readonly number[];
    target: TableTarget;
    directory: string;
    /** The pusher's parsed request ids of the table's snapshots. */
    requestCache: PushRequestCache;
    /** Told the staged indexes whose rows this call's commit wrote (not those a snapshot already held). */
    onWritten?: (stagedIndexes: readonly number[]) => void;
  },
): Promise<TableOutcome[]> {
  const { target, requests } = options;
  const name = formatTableIdentifier(target.identifier);
  const answers = new Array<TableOutcome | undefined>(requests.length);
  for (let attempt = 1; ; attempt++) {
    const table = await target.load();
    const held = committedRequestIds(options.requestCache.recentRequestIds(table.metadata), requests);
    for (const [index, { snapshotId, digest }] of held) {
      const request = requests[index]!;
      answers[index] =
        digest !== undefined && request.digest !== undefined && !sameRequest(digest, request.digest)
          ? new RequestIdConflictError(options.pushSource, request.requestId!, name)
          : { table: name, snapshotId: snapshotId.toString() };
    }
    const remaining = requests.map((_, index) => index).filter((index) => !held.has(index));
    if (remaining.length === 0) return answers as TableOutcome[];
    const writing = remaining.filter((index) => requests[index]!.claimOnly !== true);
    const written =
      writing.length === 0
        ? undefined
        : await writeStagedRows(context, table, {
            ...options,
            prefix: `push-${options.batchId}-${attempt}`,
            requestIndexes: writing.map((index) => options.stagedIndexes?.[index] ?? index),
          });
    const ids: Record<string, number> = {};
    const digests: Record<string, string> = {};
    for (const index of remaining) {
      const request = requests[index]!;
      if (request.requestId !== undefined) ids[request.requestId] = request.claimOnly === true ? 0 : request.rows.rows;
      if (request.requestId !== undefined && request.digest !== undefined) digests[request.requestId] = request.digest;
    }
    try {
      const result = await commitChange(
        context.catalog,
        target.identifier,
        pushAppend(written === undefined ? [] : [written.manifest], {
          idempotencyKey: `push/${options.batchId}/${name}`,
          summary: pushSummary({ pushSource: options.pushSource, rows: ids, digests }),
          online: target.online,
          requestIds: new Set(Object.keys(ids)),
          requestCache: options.requestCache,
        }),
        { retry: PUSH_COMMIT_RETRY, loaded: table, ownedFiles: written === undefined ? [] : writtenFiles(written) },
      );
      for (const index of remaining) answers[index] = { table: name, snapshotId: String(result.snapshotId) };
      if (!result.alreadyCommitted) options.onWritten?.(writing.map((index) => options.stagedIndexes?.[index] ?? index));
      return answers as TableOutcome[];
    } catch (error) {
      if (!(error instanceof RequestAlreadyCommitted)) throw error;
      // Another replica landed one of these requests meanwhile: these files hold it too.
      if (written !== undefined) await deleteWritten(table, written);
    }
  }
}

/**
 * The requests (by index) whose request_id one of `tables` already holds for another request,
 * each with its refusal. `tables` are every table a request of the id's scope may go to (for a
 * write to a view's online table, the tables of the push source feeding the view), not only the
 * request's own: an id is one request across them all, so a reuse is refused before anything of it
 * is written anywhere. (A push batch needs no such look: its requests meet in its first table.)
 */
export async function reusedRequestIds(
  pushSource: string,
  tables: readonly Pick<TableTarget, 'identifier' | 'load'>[],
  requests: readonly BatchRequest[],
  requestCache: PushRequestCache,
): Promise<Map<number, RequestIdConflictError>> {
  const reused = new Map<number, RequestIdConflictError>();
  if (!requests.some((request) => request.requestId !== undefined)) return reused;
  const loaded = await Promise.all(tables.map((table) => table.load()));
  loaded.forEach((table, position) => {
    for (const [index, { digest }] of committedRequestIds(requestCache.recentRequestIds(table.metadata), requests)) {
      const request = requests[index]!;
      if (!reused.has(index) && digest !== undefined && request.digest !== undefined && !sameRequest(digest, request.digest))
        reused.set(index, new RequestIdConflictError(pushSource, request.requestId!, formatTableIdentifier(tables[position]!.identifier)));
    }
  });
  return reused;
}

/** Data files and their manifest, written for one commit attempt and not yet committed. */
export interface WrittenRows {
  readonly dataFiles: Awaited<ReturnType<typeof writeTableFiles>>;
  readonly manifest: Awaited<ReturnType<typeof writeAddedManifest>>;
}

/** Writes some staged requests' rows into a table's data files (as `target.query` shapes them), and their manifest. */
export async function writeStagedRows(
  context: FeatureContext,
  table: LoadedTable,
  options: { staged: StagedBatch; target: TableTarget; directory: string; prefix: string; requestIndexes: readonly number[] },
): Promise<WrittenRows> {
  const { prefix } = options;
  const dataFiles = await context.engine.withConnection(
    (connection) =>
      writeTableFiles(connection, table, {
        query: options.target.query(`(${stagedRowsSql(options.staged, options.requestIndexes)})`, options.staged),
        fileNamePrefix: prefix,
        localDirectory: path.join(options.directory, prefix),
        ...signalOf(context),
      }),
    signalOf(context),
  );
  return { dataFiles, manifest: await writeAddedManifest(table, dataFiles, prefix) };
}

/** Removes what an attempt wrote when another writer committed its rows meanwhile (best effort: an orphan is harmless). */
export async function deleteWritten(table: LoadedTable, written: WrittenRows): Promise<void> {
  await Promise.all(writtenFiles(written).map((file) => table.io.delete(file).catch(() => undefined)));
}

/** Every file an attempt wrote: its commit's `ownedFiles`, since a later attempt writes its own. */
export function writtenFiles(written: WrittenRows): string[] {
  return appendedFiles(written.manifest, written.dataFiles);
}

class RequestAlreadyCommitted extends FloeError {
  constructor(table: string) {
    super('commit-conflict', `A request of this push batch was committed to ${table} by another writer meanwhile`, { retryable: true });
  }
}

function pushAppend(
  manifests: Parameters<typeof fastAppend>[0],
  options: {
    idempotencyKey: string;
    summary: Record<string, string>;
    online: boolean;
    requestIds: ReadonlySet<string>;
    requestCache: PushRequestCache;
  },
): TableChange {
  const plain = fastAppend(manifests, options);
  return {
    description: `push ${plain.description}`,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      if (
        options.requestIds.size > 0 &&
        [...options.requestCache.recentRequestIds(base.metadata).keys()].some((id) => options.requestIds.has(id))
      )
        throw new RequestAlreadyCommitted(formatTableIdentifier(base.identifier));
      const summary = options.online ? { ...options.summary, ...carriedSummary(base.metadata) } : options.summary;
      return fastAppend(manifests, { idempotencyKey: options.idempotencyKey, summary }).prepare(base);
    },
  };
}

/** The requests (by index) whose request_id a recent snapshot of the table holds, with that snapshot. */
function committedRequestIds(recent: ReadonlyMap<string, HeldRequest>, requests: readonly BatchRequest[]): Map<number, HeldRequest> {
  const held = new Map<number, HeldRequest>();
  requests.forEach((request, index) => {
    const found = request.requestId === undefined ? undefined : recent.get(request.requestId);
    if (found !== undefined) held.set(index, found);
  });
  return held;
}

/**
 * The request ids of the push commits a pusher has looked at, parsed once per snapshot: every
 * batch checks the table's recent snapshots again. Owned by the pusher, keyed by table and
 * snapshot (a snapshot id is unique only within its table), and bounded: past `limit` snapshots it
 * starts over.
 */
export class PushRequestCache {
  private readonly parsed = new Map<string, SnapshotRequests>();

  constructor(private readonly limit = 100_000) {}

  /** request_id → snapshot (and digest) over the table's recent snapshots (see recentRequestIds). */
  recentRequestIds(metadata: TableMetadata): Map<string, HeldRequest> {
    return recentRequestIds(metadata, (snapshot) => this.requestsOf(metadata.tableUuid, snapshot));
  }

  private requestsOf(tableUuid: string, snapshot: Snapshot): SnapshotRequests {
    const key = `${tableUuid}/${snapshot.snapshotId}`;
    let ids = this.parsed.get(key);
    if (ids === undefined) {
      ids = pushRequestsOf(snapshot);
      if (this.parsed.size >= this.limit) this.parsed.clear();
      this.parsed.set(key, ids);
    }
    return ids;
  }
}

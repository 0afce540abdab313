import { randomUUID } from 'node:crypto';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import type { PushConfig } from '../config.js';
import { DEFAULT_PUSH_MAX_DELAY_MS, DEFAULT_PUSH_MAX_ROWS } from '../config.js';
import type { FeatureContext } from '../context.js';
import { withScratchDirectory } from '../context.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import type { PushSourceDefinition } from '../push-source.js';
import { Batcher } from './batcher.js';
import { lateEvents, onlineTarget, pushSourceTables, pushTargets, requiredPushColumns } from './push-targets.js';
import { commitToTable, PushRequestCache, reusedRequestIds, stageBatch } from './push-commit.js';
import { RequestIdConflictError } from './push-commit.js';
import type { BatchRequest, StagedBatch, TableCommit } from './push-commit.js';
import { checkPushedRows, PUSH_TARGETS, requestFingerprint } from './push-rows.js';
import { isAggregatedView } from '../aggregations.js';
import type { CheckedRows, PushColumns, PushTarget } from './push-rows.js';
import { defined } from '../../contracts/defined.js';
import { isRecord } from '../../core/is-record.js';

export interface PushRequest {
  readonly pushSourceName: string;
  /** Columns of values by the batch source table's column names. */
  readonly df: PushColumns;
  /** Default `online`, as Feast's. */
  readonly to?: PushTarget;
  /**
   * One request across every table of the push source: a resend (the same rows, the same `to`) is
   * answered with the first answer and writes nothing (or only what a failed first try left
   * unwritten); a reuse (other rows or another `to`) is refused and writes nothing.
   */
  readonly requestId?: string;
}

/** Feast's `write_to_online_store`: rows of one feature view straight into its online table. */
export interface OnlineWriteRequest {
  readonly featureViewName: string;
  /** Columns of values: the view's join keys and features, `event_timestamp` and optionally `created` (Feast's names). */
  readonly df: PushColumns;
  /** As a push's: a resend is answered with the first answer, a reuse (other rows, or a push's id) refused; writes nothing. */
  readonly requestId?: string;
}

export interface OnlineWriteAnswer {
  readonly featureViewName: string;
  readonly requestId?: string;
  readonly rows: number;
  readonly commits: readonly TableCommit[];
}

/** The columns Feast's remote online store sends for a row's event and created time. */
const WRITE_EVENT_TS = 'event_timestamp';
const WRITE_CREATED_TS = 'created';
/** Where a write_to_online_store request goes, as its request_id's fingerprint records it. */
const WRITE_TARGETS = 'write-to-online-store';

export interface PushAnswer {
  readonly pushSourceName: string;
  readonly requestId?: string;
  readonly rows: number;
  /** The snapshot of each table that holds the request's rows (online tables, then the source table). */
  readonly commits: readonly TableCommit[];
}

/** What a {@link Pusher} tells those listening to it. */
export interface PushListener {
  /** The tables a batch committed to, before its callers are answered (the online store refreshes its readers of them). */
  readonly committed?: (tables: readonly string[]) => Promise<void> | void;
  /** Per batch, how many of its events each aggregated view took as late (`lateEvents`): the server's metric. */
  readonly late?: (pushSource: string, late: ReadonlyMap<string, number>) => void;
}

/** Rows a push source may have waiting for the commit under way, in batches of push.maxRows: beyond, pushes are refused. */
const PENDING_BATCHES = 4;

/**
 * More rows are waiting for a push source than a few batches: the tables cannot keep up. The
 * feature server answers 503; the caller retries later (with the same request_id).
 */
export class PushOverloadedError extends FloeError {
  constructor(pushSource: string, waitingRows: number) {
    super(
      'io',
      `Push to ${pushSource}: ${waitingRows} rows are already waiting to be committed (more than ${PENDING_BATCHES} × push.maxRows); retry shortly with the same request_id`,
      { context: { pushSource }, retryable: true },
    );
  }
}

interface Pending extends BatchRequest {
  readonly to: PushTarget;
  readonly resolve: (commits: TableCommit[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Pushes rows to push sources with group commit: each request is checked on arrival (a bad one is
 * refused alone), then gathered with the others to the same push source for up to `maxDelayMs`
 * or `maxRows`, and each table they go to gets one commit for the batch. A caller is answered
 * once every commit holding its rows has landed.
 */
export class Pusher {
  private readonly batchers = new Map<string, Batcher<Pending>>();
  private readonly fields = new Map<string, Promise<readonly NestedField[]>>();
  private readonly inFlight = new Map<string, { readonly digest: string; readonly answer: Promise<PushAnswer> }>();
  private readonly options: PushConfig;
  private readonly requestCache = new PushRequestCache();

  private readonly listeners = new Set<PushListener>();

  constructor(
    private readonly context: FeatureContext,
    options: Partial<PushConfig> = {},
  ) {
    this.options = { maxDelayMs: options.maxDelayMs ?? DEFAULT_PUSH_MAX_DELAY_MS, maxRows: options.maxRows ?? DEFAULT_PUSH_MAX_ROWS };
  }

  /**
   * Tells `listener` of every commit from now on, whichever caller's rows it holds (a process whose
   * feature server and offline endpoint share this pusher has the server listen); the function
   * returned stops telling it.
   */
  listen(listener: PushListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async push(request: PushRequest): Promise<PushAnswer> {
    const push = this.context.registry.pushSource(request.pushSourceName);
    const to = request.to ?? 'online';
    if (!PUSH_TARGETS.includes(to))
      throw new FloeError(
        'invalid-input',
        `Push to ${push.name}: "to" must be one of ${PUSH_TARGETS.join(', ')}, got ${JSON.stringify(to)}`,
        {
          context: { field: 'to' },
        },
      );
    if (to !== 'offline' && !this.context.registry.viewsFedBy(push).some((view) => view.online.enabled))
      throw new FloeError(
        'invalid-input',
        `Push to ${push.name}: no feature view with online.enabled has it as its source, so nothing would go online; push with "to": "offline", or name ${push.name} as a view's source`,
        { context: { field: 'to' } },
      );
    const { requestId } = request;
    if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 200))
      throw new FloeError('invalid-input', `Push to ${push.name}: request_id must be a text of 1 to 200 characters`, {
        context: { field: 'request_id' },
      });
    const rows = await this.check(push, request.df);
    const base = { pushSourceName: push.name, ...defined({ requestId }) };
    if (rows.rows === 0) return { ...base, rows: 0, commits: [] };
    const key = requestId === undefined ? undefined : `${push.name}\0${requestId}`;
    const digest = requestId === undefined ? '' : requestFingerprint(rows, to);
    const earlier = key === undefined ? undefined : this.inFlight.get(key);
    if (earlier !== undefined) {
      if (earlier.digest !== digest) throw new RequestIdConflictError(push.name, requestId!, 'a push still under way');
      return earlier.answer;
    }
    const batcher = this.batcherFor(push);
    if (batcher.waitingRows + rows.rows > PENDING_BATCHES * this.options.maxRows && batcher.waitingRows > 0)
      throw new PushOverloadedError(push.name, batcher.waitingRows);
    const answer = new Promise<TableCommit[]>((resolve, reject) =>
      batcher.add({ ...(requestId === undefined ? {} : { requestId, digest }), rows, to, resolve, reject }, rows.rows),
    ).then((commits) => ({ ...base, rows: rows.rows, commits }));
    if (key === undefined) return answer;
    this.inFlight.set(key, { digest, answer });
    try {
      return await answer;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * Writes rows of a feature view into its online table in one commit (Feast's
   * `write_to_online_store`), checked per row as a push is; exactly once by request_id.
   */
  async writeToOnlineStore(request: OnlineWriteRequest): Promise<OnlineWriteAnswer> {
    const { registry, catalog } = this.context;
    const view = registry.featureView(request.featureViewName);
    const label = `feature view ${view.name}`;
    if (!view.online.enabled || isAggregatedView(view))
      throw new FloeError(
        'invalid-input',
        `Write to ${label}: ${!view.online.enabled ? 'online.enabled is false, so it has no online table' : 'an aggregated view holds tiles online, not rows; push to its source instead'}`,
        { context: { field: 'feature_view_name' } },
      );
    if (!isRecord(request.df))
      throw new FloeError('invalid-input', `Write to ${label}: "df" must be an object of columns, {"column": [values]}`, {
        context: { field: 'df' },
      });
    const layout = onlineTableLayout(registry, view);
    const table = await ensureOnlineTable(catalog, layout);
    const columns = currentSchema(table.metadata).fields.filter(
      (field) => layout.keyColumns.includes(field.name) || layout.featureColumns.includes(field.name),
    );
    const fields: NestedField[] = [
      ...columns,
      { id: -1, name: WRITE_EVENT_TS, type: 'timestamptz', required: true },
      { id: -2, name: WRITE_CREATED_TS, type: 'timestamptz', required: false },
    ];
    const rows = checkPushedRows(label, request.df, fields, new Set([...layout.keyColumns, WRITE_EVENT_TS]));
    const { requestId } = request;
    const base = { featureViewName: view.name, ...defined({ requestId }) };
    if (rows.rows === 0) return { ...base, rows: 0, commits: [] };
    const batchId = randomUUID();
    const target = onlineTarget(
      this.context,
      view,
      { columnFor: (name) => name, timestampField: WRITE_EVENT_TS, createdTimestampField: WRITE_CREATED_TS },
      '',
    );
    const requests = [{ rows, ...(requestId === undefined ? {} : { requestId, digest: requestFingerprint(rows, WRITE_TARGETS) }) }];
    // The tables of the push source feeding the view too: an id pushed there is the same request_id.
    const fedBy = registry.pushSources.get(view.source);
    const reused = await reusedRequestIds(
      label,
      fedBy === undefined ? [target] : pushSourceTables(this.context, fedBy),
      requests,
      this.requestCache,
    );
    if (reused.has(0)) throw reused.get(0)!;
    const [outcome] = await withScratchDirectory(this.context, `write-${batchId}`, async (directory) =>
      commitToTable(this.context, {
        pushSource: label,
        batchId,
        staged: await stageBatch(directory, requests),
        requests,
        target,
        directory,
        requestCache: this.requestCache,
      }),
    );
    if (outcome instanceof RequestIdConflictError) throw outcome;
    await this.committed([formatTableIdentifier(layout.identifier)]);
    return { ...base, rows: rows.rows, commits: [outcome!] };
  }

  /** The columns of a push source's batch source table: what its pushed rows are checked against. */
  columnsOf(pushSourceName: string): Promise<readonly NestedField[]> {
    return this.fieldsOf(this.context.registry.pushSource(pushSourceName));
  }

  /** Commits whatever is gathered now and waits for every batch under way. */
  async drain(): Promise<void> {
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.drain()));
  }

  private async check(push: PushSourceDefinition, df: PushColumns): Promise<CheckedRows> {
    if (!isRecord(df))
      throw new FloeError('invalid-input', `Push to ${push.name}: "df" must be an object of columns, {"column": [values]}`, {
        context: { field: 'df' },
      });
    let fields = await this.fieldsOf(push);
    // A column the table gained since its schema was read: read it again, once.
    if (Object.keys(df).some((name) => !fields.some((field) => field.name === name))) fields = await this.fieldsOf(push, true);
    return checkPushedRows(push.name, df, fields, requiredPushColumns(this.context.registry, push, fields));
  }

  private fieldsOf(push: PushSourceDefinition, reload = false): Promise<readonly NestedField[]> {
    let fields = reload ? undefined : this.fields.get(push.name);
    if (fields === undefined) {
      const source = this.context.registry.batchSourceOf(push);
      fields = this.context.catalog.loadTable(parseTableIdentifier(source.table)).then((table) => currentSchema(table.metadata).fields);
      fields.catch(() => this.fields.delete(push.name));
      this.fields.set(push.name, fields);
    }
    return fields;
  }

  /** Tells every listener the tables a batch committed to, one after another. */
  private async committed(tables: readonly string[]): Promise<void> {
    for (const listener of [...this.listeners]) await listener.committed?.(tables);
  }

  /** Per aggregated view with an allowedLateness, the late events among the requests written to its table, told to the listeners. */
  private async reportLate(
    push: PushSourceDefinition,
    staged: StagedBatch,
    writtenTo: ReadonlyMap<string, readonly number[]>,
  ): Promise<void> {
    const told = [...this.listeners].flatMap((listener) => (listener.late === undefined ? [] : [listener.late]));
    if (told.length === 0 || !this.context.registry.viewsFedBy(push).some((view) => view.allowedLateness !== undefined)) return;
    const late = await lateEvents(this.context, push, staged, writtenTo);
    if ([...late.values()].some((count) => count > 0)) for (const tell of told) tell(push.name, late);
  }

  private batcherFor(push: PushSourceDefinition): Batcher<Pending> {
    let batcher = this.batchers.get(push.name);
    if (batcher === undefined) {
      batcher = new Batcher<Pending>((items) => this.flush(push, items), this.options);
      this.batchers.set(push.name, batcher);
    }
    return batcher;
  }

  private async flush(push: PushSourceDefinition, items: readonly Pending[]): Promise<void> {
    const batchId = randomUUID();
    try {
      await withScratchDirectory(this.context, `push-${batchId}`, async (directory) => {
        const staged = await stageBatch(directory, items);
        const tables = pushTargets(this.context, push, staged.columns);
        const failures = new Map<number, unknown>();
        const commits = items.map(() => [] as TableCommit[]);
        const committed: string[] = [];
        const writtenTo = new Map<string, number[]>();
        // With request ids, one table at a time in pushTargets' order, and every request with an id
        // recorded in the first (without its rows when it does not go there): every request of an
        // id meets the others there whatever its targets, one after another or on two replicas at
        // once; a reuse is refused there before it writes anything, and a request that fails at a
        // table is written to none after it (its resend completes it).
        const withIds = items.some((item) => item.requestId !== undefined);
        const rounds = withIds ? tables.map((table) => [table]) : [tables];
        for (const [round, tablesOfRound] of rounds.entries()) {
          const meeting = withIds && round === 0;
          const targets = tablesOfRound.flatMap(({ target, takes }) => {
            const indexes = items.flatMap((item, index) =>
              !failures.has(index) && (takes(item.to) || (meeting && item.requestId !== undefined)) ? [index] : [],
            );
            return indexes.length === 0 ? [] : [{ target, takes, indexes }];
          });
          const results = await Promise.allSettled(
            targets.map(({ target, takes, indexes }) =>
              commitToTable(this.context, {
                pushSource: push.name,
                batchId,
                staged,
                requests: indexes.map((index) => (takes(items[index]!.to) ? items[index]! : { ...items[index]!, claimOnly: true })),
                stagedIndexes: indexes,
                target,
                directory,
                requestCache: this.requestCache,
                onWritten: (written) => {
                  const table = formatTableIdentifier(target.identifier);
                  writtenTo.set(table, [...(writtenTo.get(table) ?? []), ...written]);
                },
              }),
            ),
          );
          results.forEach((result, position) => {
            const { target, takes, indexes } = targets[position]!;
            if (result.status === 'fulfilled') committed.push(formatTableIdentifier(target.identifier));
            indexes.forEach((index, slot) => {
              const outcome = result.status === 'fulfilled' ? result.value[slot]! : undefined;
              if (outcome !== undefined && !(outcome instanceof RequestIdConflictError)) {
                if (takes(items[index]!.to)) commits[index]!.push(outcome);
              } else if (!failures.has(index)) failures.set(index, outcome ?? (result as PromiseRejectedResult).reason);
            });
          });
        }
        if (committed.length > 0) await this.committed(committed);
        items.forEach((item, index) => (failures.has(index) ? item.reject(failures.get(index)) : item.resolve(commits[index]!)));
        // After the answers, while the staged rows are still there; a count that fails costs the metric, never the push.
        if (writtenTo.size > 0) await this.reportLate(push, staged, writtenTo).catch(() => undefined);
      });
    } catch (error) {
      // Before any commit was tried (staging failed): nobody is answered yet.
      for (const item of items) item.reject(error);
    }
  }
}

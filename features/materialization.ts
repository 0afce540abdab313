import path from 'node:path';
import { latestPerEntitySql } from '../engine/latest-per-entity.js';
import { quoteIdentifier as q, quoteLiteral } from '../engine/sql.js';
import { scanTable } from '../engine/table-reader.js';
import type { TableScan, TableScanOptions } from '../engine/table-reader.js';
import { writeTableFiles } from '../engine/table-writer.js';
import type { LatePlan, ScanSummary } from '../contracts/materialize.js';
import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import { commitChange } from '../iceberg/commit/commit.js';
import type { TableChange } from '../iceberg/commit/table-change.js';
import { FloeError } from '../iceberg/errors.js';
import { and, gtEq, ltEq } from '../iceberg/expressions/expression.js';
import type { Expression } from '../iceberg/expressions/expression.js';
import { planScan } from '../iceberg/scan/planner.js';
import { ancestorsOf, currentSchema, snapshotForRef } from '../iceberg/spec/metadata.js';
import type { TableMetadata } from '../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../iceberg/spec/snapshot.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import { describeAddedManifest, writeAddedManifest } from '../iceberg/write/added-manifest.js';
import { fastAppend } from '../iceberg/write/fast-append.js';
import type { FeatureViewDefinition } from './definitions.js';
import { durationSeconds, ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from './definitions.js';
import { isTimeType, sourceColumns, timeLiteral } from './historical/source-scan.js';
import type { FeatureContext } from './context.js';
import { signalOf, withScratchDirectory } from './context.js';
import { ensureOnlineTable, onlineTableLayout } from './online/online-table-layout.js';
import type { OnlineTableLayout } from './online/online-table-layout.js';
import { formatTableIdentifier, parseTableIdentifier } from '../iceberg/catalog/identifier.js';
import { classifySourceChanges, earliestEventMicros, earliestTouchedMicros, oldestAncestor } from './source-changes.js';
import { latestWindowEnd } from './time-bounds.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation } from '../engine/describe.js';
import { utcMicrosSql } from '../engine/timestamps.js';
import { isAggregatedView } from './aggregations.js';
import { columnPartials, floorToGrid, TILE_START, tileMicros } from './online/aggregation-tiles.js';
import { eventTilesSql } from './online/tile-sql.js';
import { instantMillis } from '../contracts/instants.js';

/** Event time `[start, end)`. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

/** Summary properties a materialization commit writes into the online table's snapshot. */
export const WINDOW_START_PROPERTY = 'floe.window-start';
export const WINDOW_END_PROPERTY = 'floe.window-end';
export const FEATURE_VIEW_PROPERTY = 'floe.feature-view';
export const SOURCE_SNAPSHOT_PROPERTY = 'floe.source-snapshot-id';
/**
 * The view's watermark as of this snapshot: the greatest window end of it and its ancestors.
 * Carried forward by every materialization commit, so the watermark survives the expiry of the
 * snapshot whose window ended last.
 */
export const WATERMARK_PROPERTY = 'floe.watermark';

/**
 * The view's source cursor as of this snapshot: the source snapshot the last incremental run read
 * (`none` when the source was empty then). Rows committed to the source after it are what the next
 * incremental run reads whatever their event time. Carried forward like the watermark.
 */
export const SOURCE_CURSOR_PROPERTY = 'floe.source-cursor';
const EMPTY_SOURCE_CURSOR = 'none';

export interface SourcePlan {
  readonly sourceSnapshotId: bigint | null;
  readonly scan: ScanSummary;
  /** The window to materialize: the asked one, its end clamped to now − delay, and for incremental runs its start moved back (lateness, restatement). */
  readonly window: Window;
  /** Set when the whole window lies after now − delay: nothing was planned. */
  readonly skipped?: string;
  readonly late?: LatePlan;
}

export interface PlanOptions {
  /** A scheduled or incremental run: also reads what was committed to the source since the view's cursor. */
  readonly incremental?: boolean;
  /** The present, for clamping the window (default: the clock). */
  readonly now?: Date;
}

/**
 * Step 1: which snapshot of the source to read, over which window, and what reading it involves.
 * Checks an existing online table's layout, but does not create one: that waits until the source
 * has been read (prepareOnlineFiles), so a failed first run leaves no empty online table. Fails
 * (for good) when the source table or one of the view's columns does not exist.
 */
export async function planSourceScan(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: PlanOptions = {},
): Promise<SourcePlan> {
  const view = context.registry.featureView(viewName);
  checkWindow(window, view);
  const clamped = clampWindow(view, window, options.now ?? new Date());
  if ('skipped' in clamped) return { sourceSnapshotId: null, scan: EMPTY_SCAN, window, skipped: clamped.skipped };
  const source = await loadSource(context, view);
  const layout = onlineTableLayout(context.registry, view);
  const online = (await context.catalog.tableExists(layout.identifier)) ? await ensureOnlineTable(context.catalog, layout) : null;
  const headSnapshotId = source.table.metadata.currentSnapshotId;
  let effective = clamped.window;
  let late: LatePlan | undefined;
  if (options.incremental) {
    const lateness = durationSeconds(view.lateness);
    if (lateness !== null) effective = { start: new Date(effective.start.getTime() - lateness * 1000), end: effective.end };
    // Without an online table nothing was committed yet: no cursor, so no late rows.
    const planned =
      online === null
        ? { window: effective, late: { sinceSnapshotId: null, files: 0, rows: 0 } }
        : await withViewContext(view, source.identifier, () => planLateRows(view, source, online.metadata, headSnapshotId, effective));
    effective = planned.window;
    late = planned.late;
  }
  const finalWindow = effective;
  const plan = await withViewContext(view, source.identifier, () =>
    planScan(source.table, { columns: source.columns, ...filterOption(eventTimeFilter(source, finalWindow)) }),
  );
  return {
    sourceSnapshotId: plan.snapshotId,
    scan: { mode: plan.mode, ...pick(plan.summary, ['dataFiles', 'positionDeleteFiles', 'equalityDeleteFiles', 'dataRecords']) },
    window: finalWindow,
    ...(late === undefined ? {} : { late }),
  };
}

/** The window with its end clamped to now − delay, or why nothing of it can be materialized yet. */
export function clampWindow(
  view: Pick<FeatureViewDefinition, 'name' | 'delay'>,
  window: Window,
  now: Date,
): { window: Window } | { skipped: string } {
  const latest = latestWindowEnd(view, now);
  if (window.end.getTime() <= latest.getTime()) return { window };
  if (latest.getTime() <= window.start.getTime()) {
    return {
      skipped: `${view.name} window [${window.start.toISOString()}, ${window.end.toISOString()}) ends after now − delay (${latest.toISOString()}): nothing to materialize yet`,
    };
  }
  return { window: { start: window.start, end: latest } };
}

/**
 * The late-row part of an incremental run: the appends since the view's cursor when that is all
 * that happened to the source, else the event-time range to restate (the window's start moves back
 * to it).
 */
async function planLateRows(
  view: FeatureViewDefinition,
  source: ResolvedSource,
  online: TableMetadata,
  headSnapshotId: bigint | null,
  window: Window,
): Promise<{ window: Window; late: LatePlan }> {
  const recorded = sourceCursorOf(online);
  if (recorded.kind === 'none') return { window, late: { sinceSnapshotId: null, files: 0, rows: 0 } };
  const metadata = source.table.metadata;
  const cursor = recorded.kind === 'cursor' ? recorded.snapshotId : oldestAncestor(metadata, headSnapshotId, recorded.snapshotIds);
  const cursorText = recorded.kind === 'cursor' ? recorded.snapshotId : (cursor ?? recorded.snapshotIds[recorded.snapshotIds.length - 1]!);
  const since = cursorText === null ? null : cursorText.toString();
  const lost = recorded.kind === 'windows' && cursor === null;
  const changes = lost ? ({ kind: 'cursor-lost' } as const) : classifySourceChanges(metadata, headSnapshotId, cursor);
  if (changes.kind === 'unchanged' || headSnapshotId === null) return { window, late: { sinceSnapshotId: since, files: 0, rows: 0 } };
  if (changes.kind === 'appends') {
    const plan = await planScan(source.table, {
      columns: source.columns,
      snapshotId: headSnapshotId,
      appendedAfter: { snapshotId: cursor },
      ...filterOption(eventTimeFilter(source, { end: window.start })),
    });
    return { window, late: { sinceSnapshotId: since, files: plan.summary.dataFiles, rows: plan.summary.dataRecords } };
  }
  const end = window.end.toISOString();
  let restateFrom: bigint | null;
  let why: string;
  if (changes.kind === 'rewritten') {
    restateFrom = source.eventTime === undefined ? null : await earliestTouchedMicros(source.table, changes.snapshots, source.eventTime);
    why = `source snapshot ${changes.first.snapshotId} is ${article(changes.first.summary.operation)} ${changes.first.summary.operation}, not an append`;
    if (restateFrom === null) why += ' and the event times it touched are unknown';
  } else {
    const watermark = watermarkOf(online);
    const lateness = durationSeconds(view.lateness);
    restateFrom = watermark !== null && lateness !== null ? BigInt(watermark - lateness * 1000) * 1000n : null;
    why = `the view's source cursor ${since ?? '(before the first snapshot)'} is no longer in the source's history (expired or rolled back)`;
    why +=
      lateness === null
        ? ' and the view sets no lateness'
        : watermark === null
          ? ' and there is no watermark yet'
          : ", so the view's lateness applies";
  }
  if (restateFrom === null) {
    restateFrom =
      (source.eventTime === undefined ? null : await earliestEventMicros(source.table, headSnapshotId, source.eventTime)) ??
      micros(EARLIEST_EVENT_TIME);
  }
  const start = new Date(Math.min(window.start.getTime(), Number(restateFrom / 1000n)));
  return {
    window: { start, end: window.end },
    late: { sinceSnapshotId: since, files: 0, rows: 0, fallback: `${why}: restating [${start.toISOString()}, ${end})` },
  };
}

/** Where a restatement whose range cannot be known starts: before any event time a source holds. */
const EARLIEST_EVENT_TIME = new Date('0001-01-01T00:00:00.000Z');

/** What the online table's main branch records about the view's source cursor. */
export type RecordedCursor =
  | { readonly kind: 'cursor'; readonly snapshotId: bigint | null }
  /** No cursor yet, but committed windows, each read at one of these source snapshots (newest commit first). */
  | { readonly kind: 'windows'; readonly snapshotIds: readonly bigint[] }
  | { readonly kind: 'none' };

/**
 * The cursor carried by the newest snapshot that has one. Without one (only explicit windows were
 * committed so far) the conservative cursor is the oldest source snapshot a committed window read:
 * the caller picks it from these; a window of an empty source means "from the first snapshot".
 */
export function sourceCursorOf(metadata: TableMetadata): RecordedCursor {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return { kind: 'none' };
  const read: bigint[] = [];
  let sawEmptySource = false;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    const cursor = snapshot.summary[SOURCE_CURSOR_PROPERTY];
    if (cursor !== undefined) return { kind: 'cursor', snapshotId: parseCursor(cursor) };
    if (snapshot.summary[WINDOW_END_PROPERTY] === undefined) continue;
    const sourceSnapshot = snapshot.summary[SOURCE_SNAPSHOT_PROPERTY];
    if (sourceSnapshot === undefined) sawEmptySource = true;
    else read.push(BigInt(sourceSnapshot));
  }
  if (sawEmptySource) return { kind: 'cursor', snapshotId: null };
  return read.length === 0 ? { kind: 'none' } : { kind: 'windows', snapshotIds: read };
}

function parseCursor(text: string): bigint | null {
  return text === EMPTY_SOURCE_CURSOR ? null : BigInt(text);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/**
 * Step 2: the latest row per entity among source rows with start ≤ event_ts < end, as of the
 * planned snapshot, renamed to the online table's columns and staged as one Parquet file in the
 * online table's storage (`<location>/staging/<name>.parquet`). The window's scan is filtered by
 * event time, so files outside it are pruned by their stats. With `late` (an incremental run) it
 * also reads the rows before the window's start of the data files added to the source since the
 * view's cursor, and takes the latest per entity over both.
 */
export async function computeLatestRows(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint | null; stagingName: string; late?: LatePlan },
): Promise<{ staging: string | null; rows: number }> {
  // The source had no snapshot when planned: whatever arrived since belongs to a later run.
  const { sourceSnapshotId } = options;
  if (sourceSnapshotId === null) return { staging: null, rows: 0 };
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  // Workflows started before prepareWindow stage in the online table's storage: it must exist.
  const online = await ensureOnlineTable(context.catalog, layout);
  return withScratchDirectory(context, options.stagingName, async (localDirectory) => {
    const localFile = path.join(localDirectory, 'latest.parquet');
    const rows = await latestRowsFile(context, viewName, window, { ...options, sourceSnapshotId, layout, online, localFile });
    return { staging: await uploadStaging(online, localFile, options.stagingName), rows };
  });
}

/**
 * Steps 2 and 3 in one: the window's latest rows go from a local file straight into the online
 * table's data files and manifest, never staged in the table's storage (an upload and a download
 * of the whole window on S3). Written but not committed, as writeOnlinePartitions.
 */
export async function prepareOnlineFiles(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: OnlineFilesOptions & { sourceSnapshotId: bigint | null; scratchName: string; late?: LatePlan },
): Promise<{ rows: number; manifest: string | null; dataFiles: number }> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const { sourceSnapshotId } = options;
  if (sourceSnapshotId === null) {
    await ensureOnlineTable(context.catalog, layout);
    return { rows: 0, manifest: null, dataFiles: 0 };
  }
  const existing = (await context.catalog.tableExists(layout.identifier)) ? await ensureOnlineTable(context.catalog, layout) : null;
  return withScratchDirectory(context, options.scratchName, async (localDirectory) => {
    const localFile = path.join(localDirectory, 'latest.parquet');
    const rows = await latestRowsFile(context, viewName, window, { ...options, sourceSnapshotId, layout, online: existing, localFile });
    // Created only once the source has been read: a first run that fails on it leaves no empty table.
    const online = existing ?? (await ensureOnlineTable(context.catalog, layout));
    if (rows === 0) return { rows: 0, manifest: null, dataFiles: 0 };
    return { rows, ...(await writeOnlineFiles(context, layout, online, localFile, options)) };
  });
}

/** Writes the window's latest rows (an aggregated view's tiles) to `localFile`; returns how many. */
async function latestRowsFile(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint; late?: LatePlan; layout: OnlineTableLayout; online: LoadedTable | null; localFile: string },
): Promise<number> {
  const { localFile, layout } = options;
  const view = context.registry.featureView(viewName);
  const source = await loadSource(context, view);
  if (isAggregatedView(view)) return computeTiles(context, view, { source, window, ...options });
  const read = { columns: source.columns, snapshotId: options.sourceSnapshotId, readFiles: context.engine.readFiles, ...signalOf(context) };
  const scan = await scanTable(source.table, { ...read, ...filterOption(eventTimeFilter(source, window)) });
  const lateScan = await scanLateAppends(source, read, options.late, window);
  return context.engine.withConnection(async (connection) => {
    const renamed = renameToOnline(scan.sql, source, layout);
    const latest = await latestPerEntitySql(connection, {
      relation: lateScan === undefined ? renamed : `${renamed} UNION ALL ${renameToOnline(lateScan.sql, source, layout)}`,
      keyColumns: layout.keyColumns,
      eventTimestampColumn: ONLINE_EVENT_TS,
      ...(source.createdColumn === undefined ? {} : { createdTimestampColumn: ONLINE_CREATED_TS }),
      // Late rows lie before the start; the window's own scan has only rows from it on.
      ...(lateScan === undefined ? { start: micros(window.start) } : {}),
      end: micros(window.end),
      name: view.name,
    });
    return copyToParquet(connection, latest, localFile);
  }, signalOf(context));
}

interface OnlineFilesOptions {
  readonly filePrefix: string;
  readonly materializedAt: Date;
  readonly afterDataFiles?: () => Promise<void>;
}

/**
 * Step 3: the staged rows as data files in the online table's bucket partitions, plus a manifest
 * of them, written but not committed.
 */
export async function writeOnlinePartitions(
  context: FeatureContext,
  viewName: string,
  options: OnlineFilesOptions & { staging: string | null; rows: number },
): Promise<{ manifest: string | null; dataFiles: number }> {
  const layout = onlineTableLayout(context.registry, context.registry.featureView(viewName));
  const table = await ensureOnlineTable(context.catalog, layout);
  if (options.staging === null || options.rows === 0) return { manifest: null, dataFiles: 0 };
  return writeOnlineFiles(context, layout, table, await table.io.localize(options.staging), options);
}

/** A local file of the online table's columns (but materialized_at) as the table's data files and their manifest. */
async function writeOnlineFiles(
  context: FeatureContext,
  layout: OnlineTableLayout,
  table: LoadedTable,
  localFile: string,
  options: OnlineFilesOptions,
): Promise<{ manifest: string; dataFiles: number }> {
  return withScratchDirectory(context, options.filePrefix, async (localDirectory) => {
    const columns = [...layout.keyColumns, ...layout.featureColumns, ONLINE_EVENT_TS, ONLINE_CREATED_TS].map((name) => q(name));
    const query = `SELECT ${columns.join(', ')}, CAST(${quoteLiteral(options.materializedAt.toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)} FROM read_parquet(${quoteLiteral(localFile)})`;
    const dataFiles = await context.engine.withConnection(
      (connection) =>
        writeTableFiles(connection, table, { query, fileNamePrefix: options.filePrefix, localDirectory, ...signalOf(context) }),
      signalOf(context),
    );
    await options.afterDataFiles?.();
    const manifest = await writeAddedManifest(table, dataFiles, options.filePrefix);
    return { manifest: manifest.location, dataFiles: dataFiles.length };
  });
}

/**
 * Step 4: one atomic append of the window's manifest (or, for an empty window, of nothing: the
 * snapshot still records that the window was done), retried on conflicts, exactly once per key.
 */
export async function commitOnlineWindow(
  context: FeatureContext,
  viewName: string,
  options: {
    window: Window;
    manifest: string | null;
    idempotencyKey: string;
    sourceSnapshotId: string | null;
    staging?: string | null;
    incremental?: boolean;
  },
): Promise<{ snapshotId: bigint | null; alreadyCommitted: boolean; attempts: number; conflicts: number; rows: number }> {
  const view = context.registry.featureView(viewName);
  const identifier = context.registry.onlineTableOf(view);
  const table = await context.catalog.loadTable(identifier);
  const manifests = options.manifest === null ? [] : [await describeAddedManifest(table, options.manifest)];
  const summary: Record<string, string> = {
    [FEATURE_VIEW_PROPERTY]: view.name,
    [WINDOW_START_PROPERTY]: options.window.start.toISOString(),
    [WINDOW_END_PROPERTY]: options.window.end.toISOString(),
  };
  if (options.sourceSnapshotId !== null) summary[SOURCE_SNAPSHOT_PROPERTY] = options.sourceSnapshotId;
  // An incremental run moves the cursor to the snapshot it read; an explicit window leaves it be.
  const sourceCursor = options.incremental ? (options.sourceSnapshotId ?? EMPTY_SOURCE_CURSOR) : undefined;
  const change = appendCarryingForward(
    manifests,
    { windowEnd: options.window.end, ...(sourceCursor === undefined ? {} : { sourceCursor }) },
    { idempotencyKey: options.idempotencyKey, summary },
  );
  const result = await commitChange(context.catalog, identifier, change, { loaded: table });
  // The staged rows are in the committed files now; a failed delete only leaves an orphan.
  if (options.staging) await table.io.delete(options.staging).catch(() => undefined);
  return {
    snapshotId: result.snapshotId ?? null,
    alreadyCommitted: result.alreadyCommitted,
    attempts: result.attempts,
    conflicts: result.conflicts,
    rows: manifests.reduce((sum, manifest) => sum + manifest.addedRowsCount, 0),
  };
}

/**
 * The view's watermark: the greatest `floe.window-end` among the online table's committed
 * snapshots (the main branch and its ancestors), or null when nothing was materialized yet. It is
 * written by the commit that lands the window's rows, so it advances atomically with the data.
 */
export async function readWatermark(context: Pick<FeatureContext, 'registry' | 'catalog'>, viewName: string): Promise<Date | null> {
  const view = context.registry.featureView(viewName);
  const identifier = context.registry.onlineTableOf(view);
  if (!(await context.catalog.tableExists(identifier))) return null;
  const table = await context.catalog.loadTable(identifier);
  const millis = watermarkOf(table.metadata);
  return millis === null ? null : new Date(millis);
}

/** The watermark (epoch ms) of a table's main branch, from its snapshots' summaries. */
export function watermarkOf(metadata: TableMetadata): number | null {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return null;
  let greatest: number | null = null;
  const consider = (text: string | undefined): void => {
    if (text === undefined) return;
    const millis = instantMillis(text);
    if (!Number.isNaN(millis) && (greatest === null || millis > greatest)) greatest = millis;
  };
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    consider(snapshot.summary[WINDOW_END_PROPERTY]);
    const carried = snapshot.summary[WATERMARK_PROPERTY];
    consider(carried);
    // A carried watermark already accounts for every older snapshot.
    if (carried !== undefined) break;
  }
  return greatest;
}

/**
 * The summary properties every commit to an online table carries forward from the base it commits
 * on, so they survive the expiry of the snapshots that set them: the watermark (advanced to
 * `windowEnd`, when given) and the source cursor (replaced by `sourceCursor`, when given).
 */
export function carriedSummary(base: TableMetadata, advance: { windowEnd?: Date; sourceCursor?: string } = {}): Record<string, string> {
  const carried: Record<string, string> = {};
  const previous = watermarkOf(base);
  const candidates = [previous, advance.windowEnd?.getTime()].filter((value): value is number => value !== undefined && value !== null);
  if (candidates.length > 0) carried[WATERMARK_PROPERTY] = new Date(Math.max(...candidates)).toISOString();
  if (advance.sourceCursor !== undefined) carried[SOURCE_CURSOR_PROPERTY] = advance.sourceCursor;
  else {
    const recorded = sourceCursorOf(base);
    if (recorded.kind === 'cursor') carried[SOURCE_CURSOR_PROPERTY] = recorded.snapshotId?.toString() ?? EMPTY_SOURCE_CURSOR;
  }
  return carried;
}

/** A fast append whose summary also carries the watermark and source cursor forward (see carriedSummary). */
function appendCarryingForward(
  manifests: Parameters<typeof fastAppend>[0],
  advance: { windowEnd: Date; sourceCursor?: string },
  options: { idempotencyKey: string; summary: Record<string, string> },
): TableChange {
  const description = fastAppend(manifests, options).description;
  return {
    description,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      // Restated on every attempt: a conflicting commit may have moved the base's watermark.
      return fastAppend(manifests, { ...options, summary: { ...options.summary, ...carriedSummary(base.metadata, advance) } }).prepare(
        base,
      );
    },
  };
}

/** How `materializeWindow` names its files and what it lets a caller do between writing and committing. */
export interface MaterializeWindowOptions extends PlanOptions {
  /** Names the scratch directory and the data files of a window; default: from the idempotency key and the clock. */
  readonly fileName?: (step: 'latest' | 'online') => string;
  /** Runs after the window's data files and manifest are written, before its commit. */
  readonly afterWrite?: (manifest: string | null) => Promise<void>;
}

/**
 * All four steps in one process: materialization as a library call, without Temporal. A window
 * wholly after now − delay is skipped: nothing is committed. `idempotencyKey` may depend on the
 * window as planned (its end cut at now − delay). The context's signal cancels before the commit;
 * a commit once started is seen through, so the window lands whole or not at all.
 */
export async function materializeWindow(
  context: FeatureContext,
  viewName: string,
  window: Window,
  idempotencyKey: string | ((planned: Window) => string),
  options: MaterializeWindowOptions = {},
) {
  const plan = await planSourceScan(context, viewName, window, options);
  if (plan.skipped !== undefined)
    return { ...plan, rows: 0, dataFiles: 0, snapshotId: null, alreadyCommitted: false, attempts: 0, conflicts: 0 };
  const key = typeof idempotencyKey === 'string' ? idempotencyKey : idempotencyKey(plan.window);
  const name = key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const fileName = options.fileName ?? ((step: 'latest' | 'online') => `${step}-${name}-${Date.now()}`);
  const written = await prepareOnlineFiles(context, viewName, plan.window, {
    sourceSnapshotId: plan.sourceSnapshotId,
    scratchName: fileName('latest'),
    ...(plan.late === undefined ? {} : { late: plan.late }),
    filePrefix: fileName('online'),
    materializedAt: new Date(),
  });
  await options.afterWrite?.(written.manifest);
  const { signal, ...uncancellable } = context;
  signal?.throwIfAborted();
  const committed = await commitOnlineWindow(uncancellable, viewName, {
    window: plan.window,
    manifest: written.manifest,
    idempotencyKey: key,
    sourceSnapshotId: plan.sourceSnapshotId?.toString() ?? null,
    incremental: options.incremental ?? false,
  });
  return { ...plan, ...committed, rows: written.rows, dataFiles: written.dataFiles };
}

interface ResolvedSource {
  readonly table: LoadedTable;
  readonly identifier: string;
  /** Source columns to read. */
  readonly columns: readonly string[];
  /** The source column holding an online column's values. */
  readonly columnFor: (onlineName: string) => string;
  readonly createdColumn: string | undefined;
  /** The source's own row filter, if it has one. */
  readonly filter: Expression | undefined;
  /** The timestamp field's id and type in the current schema (undefined when it has none: planning reports that). */
  readonly eventTime: { readonly column: string; readonly fieldId: number; readonly type: PrimitiveType } | undefined;
}

async function loadSource(context: FeatureContext, view: FeatureViewDefinition): Promise<ResolvedSource> {
  const source = context.registry.sourceOf(view);
  const identifier = parseTableIdentifier(source.table);
  const table = await withViewContext(view, source.table, () => context.catalog.loadTable(identifier));
  const columnFor = sourceColumns(source);
  const wanted = [
    ...context.registry.joinKeysOf(view).map((key) => columnFor(key.name)),
    ...valueColumnsOf(view).map(columnFor),
    source.timestampField,
  ];
  if (source.createdTimestampField !== undefined) wanted.push(source.createdTimestampField);
  const timestampField = currentSchema(table.metadata).fields.find((field) => field.name === source.timestampField);
  return {
    table,
    identifier: formatTableIdentifier(identifier),
    columns: [...new Set(wanted)],
    columnFor: (name) => (name === ONLINE_EVENT_TS ? source.timestampField : columnFor(name)),
    createdColumn: source.createdTimestampField,
    filter: source.filter,
    eventTime:
      timestampField === undefined || typeof timestampField.type !== 'string'
        ? undefined
        : { column: timestampField.name, fieldId: timestampField.id, type: timestampField.type },
  };
}

/** The source columns a view reads besides keys and times: its features, or the columns its aggregations aggregate. */
function valueColumnsOf(view: FeatureViewDefinition): string[] {
  return isAggregatedView(view) ? columnPartials(view).map((column) => column.column) : view.features.map((feature) => feature.name);
}

/**
 * Step 2 of an aggregated view: the partial tiles of its events, staged like the latest rows.
 * A window after the watermark adds delta tiles of its events. A window that reaches back before the
 * watermark (a restatement, lateness, rows appended late, an explicit window run again) rewrites
 * the whole tiles it touches as full tiles as of the snapshot read, so nothing is counted twice and
 * deleted rows drop out; a (key, tile) left without events gets an empty full row.
 */
async function computeTiles(
  context: FeatureContext,
  view: FeatureViewDefinition,
  options: {
    source: ResolvedSource;
    /** Null before the first window: no watermark yet. */
    online: LoadedTable | null;
    layout: OnlineTableLayout;
    window: Window;
    sourceSnapshotId: bigint;
    localFile: string;
    late?: LatePlan;
  },
): Promise<number> {
  const { source, online, layout, window } = options;
  const grid = tileMicros(view);
  const partials = columnPartials(view);
  const aggregated = partials.map((column) => column.column);
  const watermark = online === null ? null : watermarkOf(online.metadata);
  const read = { columns: source.columns, snapshotId: options.sourceSnapshotId, readFiles: context.engine.readFiles, ...signalOf(context) };
  const lateAppends = await scanLateAppends(source, read, options.late, window);
  return context.engine.withConnection(async (connection) => {
    let start = micros(window.start);
    let end = micros(window.end);
    const watermarkMicros = watermark === null ? null : BigInt(watermark) * 1000n;
    const earliestLate =
      lateAppends === undefined ? null : await earliestRowMicros(connection, renameToOnline(lateAppends.sql, source, layout, aggregated));
    if (earliestLate !== null && earliestLate < start) start = earliestLate;
    const restates = watermarkMicros !== null && start < watermarkMicros;
    if (restates) {
      start = floorToGrid(start, grid);
      // The tile the window ends in keeps the events already materialized after the window.
      if (end < watermarkMicros) {
        const tileEnd = floorToGrid(end - 1n, grid) + grid;
        end = tileEnd < watermarkMicros ? tileEnd : watermarkMicros;
      }
    }
    const scan = await scanTable(source.table, {
      ...read,
      ...filterOption(eventTimeFilter(source, { start: dateOf(start), end: dateOf(end) })),
    });
    const existing =
      restates && online !== null
        ? await scanTable(online, {
            columns: [...layout.keyColumns, TILE_START],
            readFiles: context.engine.readFiles,
            ...signalOf(context),
          })
        : undefined;
    const tiles = await eventTilesSql(connection, {
      relation: renameToOnline(scan.sql, source, layout, aggregated),
      keyColumns: layout.keyColumns,
      partials,
      grid,
      start,
      end,
      kind: restates ? 'full' : 'delta',
      ...(existing === undefined ? {} : { supersede: existing.sql }),
      name: view.name,
    });
    return copyToParquet(connection, tiles, options.localFile);
  }, signalOf(context));
}

/**
 * With `late` (an incremental run that found appended files with rows before the window), the
 * rows before the window's start of the data files added to the source since the view's cursor.
 */
async function scanLateAppends(
  source: ResolvedSource,
  read: TableScanOptions,
  late: LatePlan | undefined,
  window: Window,
): Promise<TableScan | undefined> {
  if (late === undefined || late.fallback !== undefined || late.files <= 0) return undefined;
  return scanTable(source.table, {
    ...read,
    appendedAfter: { snapshotId: late.sinceSnapshotId === null ? null : BigInt(late.sinceSnapshotId) },
    ...filterOption(eventTimeFilter(source, { end: window.start })),
  });
}

/** Writes the rows of `sql` to a local Parquet file; returns how many it wrote. */
async function copyToParquet(connection: DuckDBConnection, sql: string, localFile: string): Promise<number> {
  const result = await connection.runAndReadAll(
    `COPY (${sql}) TO ${quoteLiteral(localFile)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS)`,
  );
  return Number(result.getRowObjects()[0]?.['count'] ?? 0);
}

/** Uploads a staged Parquet file to `<online location>/staging/<name>.parquet`; returns that location. */
async function uploadStaging(online: LoadedTable, localFile: string, stagingName: string): Promise<string> {
  const staging = `${online.metadata.location.replace(/\/+$/, '')}/staging/${stagingName}.parquet`;
  await online.io.upload(localFile, staging, { ifAbsent: true });
  return staging;
}

async function earliestRowMicros(connection: DuckDBConnection, relation: string): Promise<bigint | null> {
  const columns = await describeRelation(connection, relation, 'late rows');
  const type = columns.find((column) => column.name === ONLINE_EVENT_TS)!.type;
  const result = await connection.runAndReadAll(
    `SELECT min(${utcMicrosSql(`r.${q(ONLINE_EVENT_TS)}`, type, 'Event timestamp column of the late rows')}) AS earliest FROM (${relation}) AS r`,
  );
  const earliest = result.getRowObjects()[0]?.['earliest'];
  return earliest === null || earliest === undefined ? null : BigInt(earliest as bigint);
}

function dateOf(micros: bigint): Date {
  return new Date(Number(micros / 1000n));
}

/**
 * The source's rows with start ≤ event time < end, as an Iceberg filter (with the source's own
 * filter): files outside the range are pruned by their stats and the reader drops the other rows.
 * For a date column the range is rounded outward to whole days; the latest-per-entity step applies
 * the exact bounds.
 */
function eventTimeFilter(source: ResolvedSource, range: { start?: Date; end: Date }): Expression | undefined {
  const parts: Expression[] = source.filter === undefined ? [] : [source.filter];
  const eventTime = source.eventTime;
  if (eventTime !== undefined && isTimeType(eventTime.type)) {
    if (range.start !== undefined) parts.push(gtEq(eventTime.column, timeLiteral(micros(range.start), eventTime.type, 'from')));
    parts.push(ltEq(eventTime.column, timeLiteral(micros(range.end) - 1n, eventTime.type, 'to')));
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : and(...parts);
}

function filterOption(filter: Expression | undefined): { filter?: Expression } {
  return filter === undefined ? {} : { filter };
}

const EMPTY_SCAN: ScanSummary = { mode: 'copy-on-write', dataFiles: 0, positionDeleteFiles: 0, equalityDeleteFiles: 0, dataRecords: 0 };

/**
 * The source rows with the online table's column names: keys, `values` (the features, or for tiles
 * the aggregated columns), event_ts, created_ts.
 */
function renameToOnline(
  sourceSql: string,
  source: ResolvedSource,
  layout: OnlineTableLayout,
  values: readonly string[] = layout.featureColumns,
): string {
  const names = [...layout.keyColumns, ...values, ONLINE_EVENT_TS];
  const projection = names.map((name) => `s.${q(source.columnFor(name))} AS ${q(name)}`);
  projection.push(
    source.createdColumn === undefined
      ? `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}`
      : `s.${q(source.createdColumn)} AS ${q(ONLINE_CREATED_TS)}`,
  );
  return `SELECT ${projection.join(', ')} FROM (${sourceSql}) AS s`;
}

/** Errors about the source name the feature view they were met for. */
async function withViewContext<T>(view: FeatureViewDefinition, table: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (FloeError.is(error) && !error.retryable) {
      throw new FloeError(error.kind, `Feature view ${view.name}, source table ${table}: ${error.detail}`, {
        context: { ...error.context, featureView: view.name },
        cause: error,
        retryable: false,
      });
    }
    throw error;
  }
}

function checkWindow(window: Window, view: FeatureViewDefinition): void {
  if (!(window.start.getTime() < window.end.getTime())) {
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name}: window start ${window.start.toISOString()} must be before its end ${window.end.toISOString()}`,
      { context: { featureView: view.name } },
    );
  }
}

function micros(date: Date): bigint {
  return BigInt(date.getTime()) * 1000n;
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

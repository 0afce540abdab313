import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine/duckdb.js';
import { latestPerEntitySql } from '../engine/latest-per-entity.js';
import { quoteIdentifier as q, quoteLiteral } from '../engine/sql.js';
import { scanTable } from '../engine/table-reader.js';
import { writeTableFiles } from '../engine/table-writer.js';
import type { Catalog, LoadedTable } from '../iceberg/catalog/catalog.js';
import { commitChange } from '../iceberg/commit/commit.js';
import type { TableChange } from '../iceberg/commit/table-change.js';
import { FloeError } from '../iceberg/errors.js';
import { planScan } from '../iceberg/scan/planner.js';
import type { ScanPlan } from '../iceberg/scan/plan.js';
import { ancestorsOf, snapshotForRef } from '../iceberg/spec/metadata.js';
import type { TableMetadata } from '../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../iceberg/spec/snapshot.js';
import { describeAddedManifest, writeAddedManifest } from '../iceberg/write/added-manifest.js';
import { fastAppend } from '../iceberg/write/fast-append.js';
import type { FeatureViewDefinition } from './definitions.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from './definitions.js';
import { ensureOnlineTable, onlineTableLayout } from './online-table.js';
import type { OnlineTableLayout } from './online-table.js';
import type { Registry } from './registry.js';
import { formatTableIdentifier, parseTableIdentifier } from './registry.js';

/** What materialization needs from the process it runs in. */
export interface MaterializationContext {
  readonly registry: Registry;
  readonly catalog: Catalog;
  readonly engine: Engine;
  /** Local scratch space for DuckDB output on its way to the table's storage. */
  readonly workDirectory: string;
  readonly signal?: AbortSignal;
}

/** Event time `[start, end)`. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

export interface ScanSummary {
  readonly mode: ScanPlan['mode'];
  readonly dataFiles: number;
  readonly positionDeleteFiles: number;
  readonly equalityDeleteFiles: number;
  readonly dataRecords: number;
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
 * Step 1: which snapshot of the source to read and what reading it involves. Also makes sure the
 * online table exists, so later steps can stage files in its storage. Fails (for good) when the
 * source table or one of the view's columns does not exist.
 */
export async function planSourceScan(context: MaterializationContext, viewName: string, window: Window): Promise<{ sourceSnapshotId: bigint | null; scan: ScanSummary }> {
  const view = context.registry.featureView(viewName);
  checkWindow(window, view);
  const source = await loadSource(context, view);
  const plan = await withViewContext(view, source.identifier, () => planScan(source.table, { columns: source.columns }));
  await ensureOnlineTable(context.catalog, onlineTableLayout(context.registry, view));
  return {
    sourceSnapshotId: plan.snapshotId,
    scan: { mode: plan.mode, ...pick(plan.summary, ['dataFiles', 'positionDeleteFiles', 'equalityDeleteFiles', 'dataRecords']) },
  };
}

/**
 * Step 2: the latest row per entity among source rows with start ≤ event_ts < end, as of the
 * planned snapshot, renamed to the online table's columns and staged as one Parquet file in the
 * online table's storage (`<location>/staging/<name>.parquet`).
 */
export async function computeLatestRows(
  context: MaterializationContext,
  viewName: string,
  window: Window,
  options: { sourceSnapshotId: bigint | null; stagingName: string },
): Promise<{ staging: string | null; rows: number }> {
  // The source had no snapshot when planned: whatever arrived since belongs to a later run.
  if (options.sourceSnapshotId === null) return { staging: null, rows: 0 };
  const view = context.registry.featureView(viewName);
  const layout = onlineTableLayout(context.registry, view);
  const source = await loadSource(context, view);
  const online = await context.catalog.loadTable(layout.identifier);
  const scan = await scanTable(source.table, { columns: source.columns, snapshotId: options.sourceSnapshotId, ...signalOf(context) });
  const localDirectory = await scratchDirectory(context, options.stagingName);
  const localFile = path.join(localDirectory, 'latest.parquet');
  try {
    const rows = await context.engine.withConnection(async (connection) => {
      const renamed = renameToOnline(scan.sql, source, layout);
      const latest = await latestPerEntitySql(connection, {
        relation: renamed,
        keyColumns: layout.keyColumns,
        eventTimestampColumn: ONLINE_EVENT_TS,
        ...(source.createdColumn === undefined ? {} : { createdTimestampColumn: ONLINE_CREATED_TS }),
        start: micros(window.start),
        end: micros(window.end),
        name: view.name,
      });
      const result = await connection.runAndReadAll(`COPY (${latest}) TO ${quoteLiteral(localFile)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS)`);
      return Number(result.getRowObjects()[0]?.['count'] ?? 0);
    }, signalOf(context));
    const staging = `${online.metadata.location.replace(/\/+$/, '')}/staging/${options.stagingName}.parquet`;
    await online.io.upload(localFile, staging, { ifAbsent: true });
    return { staging, rows };
  } finally {
    await rm(localDirectory, { recursive: true, force: true });
  }
}

/**
 * Step 3: the staged rows as data files in the online table's bucket partitions, plus a manifest
 * of them, written but not committed.
 */
export async function writeOnlinePartitions(
  context: MaterializationContext,
  viewName: string,
  options: { staging: string | null; rows: number; filePrefix: string; materializedAt: Date; afterDataFiles?: () => Promise<void> },
): Promise<{ manifest: string | null; dataFiles: number }> {
  const view = context.registry.featureView(viewName);
  const layout = onlineTableLayout(context.registry, view);
  const table = await ensureOnlineTable(context.catalog, layout);
  if (options.staging === null || options.rows === 0) return { manifest: null, dataFiles: 0 };
  const localDirectory = await scratchDirectory(context, options.filePrefix);
  try {
    const staged = await table.io.localize(options.staging);
    const columns = [...layout.keyColumns, ...layout.featureColumns, ONLINE_EVENT_TS, ONLINE_CREATED_TS].map((name) => q(name));
    const query = `SELECT ${columns.join(', ')}, CAST(${quoteLiteral(options.materializedAt.toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)} FROM read_parquet(${quoteLiteral(staged)})`;
    const dataFiles = await context.engine.withConnection(
      (connection) => writeTableFiles(connection, table, { query, fileNamePrefix: options.filePrefix, localDirectory, ...signalOf(context) }),
      signalOf(context),
    );
    await options.afterDataFiles?.();
    const manifest = await writeAddedManifest(table, dataFiles, options.filePrefix);
    return { manifest: manifest.location, dataFiles: dataFiles.length };
  } finally {
    await rm(localDirectory, { recursive: true, force: true });
  }
}

/**
 * Step 4: one atomic append of the window's manifest (or, for an empty window, of nothing: the
 * snapshot still records that the window was done), retried on conflicts, exactly once per key.
 */
export async function commitOnlineWindow(
  context: MaterializationContext,
  viewName: string,
  options: { window: Window; manifest: string | null; idempotencyKey: string; sourceSnapshotId: string | null; staging?: string | null },
): Promise<{ snapshotId: bigint | null; alreadyCommitted: boolean; attempts: number }> {
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
  const result = await commitChange(context.catalog, identifier, appendAdvancingWatermark(manifests, options.window.end, { idempotencyKey: options.idempotencyKey, summary }));
  // The staged rows are in the committed files now; a failed delete only leaves an orphan.
  if (options.staging) await table.io.delete(options.staging).catch(() => undefined);
  return { snapshotId: result.snapshotId ?? null, alreadyCommitted: result.alreadyCommitted, attempts: result.attempts };
}

/**
 * The view's watermark: the greatest `floe.window-end` among the online table's committed
 * snapshots (the main branch and its ancestors), or null when nothing was materialized yet. It is
 * written by the commit that lands the window's rows, so it advances atomically with the data.
 */
export async function readWatermark(context: Pick<MaterializationContext, 'registry' | 'catalog'>, viewName: string): Promise<Date | null> {
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
    const millis = Date.parse(text);
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

/** A fast append whose summary also carries the watermark: the greater of the base's and `windowEnd`. */
function appendAdvancingWatermark(manifests: Parameters<typeof fastAppend>[0], windowEnd: Date, options: { idempotencyKey: string; summary: Record<string, string> }): TableChange {
  const description = fastAppend(manifests, options).description;
  return {
    description,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      const previous = watermarkOf(base.metadata);
      const watermark = new Date(Math.max(previous ?? windowEnd.getTime(), windowEnd.getTime())).toISOString();
      // Restated on every attempt: a conflicting commit may have moved the base's watermark.
      return fastAppend(manifests, { ...options, summary: { ...options.summary, [WATERMARK_PROPERTY]: watermark } }).prepare(base);
    },
  };
}

/** All four steps in one process: materialization as a library call, without Temporal. */
export async function materializeWindow(context: MaterializationContext, viewName: string, window: Window, idempotencyKey: string) {
  const plan = await planSourceScan(context, viewName, window);
  const name = idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const computed = await computeLatestRows(context, viewName, window, { sourceSnapshotId: plan.sourceSnapshotId, stagingName: `latest-${name}-${Date.now()}` });
  const written = await writeOnlinePartitions(context, viewName, { staging: computed.staging, rows: computed.rows, filePrefix: `online-${name}-${Date.now()}`, materializedAt: new Date() });
  const committed = await commitOnlineWindow(context, viewName, { window, manifest: written.manifest, idempotencyKey, sourceSnapshotId: plan.sourceSnapshotId?.toString() ?? null, staging: computed.staging });
  return { ...plan, rows: computed.rows, dataFiles: written.dataFiles, ...committed };
}

interface ResolvedSource {
  readonly table: LoadedTable;
  readonly identifier: string;
  /** Source columns to read. */
  readonly columns: readonly string[];
  /** The source column holding an online column's values. */
  readonly columnFor: (onlineName: string) => string;
  readonly createdColumn: string | undefined;
}

async function loadSource(context: MaterializationContext, view: FeatureViewDefinition): Promise<ResolvedSource> {
  const source = context.registry.sourceOf(view);
  const identifier = parseTableIdentifier(source.table);
  const table = await withViewContext(view, source.table, () => context.catalog.loadTable(identifier));
  const sourceNameOf = new Map(Object.entries(source.fieldMapping ?? {}).map(([sourceName, name]) => [name, sourceName]));
  const columnFor = (name: string): string => sourceNameOf.get(name) ?? name;
  const wanted = [...context.registry.joinKeysOf(view).map((key) => columnFor(key.name)), ...view.features.map((feature) => columnFor(feature.name)), source.timestampField];
  if (source.createdTimestampField !== undefined) wanted.push(source.createdTimestampField);
  return {
    table,
    identifier: formatTableIdentifier(identifier),
    columns: [...new Set(wanted)],
    columnFor: (name) => (name === ONLINE_EVENT_TS ? source.timestampField : columnFor(name)),
    createdColumn: source.createdTimestampField,
  };
}

/** The source rows with the online table's column names (keys, features, event_ts, created_ts). */
function renameToOnline(sourceSql: string, source: ResolvedSource, layout: OnlineTableLayout): string {
  const names = [...layout.keyColumns, ...layout.featureColumns, ONLINE_EVENT_TS];
  const projection = names.map((name) => `s.${q(source.columnFor(name))} AS ${q(name)}`);
  projection.push(source.createdColumn === undefined ? `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}` : `s.${q(source.createdColumn)} AS ${q(ONLINE_CREATED_TS)}`);
  return `SELECT ${projection.join(', ')} FROM (${sourceSql}) AS s`;
}

/** Errors about the source name the feature view they were met for. */
async function withViewContext<T>(view: FeatureViewDefinition, table: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (FloeError.is(error) && !error.retryable) {
      throw new FloeError(error.kind, `Feature view ${view.name}, source table ${table}: ${error.detail}`, { context: { ...error.context, featureView: view.name }, cause: error, retryable: false });
    }
    throw error;
  }
}

function checkWindow(window: Window, view: FeatureViewDefinition): void {
  if (!(window.start.getTime() < window.end.getTime())) {
    throw new FloeError('invalid-input', `Feature view ${view.name}: window start ${window.start.toISOString()} must be before its end ${window.end.toISOString()}`, { context: { featureView: view.name } });
  }
}

async function scratchDirectory(context: MaterializationContext, name: string): Promise<string> {
  const directory = path.join(context.workDirectory, 'scratch', name);
  await mkdir(directory, { recursive: true });
  return directory;
}

function micros(date: Date): bigint {
  return BigInt(date.getTime()) * 1000n;
}

function signalOf(context: MaterializationContext): { signal?: AbortSignal } {
  return context.signal === undefined ? {} : { signal: context.signal };
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

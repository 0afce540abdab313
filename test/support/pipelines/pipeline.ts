/**
 * What the pipelines tests share: a source table of driver stats written by pyiceberg on a SQL
 * catalog in a temp folder, a Floe runtime over it (optionally with a wrapped catalog and test
 * hooks), a worker on the real Temporal dev server with its own task queue, and pyiceberg reads
 * of the online table to compare with the brute-force expectation.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { CompactHooks } from '../../../activities/compact.js';
import type { MaterializeHooks } from '../../../activities/materialize.js';
import type { TrainingSetHooks } from '../../../activities/training-set.js';
import type { FeatureViewInput } from '../../../features/definitions.js';
import type { Definition } from '../../../features/registry.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import type { Runtime } from '../../../features/runtime.js';
import { driverStatsRows, driverStatsSchema, latestPerDriver } from '../driver-stats.js';
import type { DriverStatsRow } from '../driver-stats.js';
import { HISTORIES_DIRECTORY } from '../histories.js';
import type { OracleCatalog } from '../pyiceberg.js';
import { runPyiceberg, sqliteCatalog } from '../pyiceberg.js';
import { testRuntime } from '../runtime.js';
import { startTestWorker, type TestWorker } from '../temporal.js';
import { driverDefinitions, VIEW } from './definitions.js';

export { VIEW };

/** The range the backfill tests materialize: two and a half days of the source, in 12-hour chunks. */
export const RANGE = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-03T12:00:00.000Z' };
/** RANGE's 12-hour windows, in order. */
export const HALF_DAYS: readonly { start: string; end: string }[] = [
  { start: '2024-05-01T00:00:00.000Z', end: '2024-05-01T12:00:00.000Z' },
  { start: '2024-05-01T12:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
  { start: '2024-05-02T00:00:00.000Z', end: '2024-05-02T12:00:00.000Z' },
  { start: '2024-05-02T12:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
  { start: '2024-05-03T00:00:00.000Z', end: '2024-05-03T12:00:00.000Z' },
];

export const SOURCE_COLUMN_TYPES = {
  driver_id: 'long',
  conv_rate: 'double',
  acc_rate: 'double',
  avg_daily_trips: 'long',
  event_timestamp: 'timestamptz',
  created: 'timestamptz',
};

export interface SourceTable {
  readonly directory: string;
  readonly oracle: OracleCatalog & { type: 'sql' };
  readonly floeCatalog: CatalogConfig;
  readonly table: string;
  readonly rows: DriverStatsRow[];
}

/** A SQL catalog in `directory` with `rides.driver_stats` holding `rows` (two appends, two files). */
export async function createDriverStatsCatalog(directory: string, rows: DriverStatsRow[] = driverStatsRows()): Promise<SourceTable> {
  await mkdir(directory, { recursive: true });
  const oracle = sqliteCatalog(directory) as OracleCatalog & { type: 'sql' };
  const table = 'rides.driver_stats';
  await writeSourceTable(oracle, table, rows);
  return {
    directory,
    oracle,
    floeCatalog: { type: 'sql', name: 'floe_oracle', uri: oracle.uri, warehouse: oracle.warehouse },
    table,
    rows,
  };
}

/** Creates `table` in any catalog pyiceberg can open and appends `rows` to it in two appends (two files). */
export async function writeSourceTable(oracle: OracleCatalog, table: string, rows: readonly DriverStatsRow[]): Promise<void> {
  await runPyiceberg('create_table', { catalog: oracle, identifier: table, schema: driverStatsSchema, format_version: 2 });
  const half = Math.floor(rows.length / 2);
  for (const part of [rows.slice(0, half), rows.slice(half)])
    await runPyiceberg('append', { catalog: oracle, identifier: table, rows: part, columns: SOURCE_COLUMN_TYPES });
}

/** Appends `rows` to the source table (one more pyiceberg append); the source with every row it now holds. */
export async function appendSourceRows(source: SourceTable, rows: DriverStatsRow[]): Promise<SourceTable> {
  await runPyiceberg('append', { catalog: source.oracle, identifier: source.table, rows, columns: SOURCE_COLUMN_TYPES });
  return { ...source, rows: [...source.rows, ...rows] };
}

export interface PipelineWorker extends TestWorker {
  readonly runtime: Runtime;
  readonly onlineNamespace: string;
}

/**
 * A runtime over the source's catalog and the test worker for it (closed with it). Heartbeats are
 * throttled to one a second, so a cancellation reaches a running step within about a second.
 */
export async function startPipelineWorker(
  source: SourceTable,
  options: {
    onlineNamespace?: string;
    schedule?: FeatureViewInput['schedule'];
    compaction?: FeatureViewInput['compaction'];
    consistency?: FeatureViewInput['consistency'];
    viewName?: string;
    /** The project's definitions over the source table, instead of `driverDefinitions`. */
    definitions?: (sourceTable: string) => Definition[];
    wrapCatalog?: (catalog: Catalog) => Catalog;
    hooks?: MaterializeHooks & CompactHooks;
    trainingSetHooks?: TrainingSetHooks;
    ioProperties?: Record<string, string>;
    taskQueue?: string;
    /** Definitions besides the drivers' (on-demand views, request sources, …). */
    extraDefinitions?: readonly Definition[];
  } = {},
): Promise<PipelineWorker> {
  const onlineNamespace = options.onlineNamespace ?? `online_${randomUUID().slice(0, 8)}`;
  const runtime = await testRuntime({
    directory: path.join(source.directory, onlineNamespace),
    catalog: source.floeCatalog,
    definitions: [
      ...(options.definitions?.(source.table) ??
        driverDefinitions(source.table, options.schedule, options.viewName, options.compaction, options.consistency)),
      ...(options.extraDefinitions ?? []),
    ],
    onlineNamespace,
  });
  const worker = await startTestWorker(runtime, {
    catalog: options.wrapCatalog?.(runtime.catalog),
    hooks: options.hooks,
    trainingSetHooks: options.trainingSetHooks,
    ioProperties: options.ioProperties,
    taskQueue: options.taskQueue,
    quickHeartbeats: true,
  });
  return {
    ...worker,
    runtime,
    onlineNamespace,
    async close() {
      await worker.close();
      await runtime.close();
    },
  };
}

/** The online table's rows as pyiceberg reads them, without materialized_at, in a stable order. */
export async function onlineRows(
  source: { readonly oracle: OracleCatalog },
  onlineNamespace: string,
  view: string = VIEW,
): Promise<Record<string, unknown>[]> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
    catalog: source.oracle,
    identifier: `${onlineNamespace}.${view}`,
  });
  return sortDriverStatsRows(read.rows.map(({ materialized_at: _ignored, ...rest }) => rest));
}

/** The brute-force online rows for these windows: each window's latest row per driver. */
export function expectedRows(
  rows: readonly DriverStatsRow[],
  windows: readonly { start: string; end: string }[],
): Record<string, unknown>[] {
  return sortDriverStatsRows(windows.flatMap((window) => latestPerDriver(rows, window)));
}

export interface CommittedSnapshot {
  readonly snapshotId: string;
  readonly summary: Record<string, string>;
}

/** The online table's snapshots, oldest first, with their summaries (pyiceberg's inspect). */
export async function onlineSnapshots(
  source: { readonly oracle: OracleCatalog },
  onlineNamespace: string,
  view: string = VIEW,
): Promise<CommittedSnapshot[]> {
  const inspected = await runPyiceberg<{ rows: { snapshot_id: string; committed_at: string; summary: unknown }[] }>('inspect', {
    catalog: source.oracle,
    identifier: `${onlineNamespace}.${view}`,
    what: 'snapshots',
  });
  return inspected.rows
    .sort((a, b) => a.committed_at.localeCompare(b.committed_at))
    .map((row) => ({ snapshotId: String(row.snapshot_id), summary: summaryObject(row.summary) }));
}

/** The windows the online table's snapshots committed, oldest first. */
export function committedWindows(snapshots: readonly CommittedSnapshot[]): { start: string; end: string }[] {
  return snapshots.map((snapshot) => ({
    start: snapshot.summary['floe.window-start'] ?? '?',
    end: snapshot.summary['floe.window-end'] ?? '?',
  }));
}

/**
 * The view's watermark as its online table's snapshots record it: the greatest window end, or the
 * watermark a commit carried forward (`floe.watermark`), whichever is later; null before any commit.
 */
export function onlineWatermark(snapshots: readonly CommittedSnapshot[]): string | null {
  const ends = snapshots
    .flatMap((snapshot) => [snapshot.summary['floe.window-end'], snapshot.summary['floe.watermark']])
    .filter((end): end is string => end !== undefined);
  if (ends.length === 0) return null;
  return new Date(Math.max(...ends.map((end) => Date.parse(end)))).toISOString();
}

/** Saves a run's history for the replay suite when FLOE_RECORD_HISTORIES is set (any run of a chain, by run id). */
export async function recordRun(client: Client, workflowId: string, runId: string | undefined, name: string): Promise<void> {
  if (!process.env.FLOE_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  await writeFile(path.join(HISTORIES_DIRECTORY, `${name}.json`), historyToJSON(history));
}

/** Driver-stats rows in the order the pipelines compare them: by driver, event time, then created time. */
export function sortDriverStatsRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...rows].sort(
    (a, b) =>
      Number(a.driver_id) - Number(b.driver_id) ||
      String(a.event_ts).localeCompare(String(b.event_ts)) ||
      String(a.created_ts).localeCompare(String(b.created_ts)),
  );
}

function summaryObject(summary: unknown): Record<string, string> {
  // pyiceberg's inspect gives the summary as a list of [key, value] pairs (an Arrow map).
  if (Array.isArray(summary))
    return Object.fromEntries(
      summary.map((entry) =>
        Array.isArray(entry)
          ? [String(entry[0]), String(entry[1])]
          : [String((entry as { key: unknown }).key), String((entry as { value: unknown }).value)],
      ),
    );
  return Object.fromEntries(Object.entries(summary as Record<string, unknown>).map(([key, value]) => [key, String(value)]));
}

/**
 * Materialize hooks whose `n`-th write step holds, after writing, until its cancellation arrives;
 * `holding` resolves once it holds. For tests that cancel a run in the middle of a window.
 */
export function holdWriteUntilCancelled(n: number): { hooks: MaterializeHooks; holding: Promise<void> } {
  let calls = 0;
  let reachedHold!: () => void;
  const holding = new Promise<void>((resolve) => (reachedHold = resolve));
  return {
    holding,
    hooks: {
      afterWrite: async ({ signal }) => {
        calls += 1;
        if (calls !== n) return;
        reachedHold();
        await new Promise<void>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
        );
      },
    },
  };
}

import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { latestPerKeySql } from '../../engine/feature-queries/latest-per-entity.js';
import { readPlanSql } from '../../engine/read/read-plan.js';
import { LAST_UPDATED_SEQUENCE_NUMBER_COLUMN, ROW_ID_COLUMN } from '../../engine/read/row-lineage.js';
import { quoteIdentifier as q, sortKeySql } from '../../engine/sql.js';
import { duckdbType } from '../../engine/types.js';
import { localizePlan } from '../../engine/read/table-reader.js';
import { writeTableFiles } from '../../engine/write/table-writer.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { commitChange, findCommitted } from '../../iceberg/commit/commit.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { appendedFiles, writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import type { ManifestToAppend } from '../../iceberg/write/fast-append.js';
import { rewriteFiles } from '../../iceberg/write/rewrite-files.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { carriedSummary, watermarkOf } from '../online-table/table-state.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { isAggregatedView, longestWindowSeconds } from '../aggregations.js';
import { columnPartials, floorToGrid, tileMicros } from '../online-table/aggregation-tiles.js';
import { compactTilesSql } from '../online-table/tile-sql.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { CompactionPlan } from './plan.js';
import { droppableDeleteFiles, groupTasks } from './plan.js';
import type { CompactionTarget } from './target.js';
import type { RewriteResult } from '../../contracts/compaction-summary.js';

export type { RewriteResult };

/** Summary properties of a compaction commit. */
export const COMPACTION_PROPERTY = 'floe.compaction';

export interface RewriteProgress {
  readonly phase: string;
  readonly groupsDone: number;
  readonly groupsTotal: number;
  readonly rowsWritten: number;
}

export interface RewriteOptions {
  /** The commit's idempotency key: a retried step that finds it committed writes nothing again. */
  readonly idempotencyKey: string;
  /** Names the new files; unique per attempt so a retry never replaces a file another attempt wrote. */
  readonly filePrefix: string;
  readonly report?: (progress: RewriteProgress) => void;
  /** Test-only seam: runs after every file is written, just before the commit. */
  readonly beforeCommit?: () => Promise<void>;
}

/**
 * Rewrites each planned group into new files — an online partition into one file holding only the
 * latest row per entity (event_ts, then created_ts, then materialized_at), a source table's small
 * files of a partition into one (or more, by the target file size) without their deleted rows — and commits ONE replace validated against the planned snapshot:
 * files appended since stay, and a commit that removed one of ours fails the rewrite clearly.
 * Delete files are dropped when every data file they apply to is rewritten.
 */
export async function rewriteAndCommit(context: FeatureContext, plan: CompactionPlan, options: RewriteOptions): Promise<RewriteResult> {
  const nothing: RewriteResult = {
    snapshotId: null,
    alreadyCommitted: false,
    attempts: 0,
    groupsRewritten: 0,
    dataFilesRemoved: 0,
    dataFilesAdded: 0,
    deleteFilesRemoved: 0,
    rowsBefore: 0,
    rowsAfter: 0,
  };
  if (plan.snapshotId === null || plan.groups.length === 0) return nothing;
  const identifier = parseTableIdentifier(plan.target.table);
  const table = await context.catalog.loadTable(identifier);
  const landed = findCommitted(table.metadata, MAIN_BRANCH, options.idempotencyKey);
  if (landed) return { ...fromSummary(landed.summary), snapshotId: landed.snapshotId.toString(), alreadyCommitted: true, attempts: 0 };

  const startingSnapshotId = BigInt(plan.snapshotId);
  const scan = await planScan(table, { snapshotId: startingSnapshotId });
  const byKey = groupTasks(plan.target, scan, plan.smallFileBytes);
  const chosen = plan.groups.map((group) => {
    const tasks = byKey.get(group.key);
    if (!tasks)
      throw new FloeError(
        'internal',
        `Compaction of ${plan.target.table}: planned group ${group.key} is not in snapshot ${plan.snapshotId}`,
        { context: { table: plan.target.table } },
      );
    return tasks;
  });
  const rewritten = chosen.flat();
  const rewrittenPaths = new Set(rewritten.map((task) => task.dataFile.filePath));
  const kept = scan.tasks.filter((task) => !rewrittenPaths.has(task.dataFile.filePath));
  const droppedDeletes = droppableDeleteFiles(rewritten, kept);

  const localDirectory = path.join(context.workDirectory, 'scratch', options.filePrefix);
  await mkdir(localDirectory, { recursive: true });
  const added: DataFile[] = [];
  let rowsAfter = 0;
  try {
    for (const [index, tasks] of chosen.entries()) {
      options.report?.({ phase: 'rewriting', groupsDone: index, groupsTotal: chosen.length, rowsWritten: rowsAfter });
      const files = await rewriteGroup(context, table, scan, plan.target, tasks, {
        filePrefix: `${options.filePrefix}-g${index}`,
        localDirectory: path.join(localDirectory, `g${index}`),
      });
      added.push(...files);
      rowsAfter += files.reduce((sum, file) => sum + file.recordCount, 0);
    }
    options.report?.({ phase: 'committing', groupsDone: chosen.length, groupsTotal: chosen.length, rowsWritten: rowsAfter });
  } finally {
    await rm(localDirectory, { recursive: true, force: true });
  }
  const manifests = added.length === 0 ? [] : [await writeAddedManifest(table, added, options.filePrefix)];
  const counts = {
    groupsRewritten: chosen.length,
    dataFilesRemoved: rewritten.length,
    dataFilesAdded: added.length,
    deleteFilesRemoved: droppedDeletes.length,
    rowsBefore: rewritten.reduce((sum, task) => sum + task.dataFile.recordCount, 0),
    rowsAfter,
  };
  await options.beforeCommit?.();
  // Last point at which a cancellation stops the rewrite: after it the commit is seen through.
  context.signal?.throwIfAborted();
  const toDelete = [...rewritten.map((task) => task.dataFile), ...droppedDeletes];
  const summary = {
    [COMPACTION_PROPERTY]: JSON.stringify({
      kind: plan.target.kind,
      groups: counts.groupsRewritten,
      rowsBefore: counts.rowsBefore,
      rowsAfter,
    }),
  };
  const committed = await commitChange(
    context.catalog,
    identifier,
    compactionChange(toDelete, manifests, { startingSnapshotId, idempotencyKey: options.idempotencyKey, summary }),
    // A retried rewrite writes its files under a new prefix: these are this commit's alone.
    { ownedFiles: appendedFiles(manifests[0] ?? null, added) },
  );
  return {
    ...counts,
    snapshotId: committed.snapshotId?.toString() ?? null,
    alreadyCommitted: committed.alreadyCommitted,
    attempts: committed.attempts,
  };
}

/** One group's rows, as they should be, written as new data files of the table's default spec. */
async function rewriteGroup(
  context: FeatureContext,
  table: LoadedTable,
  scan: ScanPlan,
  target: CompactionTarget,
  tasks: readonly ScanTask[],
  options: { filePrefix: string; localDirectory: string },
): Promise<DataFile[]> {
  const signal = signalOf(context);
  const deletes = tasks.some((task) => task.positionDeletes.length + task.equalityDeletes.length > 0);
  const subPlan: ScanPlan = {
    ...scan,
    mode: deletes ? 'merge-on-read' : 'copy-on-write',
    tasks,
    summary: { ...scan.summary, dataFiles: tasks.length, dataRecords: tasks.reduce((sum, task) => sum + task.dataFile.recordCount, 0) },
  };
  const localPath = context.engine.readFiles.recording(await localizePlan(table, subPlan, signal));
  const view = target.kind === 'online' ? context.registry.featureViews.get(target.featureView) : undefined;
  // v3: rows moved unchanged keep their _row_id and _last_updated_sequence_number (spec: "Row
  // Lineage"); merged aggregation tiles are new rows.
  const rowLineage = table.metadata.formatVersion >= 3 && !(view !== undefined && isAggregatedView(view));
  const rows = readPlanSql(subPlan, { localPath, tableSchema: currentSchema(table.metadata), rowLineage });
  const query =
    target.kind !== 'online'
      ? rows
      : view !== undefined && isAggregatedView(view)
        ? compactedTilesQuery(table, subPlan, view, target.keyColumns, localPath, BigInt(scan.snapshotId ?? 0n))
        : latestOnlineRowsSql(rows, scan, target.keyColumns, rowLineage);
  await mkdir(options.localDirectory, { recursive: true });
  return context.engine.withConnection(
    (connection) =>
      writeTableFiles(connection, table, {
        query,
        fileNamePrefix: options.filePrefix,
        localDirectory: options.localDirectory,
        rowLineage,
        ...signal,
      }),
    signal,
  );
}

/**
 * An aggregated view's partition: per (key, tile) one full row merging the rows that count, standing
 * for the compacted snapshot's sequence; tiles no window can still need (tile_start + g ≤ t − the
 * longest window, t the watermark floored to the grid) are dropped.
 */
function compactedTilesQuery(
  table: LoadedTable,
  plan: ScanPlan,
  view: FeatureViewDefinition,
  keyColumns: readonly string[],
  localPath: (location: string) => string,
  snapshotId: bigint,
): string {
  const tableSchema = currentSchema(table.metadata);
  // Each file's rows with its data sequence number: the reader's order of full and delta rows.
  const rows = plan.tasks
    .map(
      (task) =>
        `SELECT *, ${task.dataSequenceNumber}::BIGINT AS __seq FROM (${readPlanSql({ ...plan, tasks: [task] }, { localPath, tableSchema })})`,
    )
    .join(' UNION ALL ');
  const grid = tileMicros(view);
  const watermark = watermarkOf(table.metadata);
  const longest = BigInt(longestWindowSeconds(view)) * 1_000_000n;
  const snapshot = table.metadata.snapshots.find((candidate) => candidate.snapshotId === snapshotId);
  return compactTilesSql({
    relation: rows,
    keyColumns,
    partials: columnPartials(view),
    grid,
    coversSequence: BigInt(snapshot?.sequenceNumber ?? 0),
    keepFrom: watermark === null ? -(2n ** 62n) : floorToGrid(BigInt(watermark) * 1000n, grid) - longest,
  });
}

/** Per entity, the row an online read answers with: the same ordering as the online store's. */
function latestOnlineRowsSql(rows: string, scan: ScanPlan, keyColumns: readonly string[], rowLineage: boolean): string {
  const names = [
    ...scan.schema.fields.map((field) => field.name),
    ...(rowLineage ? [ROW_ID_COLUMN, LAST_UPDATED_SEQUENCE_NUMBER_COLUMN] : []),
  ];
  return latestPerKeySql({
    relation: rows,
    keyColumns,
    event: `r.${q(ONLINE_EVENT_TS)}`,
    afterEvent: [
      `r.${q(ONLINE_CREATED_TS)} DESC NULLS LAST`,
      `r.${q(ONLINE_MATERIALIZED_AT)} DESC NULLS LAST`,
      ...scan.schema.fields.map((field) => `${sortKeySql(`r.${q(field.name)}`, duckdbType(field.type))} DESC NULLS LAST`),
    ],
    select: names.map((name) => `r.${q(name)}`),
  });
}

/**
 * The replace, restated on every attempt so it carries the view's watermark and source cursor as
 * of the base it commits on: once older snapshots are expired, the compaction's snapshot may be
 * the one that holds them.
 */
function compactionChange(
  toDelete: readonly DataFile[],
  manifests: readonly ManifestToAppend[],
  options: { startingSnapshotId: bigint; idempotencyKey: string; summary: Record<string, string> },
): TableChange {
  const described = rewriteFiles(toDelete, manifests, { startingSnapshotId: options.startingSnapshotId });
  return {
    description: `compaction: ${described.description}`,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      const summary = { ...options.summary, ...carriedSummary(base.metadata) };
      return rewriteFiles(toDelete, manifests, {
        startingSnapshotId: options.startingSnapshotId,
        idempotencyKey: options.idempotencyKey,
        summary,
        operation: 'replace',
      }).prepare(base);
    },
  };
}

function fromSummary(summary: Readonly<Record<string, string>>): Omit<RewriteResult, 'snapshotId' | 'alreadyCommitted' | 'attempts'> {
  const number = (name: string): number => Number(summary[name] ?? 0);
  let recorded: { groups?: number; rowsBefore?: number; rowsAfter?: number } = {};
  try {
    recorded = JSON.parse(summary[COMPACTION_PROPERTY] ?? '{}') as typeof recorded;
  } catch {
    recorded = {};
  }
  return {
    groupsRewritten: recorded.groups ?? 0,
    dataFilesRemoved: number('deleted-data-files'),
    dataFilesAdded: number('added-data-files'),
    deleteFilesRemoved: number('removed-delete-files'),
    rowsBefore: recorded.rowsBefore ?? number('deleted-records'),
    rowsAfter: recorded.rowsAfter ?? number('added-records'),
  };
}

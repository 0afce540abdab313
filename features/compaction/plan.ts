import { partitionKey } from '../../iceberg/scan/partition-key.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { contentFileKey } from '../../iceberg/spec/manifest.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { targetFileSizeBytes } from '../../engine/write/table-writer.js';
import { formatByteSize } from '../../iceberg/util/byte-size.js';
import type { FeatureContext } from '../context.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { KeptGroups } from '../../contracts/compaction-summary.js';
import type { CompactionTarget } from './target.js';
import { defined } from '../../contracts/defined.js';

export type { KeptGroups };

/** A partition is rewritten when it has more data files than this (source tables: small ones), or any delete file. */
export const DEFAULT_MIN_FILES = 8;

/** A source table's data file is small, and worth merging, below this share of the target file size (Iceberg's bin-pack default). */
const SMALL_FILE_SHARE = 0.75;

export interface CompactionPlanOptions {
  /** Rewrite a partition holding more than this many data files (source tables: small data files). Default 8. */
  readonly minFiles?: number;
}

export interface PlannedGroup {
  /** The partition's key (spec id and values); in plans recorded by older workers, a source table's data file path. */
  readonly key: string;
  readonly dataFiles: number;
  readonly deleteFiles: number;
  readonly rows: number;
}

/** What the rewrite will do, as of one snapshot. JSON-only: it travels between workflow steps. */
export interface CompactionPlan {
  readonly target: CompactionTarget;
  /** The planned snapshot; the rewrite reads it and commits against it. Null for an empty table. */
  readonly snapshotId: string | null;
  readonly dataFiles: number;
  readonly deleteFiles: number;
  readonly rows: number;
  /** The groups to rewrite (online partitions; a source table's small data files and those with deletes, by partition). */
  readonly groups: readonly PlannedGroup[];
  /** Partitions written with an older partition spec, left alone (a rewrite would move their rows). */
  readonly skippedOtherSpec: number;
  /** The rule's threshold, and the groups it keeps as they are (see KeptGroups). Absent in plans recorded by older workers. */
  readonly minFiles?: number;
  readonly belowThreshold?: number;
  /**
   * Source tables: data files smaller than this many bytes are merged (see `groupTasks`). Absent in
   * plans recorded by older workers, which rewrote only a source table's data files with deletes.
   */
  readonly smallFileBytes?: number;
}

/** Plans the current snapshot of the target and picks what to rewrite. Reads metadata only. */
export async function planCompaction(
  context: Pick<FeatureContext, 'catalog'>,
  target: CompactionTarget,
  options: CompactionPlanOptions = {},
): Promise<CompactionPlan> {
  const table = await context.catalog.loadTable(parseTableIdentifier(target.table));
  const plan = await planScan(table);
  const minFiles = options.minFiles ?? DEFAULT_MIN_FILES;
  const deleteFiles = new Set(
    plan.tasks.flatMap((task) => [...task.positionDeletes, ...task.equalityDeletes].map((ref) => ref.file.filePath)),
  );
  const base = {
    target,
    snapshotId: plan.snapshotId?.toString() ?? null,
    dataFiles: plan.tasks.length,
    deleteFiles: deleteFiles.size,
    rows: plan.tasks.reduce((sum, task) => sum + task.dataFile.recordCount, 0),
  };
  const smallFileBytes = target.kind === 'source' ? Math.floor(targetFileSizeBytes(table.metadata) * SMALL_FILE_SHARE) : undefined;
  const { groups, skippedOtherSpec, belowThreshold } = selectGroups(target, plan, {
    minFiles,
    defaultSpecId: table.metadata.defaultSpecId,
    ...defined({ smallFileBytes }),
  });
  return { ...base, groups, skippedOtherSpec, minFiles, belowThreshold, ...defined({ smallFileBytes }) };
}

/**
 * The groups to rewrite: partitions whose rewritable files (see `groupTasks`) number more than
 * `minFiles` or include one with deletes. Groups of an older partition spec are skipped (counted).
 */
export function selectGroups(
  target: CompactionTarget,
  plan: ScanPlan,
  options: { minFiles: number; defaultSpecId: number; smallFileBytes?: number },
): { groups: PlannedGroup[]; skippedOtherSpec: number; belowThreshold: number } {
  let skippedOtherSpec = 0;
  let belowThreshold = 0;
  const groups: PlannedGroup[] = [];
  // Older workers' source plans rewrite only data files with deletes, each on its own.
  const byCount = target.kind === 'online' || options.smallFileBytes !== undefined;
  for (const [key, tasks] of groupTasks(target, plan, options.smallFileBytes)) {
    const withDeletes = tasks.some(hasDeletes);
    const wanted = byCount ? tasks.length > options.minFiles || withDeletes : withDeletes;
    if (!wanted) {
      belowThreshold += 1;
      continue;
    }
    if (tasks[0]!.specId !== options.defaultSpecId) {
      skippedOtherSpec += 1;
      continue;
    }
    groups.push({
      key,
      dataFiles: tasks.length,
      deleteFiles: deleteFilesOf(tasks).size,
      rows: tasks.reduce((sum, task) => sum + task.dataFile.recordCount, 0),
    });
  }
  return { groups, skippedOtherSpec, belowThreshold };
}

/** `12 partitions have ≤ 8 data files and no delete files (minFiles 8)`: why nothing was rewritten. */
export function describeKeptGroups(kept: KeptGroups): string {
  if (kept.snapshotId === null) return 'the table has no snapshot yet';
  const parts: string[] = [];
  if (kept.kind === 'online') {
    const plural = kept.belowThreshold === 1 ? 'partition has' : 'partitions have';
    parts.push(`${kept.belowThreshold} ${plural} ≤ ${kept.minFiles} data files and no delete files (minFiles ${kept.minFiles})`);
  } else if (kept.smallFileBytes !== undefined) {
    const plural = kept.belowThreshold === 1 ? 'partition has' : 'partitions have';
    parts.push(
      `${kept.belowThreshold} ${plural} ≤ ${kept.minFiles} data files under ${formatByteSize(kept.smallFileBytes)} and no delete files (minFiles ${kept.minFiles}; larger files are left as they are)`,
    );
  } else {
    parts.push(
      `${kept.belowThreshold} data file${kept.belowThreshold === 1 ? '' : 's'} without delete files (a source table is rewritten only where deletes apply)`,
    );
  }
  if (kept.skippedOtherSpec > 0) parts.push(`${kept.skippedOtherSpec} written with an older partition spec, left as they are`);
  return parts.join('; ');
}

/** Delete files the rewrite can drop: those of rewritten data files that apply to no kept data file. */
export function droppableDeleteFiles(rewritten: readonly ScanTask[], kept: readonly ScanTask[]): DataFile[] {
  const stillNeeded = deleteFilesOf(kept);
  return [...deleteFilesOf(rewritten).entries()].filter(([key]) => !stillNeeded.has(key)).map(([, file]) => file);
}

/**
 * The data files a rewrite may take, by group. Online tables: every file, by partition. Source
 * tables: by partition, the files with deletes and those smaller than `smallFileBytes` (a file
 * near the target size gains nothing from a rewrite; a partition with none of these is an empty
 * group). Without `smallFileBytes` (plans of older workers), each source data file on its own.
 */
export function groupTasks(target: CompactionTarget, plan: ScanPlan, smallFileBytes?: number): Map<string, ScanTask[]> {
  const groups = new Map<string, ScanTask[]>();
  for (const task of plan.tasks) {
    if (target.kind === 'source' && smallFileBytes === undefined) {
      groups.set(task.dataFile.filePath, [task]);
      continue;
    }
    const key = partitionKey(task.specId, task.dataFile.partition);
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    if (target.kind === 'online' || hasDeletes(task) || task.dataFile.fileSizeInBytes < smallFileBytes!) group.push(task);
  }
  return groups;
}

export function hasDeletes(task: ScanTask): boolean {
  return task.positionDeletes.length + task.equalityDeletes.length > 0;
}

export function deleteFilesOf(tasks: readonly ScanTask[]): Map<string, DataFile> {
  const files = new Map<string, DataFile>();
  for (const task of tasks)
    for (const ref of [...task.positionDeletes, ...task.equalityDeletes]) files.set(contentFileKey(ref.file), ref.file);
  return files;
}

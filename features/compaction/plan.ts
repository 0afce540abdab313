import { partitionKey } from '../../iceberg/scan/partition-key.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { FeatureContext } from '../context.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { KeptGroups } from '../../contracts/compaction-summary.js';
import type { CompactionTarget } from './target.js';

export type { KeptGroups };

/** An online partition is rewritten when it has more data files than this (or any delete file). */
export const DEFAULT_MIN_FILES = 8;

export interface CompactionPlanOptions {
  /** Online tables: rewrite a partition holding more than this many data files. Default 8. */
  readonly minFiles?: number;
}

export interface PlannedGroup {
  /** The partition's key (spec id and values), or for a source table the data file's path. */
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
  /** The groups to rewrite into one file each (online partitions; source data files with deletes). */
  readonly groups: readonly PlannedGroup[];
  /** Partitions written with an older partition spec, left alone (a rewrite would move their rows). */
  readonly skippedOtherSpec: number;
  /** The rule's threshold, and the groups it keeps as they are (see KeptGroups). Absent in plans recorded by older workers. */
  readonly minFiles?: number;
  readonly belowThreshold?: number;
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
  const { groups, skippedOtherSpec, belowThreshold } = selectGroups(target, plan, {
    minFiles,
    defaultSpecId: table.metadata.defaultSpecId,
  });
  return { ...base, groups, skippedOtherSpec, minFiles, belowThreshold };
}

/**
 * The groups to rewrite: online partitions with more than `minFiles` data files or any delete
 * file; source data files with deletes. Groups of an older partition spec are skipped (counted).
 */
export function selectGroups(
  target: CompactionTarget,
  plan: ScanPlan,
  options: { minFiles: number; defaultSpecId: number },
): { groups: PlannedGroup[]; skippedOtherSpec: number; belowThreshold: number } {
  let skippedOtherSpec = 0;
  let belowThreshold = 0;
  const groups: PlannedGroup[] = [];
  for (const [key, tasks] of groupTasks(target, plan)) {
    const withDeletes = tasks.some(hasDeletes);
    const wanted = target.kind === 'online' ? tasks.length > options.minFiles || withDeletes : withDeletes;
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
  return [...deleteFilesOf(rewritten).values()].filter((file) => !stillNeeded.has(file.filePath));
}

/** Online tables group by partition; source tables rewrite each data file with deletes on its own. */
export function groupTasks(target: CompactionTarget, plan: ScanPlan): Map<string, ScanTask[]> {
  const groups = new Map<string, ScanTask[]>();
  for (const task of plan.tasks) {
    const key = target.kind === 'online' ? partitionKey(task.specId, task.dataFile.partition) : task.dataFile.filePath;
    const group = groups.get(key);
    if (group) group.push(task);
    else groups.set(key, [task]);
  }
  return groups;
}

export function hasDeletes(task: ScanTask): boolean {
  return task.positionDeletes.length + task.equalityDeletes.length > 0;
}

export function deleteFilesOf(tasks: readonly ScanTask[]): Map<string, DataFile> {
  const files = new Map<string, DataFile>();
  for (const task of tasks) for (const ref of [...task.positionDeletes, ...task.equalityDeletes]) files.set(ref.file.filePath, ref.file);
  return files;
}

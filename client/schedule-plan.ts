import type { ScheduleOptions, ScheduleOverlapPolicy, ScheduleSpec } from '@temporalio/client';
import type { CompactOptions, CompactTarget } from '../contracts/compact.js';
import type { ConsistencyInput } from '../contracts/consistency.js';
import { compactScheduleId, compactSourceScheduleId, consistencyScheduleId, materializeScheduleId } from '../contracts/ids.js';
import type { MaterializeInput } from '../contracts/materialize.js';
import { FLOE_FEATURE_VIEW } from '../contracts/search-attributes.js';
import type {
  CompactionScheduleDefinition,
  Duration,
  FeatureViewDefinition,
  IcebergSourceDefinition,
  OverlapPolicyName,
  ScheduleDefinition,
} from '../features/definitions.js';
import { durationSeconds } from '../features/definitions.js';
import type { Registry } from '../features/registry.js';
import { defined } from '../contracts/defined.js';

/**
 * The Temporal Schedule of a feature view, from its `schedule` definition: it starts `materialize`
 * with only the view and a lookback, so each run ends at its scheduled time and starts at the
 * view's watermark (see workflows/materialize.ts). A Backfill from the schedule's page in the
 * Temporal UI therefore replays exactly the windows the schedule would have run.
 */
export function schedulePlan(view: FeatureViewDefinition, options: { taskQueue: string }): ScheduleOptions | undefined {
  const schedule = view.schedule;
  if (schedule === undefined) return undefined;
  const input: MaterializeInput = { featureView: view.name, lookbackSeconds: lookbackSeconds(schedule) };
  const scheduleId = materializeScheduleId(view.name);
  return {
    scheduleId,
    spec: scheduleSpec(schedule),
    action: {
      type: 'startWorkflow',
      workflowType: 'materialize',
      // Temporal appends the scheduled time, so each run's id (and commit key) is that time's.
      workflowId: scheduleId,
      taskQueue: options.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: FLOE_FEATURE_VIEW, value: view.name }],
    },
    policies: {
      overlap: OVERLAP[schedule.overlap],
      catchupWindow: `${durationSeconds(schedule.catchupWindow) ?? 86_400}s`,
      pauseOnFailure: false,
    },
    memo: { floeFeatureView: view.name },
    state: { paused: schedule.paused, note: schedule.paused ? 'created paused by floe schedule apply' : 'created by floe schedule apply' },
  };
}

/**
 * The Temporal Schedule that compacts a view's online table, from its `compaction` definition:
 * the compact workflow every interval; a run still going when the next is due makes it skip.
 */
export function compactionSchedulePlan(view: FeatureViewDefinition, options: { taskQueue: string }): ScheduleOptions | undefined {
  if (view.compaction === undefined) return undefined;
  return compactSchedule({ featureView: view.name }, view.compaction, { scheduleId: compactScheduleId(view.name), ...options });
}

/** The same for a source's table, from the source's `compaction` definition (small files merged, deletes folded). */
export function sourceCompactionSchedulePlan(source: IcebergSourceDefinition, options: { taskQueue: string }): ScheduleOptions | undefined {
  if (source.compaction === undefined) return undefined;
  return compactSchedule({ table: source.table }, source.compaction, {
    scheduleId: compactSourceScheduleId(source.name),
    source: source.name,
    ...options,
  });
}

/** A schedule of the compact workflow on `target`, labelled with its view (memo and search attribute) or its source (memo). */
function compactSchedule(
  target: CompactTarget,
  compaction: CompactionScheduleDefinition,
  options: { readonly scheduleId: string; readonly taskQueue: string; readonly source?: string },
): ScheduleOptions {
  const retention = durationSeconds(compaction.retention);
  const compactOptions: CompactOptions = {
    ...defined({ minFiles: compaction.minFiles }),
    ...(retention === null ? {} : { retentionSeconds: retention }),
    ...defined({ retainLast: compaction.retainLast }),
  };
  return {
    scheduleId: options.scheduleId,
    spec: {
      intervals: [{ every: seconds(compaction.every), ...(compaction.offset === undefined ? {} : { offset: seconds(compaction.offset) }) }],
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'compact',
      workflowId: options.scheduleId,
      taskQueue: options.taskQueue,
      args: [target, compactOptions],
      ...('featureView' in target ? { typedSearchAttributes: [{ key: FLOE_FEATURE_VIEW, value: target.featureView }] } : {}),
    },
    policies: { overlap: 'SKIP', catchupWindow: '3600s', pauseOnFailure: false },
    memo: 'featureView' in target ? { floeFeatureView: target.featureView } : { floeSource: options.source },
    state: {
      paused: compaction.paused,
      note: compaction.paused ? 'created paused by floe schedule apply' : 'created by floe schedule apply',
    },
  };
}

/**
 * The Temporal Schedule that checks a view's online/offline consistency, from its `consistency`
 * definition: the consistency workflow every interval (its seed comes from each run's id, so runs
 * sample other entities); a run still going when the next is due makes it skip.
 */
export function consistencySchedulePlan(view: FeatureViewDefinition, options: { taskQueue: string }): ScheduleOptions | undefined {
  const consistency = view.consistency;
  if (consistency === undefined) return undefined;
  const input: ConsistencyInput = {
    featureView: view.name,
    ...defined({ sample: consistency.sample, examples: consistency.examples }),
  };
  const scheduleId = consistencyScheduleId(view.name);
  return {
    scheduleId,
    spec: {
      intervals: [
        { every: seconds(consistency.every), ...(consistency.offset === undefined ? {} : { offset: seconds(consistency.offset) }) },
      ],
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'consistency',
      workflowId: scheduleId,
      taskQueue: options.taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: FLOE_FEATURE_VIEW, value: view.name }],
    },
    policies: { overlap: 'SKIP', catchupWindow: '3600s', pauseOnFailure: false },
    memo: { floeFeatureView: view.name },
    state: {
      paused: consistency.paused,
      note: consistency.paused ? 'created paused by floe schedule apply' : 'created by floe schedule apply',
    },
  };
}

/**
 * Every view's materialize schedule, then every view's compaction schedule, every source's, then
 * every view's consistency check's, each in name order.
 */
export function schedulePlans(registry: Registry, options: { taskQueue: string }): ScheduleOptions[] {
  const views = [...registry.featureViews.values()].sort((a, b) => a.name.localeCompare(b.name));
  const sources = [...registry.sources.values()].sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...views.flatMap((view) => schedulePlan(view, options) ?? []),
    ...views.flatMap((view) => compactionSchedulePlan(view, options) ?? []),
    ...sources.flatMap((source) => sourceCompactionSchedulePlan(source, options) ?? []),
    ...views.flatMap((view) => consistencySchedulePlan(view, options) ?? []),
  ];
}

/** How far back a run reaches when it cannot start at the watermark: initialWindow, else the interval. */
export function lookbackSeconds(schedule: ScheduleDefinition): number {
  const seconds = durationSeconds(schedule.initialWindow) ?? durationSeconds(schedule.every);
  // The definition's validation guarantees one of them for interval and cron schedules alike.
  return seconds ?? 3_600;
}

function scheduleSpec(schedule: ScheduleDefinition): ScheduleSpec {
  if (schedule.cron !== undefined) return { cronExpressions: [...schedule.cron], timezone: 'UTC' };
  return {
    intervals: [{ every: seconds(schedule.every), ...(schedule.offset === undefined ? {} : { offset: seconds(schedule.offset) }) }],
  };
}

function seconds(value: Duration | undefined): `${number}s` {
  return `${durationSeconds(value) ?? 0}s`;
}

const OVERLAP: Readonly<Record<OverlapPolicyName, ScheduleOverlapPolicy>> = {
  skip: 'SKIP',
  bufferOne: 'BUFFER_ONE',
  bufferAll: 'BUFFER_ALL',
  cancelOther: 'CANCEL_OTHER',
  terminateOther: 'TERMINATE_OTHER',
};

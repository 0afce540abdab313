import type { Client, ScheduleDescription, ScheduleOptions } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import {
  compactScheduleId,
  compactSourceScheduleId,
  consistencyScheduleId,
  materializeScheduleId,
  viewScheduleId,
} from '../contracts/ids.js';
import type { ViewSchedule } from '../contracts/ids.js';
import { FloeError } from '../core/errors.js';
import { isoMillis } from '../contracts/instants.js';

export const SCHEDULE_ID_PREFIX = materializeScheduleId('');
export const COMPACT_SCHEDULE_ID_PREFIX = compactScheduleId('');
export const CONSISTENCY_SCHEDULE_ID_PREFIX = consistencyScheduleId('');

const SOURCE_COMPACT_SCHEDULE_ID_PREFIX = compactSourceScheduleId('');

/** What a Floe schedule id names: a feature view (materialize, compact or consistency), or a source (its compaction). */
function subjectOf(scheduleId: string): ScheduleSubject {
  if (scheduleId.startsWith(SOURCE_COMPACT_SCHEDULE_ID_PREFIX))
    return { featureView: null, source: scheduleId.slice(SOURCE_COMPACT_SCHEDULE_ID_PREFIX.length) };
  for (const prefix of [COMPACT_SCHEDULE_ID_PREFIX, CONSISTENCY_SCHEDULE_ID_PREFIX])
    if (scheduleId.startsWith(prefix)) return { featureView: scheduleId.slice(prefix.length) };
  return { featureView: scheduleId.slice(SCHEDULE_ID_PREFIX.length) };
}

/** The view a schedule works for, or null and the source whose table it compacts. */
export type ScheduleSubject = { readonly featureView: string } | { readonly featureView: null; readonly source: string };

export type AppliedSchedule = {
  readonly scheduleId: string;
  readonly outcome: 'created' | 'updated';
} & ScheduleSubject;

/**
 * Creates each planned schedule, or updates the one that exists to match the definition (its spec,
 * action and policies). An existing schedule keeps its paused state: pausing is an operator's
 * decision (`floe schedule pause`, or the UI), not the definition's.
 */
export async function applySchedules(client: Client, plans: readonly ScheduleOptions[]): Promise<AppliedSchedule[]> {
  const applied: AppliedSchedule[] = [];
  for (const plan of plans) {
    const subject = subjectOf(plan.scheduleId);
    try {
      await client.schedule.create(plan);
      applied.push({ scheduleId: plan.scheduleId, ...subject, outcome: 'created' });
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(plan.scheduleId).update((previous) => ({
        ...previous,
        spec: plan.spec,
        action: plan.action,
        policies: { ...previous.policies, ...plan.policies },
        state: { ...previous.state, note: previous.state.paused ? previous.state.note : 'updated by floe schedule apply' },
      }));
      applied.push({ scheduleId: plan.scheduleId, ...subject, outcome: 'updated' });
    }
  }
  return applied;
}

export type ScheduleStatus = ScheduleState & { readonly recentRuns: readonly RecentRun[] };

interface ScheduleDetails {
  readonly scheduleId: string;
  readonly paused: boolean;
  readonly note: string | undefined;
  readonly spec: string;
  readonly nextRuns: readonly string[];
}

/** A schedule as the server describes it; with its last runs (oldest first), a ScheduleStatus. */
type ScheduleState = ScheduleDetails & ScheduleSubject;

export interface RecentRun {
  readonly scheduledAt: string;
  readonly workflowId: string;
  /** Temporal's status of that run, lower case: running, completed, failed, cancelled, terminated, timed_out…; `unknown` once the server has forgotten it. */
  readonly status: string;
}

/** How many of a schedule's last runs `listSchedules` reports. */
const RECENT_RUNS = 3;

/** Every Floe schedule on the server (materialize, compact and consistency, by id prefix), with its state and next runs. */
export async function listSchedules(client: Client): Promise<ScheduleStatus[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list())
    if (
      [SCHEDULE_ID_PREFIX, COMPACT_SCHEDULE_ID_PREFIX, CONSISTENCY_SCHEDULE_ID_PREFIX].some((prefix) =>
        summary.scheduleId.startsWith(prefix),
      )
    )
      ids.push(summary.scheduleId);
  ids.sort();
  return Promise.all(
    ids.map(async (scheduleId) => {
      const description = await client.schedule.getHandle(scheduleId).describe();
      return { ...describeSchedule(scheduleId, description), recentRuns: await recentRuns(client, description) };
    }),
  );
}

/** The schedule's last runs with each one's status, as the server knows it now. */
async function recentRuns(client: Client, description: ScheduleDescription): Promise<RecentRun[]> {
  return Promise.all(
    description.info.recentActions.slice(-RECENT_RUNS).map(async ({ scheduledAt, action }) => {
      const status = await client.workflow
        .getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId)
        .describe()
        .then((run) => run.status.name.toLowerCase())
        .catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return 'unknown';
          throw error;
        });
      return { scheduledAt: isoMillis(scheduledAt.getTime()), workflowId: action.workflow.workflowId, status };
    }),
  );
}

/** A view's schedule (its materialize schedule unless `schedule` says otherwise), or a source's compaction schedule. */
export type PausableSchedule = { readonly featureView: string; readonly schedule?: ViewSchedule } | { readonly source: string };

/** Pauses or resumes one schedule of a view, or a source's compaction schedule. */
export async function setSchedulePaused(client: Client, subject: PausableSchedule, paused: boolean, note?: string): Promise<void> {
  const handle = client.schedule.getHandle(
    'featureView' in subject
      ? viewScheduleId(subject.featureView, subject.schedule ?? 'materialize')
      : compactSourceScheduleId(subject.source),
  );
  try {
    if (paused) await handle.pause(note ?? 'paused by floe schedule pause');
    else await handle.unpause(note ?? 'resumed by floe schedule resume');
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      const whose =
        'featureView' in subject
          ? `the ${subject.schedule ?? 'materialize'} schedule of feature view ${subject.featureView}`
          : `source ${subject.source}`;
      throw new FloeError('not-found', `No schedule ${handle.scheduleId} for ${whose}; define it and run \`floe schedule apply\` first`, {
        context: { ...subject },
        cause: error,
      });
    }
    throw error;
  }
}

function describeSchedule(scheduleId: string, description: ScheduleDescription): ScheduleState {
  const { spec } = description;
  const every = spec.intervals?.map((interval) => `every ${humanDuration(Number(interval.every))}`) ?? [];
  const cron = spec.calendars?.length ? [`${spec.calendars.length} calendar spec(s)`] : [];
  const cronStrings = (spec as { cronExpressions?: string[] }).cronExpressions ?? [];
  return {
    scheduleId,
    ...subjectOf(scheduleId),
    paused: description.state.paused,
    note: description.state.note,
    spec: [...every, ...cronStrings.map((expression) => `cron ${expression}`), ...cron].join('; ') || '(none)',
    nextRuns: description.info.nextActionTimes.slice(0, 3).map((time) => isoMillis(time.getTime())),
  };
}

/** 43_200_000 → `12h`, 5_400_000 → `1h30m`. */
function humanDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || `${ms}ms`;
}

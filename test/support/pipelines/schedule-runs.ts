// Following a feature view's Temporal Schedule in tests: its runs' results, when it is idle, and
// source rows around the present for windows that end at a trigger's time.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ScheduleHandle } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { ScheduleStatus } from '../../../client/schedules.js';
import { listSchedules } from '../../../client/schedules.js';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import type { DriverStatsRow } from '../driver-stats.js';

const HOUR = 3_600_000;

/** Rows for 12 drivers every 10 minutes over the last 3 hours (and a few in the next hour). */
export function recentRows(now: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
  for (let driver = 2001; driver <= 2012; driver++) {
    for (let time = start + driver * 1000, report = 0; time < now + HOUR; time += 10 * 60_000, report++) {
      rows.push({
        driver_id: driver,
        conv_rate: ((driver * 13 + report * 7) % 100) / 100,
        acc_rate: ((driver * 17 + report * 3) % 100) / 100,
        avg_daily_trips: driver + report,
        event_timestamp: new Date(time).toISOString(),
        created: new Date(time + 5_000).toISOString(),
      });
    }
  }
  return rows;
}

/** The result of the schedule's `count`-th run (by its recent actions), once it has finished. */
export async function nextRunResult(
  client: Client,
  scheduleId: string,
  count: number,
): Promise<MaterializeResult & { workflowId: string }> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const description = await client.schedule.getHandle(scheduleId).describe();
    const action = description.info.recentActions[count - 1];
    if (action) {
      const workflowId = action.action.workflow.workflowId;
      const result: MaterializeResult = await client.workflow.getHandle(workflowId, action.action.workflow.firstExecutionRunId).result();
      return { ...result, workflowId };
    }
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not start run ${count}`);
}

/**
 * Triggers the schedule again after a run that ended at `previousEnd` (its trigger's time). Temporal
 * names a triggered run by its scheduled time in whole seconds, so a second trigger in the same second
 * is the same run: it ends where the first did, a window already covered.
 */
export async function triggerAfter(handle: ScheduleHandle, previousEnd: string): Promise<void> {
  await sleep(Math.max(0, Date.parse(previousEnd) + 1_000 - Date.now()));
  await handle.trigger();
}

/** Waits until the schedule has taken `actions` actions in all and none is running. */
export async function waitForScheduleIdle(client: Client, scheduleId: string, actions: number): Promise<void> {
  for (let attempt = 0; attempt < 1_500; attempt++) {
    const { info } = await client.schedule.getHandle(scheduleId).describe();
    if (info.numActionsTaken >= actions && info.runningActions.length === 0) {
      const last = info.recentActions.at(-1);
      if (last) {
        const result = await client.workflow
          .getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId)
          .describe();
        if (result.status.name === 'COMPLETED') return;
        if (result.status.name !== 'RUNNING')
          throw new Error(`schedule run ${last.action.workflow.workflowId} ended ${result.status.name}`);
      }
    }
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not finish ${actions} actions`);
}

export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
}

/**
 * The schedule as `listSchedules` reports it, once the server's list shows it: the list reads
 * Temporal's visibility store, which can lag a moment behind the create (seen under load).
 */
export async function listedSchedule(client: Client, scheduleId: string): Promise<ScheduleStatus> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const listed = (await listSchedules(client)).find((schedule) => schedule.scheduleId === scheduleId);
    if (listed) return listed;
    await sleep(100);
  }
  throw new Error(`schedule ${scheduleId} is not listed`);
}

/** Whether the schedule is paused, and its note, as Temporal describes it. */
export async function pausedState(client: Client, scheduleId: string): Promise<[boolean, string | undefined]> {
  const described = await client.schedule.getHandle(scheduleId).describe();
  return [described.state.paused, described.state.note];
}

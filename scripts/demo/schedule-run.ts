// Triggers a Temporal Schedule once and waits for the workflow run it starts, as an operator's
// "Trigger" button in the Temporal UI would.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';

export async function runScheduleOnce(
  client: Client,
  scheduleId: string,
  timeoutMs = 60_000,
): Promise<{ workflowId: string; result: unknown }> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = new Set((await handle.describe()).info.recentActions.map((action) => action.action.workflow.workflowId));
  await handle.trigger();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = (await handle.describe()).info.recentActions
      .map((action) => action.action.workflow)
      .find((workflow) => !before.has(workflow.workflowId));
    if (started !== undefined)
      return {
        workflowId: started.workflowId,
        result: await client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result(),
      };
    if (Date.now() > deadline) throw new Error(`Schedule ${scheduleId} started no run within ${timeoutMs / 1000}s of being triggered`);
    await sleep(250);
  }
}

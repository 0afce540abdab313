// bench materialize reads the orchestration overhead as wall time less the activities' run time, so
// a local activity's time must come out right: its marker's complete_time is the workflow's time at
// its workflow task's start plus the last attempt's run time, not a wall-clock instant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activityMillis } from '../../../bench/_pipelines.js';
import { eventMillis, loadRecordedHistories, localActivityRuns } from '../../support/histories.js';

async function recorded(file: string) {
  const found = (await loadRecordedHistories()).find((history) => history.file === `${file}.json`);
  assert.ok(found, `no recorded history ${file}`);
  return found.history;
}

test('each local activity runs within the workflow task that records it', async () => {
  const history = await recorded('materialize-from-watermark-local-steps');
  const runs = localActivityRuns(history);
  assert.deepEqual(
    runs.map((run) => [run.activityType, run.attempt]),
    [
      ['readWatermark', 1],
      ['commitOnline', 1],
    ],
  );
  const events = history.events ?? [];
  const tasks = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  runs.forEach((run, index) => {
    const completedId = Number(tasks[index]!.markerRecordedEventAttributes!.workflowTaskCompletedEventId);
    const started = events.find((event) => Number(event.eventId) === completedId - 1)!;
    const completed = events.find((event) => Number(event.eventId) === completedId)!;
    assert.ok(
      run.ms > 0 && run.ms < eventMillis(completed.eventTime) - eventMillis(started.eventTime),
      `${run.activityType} took ${run.ms} ms`,
    );
  });
});

test("a retried local activity reports its last attempt's run time, not the backoffs between attempts", async () => {
  const [run] = localActivityRuns(await recorded('materialize-transient-failure-local-commit'));
  assert.equal(run?.attempt, 3);
  assert.ok(run.ms > 0 && run.ms < 1_000, `the last attempt took ${run.ms} ms (its backoffs: 1 s and 2 s)`);
});

test('activityMillis adds the local activities to the activities', async () => {
  const history = await recorded('materialize-committed-locally');
  const [commit] = localActivityRuns(history);
  const prepare = (history.events ?? []).filter((event) => event.activityTaskCompletedEventAttributes).length;
  assert.equal(prepare, 1);
  assert.ok(commit !== undefined);
  assert.ok(activityMillis(history) > commit.ms);
});

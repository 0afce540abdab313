// What a stopping worker says it waits for: each activity in flight through the interceptor, its
// table from the input (a feature view's online table, or a `table` field), and since when.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Context } from '@temporalio/activity';
import { Registry } from '../../../features/registry.js';
import { InFlightActivities } from '../../../workers/in-flight-activities.js';
import { driverDefinitions, VIEW } from '../../support/pipelines/definitions.js';

const registry = new Registry(driverDefinitions('rides.driver_stats'), { onlineNamespace: 'floe_online' });

function contextOf(activityType: string, attempt: number): Context {
  return { info: { activityType, attempt, workflowExecution: { workflowId: `wf-${activityType}`, runId: 'r' } } } as unknown as Context;
}

test('an activity is named with its workflow, table, attempt and start while it runs, and forgotten once it ends', async () => {
  let clock = Date.parse('2026-01-02T03:04:05Z');
  const inFlight = new InFlightActivities(registry, () => new Date(clock));
  let finishCommit!: () => void;
  const commit = inFlight.interceptor(contextOf('commitOnline', 2)).inbound!.execute!(
    { args: [{ featureView: VIEW, start: 'a', end: 'b' }], headers: {} },
    () => new Promise((resolve) => (finishCommit = () => resolve(null))),
  );
  clock += 1_000;
  const expire = inFlight.interceptor(contextOf('expireSnapshots', 1)).inbound!.execute!(
    { args: [{ table: 'rides.driver_stats' }], headers: {} },
    () => new Promise(() => undefined),
  );
  clock += 11_000;
  assert.equal(inFlight.size, 2);
  assert.deepEqual(inFlight.describe(), [
    'commitOnline (workflow wf-commitOnline, table floe_online.driver_hourly_stats, attempt 2) running since 2026-01-02T03:04:05Z (12 s)',
    'expireSnapshots (workflow wf-expireSnapshots, table rides.driver_stats, attempt 1) running since 2026-01-02T03:04:06Z (11 s)',
  ]);
  finishCommit();
  await commit;
  assert.equal(inFlight.size, 1);
  void expire;
});

test('an input naming no known table leaves the table out', () => {
  const inFlight = new InFlightActivities(registry, () => new Date(0));
  void inFlight.interceptor(contextOf('readWatermark', 1)).inbound!.execute!(
    { args: [{ featureView: 'no_such_view' }], headers: {} },
    () => new Promise(() => undefined),
  );
  assert.deepEqual(inFlight.describe(), ['readWatermark (workflow wf-readWatermark, attempt 1) running since 1970-01-01T00:00:00Z (0 s)']);
});

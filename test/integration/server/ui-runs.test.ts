// services: temporal
// The web UI's runs (issue #57): Floe's workflows on the project's task queue, listed from the real
// Temporal server's visibility API with their state, views, progress and a link to their page in
// the Temporal Web UI; other workflow types and other task queues are left out; a materialize
// started without the FloeFeatureView attribute is known by its input's view and window; a token
// that may read one view sees only that view's runs; a terminated run shows the reason; an
// unreachable Temporal is a 503 that says so.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { temporalRuns } from '../../../cli/server-runs.js';
import { FLOE_FEATURE_VIEW, FLOE_PROGRESS } from '../../../contracts/search-attributes.js';
import { projectConfigSchema } from '../../../features/config.js';
import { OnlineStore } from '../../../features/online/index.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { temporalService } from '../../support/services.js';
import { testRuntime } from '../../support/runtime.js';
import type { Runtime } from '../../../features/runtime.js';
import { UI_AUTH, UI_TOKENS, uiDefinitions } from '../../support/ui/ui-project.js';
import { serverError } from '../../support/server-error.js';
import { Redactor } from '../../../core/redaction.js';

const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const taskQueue = `ui-runs-${randomUUID()}`;
const scratch = scratchFolder('ui-runs');
let connection: Connection;
let client: Client;
let runtime: Runtime;
const servers: FastifyInstance[] = [];
const started: string[] = [];

before(async () => {
  connection = await Connection.connect({ address: temporalService().address });
  client = new Client({ connection, namespace: temporalService().namespace });
  runtime = await testRuntime({
    directory: scratch,
    catalog: { type: 'sql', uri: `sqlite:///${scratch}/catalog.db`, warehouse: `file://${scratch}/warehouse` },
    definitions: uiDefinitions(),
  });
});

after(async () => {
  for (const workflowId of started)
    await client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
  for (const server of servers) await server.close();
  await connection?.close();
  await runtime?.close();
});

/** A feature server whose UI lists runs from Temporal at `address` for this test's task queue. */
async function serverOn(address: string): Promise<string> {
  const config = projectConfigSchema.parse({
    project: 'rides',
    catalog: runtime.project.config.catalog,
    temporal: { address, namespace: temporalService().namespace, taskQueue },
  });
  const runs = temporalRuns(config, { temporalUi: TEMPORAL_UI, redactor: new Redactor() });
  const server = createFeatureServer({
    store: new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
    }),
    auth: UI_AUTH,
    ui: { project: 'rides', registry: runtime.project.registry, freshness: async () => [], runs },
  });
  server.addHook('onClose', async () => runs.close());
  servers.push(server);
  return server.listen({ host: '127.0.0.1', port: 0 });
}

/** Starts a workflow no worker polls for: it stays running, listed by visibility. */
async function start(
  type: string,
  queue: string,
  attributes: { views?: string; progress?: string } = {},
  args: unknown[] = [],
): Promise<string> {
  const workflowId = `ui-runs-${type}-${randomUUID()}`;
  await client.workflow.start(type, {
    taskQueue: queue,
    workflowId,
    args,
    typedSearchAttributes: [
      ...(attributes.views === undefined ? [] : [{ key: FLOE_FEATURE_VIEW, value: attributes.views }]),
      ...(attributes.progress === undefined ? [] : [{ key: FLOE_PROGRESS, value: attributes.progress }]),
    ],
  });
  started.push(workflowId);
  return workflowId;
}

interface RunsAnswer {
  available: boolean;
  runs: {
    workflowId: string;
    runId: string;
    type: string;
    status: string;
    featureViews: string[];
    progress: string | null;
    windows: { start: string; end: string; chunks: number | null }[];
    rows: number | null;
    error: string | null;
    temporalUiUrl: string | null;
    startTime: string;
    closeTime: string | null;
  }[];
}

async function runs(url: string, token: string): Promise<RunsAnswer> {
  const response = await fetch(`${url}/ui/api/runs`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  return (await response.json()) as RunsAnswer;
}

/** The runs listed once `done` holds (visibility is eventually consistent), within 20 s. */
async function listedWhen(url: string, token: string, done: (answer: RunsAnswer) => boolean): Promise<RunsAnswer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await runs(url, token);
    if (done(answer)) return answer;
    assert.ok(attempt < 100, `the runs never matched: ${JSON.stringify(answer)}`);
    await sleep(200);
  }
}

test("Floe's workflows on the project's task queue are listed with state, views, progress and their Temporal UI page", async () => {
  const url = await serverOn(temporalService().address);
  const materialize = await start('materialize', taskQueue, { views: 'driver_hourly' });
  const backfill = await start('backfill', taskQueue, { views: 'driver_live,driver_hourly', progress: '1/4 chunks, 10 rows, running' });
  const live = await start('backfill', taskQueue, { views: 'driver_live' });
  const trainingSet = await start('trainingSet', taskQueue);
  // Started by hand without the FloeFeatureView attribute: its input names its view and window.
  const byHand = await start('materialize', taskQueue, {}, [
    { featureView: 'driver_live', start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' },
  ]);
  await start('somethingElse', taskQueue, { views: 'driver_hourly' });
  await start('materialize', `${taskQueue}-other`, { views: 'driver_hourly' });

  const all = await listedWhen(url, UI_TOKENS.admin, (answer) => answer.runs.length >= 5);
  assert.equal(all.available, true);
  assert.deepEqual(new Set(all.runs.map((run) => run.workflowId)), new Set([materialize, backfill, live, trainingSet, byHand]));
  const fromInput = all.runs.find((run) => run.workflowId === byHand)!;
  assert.deepEqual(
    [fromInput.featureViews, fromInput.windows, fromInput.rows],
    [['driver_live'], [{ start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z', chunks: null }], null],
  );
  const shown = all.runs.find((run) => run.workflowId === backfill)!;
  assert.deepEqual(
    { ...shown, runId: undefined, startTime: undefined },
    {
      workflowId: backfill,
      runId: undefined,
      type: 'backfill',
      status: 'RUNNING',
      featureViews: ['driver_live', 'driver_hourly'],
      progress: '1/4 chunks, 10 rows, running',
      // No worker answers its progress query, and its input is empty: nothing more is known.
      windows: [],
      rows: null,
      error: null,
      temporalUiUrl: `${TEMPORAL_UI}/namespaces/default/workflows/${backfill}/${shown.runId}/history`,
      startTime: undefined,
      closeTime: null,
    },
  );
  assert.match(shown.startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/, 'as Floe prints instants');
  const starts = all.runs.map((run) => Date.parse(run.startTime));
  assert.deepEqual(
    starts,
    [...starts].sort((a, b) => b - a),
    'most recent first',
  );

  // A token that may read driver_live sees the runs of driver_live alone (the one started by hand
  // too, by its input): not one that also names driver_hourly, nor one that names no view.
  const limited = await runs(url, UI_TOKENS.liveReader);
  assert.deepEqual(
    limited.runs.map((run) => run.workflowId),
    [byHand, live],
  );

  await client.workflow.getHandle(materialize).terminate('the test ends it');
  const ended = await listedWhen(
    url,
    UI_TOKENS.admin,
    (answer) => answer.runs.find((run) => run.workflowId === materialize)?.status === 'TERMINATED',
  );
  const terminated = ended.runs.find((run) => run.workflowId === materialize)!;
  assert.match(terminated.closeTime ?? '', /Z$/);
  assert.equal(terminated.error, 'the test ends it');
});

test('an unreachable Temporal is a 503 naming the address', async () => {
  const url = await serverOn('127.0.0.1:1');
  const response = await fetch(`${url}/ui/api/runs`, { headers: { authorization: `Bearer ${UI_TOKENS.admin}` } });
  assert.equal(response.status, 503);
  const { error, message } = serverError(await response.json());
  assert.equal(error, 'temporal-unavailable');
  assert.match(message, /^Cannot list workflow runs: .*127\.0\.0\.1:1/);
  const refused = await fetch(`${url}/ui/api/runs`);
  assert.equal(refused.status, 401);
});

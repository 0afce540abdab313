// services: temporal
// POST /materialize and /materialize-incremental (Feast's routes) start the `materialize` workflow
// with the ids and inputs `floe materialize` and `floe materialize-incremental` use, on the real
// Temporal server: with `?async=true` answered 202 once started, without (Feast 0.67's client's
// materialize) 200 once finished and read by the server. Without a Temporal client, or with
// Temporal unreachable, they answer 503 naming it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { temporalMaterializer } from '../../../cli/server-materializer.js';
import { incrementalWorkflowId, materializeWorkflowId } from '../../../contracts/ids.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { Project } from '../../../features/project.js';
import type { Runtime } from '../../../features/runtime.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { testRuntime } from '../../support/runtime.js';
import { serverError } from '../../support/server-error.js';
import { temporalService } from '../../support/services.js';
import { startTestWorker } from '../../support/temporal.js';
import type { TestWorker } from '../../support/temporal.js';
import { appendSource, createEmptySourceTable, definitions, sqlCase, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');

const scratch = scratchFolder('server-materialize');
let runtime: Runtime;
let worker: TestWorker;
const servers: FastifyInstance[] = [];

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: sqlCase(scratch).config,
    definitions: definitions('rides.driver_stats', { buckets: 4 }),
  });
  await createEmptySourceTable(runtime.catalog, 'rides.driver_stats');
  await appendSource(
    {
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.project.config.workDirectory,
    },
    'rides.driver_stats',
    [
      { driver_id: 1001, conv_rate: 0.25, trips: 7, event: START + HOUR, created: START + HOUR },
      { driver_id: 1002, conv_rate: 0.5, trips: 3, event: START + 30 * HOUR, created: START + 30 * HOUR },
    ],
  );
  worker = await startTestWorker(runtime);
});

after(async () => {
  for (const server of servers) await server.close();
  await worker?.close();
  await runtime?.close();
});

/** A server over the runtime's store whose materializer talks to `address` on the test worker's task queue. */
async function serve(address: string | undefined): Promise<string> {
  const project: Project = {
    ...runtime.project,
    config: {
      ...runtime.project.config,
      temporal: {
        ...runtime.project.config.temporal,
        address: address ?? '',
        namespace: temporalService().namespace,
        taskQueue: worker.taskQueue,
      },
    },
  };
  const materializer = address === undefined ? undefined : temporalMaterializer(project);
  const store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine });
  const server = createFeatureServer({
    store,
    ...defined({ materializer }),
  });
  if (materializer !== undefined) server.addHook('onClose', async () => materializer.close());
  servers.push(server);
  return server.listen({ host: '127.0.0.1', port: 0 });
}

async function post(base: string, route: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('POST /materialize and /materialize-incremental', () => {
  test("start the CLI's workflows, answer with their ids, and the rows are then read online", async () => {
    const base = await serve(temporalService().address);
    const window = { start: new Date(START).toISOString(), end: new Date(START + 24 * HOUR).toISOString() };
    const started = await post(base, '/materialize?async=true', {
      start_ts: window.start,
      end_ts: window.end,
      feature_views: [VIEW],
      full_feature_names: false,
    });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    const id = materializeWorkflowId(VIEW, window.start, window.end);
    assert.deepEqual((started.json as { feature_views: string[] }).feature_views, [VIEW]);
    const workflows = (started.json as { workflows: { feature_view: string; workflow_id: string; run_id: string }[] }).workflows;
    assert.equal(workflows[0]!.workflow_id, id);
    await worker.client.workflow.getHandle(id).result();
    const read = async () =>
      (await post(base, '/get-online-features', { features: [`${VIEW}:trips`], entities: { driver_id: [1001, 1002] } })).json as {
        results: { values: unknown[] }[];
      };
    assert.deepEqual((await read()).results[1]!.values, [7, null]);

    // Without async: answered once the workflow has finished, and this server reads its rows at once.
    const end = new Date(START + 48 * HOUR).toISOString();
    const incremental = await post(base, '/materialize-incremental', { end_ts: end, feature_views: [VIEW] });
    assert.equal(incremental.status, 200, JSON.stringify(incremental.json));
    assert.equal((incremental.json as { status: string }).status, 'completed');
    const incrementalId = incrementalWorkflowId(VIEW, end);
    assert.equal((incremental.json as { workflows: { workflow_id: string }[] }).workflows[0]!.workflow_id, incrementalId);
    assert.deepEqual((await read()).results[1]!.values, [7, 3]);

    // The same request again runs under the same id, which commits nothing twice.
    const again = await post(base, '/materialize-incremental?async=true', { end_ts: end, feature_views: [VIEW] });
    assert.equal(again.status, 202);
    assert.equal((again.json as { workflows: { workflow_id: string }[] }).workflows[0]!.workflow_id, incrementalId);
  });

  test('a bad body is a 400 naming the field', async () => {
    const base = await serve(temporalService().address);
    const cases: [string, unknown, RegExp][] = [
      [
        '/materialize',
        { start_ts: '2024-05-02T00:00:00Z', end_ts: '2024-05-01T00:00:00Z' },
        /end_ts 2024-05-01T00:00:00Z must be after start_ts/,
      ],
      ['/materialize', { start_ts: 'yesterday', end_ts: '2024-05-01T00:00:00Z' }, /start_ts "yesterday" is not an ISO-8601 instant/],
      ['/materialize', { end_ts: '2024-05-01T00:00:00Z' }, /start_ts: /],
      ['/materialize-incremental', { end_ts: '2024-05-01T00:00:00Z', feature_views: ['nope'] }, /nope/],
      ['/materialize-incremental', { end_ts: '2024-05-01T00:00:00Z', disable_event_timestamp: true }, /Unrecognized key/],
    ];
    for (const [route, body, message] of cases) {
      const { status, json } = await post(base, route, body);
      assert.ok(status === 400 || status === 404, `${route} ${JSON.stringify(body)}: ${status}`);
      assert.match(serverError(json).message, message);
    }
  });

  test('without a Temporal client, or with Temporal unreachable, a 503 that names what is missing', async () => {
    const none = await post(await serve(undefined), '/materialize', { start_ts: '2024-05-01T00:00:00Z', end_ts: '2024-05-02T00:00:00Z' });
    assert.equal(none.status, 503);
    assert.match(serverError(none.json).message, /created without a Temporal client .*floe\.yaml's temporal section/);
    const unreachable = await post(await serve('127.0.0.1:1'), '/materialize-incremental', { end_ts: '2024-05-02T00:00:00Z' });
    assert.equal(unreachable.status, 503);
    assert.equal(serverError(unreachable.json).error, 'temporal-unavailable');
    assert.match(
      serverError(unreachable.json).message,
      /Cannot reach the Temporal server at 127\.0\.0\.1:1 .*temporal\.address in floe\.yaml/,
    );
  });
});

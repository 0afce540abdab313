// `npm run demo`: Floe's main job on the embedded default. A local warehouse with a SQLite
// catalog, a Temporal dev server started for the demo, a source table of driver statistics, and
// one materialization of its last day into the online table, run as a Temporal workflow.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime as TemporalRuntime } from '@temporalio/worker';
import { appendQuery } from '../engine/append-query.js';
import { OnlineStore, responseRows } from '../features/online/index.js';
import { loadProject } from '../features/project.js';
import { parseTableIdentifier } from '../features/registry.js';
import { materializeWorkflowId } from '../workflows/ids.js';
import type { MaterializeResult } from '../workflows/materialize.js';
import { createRuntime } from '../workers/runtime.js';
import { createWorker } from '../workers/worker.js';
import { startTemporal } from './services/temporal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projectDirectory = path.join(root, 'examples', 'quickstart');
const demoDirectory = path.join(root, '.floe', 'demo');
const exitWhenDone = process.argv.includes('--exit') || !process.stdout.isTTY;
const DAY = 86_400_000;

const step = (text: string): void => console.log(`\n▸ ${text}`);
// The worker's own progress lines would drown the story; warnings and errors still show.
TemporalRuntime.install({ logger: new DefaultLogger('WARN') });

console.log('Floe demo: Iceberg tables → Temporal workflow → DuckDB → online Iceberg table');
await rm(demoDirectory, { recursive: true, force: true });
await mkdir(demoDirectory, { recursive: true });

step('Starting a Temporal dev server (the first run builds the Temporal CLI, ~8 minutes)');
const temporal = await startTemporal(demoDirectory);
const address = temporal.env.FLOE_TEST_TEMPORAL_ADDRESS!;
const uiUrl = temporal.env.FLOE_TEST_TEMPORAL_UI_URL!;
console.log(`  Temporal ${address}, Web UI ${uiUrl}`);

Object.assign(process.env, {
  FLOE_TEMPORAL_ADDRESS: address,
  FLOE_CATALOG_URI: path.join(demoDirectory, 'catalog.db'),
  FLOE_WAREHOUSE: path.join(demoDirectory, 'warehouse'),
  FLOE_TASK_QUEUE: 'floe-demo',
  FLOE_WORK_DIRECTORY: path.join(demoDirectory, 'work'),
});
const project = await loadProject(projectDirectory);
const runtime = await createRuntime(project);
const workerConnection = await NativeConnection.connect({ address });
const clientConnection = await Connection.connect({ address });
let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
let running: Promise<void> | undefined;
try {
  const { catalog, engine, registry } = { ...runtime, registry: project.registry };
  const view = registry.featureView('driver_hourly_stats');
  const source = registry.sourceOf(view);
  const sourceId = parseTableIdentifier(source.table);
  const end = Math.floor(Date.now() / DAY) * DAY;
  const start = end - 7 * DAY;

  step(`Creating the source table ${source.table} (SQLite catalog ${process.env.FLOE_CATALOG_URI})`);
  await catalog.createNamespace(sourceId.namespace);
  await catalog.createTable(sourceId, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'driver_id', type: 'long', required: true },
        { id: 2, name: 'conv_rate', type: 'double', required: false },
        { id: 3, name: 'acc_rate', type: 'double', required: false },
        { id: 4, name: 'avg_daily_trips', type: 'long', required: false },
        { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
        { id: 6, name: 'created', type: 'timestamptz', required: false },
      ],
    },
    partitionSpec: { specId: 0, fields: [{ sourceId: 5, fieldId: 1000, name: 'event_timestamp_day', transform: 'day' }] },
  });
  // 50 drivers reporting hourly for a week; values vary by driver and hour, reproducibly.
  const generated = await appendQuery({
    catalog,
    engine,
    identifier: sourceId,
    workDirectory: project.config.workDirectory,
    query: `
      SELECT driver_id,
             (hash(driver_id, hour, 'conv') % 1000) / 1000.0 AS conv_rate,
             (hash(driver_id, hour, 'acc') % 1000) / 1000.0 AS acc_rate,
             (hash(driver_id, hour, 'trips') % 200)::BIGINT AS avg_daily_trips,
             to_timestamp(${start / 1000} + hour * 3600) AS event_timestamp,
             to_timestamp(${start / 1000} + hour * 3600 + 300) AS created
      FROM range(1001, 1051) AS drivers(driver_id), range(0, 7 * 24) AS hours(hour)`,
  });
  console.log(`  8,400 rows in ${generated.dataFiles} data files partitioned by day(event_timestamp); snapshot ${generated.snapshotId}`);

  step(`Starting a Floe worker on task queue ${project.config.temporal.taskQueue}`);
  worker = await createWorker(runtime, { connection: workerConnection });
  running = worker.run();

  const window = { start: new Date(end - DAY).toISOString(), end: new Date(end).toISOString() };
  const workflowId = materializeWorkflowId(view.name, window.start, window.end);
  step(`Materializing ${view.name} for [${window.start}, ${window.end}) as workflow ${workflowId}`);
  const client = new Client({ connection: clientConnection, namespace: project.config.temporal.namespace });
  const result: MaterializeResult = await client.workflow.execute('materialize', {
    taskQueue: project.config.temporal.taskQueue,
    workflowId,
    args: [{ featureView: view.name, ...window }],
  });
  console.log(`  source snapshot ${result.sourceSnapshotId}: ${result.scan.mode} scan of ${result.scan.dataFiles} data files (${result.scan.dataRecords} rows)`);
  console.log(`  latest row of ${result.rows} drivers → ${result.dataFiles} files in bucket partitions of ${registry.onlineTableOf(view).namespace.join('.')}.${view.name}`);
  console.log(`  committed online snapshot ${result.onlineSnapshotId}`);

  step('Online features of drivers 1001–1005 (getOnlineFeatures: their bucket files only, TTL applied)');
  const store = new OnlineStore({ registry, catalog, engine });
  const online = await store.getOnlineFeatures({ features: [view.name], entityRows: [1001, 1002, 1003, 1004, 1005].map((driver_id) => ({ driver_id })) });
  console.table(responseRows(online).map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, typeof value === 'bigint' ? Number(value) : value]))));
  console.log(`  read ${online.reads[0]!.filesRead.length} of ${online.reads[0]!.dataFiles} data files; serve them over HTTP with \`floe serve --project examples/quickstart\``);

  step('Where to look');
  console.log(`  Temporal Web UI: ${uiUrl}/namespaces/${project.config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`);
  console.log(`  Warehouse: ${process.env.FLOE_WAREHOUSE}`);
  if (!exitWhenDone) {
    console.log('\nThe Temporal dev server keeps running so you can browse the UI; press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} finally {
  worker?.shutdown();
  await running;
  await clientConnection.close();
  await workerConnection.close();
  await runtime.close();
  for (const managed of temporal.processes) await managed.stop();
}

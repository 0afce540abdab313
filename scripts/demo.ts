// `npm run demo`: Floe's whole story on the embedded default. A local warehouse with a SQLite
// catalog and a Temporal dev server started for the demo: create a source table of driver
// statistics, apply the definitions, backfill the past week, run one scheduled window, compact the
// online table, build a training set, read online features, and print where each workflow is in
// the Temporal UI. Every step goes through the same library code as the CLI command it names.
// FLOE_DEMO_DIR chooses where its state goes (default .floe/demo; emptied at the start).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime as TemporalRuntime } from '@temporalio/worker';
import type { FeatureViewDefinition } from '../features/definitions.js';
import { OnlineStore, responseRows } from '../features/online/index.js';
import { loadProject } from '../features/project.js';
import { applyDefinitions } from '../features/registry-store/apply.js';
import { parseTableIdentifier } from '../iceberg/catalog/identifier.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import { shellQuote } from '../cli/follow.js';
import { schedulePlan } from '../client/schedule-plan.js';
import { applySchedules } from '../client/schedules.js';
import type { backfill } from '../workflows/backfill.js';
import type { BackfillInput, BackfillProgress } from '../contracts/backfill.js';
import type { CompactResult } from '../contracts/compact.js';
import type { compact } from '../workflows/compact.js';
import { backfillWorkflowId, compactWorkflowId, trainingSetWorkflowId } from '../contracts/ids.js';
import { printedInstant } from '../contracts/instants.js';
import type { MaterializeResult } from '../contracts/materialize.js';
import type { trainingSet } from '../workflows/training-set.js';
import type { TrainingSetInput } from '../contracts/training-set.js';
import { openRuntime } from '../features/runtime.js';
import { connectTemporalClient, connectTemporalWorker } from '../workers/temporal-connection.js';
import { createWorker } from '../workers/worker.js';
import { createDriverStats, firstRows, writeEntityRows } from './demo/sample-data.js';
import { runScheduleOnce } from './demo/schedule-run.js';
import { startTemporal } from './services/temporal.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projectDirectory = path.join(root, 'examples', 'quickstart');
const demoDirectory = path.resolve(process.env.FLOE_DEMO_DIR ?? path.join(root, '.floe', 'demo'));
const exitWhenDone = process.argv.includes('--exit') || !process.stdout.isTTY;
const DAY = 86_400_000;
const HOUR = 3_600_000;

const step = (text: string): void => console.log(`\n▸ ${text}`);
// The worker's own progress lines would drown the story; warnings and errors still show.
TemporalRuntime.install({ logger: new DefaultLogger('WARN') });

console.log('Floe demo: Iceberg tables → Temporal workflows → DuckDB → online features and training sets');
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
// The demo starts its catalog; everywhere else a missing catalog file is an error.
await (await loadCatalog({ ...project.config.catalog, create: true })).close();
const runtime = await openRuntime(project);
// The demo's own dev server, in plaintext whatever FLOE_TEMPORAL_TLS_* the shell has.
const workerConnection = await connectTemporalWorker({ address });
const clientConnection = await connectTemporalClient({ address });
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
  // A week of hourly rows plus today's hours so far: the backfill takes the week, the schedule today.
  const now = Date.now();
  const generated = await createDriverStats({
    catalog,
    engine,
    identifier: sourceId,
    workDirectory: project.config.workDirectory,
    start,
    until: Math.floor(now / HOUR) * HOUR + HOUR,
  });
  console.log(
    `  ${generated.rows.toLocaleString('en-US')} rows of ${50} drivers in ${generated.dataFiles} data files partitioned by day(event_timestamp); snapshot ${generated.snapshotId}`,
  );

  step('Applying the definitions (floe apply: registry version + online tables)');
  const applied = await applyDefinitions({ config: project.config, registry, catalog });
  const created = applied.onlineTables.map((table) => `${table.action} ${table.featureView}`).join(', ');
  console.log(`  registry v${applied.version} written to ${applied.written}; online tables: ${created}`);

  step(`Starting a Floe worker on task queue ${project.config.temporal.taskQueue}`);
  worker = await createWorker(runtime, { connection: workerConnection });
  running = worker.run();
  const client = new Client({ connection: clientConnection, namespace: project.config.temporal.namespace });
  const taskQueue = project.config.temporal.taskQueue;
  const links: [string, string][] = [];

  const backfillInput: BackfillInput = {
    featureViews: [view.name],
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    chunk: '1d',
    parallelism: 2,
  };
  const backfillId = backfillWorkflowId(backfillInput.featureViews, backfillInput.start, backfillInput.end, '1d');
  step(
    `Backfilling ${view.name} over [${printedInstant(backfillInput.start)}, ${printedInstant(backfillInput.end)}) in 1-day chunks (floe backfill) as workflow ${backfillId}`,
  );
  const backfillHandle = await client.workflow.start<typeof backfill>('backfill', {
    taskQueue,
    workflowId: backfillId,
    args: [backfillInput],
  });
  const backfilled = await followProgress(
    backfillHandle.result(),
    () => backfillHandle.query<BackfillProgress>('progress'),
    (progress) => `${progress.chunksDone}/${progress.chunksTotal}`,
  );
  console.log(
    `  backfill done: ${backfilled.chunks}/${backfilled.chunks} chunks, ${backfilled.rows} entity rows materialized, watermark now ${printedInstant(backfillInput.end)}`,
  );
  links.push(['backfill', backfillId]);

  // The view's Temporal Schedule as `floe schedule apply` creates it, for an hourly schedule; the
  // run triggered now covers [watermark, now): today's hours, which the backfill left out.
  const scheduled: FeatureViewDefinition = {
    ...view,
    schedule: { every: { hours: 1 }, catchupWindow: { days: 1 }, overlap: 'bufferAll', paused: false },
  };
  const plan = schedulePlan(scheduled, { taskQueue })!;
  const [schedule] = await applySchedules(client, [plan]);
  step(`Scheduled window: ${schedule!.outcome} Temporal Schedule ${plan.scheduleId} (every hour), triggered once`);
  const run = await runScheduleOnce(client, plan.scheduleId);
  const windowResult = run.result as MaterializeResult;
  console.log(
    `  run ${run.workflowId} materialized [${printedInstant(windowResult.start)}, ${printedInstant(windowResult.end)}): latest rows of ${windowResult.rows} drivers → online snapshot ${windowResult.onlineSnapshotId}`,
  );
  links.push(['scheduled run', run.workflowId]);

  const compactTarget = { featureView: view.name };
  const compactId = compactWorkflowId(compactTarget);
  step(`Compacting the online table of ${view.name} (floe compact --min-files 1) as workflow ${compactId}`);
  const compacted: CompactResult = await client.workflow.execute<typeof compact>('compact', {
    taskQueue,
    workflowId: compactId,
    args: [compactTarget, { minFiles: 1 }],
  });
  console.log(
    `  ${compacted.partitionsRewritten} partitions rewritten: data files ${compacted.dataFilesBefore} → ${compacted.dataFilesAfter}, rows ${compacted.rowsBefore} → ${compacted.rowsAfter}; snapshot ${compacted.snapshotId}`,
  );
  links.push(['compact', compactId]);

  const entities = await writeEntityRows(engine, demoDirectory, [
    start + 2 * DAY + 12 * HOUR,
    start + 4 * DAY + 6 * HOUR,
    start + 6 * DAY + 18 * HOUR,
  ]);
  const trainingOutput = 'datasets.driver_training_demo';
  const trainingInput: TrainingSetInput = {
    entities: { parquet: [entities.file] },
    features: [view.name],
    output: { table: trainingOutput },
  };
  const trainingId = trainingSetWorkflowId(trainingOutput);
  step(
    `Training set for ${entities.rows} entity rows of ${path.basename(entities.file)} (floe training-set) saved as ${trainingOutput}, workflow ${trainingId}`,
  );
  const trainingHandle = await client.workflow.start<typeof trainingSet>('trainingSet', {
    taskQueue,
    workflowId: trainingId,
    args: [trainingInput],
  });
  const training = await trainingHandle.result();
  console.log(
    `  training set rows: ${training.rows} in ${training.dataFiles} file(s) from ${training.chunks} chunk(s), snapshot ${training.snapshotId}; its first rows:`,
  );
  const sample = await firstRows(catalog, engine, parseTableIdentifier(trainingOutput), ['event_timestamp', 'driver_id'], 3);
  console.table(sample);
  links.push(['training set', trainingId]);

  step('Online features of drivers 1001–1005 (getOnlineFeatures: their bucket files only, TTL applied)');
  const store = new OnlineStore({ registry, catalog, engine });
  const online = await store.getOnlineFeatures({
    features: [view.name],
    entityRows: [1001, 1002, 1003, 1004, 1005].map((driver_id) => ({ driver_id })),
  });
  console.table(
    responseRows(online).map((row) =>
      Object.fromEntries(Object.entries(row).map(([name, value]) => [name, typeof value === 'bigint' ? Number(value) : value])),
    ),
  );
  console.log(
    `  read ${online.reads[0]!.filesRead.length} of ${online.reads[0]!.dataFiles} data files; serve them over HTTP with \`FLOE_CATALOG_URI=${shellQuote(process.env.FLOE_CATALOG_URI!)} FLOE_WAREHOUSE=${shellQuote(process.env.FLOE_WAREHOUSE!)} npx floe serve --project examples/quickstart\``,
  );

  step('Where to look');
  for (const [what, workflowId] of links)
    console.log(
      `  Temporal Web UI, ${what}: ${uiUrl}/namespaces/${project.config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`,
    );
  console.log(
    `  Temporal Web UI, schedule: ${uiUrl}/namespaces/${project.config.temporal.namespace}/schedules/${encodeURIComponent(plan.scheduleId)}`,
  );
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

/** Waits for a workflow's result, appending to one line what its progress query says whenever that changes. */
async function followProgress<T, P>(result: Promise<T>, query: () => Promise<P>, describe: (progress: P) => string): Promise<T> {
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  let last = '';
  process.stdout.write('  chunks done (progress query):');
  try {
    while (!finished) {
      const progress = await query().catch(() => undefined);
      const now = progress === undefined ? '' : describe(progress);
      if (now !== '' && now !== last) process.stdout.write(`${last === '' ? ' ' : ' → '}${now}`);
      if (now !== '') last = now;
      await Promise.race([sleep(500), result.catch(() => undefined)]);
    }
  } finally {
    process.stdout.write('\n');
  }
  return result;
}

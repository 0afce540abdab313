// `npm run bench -- training-set [--quick] [--scale F] [--layout L[,L…]|all]`: the trainingSet
// workflow over bench pit's data (1M entity rows against 3 views × 10M rows over 30 days, 5
// features each; --quick 0.1×, --scale a fraction of the full scale) served by one worker process,
// then by two, each pinned with taskset to a core of its own with DuckDB on one thread (as worker
// containers with a one-CPU limit run): what adding a worker adds when the worker is what is
// sized. chunkRows = entity rows ÷ 8, 2 chunks joined at once (the workflow's default
// parallelism): two at once in the one worker, one in each of two. The rounds alternate, twice
// each, and the best of each counts. Workers are real processes (bench/_worker.ts) on a task queue
// of their own per run, with the same DuckDB memory limit each.
//
// --layout picks how the views' tables are laid out (bench/_pit/data.ts, the same rows in each):
// `default` (alone when not given), `bucketed` (partitioned by bucket[16] of driver_id), `sorted`
// (sort order driver_id, 16 files of disjoint key ranges). The default layout's figures have the
// names below; another layout's the same names prefixed with it (bucketed_source_read_vs_one_pass).
//
// Floe's library (`getHistoricalFeatures` in one process, bench/_pit/floe-run.ts, as bench pit
// times it: library_s) answers the same training set first; every run's output table must hold the
// same rows (request id and feature values), or the run fails; and each layout's library answer
// must equal the default layout's when both run (else `failures`).
//
// speedup_2_workers_one_core_each = training_set_1_worker_one_core_s ÷
// training_set_2_workers_one_core_each_s (wall time from the workflow's start to its result).
// From the histories, *_chunk_s: a chunk's mean run time (two sharing one core each take about twice
// one alone's), training_set_2_workers_chunks_per_worker: how the chunks were split (5 + 3 of 8
// caps the speedup at 1.6), and chunk_cut: how the plan cut the entity rows (key_bucket, key_range
// or position; a layout that does not divide the entity rows evenly by 8 gives more chunks).
// source_read_vs_one_pass: the source rows the exchange step and every chunk together read ÷ one
// pass over each view's source (the workflow's sourceRead and sourceOnePass;
// source_bytes_read_vs_one_pass the same in bytes). In the default layout the sources are neither
// bucketed nor sorted by the key, and every file spans the 30 days, so no chunk could skip a file:
// the exchange step reads each source once and writes the rows some entity row can need by chunk
// (exchanged_rows_vs_one_pass, exchanged_bytes_vs_one_pass: what it wrote, which the chunks read
// back once; chunk_cut `exchange`). The bucketed and sorted layouts let the plan cut chunks by key
// so that each reads its keys' files only.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { BenchmarkOptions } from './run.js';
import type { TrainingSetInput, TrainingSetResult } from '../contracts/training-set.js';
import type { TrainingSetChunk } from '../features/training-set/chunks.js';
import type { trainingSet } from '../workflows/training-set.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import { planScan } from '../iceberg/scan/planner.js';
import { repoRoot } from '../scripts/services/paths.js';
import type { ServiceName } from '../scripts/services/service.js';
import { eventMillis } from '../test/support/histories.js';
import { temporalService } from '../test/support/services.js';
import { numberArgument } from './_args.js';
import { nodeScript } from './_child.js';
import { temporalAddress } from './_pipelines.js';
import { rowsDifferingEitherWay } from './_pit/answers.js';
import { benchData, featureName, FEATURES, LAYOUT_PARTS, layoutsArgument, scaleOf, VIEWS } from './_pit/data.js';
import type { BenchData, Layout, Scale } from './_pit/data.js';
import type { WorkerInput } from './_worker.js';
import { coreTimes, machineBusySince, startWorkers } from './_worker-processes.js';

const CHUNKS = 8;
const PARALLELISM = 2;
const ROUNDS = 2;
/** DuckDB's memory limit in each worker, and in the library's run as bench pit gives it. */
const WORKER_MEMORY_LIMIT = '4GB';
const LIBRARY_MEMORY_LIMIT = '8GB';
const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string): void => console.error(`[training-set] ${line}`);

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['temporal'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const scale = scaleOf(numberArgument(options.args, '--scale', options.quick ? 0.1 : 1, 10));
  const layouts = layoutsArgument(options.args);
  const temporal = await temporalAddress();
  const connection = await Connection.connect({ address: temporalService().address });
  const client = new Client({ connection, namespace: temporalService().namespace });
  const figures: Record<string, unknown> = {
    scale: scale.fraction,
    entity_rows: scale.entityRows,
    feature_rows_per_view: scale.featureRows,
    views: VIEWS.length,
    features_per_view: FEATURES.length,
    layouts,
    layout_parts: LAYOUT_PARTS,
    parallelism: PARALLELISM,
    worker_memory_limit: WORKER_MEMORY_LIMIT,
  };
  const failures: string[] = [];
  let defaultAnswer: string | undefined;
  try {
    for (const layout of layouts) {
      const measured = await runLayout(client, scale, layout);
      // The default layout's figures keep their names; another layout's are prefixed with it.
      for (const [name, value] of Object.entries(measured.figures)) figures[layout === 'default' ? name : `${layout}_${name}`] = value;
      if (layout === 'default') defaultAnswer = measured.libraryOut;
      else if (defaultAnswer !== undefined) {
        // Every layout holds the same rows, so the library answers the same training set over each.
        const differing = await rowsDifferingEitherWay(defaultAnswer, measured.libraryOut);
        if (differing > 0)
          failures.push(`the library's answer over the ${layout} layout differs from the default layout's in ${differing} rows`);
      }
    }
  } finally {
    await connection.close();
    await temporal.stop();
  }
  return { ...figures, ...(failures.length > 0 ? { failures } : {}) };
}

/** The library's answer and the 1- and 2-worker rounds over one layout of bench pit's data. */
async function runLayout(client: Client, scale: Scale, layout: Layout): Promise<{ figures: Record<string, unknown>; libraryOut: string }> {
  const data = await benchData(path.join(repoRoot, '.floe', 'bench'), scale, log, layout);
  const out = path.join(data.directory, 'out-training-set');
  const workersDirectory = path.join(data.directory, 'workers');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  try {
    log(
      `${layout} layout: Floe's library at ${scale.fraction}× (${scale.entityRows.toLocaleString('en')} entity rows), the answer to hold the runs to`,
    );
    const libraryOut = path.join(out, 'library.parquet');
    const library = await nodeScript(path.join(here, '_pit', 'floe-run.ts'), {
      data,
      output: libraryOut,
      memoryLimit: LIBRARY_MEMORY_LIMIT,
    });
    const chunkRows = Math.ceil(scale.entityRows / CHUNKS);
    const oneWorker: Timed[] = [];
    const twoWorkers: Timed[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [processes, times] of [
        [1, oneWorker],
        [2, twoWorkers],
      ] as const) {
        const name = `${processes}_worker${processes === 1 ? '' : 's'}_${round}`;
        const measured = await timedTrainingSet(client, data, name, { processes, chunkRows, libraryOut, workersDirectory });
        log(
          `${layout} ${name}: ${measured.result.chunks} chunks (${measured.chunksPerWorker.join(' + ')} by worker, ${Math.round(measured.chunkMs)} ms each on average), ${measured.result.rows} rows in ${Math.round(measured.ms)} ms, cores ${Math.round(measured.machineBusy * 100)}% busy`,
        );
        if (measured.result.rows !== library.rows || measured.differing > 0)
          throw new Error(
            `${layout} ${name} wrote ${measured.result.rows} rows (the library ${library.rows}), ${measured.differing} of them differing from the library's`,
          );
        times.push(measured);
      }
    }
    const best = (runs: Timed[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    const { sourceRead, sourceOnePass, exchanged, chunks } = best(twoWorkers).result;
    const ratio = (read: number | undefined, onePass: number | undefined) =>
      read === undefined || onePass === undefined || onePass === 0 ? null : round3(read / onePass);
    const figures = {
      chunks,
      chunk_rows: chunkRows,
      library_s: round3(library.seconds),
      training_set_1_worker_one_core_s: round3(best(oneWorker).ms / 1000),
      training_set_2_workers_one_core_each_s: round3(best(twoWorkers).ms / 1000),
      speedup_2_workers_one_core_each: round3(best(oneWorker).ms / best(twoWorkers).ms),
      training_set_1_worker_one_core_runs_s: oneWorker.map((one) => round3(one.ms / 1000)),
      training_set_2_workers_one_core_each_runs_s: twoWorkers.map((one) => round3(one.ms / 1000)),
      training_set_1_worker_machine_busy: round3(best(oneWorker).machineBusy),
      training_set_2_workers_machine_busy: round3(best(twoWorkers).machineBusy),
      // A chunk's mean run time: two at once on one core each take about twice as long as one alone.
      training_set_1_worker_chunk_s: round3(best(oneWorker).chunkMs / 1000),
      training_set_2_workers_chunk_s: round3(best(twoWorkers).chunkMs / 1000),
      training_set_2_workers_chunks_per_worker: best(twoWorkers).chunksPerWorker,
      chunk_cut: best(twoWorkers).chunkCut,
      source_read_vs_one_pass: ratio(sourceRead?.rows, sourceOnePass?.rows),
      source_bytes_read_vs_one_pass: ratio(sourceRead?.bytes, sourceOnePass?.bytes),
      source_files_read: sourceRead?.dataFiles ?? null,
      source_files_one_pass: sourceOnePass?.dataFiles ?? null,
      exchanged_rows_vs_one_pass: ratio(exchanged?.rows, sourceOnePass?.rows),
      exchanged_bytes_vs_one_pass: ratio(exchanged?.bytes, sourceOnePass?.bytes),
      rows: library.rows,
    };
    return { figures, libraryOut };
  } finally {
    await rm(workersDirectory, { recursive: true, force: true });
  }
}

interface Timed {
  readonly ms: number;
  /** The share of all cores' time that was not idle while the workflow ran (0–1). */
  readonly machineBusy: number;
  readonly result: TrainingSetResult;
  /** The chunks' mean run time (activity started → completed), in ms. */
  readonly chunkMs: number;
  /** How many chunks each worker process ran (by its identity), most first. */
  readonly chunksPerWorker: readonly number[];
  /** How the plan cut the entity rows: by key bucket, key range, position, or key buckets fed by the exchange step. */
  readonly chunkCut: string;
  /** Rows of the output table the library's answer has not, or the other way round (the larger). */
  readonly differing: number;
}

/**
 * One trainingSet workflow into its own output table (bench.training_set_<name>, dropped once its
 * rows are compared), served by `processes` worker processes each on a core of its own.
 */
async function timedTrainingSet(
  client: Client,
  data: BenchData,
  name: string,
  options: { readonly processes: number; readonly chunkRows: number; readonly libraryOut: string; readonly workersDirectory: string },
): Promise<Timed> {
  const table = `training_set_${name}`;
  await dropTable(data, table);
  const taskQueue = `bench-training-set-${randomUUID()}`;
  const workerInput: WorkerInput = {
    directory: options.workersDirectory,
    catalog: data.catalogConfig,
    definitions: 'pit',
    onlineNamespace: `online_${table}`,
    taskQueue,
    maxConcurrentActivities: Math.ceil(PARALLELISM / options.processes),
    duckdbThreads: 1,
    memoryLimit: WORKER_MEMORY_LIMIT,
  };
  const input: TrainingSetInput = {
    entities: { parquet: [data.entities] },
    features: VIEWS.flatMap((view) => FEATURES.map((index) => `${view}:${featureName(view, index)}`)),
    output: { table: `bench.${table}` },
    chunkRows: options.chunkRows,
    parallelism: PARALLELISM,
  };
  const workflowId = `bench-training-set-${name}-${randomUUID()}`;
  const workers = await startWorkers(workerInput, options.processes, true);
  let timed: Omit<Timed, 'differing'>;
  try {
    const started = performance.now();
    const coresBefore = coreTimes();
    const result = await client.workflow.execute<typeof trainingSet>('trainingSet', { taskQueue, workflowId, args: [input] });
    const ms = performance.now() - started;
    const machineBusy = machineBusySince(coresBefore);
    timed = { ms, machineBusy, result, ...(await chunkRuns(client, workflowId)) };
  } finally {
    await workers.stop();
  }
  const differing = await rowsDifferingEitherWay(options.libraryOut, await tableFiles(data, table));
  await dropTable(data, table);
  return { ...timed, differing };
}

/** From the workflow's history: its chunks' mean run time, how many chunks each worker ran and how they were cut. */
async function chunkRuns(client: Client, workflowId: string): Promise<{ chunkMs: number; chunksPerWorker: number[]; chunkCut: string }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const chunkScheduled = new Set<string>();
  const started = new Map<string, { at: number; identity: string }>();
  const perWorker = new Map<string, number>();
  const cuts = new Set<string>();
  let totalMs = 0;
  let chunks = 0;
  for (const event of history.events ?? []) {
    const at = eventMillis(event.eventTime);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'exchangeTrainingSetView') cuts.add('exchange');
    if (scheduled?.activityType?.name === 'writeTrainingSetChunk') {
      chunkScheduled.add(String(event.eventId));
      // The default data converter's JSON payload of the activity's one argument.
      const data = scheduled.input?.payloads?.[0]?.data;
      const { chunk } = JSON.parse(data ? Buffer.from(data).toString('utf8') : '{}') as { chunk?: TrainingSetChunk };
      if (!cuts.has('exchange')) cuts.add(chunk?.keyBuckets ? 'key_bucket' : chunk?.keyRange ? 'key_range' : 'position');
    }
    const start = event.activityTaskStartedEventAttributes;
    if (start && chunkScheduled.has(String(start.scheduledEventId)))
      started.set(String(event.eventId), { at, identity: start.identity ?? '' });
    const run = started.get(String(event.activityTaskCompletedEventAttributes?.startedEventId));
    if (run === undefined) continue;
    totalMs += at - run.at;
    chunks += 1;
    perWorker.set(run.identity, (perWorker.get(run.identity) ?? 0) + 1);
  }
  return {
    chunkMs: chunks === 0 ? 0 : totalMs / chunks,
    chunksPerWorker: [...perWorker.values()].sort((a, b) => b - a),
    chunkCut: [...cuts].sort().join(' + '),
  };
}

/** The data files of bench.<name>'s current snapshot (a training set's table has no deletes). */
async function tableFiles(data: BenchData, name: string): Promise<string[]> {
  const catalog = await loadCatalog(data.catalogConfig);
  try {
    const plan = await planScan(await catalog.loadTable({ namespace: ['bench'], name }));
    if (plan.tasks.some((task) => task.positionDeletes.length + task.equalityDeletes.length > 0))
      throw new Error(`bench.${name} has row deletes: a training set writes none`);
    return plan.tasks.map((task) => task.dataFile.filePath.replace(/^file:\/\//, ''));
  } finally {
    await catalog.close();
  }
}

/** Drops bench.<name> with its files, when it exists (an earlier, interrupted run's). */
async function dropTable(data: BenchData, name: string): Promise<void> {
  const catalog = await loadCatalog(data.catalogConfig);
  try {
    const identifier = { namespace: ['bench'], name };
    if (await catalog.tableExists(identifier)) await catalog.dropTable(identifier, { purge: true });
  } finally {
    await catalog.close();
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

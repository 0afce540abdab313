// `npm run bench -- materialize [--quick]`: source rows per second through one whole materialize
// workflow on the Temporal dev server (10M source rows, 1M entities; --quick a tenth), the
// orchestration overhead (the workflow's wall time minus its activities' own run time, on a worker
// that has run a window before, as a schedule's or a backfill's worker has; a fresh worker's first
// window is reported apart as first_window_overhead_ms_cold_worker), beside it Temporal's own
// cost for a workflow of the same two steps doing nothing (temporal_floor_ms_per_window, on the
// same server and worker settings), and the worker's peak memory
// (it runs in a child process of its own). Peers, in the same run on the same
// source rows (the Iceberg table's own Parquet data files) and window: the same four steps called
// as a library (`materializeWindow`, vs_library), `feast materialize` into Feast's SQLite
// online store (vs_feast_sqlite) and into Redis (vs_feast_redis), and Feast-on-Iceberg: `feast
// materialize` into Redis (the faster of Feast's two stores) with its DuckDB offline store reading
// the source Iceberg table itself through the bench's SQLite catalog (contrib IcebergSource;
// vs_feast_iceberg, feast_iceberg_s, feast_iceberg_peak_rss_mb, in a process of its own; stopped
// past 30 min or 70% of the machine's memory, which feast_iceberg_failure then names). Before any
// time is reported, the online values of a sample of entities read from Floe's online table and
// from each Feast store must agree (for Feast-on-Iceberg, a disagreement is in the JSON, and fails
// the run after it).
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchmarkOptions } from './run.js';
import { materializeWindow } from '../features/materialize/index.js';
import { parseTableIdentifier } from '../iceberg/catalog/identifier.js';
import { planScan } from '../iceberg/scan/planner.js';
import { pythonOracle, redisUrl } from '../test/support/services.js';
import { benchCatalog, generatedRows, SOURCE, temporalAddress, VIEW } from './_pipelines.js';
import type { BenchCatalog } from './_pipelines.js';
import type { ServiceName } from '../scripts/services/service.js';
import { child, cpuSecondsSince, PEER_LIMITS, withinLimits } from './_child.js';
import type { PeerOutcome } from './_child.js';
import { feastIcebergTable } from '../features/import/feast-iceberg-table.js';
import { NEEDS_DUCKDB_STORE } from './_feast-iceberg.js';
import { feastEnvironment } from './_pit/feast-env.js';
import { differingRows, feastMaterialize } from './_materialize/feast.js';
import type { FeastRun, OnlineStoreName, SampleRow } from './_materialize/feast.js';
import { floeSample } from './_materialize/floe-sample.js';
import { defined } from '../contracts/defined.js';
import type { WorkflowRuns } from './_materialize/floe-workflow.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WINDOW = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' };
/** Entities whose online values are compared across the stores (one more past the last entity: absent everywhere). */
const SAMPLE_SIZE = 1_000;
const benchStarted = performance.now();
const log = (line: string): void => console.error(`[materialize +${((performance.now() - benchStarted) / 1000).toFixed(1)}s] ${line}`);

/** Started by bench/run.ts: Temporal for Floe's workflow, Redis and the oracle venv (Feast) for the peers. */
export const services: readonly ServiceName[] = ['temporal', 'redis', 'python'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rows = options.quick ? 1_000_000 : 10_000_000;
  const entities = options.quick ? 100_000 : 1_000_000;
  const temporal = await temporalAddress();
  log(`writing ${rows} source rows for ${entities} entities`);
  const bench = await benchCatalog({ rowsQuery: generatedRows(rows, entities, WINDOW.start, 1) });
  try {
    const sample = [...Array.from({ length: SAMPLE_SIZE }, (_, index) => Math.floor((index * entities) / SAMPLE_SIZE)), entities];
    // Rounds, each into a fresh online table; the best of each side is reported, since other work on
    // a shared machine only ever adds time. The workflow rounds share one worker process (starting
    // one costs seconds the quick run cannot spare).
    const rounds = 2;
    const library: number[] = [];
    const libraryCpu: number[] = [];
    const libraryRows = new Set<number>();
    for (let round = 1; round <= rounds; round++) {
      const peer = await bench.runtime(`online_library_${round}`);
      const libraryStarted = performance.now();
      const libraryCpuStarted = process.cpuUsage();
      const direct = await materializeWindow(
        { registry: peer.project.registry, catalog: peer.catalog, engine: peer.engine, workDirectory: peer.project.config.workDirectory },
        VIEW,
        { start: new Date(WINDOW.start), end: new Date(WINDOW.end) },
        `bench-library-${randomUUID()}`,
      );
      library.push(performance.now() - libraryStarted);
      libraryCpu.push(cpuSecondsSince(libraryCpuStarted));
      libraryRows.add(direct.rows);
      log(
        `round ${round} library: ${direct.rows} entity rows in ${Math.round(library.at(-1)!)} ms, ${libraryCpu.at(-1)!.toFixed(2)} CPU s`,
      );
    }
    const namespaces = Array.from({ length: rounds }, (_, index) => `online_workflow_${index + 1}`);
    const { stdout } = await child(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(here, '_materialize', 'floe-workflow.ts'),
        JSON.stringify({ directory: bench.directory, catalog: bench.catalog, onlineNamespaces: namespaces, window: WINDOW }),
      ],
      process.env,
    );
    const { runs: workflow, temporalFloorMs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as WorkflowRuns;
    const floeValues: SampleRow[][] = [];
    for (const [index, result] of workflow.entries()) {
      log(
        `round ${index + 1} workflow: ${result.rows} entity rows in ${Math.round(result.ms)} ms, activities ${Math.round(result.activitiesMs)} ms, ${result.cpuSeconds.toFixed(2)} CPU s, worker peak ${Math.round(result.maxRssKb / 1024)} MB`,
      );
      if (!libraryRows.has(result.rows) || libraryRows.size !== 1)
        throw new Error(`the workflow materialized ${result.rows} rows, the library ${[...libraryRows].join(' and ')}`);
      floeValues.push(await floeSample(await bench.runtime(namespaces[index]!), sample));
    }
    const floe = floeValues[0]!;
    if (floe.at(-1) !== null || floe.slice(0, -1).some((row) => row === null))
      throw new Error("Floe's online table does not hold exactly the sampled entities");
    for (const other of floeValues.slice(1))
      if (differingRows(sample, floe, other).count > 0) throw new Error("two of Floe's workflow rounds wrote different online values");

    const python = pythonOracle().python;
    const feastEnv = feastEnvironment(python, log);
    const sourcePath = await sourceFolder(bench);
    log(`Feast (${feastEnv.store} offline store) into sqlite, then into redis`);
    const feast = await feastMaterialize(python, feastEnv.env, {
      source: { path: feastEnv.store === 'duckdb' ? `${sourcePath}/*.parquet` : sourcePath },
      offlineStore: feastEnv.store,
      onlineStores: ['sqlite', 'redis'],
      redisUrl: redisUrl(),
      window: WINDOW,
      sample,
    });
    const checked = (onlineStore: OnlineStoreName): FeastRun => {
      const measured = feast[onlineStore];
      if (measured === undefined) throw new Error(`Feast reported nothing for its ${onlineStore} store`);
      const differing = differingRows(sample, floe, measured.sample);
      if (differing.count > 0)
        throw new Error(
          `Feast's ${onlineStore} store and Floe's online table disagree on ${differing.count} of ${sample.length} sampled entities (Floe vs Feast): ${differing.examples.join('; ')}`,
        );
      log(
        `Feast into ${onlineStore}: ${Math.round(measured.seconds * 1000)} ms, ${measured.cpuSeconds.toFixed(2)} CPU s, peak ${Math.round(measured.maxRssKb / 1024)} MB, sample agrees`,
      );
      return measured;
    };
    const sqlite = checked('sqlite');
    const redis = checked('redis');

    log('Feast-on-Iceberg (DuckDB offline store, IcebergSource over the SQLite catalog) into redis');
    const source = parseTableIdentifier(SOURCE);
    const feastIceberg: PeerOutcome<FeastRun> =
      feastEnv.store === 'duckdb'
        ? await withinLimits(async () => {
            const runs = await feastMaterialize(
              python,
              feastEnv.env,
              {
                source: { iceberg: feastIcebergTable(bench.catalog, source.namespace.join('.'), source.name) },
                offlineStore: 'duckdb',
                onlineStores: ['redis'],
                redisUrl: redisUrl(),
                window: WINDOW,
                sample,
              },
              PEER_LIMITS,
            );
            if (runs.redis === undefined) throw new Error('Feast-on-Iceberg reported nothing for its redis store');
            return runs.redis;
          })
        : { failure: NEEDS_DUCKDB_STORE };
    const icebergDiffering = feastIceberg.result === undefined ? undefined : differingRows(sample, floe, feastIceberg.result.sample);
    // Its time counts only when its online values are Floe's.
    const iceberg = icebergDiffering?.count === 0 ? feastIceberg.result : undefined;
    if (feastIceberg.failure !== undefined) log(`Feast-on-Iceberg could not finish: ${feastIceberg.failure}`);
    else if (iceberg === undefined) log(`Feast-on-Iceberg disagrees with Floe: ${icebergDiffering?.examples.join('; ')}`);
    else
      log(
        `Feast-on-Iceberg into redis: ${Math.round(iceberg.seconds * 1000)} ms, ${iceberg.cpuSeconds.toFixed(2)} CPU s, peak ${Math.round(iceberg.maxRssKb / 1024)} MB, sample agrees`,
      );

    const libraryMs = Math.min(...library);
    const best = workflow.reduce((a, b) => (b.ms < a.ms ? b : a));
    const bestCpu = Math.min(...workflow.map((one) => one.cpuSeconds));
    const overheadMs = Math.min(...workflow.map((one) => one.ms - one.activitiesMs));
    const perSecond = (ms: number) => Math.round(rows / (ms / 1000));
    return {
      source_rows: rows,
      entities,
      online_rows: best.rows,
      rounds,
      sampled_entities: sample.length,
      workflow_ms: Math.round(best.ms),
      library_ms: Math.round(libraryMs),
      feast_sqlite_ms: Math.round(sqlite.seconds * 1000),
      feast_redis_ms: Math.round(redis.seconds * 1000),
      feast_offline_store: feastEnv.store,
      source_rows_per_s: perSecond(best.ms),
      library_source_rows_per_s: perSecond(libraryMs),
      feast_sqlite_source_rows_per_s: perSecond(sqlite.seconds * 1000),
      feast_redis_source_rows_per_s: perSecond(redis.seconds * 1000),
      activities_ms: Math.round(best.activitiesMs),
      orchestration_overhead_ms_per_window: Math.round(overheadMs),
      temporal_floor_ms_per_window: Math.round(temporalFloorMs),
      orchestration_vs_temporal_floor: ratio(overheadMs, temporalFloorMs),
      first_window_overhead_ms_cold_worker: Math.round(Math.min(...workflow.map((one) => one.coldOverheadMs))),
      floe_worker_peak_mb: Math.round(Math.max(...workflow.map((one) => one.maxRssKb)) / 1024),
      // One Python process materializes into both stores, SQLite first: its peak is both runs'.
      feast_peak_mb: Math.round(Math.max(sqlite.maxRssKb, redis.maxRssKb) / 1024),
      vs_library: ratio(best.ms, libraryMs),
      vs_feast_sqlite: ratio(best.ms, sqlite.seconds * 1000),
      vs_feast_redis: ratio(best.ms, redis.seconds * 1000),
      // CPU time is less noisy than wall time on a shared machine; Redis's own CPU is not in Feast's.
      floe_cpu_s: Number(bestCpu.toFixed(3)),
      library_cpu_s: Number(Math.min(...libraryCpu).toFixed(3)),
      feast_sqlite_cpu_s: Number(sqlite.cpuSeconds.toFixed(3)),
      feast_redis_cpu_s: Number(redis.cpuSeconds.toFixed(3)),
      vs_feast_sqlite_cpu: ratio(bestCpu, sqlite.cpuSeconds),
      vs_feast_redis_cpu: ratio(bestCpu, redis.cpuSeconds),
      // Feast-on-Iceberg: null where it could not finish (feast_iceberg_failure) or disagreed with Floe.
      feast_iceberg_online_store: 'redis',
      feast_iceberg_s: iceberg === undefined ? null : Number(iceberg.seconds.toFixed(3)),
      feast_iceberg_source_rows_per_s: iceberg === undefined ? null : perSecond(iceberg.seconds * 1000),
      feast_iceberg_cpu_s: iceberg === undefined ? null : Number(iceberg.cpuSeconds.toFixed(3)),
      feast_iceberg_peak_rss_mb: feastIceberg.result === undefined ? null : Math.round(feastIceberg.result.maxRssKb / 1024),
      feast_iceberg_sampled_entities_differing_from_floe: icebergDiffering?.count ?? null,
      vs_feast_iceberg: iceberg === undefined ? null : ratio(best.ms, iceberg.seconds * 1000),
      vs_feast_iceberg_cpu: iceberg === undefined ? null : ratio(bestCpu, iceberg.cpuSeconds),
      ...defined({ feast_iceberg_failure: feastIceberg.failure }),
      ...(icebergDiffering !== undefined && icebergDiffering.count > 0
        ? {
            failures: [
              `Feast-on-Iceberg and Floe's online table disagree on ${icebergDiffering.count} of ${sample.length} sampled entities (Floe vs Feast): ${icebergDiffering.examples.join('; ')}`,
            ],
          }
        : {}),
    };
  } finally {
    await bench.close();
    await temporal.stop();
  }
}

function ratio(floeMs: number, peerMs: number): number {
  return Number((floeMs / peerMs).toFixed(3));
}

/**
 * The folder of the source table's data files, for Feast's FileSource: checked to hold exactly the
 * files of the table's current snapshot (and no delete files), so Feast reads Floe's rows.
 */
async function sourceFolder(bench: BenchCatalog): Promise<string> {
  const runtime = await bench.runtime('feast_source');
  const plan = await planScan(await runtime.catalog.loadTable(parseTableIdentifier(SOURCE)));
  const files = plan.tasks.map((task) => task.dataFile.filePath.replace(/^file:\/\//, ''));
  const folders = new Set(files.map((file) => path.dirname(file)));
  const [folder] = folders;
  if (folder === undefined || folders.size !== 1 || plan.summary.positionDeleteFiles + plan.summary.equalityDeleteFiles > 0)
    throw new Error(`the source table ${SOURCE} is not one folder of data files without deletes: Feast cannot read the same rows`);
  const listed = (await readdir(folder)).filter((name) => name.endsWith('.parquet'));
  if (listed.length !== files.length) throw new Error(`the folder of ${SOURCE}'s data files holds files outside its snapshot`);
  return folder;
}

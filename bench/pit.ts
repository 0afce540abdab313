// Point-in-time correct training sets: 1M entity rows against 3 feature views of 10M rows each
// over 30 days, 5 features each (--quick: a tenth). Floe (getHistoricalFeatures over Iceberg
// tables, written to Parquet, DuckDB within 4 GB), Feast's offline store on the same Parquet data
// files (its DuckDB store when it installs, else its file store), Feast-on-Iceberg (its DuckDB store
// reading the same Iceberg tables through the same SQLite catalog with its contrib IcebergSource:
// vs_feast_iceberg, feast_iceberg_s, feast_iceberg_peak_rss_mb), Feast with Floe as its remote
// offline store (the same client call with `offline_store: {type: remote}` pointed at `floe serve`'s
// Arrow Flight endpoint: feast_remote_floe_s, feast_remote_floe_vs_feast_iceberg,
// feast_remote_floe_vs_floe_cli and both processes' peak memory) and a hand-written DuckDB ASOF query
// on the same files (the floor). Each runs in its own process, so peak memory (max RSS) is its own.
// Every Feast run is stopped past 30 min or 70% of the machine's memory, which its `*_failure` key
// then names (feast_failure, feast_iceberg_failure, feast_file_failure, feast_remote_floe_failure).
// The results are compared row for row, so a fast wrong answer cannot pass as a win. With
// --on-demand, Floe also runs the same retrieval with an on-demand view added
// (bench/_pit/floe-run.ts), and `on_demand_overhead` is its time ÷ the time without, − 1. It runs a
// sweep of scales (`--scale 0.1,0.3,1` or `--scale 1x,10x`, fractions of the full one up to 10×; by
// default 0.1×, 0.3×, 1×, and with --quick 0.03×, 0.1×): the top-level figures are the largest
// scale's, `scales` has each scale's times and time per entity row, and `*_per_row_growth` is time
// per entity row at the largest scale ÷ at the smallest (at most 1 when time grows no faster than
// linearly). With --floe-only, Floe and the floor alone run (each peer's `*_failure` says so): at 10×,
// where each peer may take its 30 min, this is how Floe's memory and time growth are measured in one
// sitting.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../scripts/services/paths.js';
import { pythonOracle } from '../test/support/services.js';
import type { BenchmarkOptions } from './run.js';
import { benchData, featureName, FEATURES, scaleOf, TTL_DAYS, VIEWS } from './_pit/data.js';
import type { BenchData, Scale } from './_pit/data.js';
import { feastEnvironment } from './_pit/feast-env.js';
import type { ServiceName } from '../scripts/services/service.js';
import { child, nodeScript, PEER_LIMITS, withinLimits } from './_child.js';
import type { ChildLimits, Measured, PeerOutcome } from './_child.js';
import { feastIcebergTable } from '../features/import/feast-iceberg-table.js';
import { NEEDS_DUCKDB_STORE } from './_feast-iceberg.js';
import { startRemoteFloe } from './_pit/remote-floe.js';
import { compare, rowsDifferingEitherWay } from './_pit/answers.js';
import { defined } from '../contracts/defined.js';
import { perRowGrowth, scaleFractionsArgument } from './_scale.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The bound for Floe at every scale (#56: 10M entity rows within 4 GB); the floor gets the same.
const MEMORY_LIMIT = '4GB';
const log = (line: string): void => console.error(`[pit] ${line}`);

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['python'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  // Every run shows how time grows: 0.1×, 0.3× and 1× by default (--quick: 0.03× and 0.1×).
  const scales = scaleFractionsArgument(options.args, options.quick ? [0.03, 0.1] : [0.1, 0.3, 1]).map(scaleOf);
  const onDemand = options.args.includes('--on-demand');
  const peers = !options.args.includes('--floe-only');
  const python = pythonOracle().python;
  const feastEnv = feastEnvironment(python, log);
  const results: ScaleFigures[] = [];
  for (const [index, scale] of scales.entries()) {
    log(`scale ${scale.fraction}× (${scale.entityRows.toLocaleString('en')} entity rows)`);
    // Feast's file store is slow: it is measured at the largest scale only.
    results.push(await runScale(scale, { onDemand, peers, python, feastEnv, feastFile: index === scales.length - 1 }));
  }
  const largest = results.at(-1)!;
  const growth = (key: 'floe_s' | 'floor_s' | 'feast_s' | 'feast_iceberg_s' | 'feast_remote_floe_s') =>
    perRowGrowth(results, (index) => results[index]![key]);
  // Feast-on-Iceberg and Feast with Floe as its remote offline store must answer as Floe does wherever
  // they ran: otherwise the run fails (after its JSON).
  const failures = results.flatMap((figures) => [
    ...((figures.feast_iceberg_rows_differing_from_floe ?? 0) > 0
      ? [`at ${figures.scale}×, Feast-on-Iceberg differs from Floe on ${figures.feast_iceberg_rows_differing_from_floe} rows`]
      : []),
    ...((figures.feast_remote_floe_rows_differing_from_floe ?? 0) > 0
      ? [
          `at ${figures.scale}×, Feast with Floe as its remote offline store differs from Floe's own run on ${figures.feast_remote_floe_rows_differing_from_floe} rows`,
        ]
      : []),
  ]);
  return {
    ...largest,
    scales: results.map((figures) => ({
      scale: figures.scale,
      entity_rows: figures.entity_rows,
      feature_rows_per_view: figures.feature_rows_per_view,
      floe_s: figures.floe_s,
      floor_s: figures.floor_s,
      feast_s: figures.feast_s,
      feast_iceberg_s: figures.feast_iceberg_s,
      feast_remote_floe_s: figures.feast_remote_floe_s,
      feast_remote_floe_runs_s: figures.feast_remote_floe_runs_s,
      floe_us_per_entity_row: perRowMicros(figures.floe_s, figures.entity_rows),
      floor_us_per_entity_row: perRowMicros(figures.floor_s, figures.entity_rows),
      feast_us_per_entity_row: figures.feast_s === null ? null : perRowMicros(figures.feast_s, figures.entity_rows),
      vs_floor: figures.vs_floor,
      vs_feast: figures.vs_feast,
      vs_feast_iceberg: figures.vs_feast_iceberg,
      feast_iceberg_peak_rss_mb: figures.feast_iceberg_peak_rss_mb,
      feast_remote_floe_vs_feast_iceberg: figures.feast_remote_floe_vs_feast_iceberg,
      feast_remote_floe_vs_floe_cli: figures.feast_remote_floe_vs_floe_cli,
      feast_remote_client_peak_rss_mb: figures.feast_remote_client_peak_rss_mb,
      feast_remote_floe_serve_peak_rss_mb: figures.feast_remote_floe_serve_peak_rss_mb,
      rows_differing_from_floor: figures.rows_differing_from_floor,
      feast_rows_differing_from_floe: figures.feast_rows_differing_from_floe,
      feast_iceberg_rows_differing_from_floe: figures.feast_iceberg_rows_differing_from_floe,
      feast_remote_floe_rows_differing_from_floe: figures.feast_remote_floe_rows_differing_from_floe,
      ...defined({ feast_failure: figures.feast_failure }),
      ...defined({ feast_iceberg_failure: figures.feast_iceberg_failure }),
      ...defined({ feast_remote_floe_failure: figures.feast_remote_floe_failure }),
      ...defined({ on_demand_overhead: figures.on_demand_overhead }),
    })),
    floe_per_row_growth: growth('floe_s'),
    floor_per_row_growth: growth('floor_s'),
    feast_per_row_growth: growth('feast_s'),
    feast_iceberg_per_row_growth: growth('feast_iceberg_s'),
    feast_remote_floe_per_row_growth: growth('feast_remote_floe_s'),
    ...(failures.length > 0 ? { failures } : {}),
  };
}

interface ScaleFigures extends Record<string, unknown> {
  readonly scale: number;
  readonly entity_rows: number;
  readonly feature_rows_per_view: number;
  readonly floe_s: number;
  readonly floor_s: number;
  /** null where Feast (over the Parquet files) could not run: feast_failure says why. */
  readonly feast_s: number | null;
  readonly vs_floor: number;
  readonly vs_feast: number | null;
  readonly feast_failure?: string;
  /** null where Feast-on-Iceberg could not run (feast_iceberg_failure says why) or answered differently. */
  readonly feast_iceberg_s: number | null;
  readonly vs_feast_iceberg: number | null;
  readonly feast_iceberg_peak_rss_mb: number | null;
  readonly feast_iceberg_rows_differing_from_floe: number | null;
  readonly feast_iceberg_failure?: string;
  /** null where it could not run (feast_remote_floe_failure says why) or answered differently from Floe's own run. */
  readonly feast_remote_floe_s: number | null;
  /** Each timed call's seconds; feast_remote_floe_s is the best. */
  readonly feast_remote_floe_runs_s: readonly number[];
  readonly feast_remote_floe_vs_feast_iceberg: number | null;
  readonly feast_remote_floe_vs_floe_cli: number | null;
  readonly feast_remote_client_peak_rss_mb: number | null;
  readonly feast_remote_floe_serve_peak_rss_mb: number | null;
  readonly feast_remote_floe_rows_differing_from_floe: number | null;
  readonly feast_remote_floe_failure?: string;
  readonly rows_differing_from_floor: number;
  readonly feast_rows_differing_from_floe: number | null;
  readonly on_demand_overhead?: number;
}

/** Floe (and Floe with an on-demand view), the floor and Feast at one scale, their answers compared. */
async function runScale(
  scale: Scale,
  options: {
    readonly onDemand: boolean;
    /** false with --floe-only: no Feast run. */
    readonly peers: boolean;
    readonly python: string;
    readonly feastEnv: { store: 'duckdb' | 'file'; env: NodeJS.ProcessEnv };
    readonly feastFile: boolean;
  },
): Promise<ScaleFigures> {
  const { onDemand, peers, python, feastEnv } = options;
  const root = path.join(repoRoot, '.floe', 'bench');
  const data = await benchData(root, scale, log);
  const out = path.join(data.directory, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const floeOut = path.join(out, 'floe.parquet');
  const floorOut = path.join(out, 'floor.parquet');
  const feastOut = path.join(out, 'feast.parquet');

  const onDemandOut = path.join(out, 'floe-on-demand.parquet');
  // Floe and the floor alternate, twice each, and keep their best time: the machine is shared.
  const floeRuns: Measured[] = [];
  const floorRuns: Measured[] = [];
  const onDemandRuns: Measured[] = [];
  for (let round = 0; round < 2; round++) {
    log(`round ${round + 1}: Floe`);
    floeRuns.push(await node('floe-run.ts', { data, output: floeOut, memoryLimit: MEMORY_LIMIT }));
    if (onDemand) {
      log(`round ${round + 1}: Floe with an on-demand view`);
      onDemandRuns.push(await node('floe-run.ts', { data, output: onDemandOut, memoryLimit: MEMORY_LIMIT, onDemand: true }));
    }
    log(`round ${round + 1}: floor (hand-written DuckDB ASOF)`);
    floorRuns.push(await node('floor-run.ts', { data, output: floorOut, memoryLimit: MEMORY_LIMIT }));
  }
  const floe = best(floeRuns);
  const floor = best(floorRuns);

  const notRun = { failure: 'not run (--floe-only)' };
  log(peers ? `Feast (${feastEnv.store} offline store)` : 'the peers are not run (--floe-only)');
  const feastOutcome: PeerOutcome<Measured> = peers
    ? await withinLimits(() => runFeast(python, feastEnv.env, feastEnv.store, data, feastOut, 'parquet', PEER_LIMITS))
    : notRun;
  const feast = feastOutcome.result;
  const feastIcebergOut = path.join(out, 'feast-iceberg.parquet');
  if (peers) log('Feast-on-Iceberg (DuckDB offline store, IcebergSource over the SQLite catalog)');
  const feastIceberg: PeerOutcome<Measured> = !peers
    ? notRun
    : feastEnv.store === 'duckdb'
      ? await withinLimits(() => runFeast(python, feastEnv.env, feastEnv.store, data, feastIcebergOut, 'iceberg', PEER_LIMITS))
      : { failure: NEEDS_DUCKDB_STORE };
  if (peers) log('Feast with Floe as its remote offline store (floe serve, Arrow Flight)');
  const remote: Awaited<ReturnType<typeof runFeastRemoteFloe>> = peers
    ? await runFeastRemoteFloe(python, feastEnv.env, data, out, floeOut)
    : notRun;
  // The peer is Feast's DuckDB store when it installs; its default file (dask) store, what
  // a Feast user gets without extras, is measured too so both ratios are on record.
  const feastFileOut = path.join(out, 'feast-file.parquet');
  let feastFile: PeerOutcome<Measured> | undefined;
  if (peers && options.feastFile && feastEnv.store === 'duckdb') {
    log('Feast (file offline store)');
    feastFile = await withinLimits(() => runFeast(python, process.env, 'file', data, feastFileOut, 'parquet', PEER_LIMITS));
  }

  const agreement = await compare(floeOut, floorOut, feast === undefined ? undefined : feastOut);
  const fileAgreement = feastFile?.result === undefined ? undefined : await compare(floeOut, floorOut, feastFileOut);
  const icebergDiffering = feastIceberg.result === undefined ? null : (await compare(floeOut, floorOut, feastIcebergOut)).feast;
  // Its time counts only when its answer is Floe's.
  const icebergTime = feastIceberg.result !== undefined && icebergDiffering === 0 ? feastIceberg.result : undefined;
  const remoteTime = remote.runs === undefined ? undefined : best(remote.runs);
  const figures: ScaleFigures = {
    scale: scale.fraction,
    entity_rows: scale.entityRows,
    feature_rows_per_view: scale.featureRows,
    views: VIEWS.length,
    features_per_view: FEATURES.length,
    floe_s: round3(floe.seconds),
    floor_s: round3(floor.seconds),
    feast_s: feast === undefined ? null : round3(feast.seconds),
    feast_store: feastEnv.store,
    floe_runs_s: floeRuns.map((one) => round3(one.seconds)),
    floor_runs_s: floorRuns.map((one) => round3(one.seconds)),
    floe_peak_mb: Math.round(floe.maxRssKb / 1024),
    floor_peak_mb: Math.round(floor.maxRssKb / 1024),
    feast_peak_mb: feast === undefined ? null : Math.round(feast.maxRssKb / 1024),
    duckdb_memory_limit: MEMORY_LIMIT,
    floe_rows: floe.rows,
    feast_rows: feast?.rows ?? null,
    rows_differing_from_floor: agreement.floor,
    feast_rows_differing_from_floe: agreement.feast,
    vs_feast: feast === undefined ? null : round3(floe.seconds / feast.seconds),
    ...defined({ feast_failure: feastOutcome.failure }),
    vs_floor: round3(floe.seconds / floor.seconds),
    feast_iceberg_s: icebergTime === undefined ? null : round3(icebergTime.seconds),
    vs_feast_iceberg: icebergTime === undefined ? null : round3(floe.seconds / icebergTime.seconds),
    feast_iceberg_peak_rss_mb: feastIceberg.result === undefined ? null : Math.round(feastIceberg.result.maxRssKb / 1024),
    feast_iceberg_rows_differing_from_floe: icebergDiffering,
    ...defined({ feast_iceberg_failure: feastIceberg.failure }),
    feast_remote_floe_s: remoteTime === undefined ? null : round3(remoteTime.seconds),
    feast_remote_floe_runs_s: remote.runs?.map((one) => round3(one.seconds)) ?? [],
    feast_remote_floe_vs_feast_iceberg:
      remoteTime === undefined || icebergTime === undefined ? null : round3(remoteTime.seconds / icebergTime.seconds),
    feast_remote_floe_vs_floe_cli: remoteTime === undefined ? null : round3(remoteTime.seconds / floe.seconds),
    feast_remote_client_peak_rss_mb: remoteTime === undefined ? null : Math.round(remoteTime.maxRssKb / 1024),
    feast_remote_floe_serve_peak_rss_mb: remote.servePeakMb ?? null,
    feast_remote_floe_rows_differing_from_floe: remote.differing ?? null,
    ...defined({ feast_remote_floe_failure: remote.failure }),
    // The checking (first, warming) call's time too, not counted: on a shared machine one call is noisy.
    ...defined({ feast_remote_floe_check_s: remote.checkSeconds === undefined ? undefined : round3(remote.checkSeconds) }),
  };
  if (onDemand) {
    const withOnDemand = best(onDemandRuns);
    const cpu = (runs: readonly Measured[]) => Math.min(...runs.map((one) => one.cpuSeconds ?? Number.NaN));
    Object.assign(figures, {
      floe_on_demand_s: round3(withOnDemand.seconds),
      floe_on_demand_runs_s: onDemandRuns.map((one) => round3(one.seconds)),
      floe_on_demand_peak_mb: Math.round(withOnDemand.maxRssKb / 1024),
      on_demand_overhead: round3(withOnDemand.seconds / floe.seconds - 1),
      // The same from CPU time (all threads), less at the mercy of other processes on a shared machine.
      on_demand_overhead_cpu: round3(cpu(onDemandRuns) / cpu(floeRuns) - 1),
      // Its ordinary feature columns must be Floe's own, row for row.
      on_demand_rows_differing_from_floe: (await compare(floeOut, floorOut, onDemandOut)).feast,
    });
  }
  if (feastFile?.result !== undefined && fileAgreement !== undefined) {
    Object.assign(figures, {
      feast_file_s: round3(feastFile.result.seconds),
      feast_file_peak_mb: Math.round(feastFile.result.maxRssKb / 1024),
      feast_file_rows_differing_from_floe: fileAgreement.feast,
      vs_feast_file: round3(floe.seconds / feastFile.result.seconds),
    });
  }
  if (feastFile?.failure !== undefined) Object.assign(figures, { feast_file_failure: feastFile.failure });
  return figures;
}

function perRowMicros(seconds: number, rows: number): number {
  return round3((seconds * 1e6) / rows);
}

function best(runs: readonly Measured[]): Measured {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function node(script: string, input: unknown): Promise<Measured> {
  return nodeScript(path.join(here, '_pit', script), input);
}

/** Which offline store Feast's client uses: one of its own, or Floe's offline endpoint on this port of 127.0.0.1. */
type FeastOfflineStore = 'duckdb' | 'file' | { readonly remotePort: number };

/**
 * Feast with Floe as its remote offline store: `floe serve` over the same catalog, then the same
 * client call as Feast-on-Iceberg's (its repository, its IcebergSources) with `offline_store: {type:
 * remote}`, in a Python process of its own. The first call's answer is compared with Floe's own run
 * (same rows, same values) before anything is timed, and warms the server; two more calls are timed
 * (the client call alone, in the oracle) and the better one kept, as Floe's own runs are: the ratio
 * to Floe's run is the protocol's cost, so both sides get the same number of tries.
 */
async function runFeastRemoteFloe(
  python: string,
  env: NodeJS.ProcessEnv,
  data: BenchData,
  out: string,
  floeOut: string,
): Promise<{
  /** The timed calls; the better one counts. */
  runs?: readonly Measured[];
  checkSeconds?: number;
  servePeakMb?: number;
  differing?: number;
  failure?: string;
}> {
  const server = await startRemoteFloe(data, MEMORY_LIMIT);
  try {
    const output = path.join(out, 'feast-remote-floe.parquet');
    const call = () => withinLimits(() => runFeast(python, env, { remotePort: server.offlinePort }, data, output, 'iceberg', PEER_LIMITS));
    const checked = await call();
    if (checked.result === undefined) return { failure: checked.failure };
    const differing = await rowsDifferingEitherWay(floeOut, output);
    const checkSeconds = checked.result.seconds;
    if (differing > 0) return { differing, checkSeconds };
    const timed: Measured[] = [];
    for (let round = 0; round < 2; round++) {
      const one = await call();
      if (one.result === undefined) return { differing, checkSeconds, failure: one.failure };
      timed.push(one.result);
    }
    return { runs: timed, checkSeconds, servePeakMb: server.peakRssMb(), differing };
  } finally {
    await server.stop();
  }
}

async function runFeast(
  python: string,
  env: NodeJS.ProcessEnv,
  store: FeastOfflineStore,
  data: BenchData,
  output: string,
  source: 'parquet' | 'iceberg',
  limits?: ChildLimits,
): Promise<Measured> {
  const request = {
    entities: [{ name: 'driver', join_keys: [{ name: 'driver_id', type: 'long' }] }],
    feature_views: VIEWS.map((view) => ({
      name: view,
      entities: ['driver'],
      ...(source === 'iceberg'
        ? { iceberg: feastIcebergTable(data.catalogConfig, 'bench', view) }
        : { path: store === 'duckdb' ? `${data.folders[view]}/*.parquet` : data.folders[view] }),
      timestamp_field: 'event_timestamp',
      created_timestamp_field: 'created',
      ttl_seconds: TTL_DAYS * 86_400,
      features: FEATURES.map((index) => ({ name: featureName(view, index), type: 'double' })),
    })),
    entity_parquet: data.entities,
    features: VIEWS.flatMap((view) => FEATURES.map((index) => `${view}:${featureName(view, index)}`)),
    full_feature_names: false,
    ...(typeof store === 'string'
      ? { offline_store: store }
      : { offline_store: 'remote', remote: { host: '127.0.0.1', port: store.remotePort } }),
    output_parquet: output,
  };
  const { stdout } = await child(
    python,
    [path.join(repoRoot, 'test', 'oracles', 'feast_historical.py')],
    env,
    JSON.stringify(request),
    limits,
  );
  const reply = JSON.parse(stdout) as { seconds: number; rows_written: number; max_rss_kb: number };
  return { seconds: reply.seconds, rows: reply.rows_written, maxRssKb: reply.max_rss_kb };
}

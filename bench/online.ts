// `npm run bench -- online [--quick] [--scale 10m,10m_s3,100m_s3]`: online serving over HTTP, Floe's
// `floe serve` beside Feast's own feature server (`feast serve`) over Redis and over its SQLite
// online store, holding the same rows (every entity's latest), asked the same requests by the same
// load generator (autocannon, in its own process, on loopback): 1, 8 and 32 connections × 1 and 100
// keys a request. Every server's answers are compared (1,000 sampled keys) before any time is taken.
//
// Scales (`--scale` picks some by their key suffix or name, comma-separated): quick, 20k entities on a
// local warehouse (SQL catalog). Full: 20k, 1M and 10M local, 1M and 10M on the S3 server (REST
// catalog on MinIO). 100M on S3 (`--scale 100m_s3`) only when asked: building its table alone takes
// a long while, and it is not in the default run. Feast: Redis and SQLite up to 1M (rows written by
// write_to_online_store), none at 1M on S3 (Feast's stores do not change with where Floe's tables
// live); Redis alone from 10M, loaded by redis-cli --pipe with Feast's own key and value encoding
// (bench/_online/feast_online_repo.py), and kept for the next scale of as many entities. At 100M
// only when Redis would fit in the machine's memory, else `feast_skipped_at_100m` says why.
//
// Each scale, under its own keys (suffix 20k, 1m, 1m_s3, 10m, 10m_s3, 100m_s3):
// http_1key_8c_p99_ms_<s>, http_100key_8c_p99_ms_<s>, rps_vs_feast_redis_<s> (1 key, 8
// connections) and rps_vs_feast_redis_100key_<s>, rss_mb_<s> (floe serve's peak resident memory,
// both runs below), build_s_<s> (writing the table), row_store_build_s_<s> (from a fresh server's
// first answer to its row store holding every large file, before any time is taken),
// first_read_ms_<s> (the first answer of floe serve restarted on the same project directory, so
// with its row store on disk, once it listens; restart_ms_<s> from its spawn to listening),
// warmup_s_<s> (that server's untimed warm-up, 1 key at 8 connections until its req/s settles:
// bench/_online/warm-up.ts; null when it had not within the limit), cold_1key_8c_p99_ms_<s> and
// cold_1key_8c_rps_<s> (the warm-up's first second: a fresh server under load) and
// commit_to_served_ms_<s> (the slowest of 3 windows committed one after another, each from its
// commit's return to the running server answering its value, asked every 20 ms from before the
// commit; the server refreshes its catalog every second), then compaction_rebuild_s_<s> and
// http_1key_8c_p99_ms_during_rebuild_<s>: the table compacted while the server runs, the seconds
// from the compaction's return to the row store holding the rewritten files, and the 1-key,
// 8-connection p99 of reads from that return on (null where no file is large enough for the store).
// At 10M local, an aggregated view too (the one below, over a week of one event a day per entity:
// 7 tiles a key, so its files go to the row store), served by its own floe serve once its row store
// holds them: http_agg_<keys>key_8c_{p50_ms,p99_ms,rps}_10m beside http_plain_…_10m,
// agg_vs_plain_http_<keys>key_p50_10m, aggregated_build_s_10m and aggregated_row_store_build_s_10m.
//
// Headline keys, at the largest local scale with Feast (1M full, 20k quick): http_1key_8c_p99_ms,
// http_100key_8c_p99_ms, rps_vs_feast_redis (Floe req/s ÷ Feast-on-Redis req/s, 1 key, 8
// connections; above 1: Floe serves more), first_read_after_start_ms (a fresh server's first
// answer), warmup_s, cold_1key_8c_p99_ms, cold_1key_8c_rps and server_rss_mb (the Floe server
// process's peak resident memory). Every server, Feast's too, is timed after the same warm-up.
// With auth: auth_overhead_1key_8c_p50/_p99/_rps (two fresh floe serves, one with server.auth and
// a static bearer token that the load sends to both, taking turns auth_rounds times: medians, on ÷
// off), auth_1key_8c_p99_ms,
// auth_1key_8c_rps.
//
// At the smallest local scale it also measures reads through the library (one after another, in
// this process) beside a plain DuckDB query of the same Parquet files (vs_duckdb = Floe's p50 /
// DuckDB's p50), on the compacted table and on one with many appended snapshots; and an aggregated
// view (count/sum/avg/min/max over 1h/1d/7d, materialized tiles, compacted) served over HTTP:
// `http_agg_<keys>key_8c_*` beside the plain view's `http_plain_<keys>key_8c_*`, and agg_vs_plain =
// aggregated p50 / plain p50. Last, one-key library reads of a 768-float embedding (`list<float>`) at
// 1M keys (20k quick), with the row store `floe serve` uses: embedding_768_1key_p99_ms, _p50_ms,
// _entities, _build_s, _row_store_s, _heap_mb (bench/_online/embedding.ts); `--embedding-only`
// measures that alone.
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/write/partition-functions.js';
import { OnlineStore } from '../features/online/index.js';
import type { Registry } from '../features/registry.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import type { CatalogConfig } from '../iceberg/catalog/catalog-config.js';
import type { ServiceName } from '../scripts/services/service.js';
import { floeRestCatalog } from '../test/support/rest-catalog.js';
import { pythonOracle, redisUrl, restCatalogService } from '../test/support/services.js';
import type { BenchmarkOptions } from './run.js';
import { aggregatedTables, AGGREGATED_VIEW, buildAggregatedTable } from './_online/aggregated.js';
import { askServer, checkSameAnswers } from './_online/compare-answers.js';
import { EMBEDDING_DIMENSIONS, measureEmbeddingReads } from './_online/embedding.js';
import type { EmbeddingFigures } from './_online/embedding.js';
import { appendWindow, buildAppendedTable, buildCompactedTable, exportRowsForFeast, FEATURES, VIEW } from './_online/dataset.js';
import type { BuildContext } from './_online/dataset.js';
import { localDataFiles, peerQuery } from './_online/duckdb-peer.js';
import { redisBytesPerKey, redisCommand, startFeastPeer } from './_online/feast-server.js';
import type { FeastLoad, FeastLoadMethod, FeastOnlineStore } from './_online/feast-server.js';
import { rowStoreIdle, startFloeServer } from './_online/floe-server.js';
import { measureCompactionReads } from './_online/compaction-reads.js';
import type { CompactionReads } from './_online/compaction-reads.js';
import type { LoadFigures } from './_online/load-generator.js';
import { median } from './_stats.js';
import { warmUntilSteady } from './_online/warm-up.js';
import type { WarmUp } from './_online/warm-up.js';
import { numberArgument } from './_args.js';
import { LoadProcess } from './_online/load-process.js';
import { keysFor, round, sequential } from './_online/measure.js';
import type { LatencyFigures } from './_online/measure.js';
import type { ServerProcess } from './_online/server-process.js';
import { defined } from '../contracts/defined.js';

const KEY_COUNTS = [1, 100] as const;
const CONNECTIONS = [1, 8, 32] as const;
const MAX_REQUESTS_PER_SHAPE = 200_000;
/**
 * Redis memory per key of Feast's store when no load earlier in the run measured it: 10M rows
 * through redis-cli --pipe took 244 B a key (used_memory ÷ DBSIZE) on this machine, 1M 201 B.
 */
const REDIS_BYTES_PER_KEY = 244;
/** Memory kept for everything but Redis when deciding whether Feast's Redis store fits: floe serve, the benchmark's DuckDB (4 GB). */
const REDIS_HEADROOM_BYTES = 6 * 2 ** 30;
/** The poll of commit_to_served_ms, and how many windows are committed (the slowest is reported). */
const COMMIT_POLL_MS = 20;
const COMMITS = 3;
const PLAIN_FEATURES = FEATURES.map((feature) => `${VIEW}:${feature}`);
const AGGREGATED_FEATURES = ['count', 'sum', 'avg', 'min', 'max'].flatMap((fn) =>
  ['1h', '1d', '7d'].map((window) => `${AGGREGATED_VIEW}:conv_rate_${fn}_${window}`),
);

/** Started by bench/run.ts: MinIO and the REST catalog only when a scale's tables live there. */
export function services(options: BenchmarkOptions): readonly ServiceName[] {
  return selectedScales(options).some((scale) => scale.storage === 's3') ? ['python', 'redis', 'rest-catalog'] : ['python', 'redis'];
}

export interface Scale {
  readonly name: string;
  /** The suffix of this scale's own summary keys (`http_1key_8c_p99_ms_10m_s3`), also accepted by `--scale`. */
  readonly key: string;
  readonly storage: 'local' | 's3';
  readonly entities: number;
  /** Feast's online stores beside Floe at this scale, and how their rows get there. */
  readonly feast: readonly FeastOnlineStore[];
  readonly feastLoad: FeastLoadMethod;
  /** Library reads, the DuckDB peer, the appended table and the aggregated view (at the smallest scale only: they do not need the others). */
  readonly extras: boolean;
  /** The aggregated view served beside the plain one, from its row store, under this scale's keys (`http_agg_1key_8c_p99_ms_10m`). */
  readonly aggregated: boolean;
  /** The headline keys (from the last such scale of the run) and auth on and off are measured here. */
  readonly headline: boolean;
  /** In the run without `--scale`. */
  readonly byDefault: boolean;
}

const SCALES: readonly Scale[] = [
  {
    name: 'local_20k',
    key: '20k',
    storage: 'local',
    entities: 20_000,
    feast: ['redis', 'sqlite'],
    feastLoad: 'write',
    extras: true,
    aggregated: false,
    headline: true,
    byDefault: true,
  },
  {
    name: 'local_1m',
    key: '1m',
    storage: 'local',
    entities: 1_000_000,
    feast: ['redis', 'sqlite'],
    feastLoad: 'write',
    extras: false,
    aggregated: false,
    headline: true,
    byDefault: true,
  },
  {
    name: 's3_1m',
    key: '1m_s3',
    storage: 's3',
    entities: 1_000_000,
    feast: [],
    feastLoad: 'write',
    extras: false,
    aggregated: false,
    headline: false,
    byDefault: true,
  },
  {
    name: 'local_10m',
    key: '10m',
    storage: 'local',
    entities: 10_000_000,
    feast: ['redis'],
    feastLoad: 'pipe',
    extras: false,
    aggregated: true,
    headline: false,
    byDefault: true,
  },
  {
    name: 's3_10m',
    key: '10m_s3',
    storage: 's3',
    entities: 10_000_000,
    feast: ['redis'],
    feastLoad: 'pipe',
    extras: false,
    aggregated: false,
    headline: false,
    byDefault: true,
  },
  {
    name: 's3_100m',
    key: '100m_s3',
    storage: 's3',
    entities: 100_000_000,
    feast: ['redis'],
    feastLoad: 'pipe',
    extras: false,
    aggregated: false,
    headline: false,
    byDefault: false,
  },
];

/** `--scale a,b` (keys or names, run in SCALES's order); else quick's 20k, or the default run's. */
export function selectedScales(options: BenchmarkOptions): readonly Scale[] {
  const index = options.args.indexOf('--scale');
  if (index === -1) return options.quick ? SCALES.slice(0, 1) : SCALES.filter((scale) => scale.byDefault);
  const asked = (options.args[index + 1] ?? '').split(',').filter((name) => name !== '');
  for (const name of asked)
    if (!SCALES.some((scale) => scale.key === name || scale.name === name))
      throw new Error(`--scale ${JSON.stringify(name)} is none of ${SCALES.map((scale) => scale.key).join(', ')}`);
  if (asked.length === 0) throw new Error(`--scale needs one or more of ${SCALES.map((scale) => scale.key).join(', ')}`);
  return SCALES.filter((scale) => asked.includes(scale.key) || asked.includes(scale.name));
}

interface Settings {
  readonly scales: readonly Scale[];
  /** Of every online table: a data file holds entities ÷ buckets rows. */
  readonly buckets: number;
  readonly shapeSeconds: number;
  /** Each server's untimed warm-up lasts at least this, and until its throughput settles (bench/_online/warm-up.ts), at most maxWarmupSeconds. */
  readonly warmupSeconds: number;
  readonly maxWarmupSeconds: number;
  readonly snapshots: number;
  readonly libraryMs: number;
  readonly libraryRequests: number;
  /** Events per entity and day for the aggregated view (over a week). */
  readonly aggregatedEventsPerDay: number;
  /** The same at a scale whose `aggregated` is set (millions of entities: a week of one a day is 7 tiles a key). */
  readonly aggregatedScaleEventsPerDay: number;
  /** Keys of the 768-float embedding view whose one-key library reads are timed (bench/_online/embedding.ts). */
  readonly embeddingEntities: number;
}

const QUICK: Omit<Settings, 'scales'> = {
  buckets: 16,
  shapeSeconds: 1.5,
  warmupSeconds: 1,
  maxWarmupSeconds: 15,
  snapshots: 5,
  libraryMs: 1_000,
  libraryRequests: 2_000,
  aggregatedEventsPerDay: 2,
  aggregatedScaleEventsPerDay: 1,
  embeddingEntities: 20_000,
};

const FULL: Omit<Settings, 'scales'> = {
  buckets: 16,
  shapeSeconds: 6,
  warmupSeconds: 3,
  maxWarmupSeconds: 30,
  snapshots: 100,
  libraryMs: 4_000,
  libraryRequests: 5_000,
  aggregatedEventsPerDay: 8,
  aggregatedScaleEventsPerDay: 1,
  embeddingEntities: 1_000_000,
};

type Shape = `${number}key_${number}c`;
type ShapeFigures = Partial<Record<Shape, LoadFigures>>;

interface ScaleFigures {
  storage: string;
  entities: number;
  build_s: number;
  server_start_ms: number;
  /** The first answer of a fresh server with no row store on disk yet. */
  first_read_after_start_ms: number;
  row_store_build_s: number;
  /** The first answer of the server restarted after its row store was built, once it listens (restart_ms after its spawn). */
  first_read_ms: number;
  restart_ms: number;
  /** The slowest of COMMITS windows (each served within one catalog refresh of its commit, so anywhere in 0-1 s). */
  commit_to_served_ms: number;
  commit_to_served_all_ms: number[];
  /** The peak of both runs of floe serve. */
  server_rss_mb: number;
  /** Reads while a compaction's rewritten files are stored; null when no file is large enough for the row store. */
  compaction_reads: CompactionReads | null;
  floe: ShapeFigures;
  feast_redis?: ShapeFigures;
  feast_sqlite?: ShapeFigures;
  feast_load_s?: Partial<Record<FeastOnlineStore, number>>;
  feast_start_ms?: Partial<Record<FeastOnlineStore, number>>;
  /** Feast's peers were loaded at this earlier scale of the run (the same rows). */
  feast_reused_from?: string;
  feast_redis_bytes_per_key?: number;
  /** Floe req/s ÷ the peer's, per shape. */
  rps_vs_feast_redis?: Partial<Record<Shape, number | null>>;
  rps_vs_feast_sqlite?: Partial<Record<Shape, number | null>>;
  feast_skipped?: string;
  /** Each server's warm-up before the shapes were timed: how long its throughput took to settle, and its cold figures. */
  warm_up?: Record<string, WarmUp>;
  /** The same floe serve without and with `server.auth` (a static bearer token), taking turns. */
  auth?: { off: ShapeFigures; on: ShapeFigures };
  /** At a scale whose `aggregated` is set: the aggregated view's keys (measureAggregated's, and its build and row store times). */
  aggregated?: Record<string, unknown>;
}

/** The shapes measured with auth on and off. */
const AUTH_SHAPES: readonly Shape[] = ['1key_8c', '100key_8c'];
/** Auth on and off take turns this many times per shape: a ratio of two servers needs more than one turn to be more than noise. */
const AUTH_ROUNDS = 5;

/**
 * Smaller runs of the full scales' code paths, e.g. `--entity-factor 0.01 --shape-seconds 1`:
 * every scale's entity count × F (at least 1,000), and each shape's duration. `--buckets B` makes
 * files large enough for floe serve's row store (more rows than a quarter of its row cache's 2M)
 * at a smaller scale: `--scale 10m --entity-factor 0.06 --buckets 1`.
 */
function withOverrides(settings: Settings, args: readonly string[]): Settings {
  const factor = numberArgument(args, '--entity-factor', 1, 1);
  const shapeSeconds = numberArgument(args, '--shape-seconds', settings.shapeSeconds, 600);
  return {
    ...settings,
    buckets: Math.round(numberArgument(args, '--buckets', settings.buckets, 1_024)) || 1,
    shapeSeconds,
    warmupSeconds: Math.min(settings.warmupSeconds, shapeSeconds),
    scales: settings.scales.map((scale) => ({ ...scale, entities: Math.max(1_000, Math.round(scale.entities * factor)) })),
    embeddingEntities: Math.max(1_000, Math.round(settings.embeddingEntities * factor)),
  };
}

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const scales = options.args.includes('--embedding-only') ? [] : selectedScales(options);
  const settings = withOverrides({ ...(options.quick ? QUICK : FULL), scales }, options.args);
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-online-'));
  const engine = await Engine.create({ threads: 2, memoryLimit: '4GB', setup: registerIcebergFunctions });
  const python = pythonOracle().python;
  const load = new LoadProcess();
  const figuresByScale: Record<string, ScaleFigures> = {};
  let extras: Record<string, unknown> = {};
  const feast = new FeastPeers();
  const stamp = Date.now().toString(36);
  let embedding: EmbeddingFigures | undefined;
  try {
    for (const scale of settings.scales) {
      const config: CatalogConfig =
        scale.storage === 'local'
          ? {
              type: 'sql',
              uri: `sqlite:///${path.join(scratch, 'catalog.db')}`,
              create: true,
              warehouse: `file://${path.join(scratch, 'warehouse')}`,
            }
          : floeRestCatalog(restCatalogService());
      const catalog = await loadCatalog(config);
      try {
        const feastSkipped = await feast.prepare(scale);
        const figures = await measureScale({
          scale,
          settings,
          catalog,
          config,
          engine,
          python,
          load,
          feast: scale.feast.length > 0 && feastSkipped === undefined ? feast : undefined,
          scratch: path.join(scratch, scale.name),
          namespace: `bench_online_${stamp}_${scale.name}`,
          onExtras: (found) => (extras = found),
        });
        if (feastSkipped !== undefined) figures.feast_skipped = feastSkipped;
        figuresByScale[scale.name] = figures;
      } finally {
        await catalog.close();
      }
    }
    embedding = await measureEmbedding(settings, engine, path.join(scratch, 'embedding'));
  } finally {
    await feast.stop();
    await load.close();
    engine.close();
    await rm(scratch, { recursive: true, force: true });
  }
  return { ...summary(settings, figuresByScale, extras), ...embeddingKeys(embedding) };
}

/** One-key library reads of a 768-float embedding at settings.embeddingEntities keys, on a local warehouse of its own. */
async function measureEmbedding(settings: Settings, engine: Engine, directory: string): Promise<EmbeddingFigures> {
  const catalog = await loadCatalog({
    type: 'sql',
    uri: `sqlite:///${path.join(directory, 'catalog.db')}`,
    create: true,
    warehouse: `file://${path.join(directory, 'warehouse')}`,
  });
  try {
    log(`embedding: writing ${settings.embeddingEntities} keys of ${EMBEDDING_DIMENSIONS} floats, then reading one key a request`);
    return await measureEmbeddingReads(
      { catalog, engine, workDirectory: path.join(directory, 'work') },
      {
        table: 'bench_online.embeddings',
        entities: settings.embeddingEntities,
        buckets: settings.buckets,
        maxRequests: settings.libraryRequests,
        maxMs: settings.libraryMs * 2,
      },
    );
  } finally {
    await catalog.close();
  }
}

/** `embedding_768_1key_p99_ms` (the headline), its p50, the keys it was read among and how long their table took to write. */
function embeddingKeys(embedding: EmbeddingFigures | undefined): Record<string, number> {
  if (embedding === undefined) return {};
  const prefix = `embedding_${embedding.dimensions}`;
  return {
    [`${prefix}_1key_p99_ms`]: embedding.p99_ms,
    [`${prefix}_1key_p50_ms`]: embedding.p50_ms,
    [`${prefix}_entities`]: embedding.entities,
    [`${prefix}_build_s`]: embedding.build_s,
    [`${prefix}_row_store_s`]: embedding.row_store_s,
    [`${prefix}_heap_mb`]: embedding.heap_mb,
  };
}

type FeastPeer = { store: FeastOnlineStore; load: FeastLoad; server: ServerProcess };

/**
 * Feast's running peers, kept from one scale to the next when it asks for the same stores over as
 * many entities (its rows are the same: only where Floe's table lives differs), else stopped, and
 * the benchmark's own Redis (started for this run by bench/run.ts) emptied.
 */
class FeastPeers {
  private current: { wanted: string; scale: string; peers: Promise<FeastPeer[]> } | undefined;
  /** Measured by the last redis-cli --pipe load. */
  private redisBytesPerKey: number | undefined;
  private pipeRowsPerS: number | undefined;

  /** Before `scale` builds anything: frees what it will not reuse; a reason when Feast is skipped at this scale. */
  async prepare(scale: Scale): Promise<string | undefined> {
    if (scale.feast.length === 0) return undefined;
    if (this.current !== undefined && this.current.wanted !== wanted(scale)) await this.stop({ flush: true });
    if (this.current !== undefined || scale.feastLoad !== 'pipe') return undefined;
    const bytesPerKey = this.redisBytesPerKey ?? REDIS_BYTES_PER_KEY;
    const needed = scale.entities * bytesPerKey;
    if (needed + REDIS_HEADROOM_BYTES <= os.freemem()) return undefined;
    const gb = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);
    return (
      `Feast's Redis store would hold ${scale.entities} keys in about ${gb(needed)} GB ` +
      `(${Math.round(bytesPerKey)} B a key, ${this.redisBytesPerKey === undefined ? 'measured by a 10M-row load on this machine' : 'measured by the load earlier in this run'}), ` +
      `and the machine has ${gb(os.freemem())} GB available of which ${gb(REDIS_HEADROOM_BYTES)} GB stay for floe serve and the benchmark's DuckDB` +
      (this.pipeRowsPerS === undefined
        ? ''
        : `; loading it would take about ${Math.round(scale.entities / this.pipeRowsPerS / 60)} min at the ${Math.round(this.pipeRowsPerS)} rows/s of that load`)
    );
  }

  /** The peers of `context`'s scale: the running ones when `prepare` kept them (`reusedFrom` names their scale), else loaded with `compacted`'s rows. */
  start(context: ScaleContext, compacted: Registry): { peers: Promise<FeastPeer[]>; reusedFrom?: string } {
    if (this.current !== undefined) return { peers: this.current.peers, reusedFrom: this.current.scale };
    const peers = startFeastPeers(context, compacted).then(async (started) => {
      const redis = started.find((peer) => peer.store === 'redis');
      if (context.scale.feastLoad === 'pipe' && redis !== undefined) {
        this.redisBytesPerKey = await redisBytesPerKey(redisUrl());
        this.pipeRowsPerS = redis.load.rows / redis.load.seconds;
      }
      return started;
    });
    this.current = { wanted: wanted(context.scale), scale: context.scale.name, peers };
    return { peers };
  }

  get bytesPerKey(): number | undefined {
    return this.redisBytesPerKey;
  }

  async stop(options: { flush?: boolean } = {}): Promise<void> {
    const peers = await this.current?.peers.catch(() => []);
    this.current = undefined;
    await Promise.all((peers ?? []).map((peer) => peer.server.stop()));
    if (options.flush === true) await redisCommand(redisUrl(), 'FLUSHALL');
  }
}

function wanted(scale: Scale): string {
  return `${scale.entities} ${scale.feast.join('+')} ${scale.feastLoad}`;
}

/** The headline keys at the last headline scale of the run (1M full, 20k quick), every scale's own keys, then every scale's details. */
function summary(settings: Settings, scales: Record<string, ScaleFigures>, extras: Record<string, unknown>): Record<string, unknown> {
  const local = settings.scales.filter((scale) => scale.storage === 'local');
  const headline = settings.scales.filter((scale) => scale.headline).at(-1);
  const figures = headline === undefined ? undefined : scales[headline.name]!;
  const largest = local.length === 0 ? undefined : scales[local.at(-1)!.name]!;
  return {
    ...(headline === undefined || figures === undefined
      ? {}
      : {
          headline_scale: headline.name,
          entities: headline.entities,
          http_1key_8c_p99_ms: figures.floe['1key_8c']?.p99_ms,
          http_100key_8c_p99_ms: figures.floe['100key_8c']?.p99_ms,
          http_1key_8c_rps: figures.floe['1key_8c']?.rps,
          rps_vs_feast_redis: figures.rps_vs_feast_redis?.['1key_8c'] ?? null,
          rps_vs_feast_sqlite: figures.rps_vs_feast_sqlite?.['1key_8c'] ?? null,
          first_read_after_start_ms: figures.first_read_after_start_ms,
          ...warmUpKeys(figures),
          server_rss_mb: figures.server_rss_mb,
          ...authSummary(figures.auth),
        }),
    ...(largest === undefined
      ? {}
      : {
          largest_local_scale: local.at(-1)!.name,
          largest_local_http_1key_8c_p99_ms: largest.floe['1key_8c']?.p99_ms,
          largest_local_http_100key_8c_p99_ms: largest.floe['100key_8c']?.p99_ms,
          largest_local_server_rss_mb: largest.server_rss_mb,
        }),
    ...Object.assign({}, ...settings.scales.map((scale) => scaleKeys(scale, scales[scale.name]!))),
    shape_seconds: settings.shapeSeconds,
    buckets: settings.buckets,
    feast_workers: 1,
    ...extras,
    scales,
  };
}

/** floe serve's warm-up: seconds until its throughput settled (null if it had not by the limit), and its first second's figures. */
function warmUpKeys(figures: ScaleFigures): Record<string, number | null> {
  const warmUp = figures.warm_up?.['floe'];
  if (warmUp === undefined) return {};
  return {
    warmup_s: warmUp.settled ? warmUp.seconds : null,
    cold_1key_8c_p99_ms: warmUp.cold.p99_ms,
    cold_1key_8c_rps: warmUp.cold.rps,
  };
}

/** One scale's keys, suffixed with its key (`_10m_s3`). */
function scaleKeys(scale: Scale, figures: ScaleFigures): Record<string, unknown> {
  const keys: Record<string, unknown> = {
    http_1key_8c_p99_ms: figures.floe['1key_8c']?.p99_ms,
    http_100key_8c_p99_ms: figures.floe['100key_8c']?.p99_ms,
    http_1key_8c_rps: figures.floe['1key_8c']?.rps,
    http_100key_8c_rps: figures.floe['100key_8c']?.rps,
    ...(figures.rps_vs_feast_redis === undefined
      ? {}
      : {
          rps_vs_feast_redis: figures.rps_vs_feast_redis['1key_8c'] ?? null,
          rps_vs_feast_redis_100key: figures.rps_vs_feast_redis['100key_8c'] ?? null,
        }),
    ...defined({ feast_redis_load_s: figures.feast_load_s?.redis }),
    rss_mb: figures.server_rss_mb,
    ...warmUpKeys(figures),
    first_read_ms: figures.first_read_ms,
    restart_ms: figures.restart_ms,
    commit_to_served_ms: figures.commit_to_served_ms,
    row_store_build_s: figures.row_store_build_s,
    build_s: figures.build_s,
    compaction_rebuild_s: figures.compaction_reads?.rebuild_s ?? null,
    http_1key_8c_p99_ms_during_rebuild: figures.compaction_reads?.reads.p99_ms ?? null,
    ...figures.aggregated,
  };
  const suffixed = Object.fromEntries(Object.entries(keys).map(([name, value]) => [`${name}_${scale.key}`, value]));
  // The issue names it by entity count alone (`feast_skipped_at_100m`): Feast's store is the same wherever Floe's table lives.
  if (figures.feast_skipped !== undefined) suffixed[`feast_skipped_at_${scale.key.replace(/_s3$/, '')}`] = figures.feast_skipped;
  return suffixed;
}

interface ScaleContext {
  readonly scale: Scale;
  readonly settings: Settings;
  readonly catalog: Catalog;
  readonly config: CatalogConfig;
  readonly engine: Engine;
  readonly python: string;
  readonly load: LoadProcess;
  /** Undefined when Feast is skipped at this scale. */
  readonly feast: FeastPeers | undefined;
  readonly scratch: string;
  readonly namespace: string;
  readonly onExtras: (extras: Record<string, unknown>) => void;
}

async function measureScale(context: ScaleContext): Promise<ScaleFigures> {
  const { scale, settings, catalog, engine, namespace } = context;
  const build = { catalog, engine, workDirectory: path.join(context.scratch, 'work') };
  const label = scale.name;
  log(`${label}: writing ${scale.entities} entities into ${namespace}.compacted (${scale.storage} warehouse)`);
  const buildStarted = performance.now();
  const compacted = await buildCompactedTable(build, {
    table: `${namespace}.compacted`,
    entities: scale.entities,
    buckets: settings.buckets,
  });
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  log(`${label}: table written in ${round(buildSeconds)} s`);

  // Feast's loads run while the extra tables are built: neither is timed.
  const floeServers: ServerProcess[] = [];
  const feastStart = context.feast?.start(context, compacted);
  // Awaited below, after the extra tables are built (FeastPeers stops them).
  feastStart?.peers.catch(() => undefined);
  try {
    let extraTables: { appended: Registry; aggregated: Registry } | undefined;
    if (scale.extras) {
      log(`${label}: writing ${settings.snapshots} snapshots of ${scale.entities} entities, and an aggregated view over a week`);
      extraTables = {
        appended: await buildAppendedTable(build, {
          table: `${namespace}.appended`,
          entities: scale.entities,
          snapshots: settings.snapshots,
          buckets: settings.buckets,
          log,
        }),
        aggregated: await buildAggregatedTable(build, {
          namespace,
          entities: scale.entities,
          eventsPerDay: settings.aggregatedEventsPerDay,
          buckets: settings.buckets,
          log,
        }),
      };
    }
    // At an aggregated scale (not the extras one, which builds it above): the aggregated view alone.
    let aggregatedBuildSeconds: number | undefined;
    if (scale.aggregated && extraTables === undefined) {
      log(`${label}: writing an aggregated view over a week of ${settings.aggregatedScaleEventsPerDay} event a day per entity`);
      const started = performance.now();
      await buildAggregatedTable(build, {
        namespace,
        entities: scale.entities,
        eventsPerDay: settings.aggregatedScaleEventsPerDay,
        buckets: settings.buckets,
        log,
      });
      aggregatedBuildSeconds = round((performance.now() - started) / 1000);
    }
    const feast = feastStart === undefined ? [] : await feastStart.peers;
    const feastLoadSeconds: Partial<Record<FeastOnlineStore, number>> = {};
    const feastStartMs: Partial<Record<FeastOnlineStore, number>> = {};
    if (feastStart?.reusedFrom === undefined)
      for (const peer of feast) {
        feastLoadSeconds[peer.store] = round(peer.load.seconds);
        feastStartMs[peer.store] = Math.round(peer.server.startMs);
      }
    else log(`${label}: Feast's ${feast.map((peer) => peer.store).join(' and ')} peers as loaded at ${feastStart.reusedFrom}`);

    let library: Record<string, unknown> | undefined;
    if (extraTables !== undefined) library = await measureLibrary(context, { compacted, ...extraTables });

    // The aggregated view's server starts beside the plain one (then idles until its turn).
    const servesAggregated = extraTables !== undefined || aggregatedBuildSeconds !== undefined;
    log(`${label}: starting floe serve${servesAggregated ? ' for the plain view and for the aggregated view' : ''}`);
    const { sourceTable, onlineTable } = aggregatedTables(namespace);
    const startPlain = async (): Promise<ServerProcess> => {
      const server = await startFloeServer({
        directory: path.join(context.scratch, 'floe-serve'),
        catalog: context.config,
        definitions: { kind: 'plain', table: `${namespace}.compacted`, buckets: settings.buckets },
      });
      floeServers.push(server);
      return server;
    };
    const [fresh, aggregatedServer] = await Promise.all([
      startPlain(),
      !servesAggregated
        ? undefined
        : startFloeServer({
            directory: path.join(context.scratch, 'floe-serve-aggregated'),
            catalog: context.config,
            definitions: { kind: 'aggregated', sourceTable, table: onlineTable, buckets: settings.buckets },
          }),
    ]);
    if (aggregatedServer !== undefined) floeServers.push(aggregatedServer);
    const firstRead = await timeFirstRead(fresh.url, PLAIN_FEATURES, scale.entities);
    log(`${label}: floe serve listening after ${Math.round(fresh.startMs)} ms; its first read took ${firstRead} ms`);
    const storing = performance.now();
    await rowStoreIdle(fresh.url);
    const rowStoreSeconds = round((performance.now() - storing) / 1000);
    const freshPeakMb = fresh.peakRssMb();
    // The same project directory: the restarted server finds the row store the first one built.
    await fresh.stop();
    const floe = await startPlain();
    const firstReadAfterRestart = await timeFirstRead(floe.url, PLAIN_FEATURES, scale.entities);
    log(
      `${label}: row store built ${rowStoreSeconds} s after the first read (peak RSS ${freshPeakMb} MB); ` +
        `restarted, floe serve's first read took ${firstReadAfterRestart} ms`,
    );
    // Its row store is built before any time is taken: it would otherwise share the cores with the plain view's reads.
    const aggregatedRowStoreSeconds = aggregatedServer === undefined ? undefined : await probeAggregated(context, aggregatedServer);

    const plainServers = [{ name: 'floe', url: floe.url }, ...feast.map((peer) => ({ name: `feast_${peer.store}`, url: peer.server.url }))];
    const samples = [
      [1, scale.entities, scale.entities + 1],
      ...Array.from({ length: 10 }, (_, index) => keysFor(7_777 + index, 100, scale.entities)),
    ];
    for (const sample of samples) await checkSameAnswers(plainServers, { features: PLAIN_FEATURES, entities: { driver_id: sample } });
    log(
      `${label}: ${plainServers.map(({ name }) => name).join(', ')} give the same answers for ${samples.flat().length} keys (one missing)`,
    );

    const { shapes: measured, warmUps } = await measureShapes(
      context.load,
      plainServers,
      PLAIN_FEATURES,
      scale.entities,
      settings,
      label,
      shapes(),
    );
    const commitsToServed: number[] = [];
    for (let commit = 0; commit < COMMITS; commit++)
      commitsToServed.push(await timeCommitToServed(build, compacted, floe.url, scale.entities, commit));
    log(
      `${label}: ${COMMITS} windows committed one after another were served ${commitsToServed.join(', ')} ms after their commits returned`,
    );
    const compactionReads = await measureCompactionReads({
      build,
      registry: compacted,
      load: context.load,
      url: floe.url,
      entities: scale.entities,
      features: PLAIN_FEATURES,
      seconds: settings.shapeSeconds,
      maxRequests: MAX_REQUESTS_PER_SHAPE,
    });
    log(
      compactionReads === null
        ? `${label}: no file large enough for the row store, so no rebuild after a compaction to read through`
        : `${label}: compacted in ${compactionReads.compaction_s} s; the row store held the rewritten files ${compactionReads.rebuild_s} s later; ` +
            `1 key, 8 connections from the compaction's return: p50 ${compactionReads.reads.p50_ms} ms, p99 ${compactionReads.reads.p99_ms} ms, ${compactionReads.reads.rps} req/s, ${compactionReads.reads.errors} errors`,
    );
    const figures: ScaleFigures = {
      storage: scale.storage,
      entities: scale.entities,
      build_s: round(buildSeconds),
      server_start_ms: Math.round(fresh.startMs),
      first_read_after_start_ms: firstRead,
      row_store_build_s: rowStoreSeconds,
      first_read_ms: firstReadAfterRestart,
      restart_ms: Math.round(floe.startMs),
      commit_to_served_ms: Math.max(...commitsToServed),
      commit_to_served_all_ms: commitsToServed,
      server_rss_mb: Math.max(freshPeakMb, floe.peakRssMb()),
      floe: measured['floe']!,
      warm_up: warmUps,
      compaction_reads: compactionReads,
    };
    if (feast.length > 0) {
      if (feastStart?.reusedFrom === undefined) {
        figures.feast_load_s = feastLoadSeconds;
        figures.feast_start_ms = feastStartMs;
      } else figures.feast_reused_from = feastStart.reusedFrom;
      const bytesPerKey = scale.feastLoad === 'pipe' ? context.feast?.bytesPerKey : undefined;
      if (bytesPerKey !== undefined) figures.feast_redis_bytes_per_key = Math.round(bytesPerKey);
      for (const peer of feast) {
        const peerFigures = measured[`feast_${peer.store}`]!;
        figures[`feast_${peer.store}`] = peerFigures;
        figures[`rps_vs_feast_${peer.store}`] = Object.fromEntries(
          shapes().map((shape) => [shape, ratio(figures.floe[shape]!.rps, peerFigures[shape]!.rps)]),
        );
      }
    }
    log(`${label}: floe serve's peak RSS ${figures.server_rss_mb} MB`);
    await floe.stop();
    if (scale.headline) figures.auth = await measureAuth(context);

    if (aggregatedServer !== undefined && aggregatedBuildSeconds !== undefined)
      figures.aggregated = {
        ...(await measureAggregated(context, aggregatedServer, figures.floe)),
        aggregated_build_s: aggregatedBuildSeconds,
        aggregated_row_store_build_s: aggregatedRowStoreSeconds,
      };
    else if (aggregatedServer !== undefined)
      context.onExtras({ ...(await measureAggregated(context, aggregatedServer, figures.floe)), ...library });
    return figures;
  } finally {
    await Promise.all(floeServers.map((server) => server.stop()));
  }
}

/**
 * Commits a new window (100 keys, conv_rate `commit` + 2, which no generated row has) to the view's online
 * table while one of its keys is asked of the running server every COMMIT_POLL_MS, from before the
 * commit (as a busy server is asked: its last catalog check is then always recent, and the new
 * snapshot waits for the next one): the ms from the commit's return to the first answer of the new value.
 */
async function timeCommitToServed(build: BuildContext, registry: Registry, url: string, entities: number, commit: number): Promise<number> {
  const keys = keysFor(31_337 + commit, 100, entities);
  const convRate = commit + 2;
  let stopped = false;
  const served = (async (): Promise<number> => {
    while (!stopped) {
      const answer = await askServer(url, { features: [`${VIEW}:conv_rate`], entities: { driver_id: keys.slice(0, 1) } });
      if (answer.results[answer.metadata.feature_names.indexOf('conv_rate')]?.values[0] === convRate) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, COMMIT_POLL_MS));
    }
    return NaN;
  })();
  // Awaited after the commit; a failed ask meanwhile must not go unhandled.
  served.catch(() => undefined);
  const timeout = setTimeout(() => (stopped = true), 120_000);
  try {
    // Let the poll run for longer than the server's refresh interval (1 s) before the commit.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await appendWindow(build, registry, keys, convRate);
    const committed = performance.now();
    const servedAt = await served;
    if (Number.isNaN(servedAt))
      throw new Error(`${url} did not serve the window committed (conv_rate ${convRate} for driver ${keys[0]}) within 120 s`);
    // Below 0 when the new value was served before appendWindow returned (it returns after the catalog's commit).
    return round(Math.max(0, servedAt - committed));
  } finally {
    stopped = true;
    clearTimeout(timeout);
    await served.catch(() => undefined);
  }
}

/** null when the peer answered nothing in the time (a shape too short for its slowest requests). */
function ratio(floe: number, peer: number): number | null {
  return peer > 0 ? round(floe / peer) : null;
}

function shapes(): Shape[] {
  return KEY_COUNTS.flatMap((keys) => CONNECTIONS.map((connections): Shape => `${keys}key_${connections}c`));
}

/** Exports the rows, loads both of Feast's stores at once, then starts a `feast serve` on each. */
async function startFeastPeers(context: ScaleContext, compacted: Registry): Promise<FeastPeer[]> {
  const { scale } = context;
  const parquet = path.join(context.scratch, 'feast-rows.parquet');
  await exportRowsForFeast({ catalog: context.catalog, engine: context.engine, workDirectory: context.scratch }, compacted, parquet);
  log(`${scale.name}: loading ${scale.entities} rows into Feast's ${scale.feast.join(' and ')} online stores`);
  const started = await Promise.allSettled(
    scale.feast.map(async (store) => ({
      store,
      ...(await startFeastPeer({
        python: context.python,
        repo: path.join(context.scratch, `feast-${store}`),
        project: `${context.namespace}_${store}`,
        parquet,
        store,
        ...(store === 'redis' ? { redisUrl: redisUrl() } : {}),
        method: scale.feastLoad,
        log,
      })),
    })),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.server.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return started.map((result) => (result as PromiseFulfilledResult<FeastPeer>).value);
}

/**
 * Two fresh floe serves over the same table, alike but for `server.auth` (one static token, sent by
 * every request to both as `Authorization: Bearer`), started together and taking turns, so that
 * neither is warmer than the other (the first server's long run would have made it so).
 */
async function measureAuth(context: ScaleContext): Promise<{ off: ShapeFigures; on: ShapeFigures }> {
  const label = context.scale.name;
  log(`${label}: starting two floe serves, without and with server.auth`);
  const start = (auth: boolean): Promise<ServerProcess> =>
    startFloeServer({
      directory: path.join(context.scratch, auth ? 'floe-serve-auth-on' : 'floe-serve-auth-off'),
      catalog: context.config,
      definitions: { kind: 'plain', table: `${context.namespace}.compacted`, buckets: context.settings.buckets },
      auth,
    });
  const started = await Promise.allSettled([start(false), start(true)]);
  const [withoutAuth, withAuth] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    // Both servers get the same requests, bearer token included (the server without auth ignores it):
    // the load process builds every request anew on the same two cores, and one more header to
    // build was itself a tenth of the 1-key throughput, a cost of the client and not of auth.
    const headers = withAuth!.headers ?? {};
    for (const server of [withoutAuth!, withAuth!]) await timeFirstRead(server.url, PLAIN_FEATURES, context.scale.entities, headers);
    const { shapes: measured } = await measureShapes(
      context.load,
      [
        { name: 'auth_off', url: withoutAuth!.url, headers },
        { name: 'auth_on', url: withAuth!.url, headers },
      ],
      PLAIN_FEATURES,
      context.scale.entities,
      context.settings,
      label,
      AUTH_SHAPES,
      AUTH_ROUNDS,
    );
    return { off: measured['auth_off']!, on: measured['auth_on']! };
  } finally {
    await Promise.all([withoutAuth?.stop(), withAuth?.stop()]);
  }
}

/** Auth on ÷ off (p50 and p99 above 1: slower with auth; req/s below 1: fewer), and auth on's own p99 and req/s. */
function authSummary(auth: ScaleFigures['auth']): Record<string, number | null> {
  if (auth === undefined) return {};
  const keys: Record<string, number | null> = { auth_rounds: AUTH_ROUNDS };
  for (const shape of AUTH_SHAPES) {
    const on = auth.on[shape];
    const off = auth.off[shape];
    if (on === undefined || off === undefined) continue;
    keys[`auth_overhead_${shape}_p50`] = ratio(on.p50_ms, off.p50_ms);
    keys[`auth_overhead_${shape}_p99`] = ratio(on.p99_ms, off.p99_ms);
    keys[`auth_overhead_${shape}_rps`] = ratio(on.rps, off.rps);
    keys[`auth_${shape}_p99_ms`] = on.p99_ms;
    keys[`auth_${shape}_rps`] = on.rps;
  }
  return keys;
}

/** The time of a server's first answer (1 key). */
async function timeFirstRead(
  url: string,
  features: readonly string[],
  entities: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ features, entities: { driver_id: keysFor(424_242, 1, entities) } }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`the first read answered ${response.status}: ${text.slice(0, 500)}`);
  return round(performance.now() - started);
}

/**
 * Every shape, with the servers taking turns within each shape (so a load burst from elsewhere on
 * the machine falls on all of them alike), after each server's untimed warm-up until its throughput
 * settles (bench/_online/warm-up.ts, whose figures are returned beside the shapes'). Each shape
 * asks every server the same keys. With `rounds` above 1 the turns repeat, each round with new
 * keys, and a server's figures are the medians of its rounds: on two cores shared with the load,
 * one round's burst moved a 1.5 s ratio by up to 15% between two identical servers.
 */
async function measureShapes(
  load: LoadProcess,
  servers: readonly { name: string; url: string; headers?: Readonly<Record<string, string>> }[],
  features: readonly string[],
  entities: number,
  settings: Settings,
  label: string,
  measuredShapes: readonly Shape[],
  rounds = 1,
): Promise<{ shapes: Record<string, ShapeFigures>; warmUps: Record<string, WarmUp> }> {
  const warmUps: Record<string, WarmUp> = {};
  for (const server of servers) {
    const warmUp = await warmUntilSteady(
      load,
      { url: server.url, entities, maxRequests: MAX_REQUESTS_PER_SHAPE, features, ...defined({ headers: server.headers }) },
      { minSeconds: settings.warmupSeconds, maxSeconds: settings.maxWarmupSeconds },
    );
    warmUps[server.name] = warmUp;
    log(
      `  ${label} ${server.name} warmed up ${warmUp.settled ? `until its throughput settled, in ${warmUp.seconds} s` : `for ${warmUp.seconds} s, its throughput still changing`} (req/s ${warmUp.rps.join(', ')}); its first second: p99 ${warmUp.cold.p99_ms} ms`,
    );
  }
  const measured: Record<string, ShapeFigures> = Object.fromEntries(servers.map(({ name }) => [name, {}]));
  for (const [index, shape] of measuredShapes.entries()) {
    const [keys, connections] = /^(\d+)key_(\d+)c$/.exec(shape)!.slice(1).map(Number) as [number, number];
    const byServer = new Map<string, LoadFigures[]>(servers.map(({ name }) => [name, []]));
    for (let round = 0; round < rounds; round++)
      for (const server of servers) {
        const figures = await load.run({
          url: server.url,
          keys,
          entities,
          seconds: settings.shapeSeconds,
          maxRequests: MAX_REQUESTS_PER_SHAPE,
          connections,
          features,
          seed: (index + 1) * 10_000_000 + round * 1_000_000,
          ...defined({ headers: server.headers }),
        });
        byServer.get(server.name)!.push(figures);
        if (figures.requests === 0)
          log(
            `  ${label} ${server.name} answered no request of ${shape} within ${settings.shapeSeconds} s: its figures are null (longer --shape-seconds)`,
          );
        log(
          `  ${label} ${server.name} ${keys} key(s), ${connections} connection(s)${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''}: p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms, ${figures.rps} req/s, ${figures.errors} errors`,
        );
      }
    for (const [name, runs] of byServer) measured[name]![shape] = runs.length === 1 ? runs[0]! : medianFigures(runs);
  }
  return { shapes: measured, warmUps };
}

/** Each figure's median over rounds; requests and errors summed. */
function medianFigures(runs: readonly LoadFigures[]): LoadFigures {
  const of = (pick: (run: LoadFigures) => number): number => round(median(runs.map(pick)));
  return {
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    p50_ms: of((run) => run.p50_ms),
    p95_ms: of((run) => run.p95_ms),
    p99_ms: of((run) => run.p99_ms),
    rps: of((run) => run.rps),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    connections: runs[0]!.connections,
  };
}

/**
 * Before any time is taken: the aggregated view's server answers every feature for 100 keys (its
 * first such read is cold), and its row store then holds every large file; the seconds that took.
 */
async function probeAggregated(context: ScaleContext, server: ServerProcess): Promise<number> {
  const started = performance.now();
  const probe = await askServer(server.url, {
    features: AGGREGATED_FEATURES,
    entities: { driver_id: keysFor(7_777, 100, context.scale.entities) },
  });
  const answered = probe.metadata.feature_names.length - 1;
  if (answered !== AGGREGATED_FEATURES.length)
    throw new Error(`the aggregated view's server answered ${answered} features, not ${AGGREGATED_FEATURES.length}`);
  log(
    `${context.scale.name}/aggregated: floe serve answers ${answered} features for 100 keys (first read: ${round(performance.now() - started)} ms)`,
  );
  const storing = performance.now();
  await rowStoreIdle(server.url);
  const seconds = round((performance.now() - storing) / 1000);
  log(`${context.scale.name}/aggregated: its row store held every large file ${seconds} s after that read`);
  return seconds;
}

/** The aggregated view's server (started and probed beside the plain one), beside the plain view's figures at 8 connections. */
async function measureAggregated(context: ScaleContext, server: ServerProcess, plain: ShapeFigures): Promise<Record<string, unknown>> {
  try {
    const { shapes: measured } = await measureShapes(
      context.load,
      [{ name: 'floe_aggregated', url: server.url }],
      AGGREGATED_FEATURES,
      context.scale.entities,
      context.settings,
      `${context.scale.name}/aggregated`,
      KEY_COUNTS.map((keys): Shape => `${keys}key_8c`),
    );
    const aggregated = measured['floe_aggregated']!;
    const keysOut: Record<string, number> = {};
    for (const keys of KEY_COUNTS) {
      const shape: Shape = `${keys}key_8c`;
      for (const [kind, http] of [
        ['agg', aggregated[shape]!],
        ['plain', plain[shape]!],
      ] as const) {
        keysOut[`http_${kind}_${shape}_p50_ms`] = http.p50_ms;
        keysOut[`http_${kind}_${shape}_p99_ms`] = http.p99_ms;
        keysOut[`http_${kind}_${shape}_rps`] = http.rps;
      }
      keysOut[`agg_vs_plain_http_${keys}key_p50`] = round(aggregated[shape]!.p50_ms / plain[shape]!.p50_ms);
    }
    return { ...keysOut, aggregated_server_rss_mb: server.peakRssMb() };
  } finally {
    await server.stop();
  }
}

/**
 * Reads through the library in this process, one after another, of the compacted table, the
 * appended one and the aggregated view, each warmed first as a long-running server would be; and a
 * plain DuckDB query of the plain tables' Parquet files. vs_duckdb = library p50 / DuckDB p50.
 */
async function measureLibrary(
  context: ScaleContext,
  tables: { compacted: Registry; appended: Registry; aggregated: Registry },
): Promise<Record<string, unknown>> {
  const { catalog, engine, settings, scale } = context;
  const library: Record<string, Record<number, LatencyFigures> & { data_files?: number }> = {};
  const duckdb: Record<string, Record<number, LatencyFigures>> = {};
  const vsDuckdb: Record<string, number> = {};
  for (const [name, registry, view] of [
    ['compacted', tables.compacted, VIEW],
    [`appended_${settings.snapshots}`, tables.appended, VIEW],
    ['aggregated', tables.aggregated, AGGREGATED_VIEW],
  ] as const) {
    const store = new OnlineStore({ registry, catalog, engine });
    const ask = (keys: readonly number[]) =>
      store.getOnlineFeatures({ features: [view], entityRows: keys.map((driver_id) => ({ driver_id })) });
    const first = await ask(keysFor(0, 1, scale.entities));
    for (let start = 1; start <= scale.entities; start += 1_000)
      await ask(Array.from({ length: Math.min(1_000, scale.entities - start + 1) }, (_, index) => start + index));
    library[name] = { data_files: first.reads[0]!.dataFiles };
    for (const keys of KEY_COUNTS) {
      library[name]![keys] = await sequential((index) => ask(keysFor(index, keys, scale.entities)), {
        maxRequests: keys === 1 ? settings.libraryRequests : settings.libraryRequests / 10,
        maxMs: settings.libraryMs,
      });
      log(`  ${scale.name}/${name} library ${keys} key(s): p50 ${library[name]![keys]!.p50_ms} ms, p99 ${library[name]![keys]!.p99_ms} ms`);
    }
    if (view !== VIEW) continue;
    const files = await localDataFiles(await catalog.loadTable(registry.onlineTableOf(registry.featureView(VIEW))));
    duckdb[name] = {};
    await engine.withConnection(async (connection) => {
      await connection.run('SET parquet_metadata_cache = true');
      const query = peerQuery(connection, files);
      await query(keysFor(0, 1, scale.entities));
      for (const keys of KEY_COUNTS) {
        duckdb[name]![keys] = await sequential((index) => query(keysFor(index, keys, scale.entities)), {
          maxRequests: keys === 1 ? settings.libraryRequests : settings.libraryRequests / 10,
          maxMs: settings.libraryMs,
        });
        vsDuckdb[`${name.replace(/_\d+$/, '')}_${keys}key`] = round(library[name]![keys]!.p50_ms / duckdb[name]![keys]!.p50_ms);
      }
    });
  }
  const agg = library['aggregated']!;
  const plain = library['compacted']!;
  return {
    ...Object.fromEntries(
      KEY_COUNTS.map((keys) => [`agg_vs_plain_library_${keys}key_p50`, round(agg[keys]!.p50_ms / plain[keys]!.p50_ms)]),
    ),
    vs_duckdb: vsDuckdb,
    library: { scale: scale.name, reads: library, duckdb },
  };
}

const benchStarted = performance.now();

/** A progress line, stamped with the seconds since the benchmark started. */
function log(line: string): void {
  console.log(`[${((performance.now() - benchStarted) / 1000).toFixed(1)}s] ${line}`);
}

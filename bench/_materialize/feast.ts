import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { child } from '../_child.js';
import type { ChildLimits } from '../_child.js';
import type { FeastIcebergTable } from '../../features/import/feast-iceberg-table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The features of bench/_pipelines.ts's view, in the order a sample row lists them. */
export const SAMPLE_FEATURES = ['conv_rate', 'acc_rate', 'avg_daily_trips'] as const;

/** One entity's online values in SAMPLE_FEATURES order; null when the store has no row for it. */
export type SampleRow = readonly (number | null)[] | null;

export interface FeastRun {
  readonly seconds: number;
  /** CPU time of the materialize call in Feast's process (the Redis server's own is not counted). */
  readonly cpuSeconds: number;
  /** The Python process's peak so far: a later store's includes the earlier stores'. */
  readonly maxRssKb: number;
  readonly sample: readonly SampleRow[];
}

export type OnlineStoreName = 'sqlite' | 'redis';

export interface FeastRequest {
  /** The Parquet source, a folder (Feast's file store) or a glob (its DuckDB store); or the Iceberg table (its DuckDB store only). */
  readonly source: { readonly path: string } | { readonly iceberg: FeastIcebergTable };
  readonly offlineStore: 'duckdb' | 'file';
  /** Materialized into one after the other, in one Python process. */
  readonly onlineStores: readonly OnlineStoreName[];
  /** `redis://host:port`, for the Redis store. */
  readonly redisUrl?: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly sample: readonly number[];
}

/** `feast materialize` of one window into each store, in a Python process of its own (bench/_materialize/feast_materialize.py). */
export async function feastMaterialize(
  python: string,
  env: NodeJS.ProcessEnv,
  request: FeastRequest,
  limits?: ChildLimits,
): Promise<Partial<Record<OnlineStoreName, FeastRun>>> {
  const redis = request.redisUrl === undefined ? null : new URL(request.redisUrl);
  const { stdout } = await child(
    python,
    [path.join(here, 'feast_materialize.py')],
    env,
    JSON.stringify({
      ...('iceberg' in request.source ? { source_iceberg: request.source.iceberg } : { source_path: request.source.path }),
      offline_store: request.offlineStore,
      online_stores: request.onlineStores,
      redis_connection: redis === null ? null : `${redis.hostname}:${redis.port}`,
      start: request.window.start,
      end: request.window.end,
      sample: request.sample,
    }),
    limits,
  );
  const reply = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    runs: Record<string, { seconds: number; cpu_seconds: number; max_rss_kb: number; sample: SampleRow[] }>;
  };
  return Object.fromEntries(
    Object.entries(reply.runs).map(([store, run]) => [
      store,
      { seconds: run.seconds, cpuSeconds: run.cpu_seconds, maxRssKb: run.max_rss_kb, sample: run.sample },
    ]),
  );
}

/** Entities whose rows differ between two reads of the same sample, with the first few for the error. */
export function differingRows(
  sample: readonly number[],
  expected: readonly SampleRow[],
  actual: readonly SampleRow[],
): { count: number; examples: string[] } {
  const examples: string[] = [];
  let count = 0;
  sample.forEach((entity, index) => {
    const want = expected[index] ?? null;
    const got = actual[index] ?? null;
    const same = want === null || got === null ? want === got : want.length === got.length && want.every((value, at) => value === got[at]);
    if (same) return;
    count += 1;
    if (examples.length < 3) examples.push(`driver_id ${entity}: ${JSON.stringify(want)} vs ${JSON.stringify(got)}`);
  });
  return { count, examples };
}

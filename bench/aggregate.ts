// Windowed aggregations in training sets: 1M entity rows against 10M events over 30 days, 5
// functions × 3 windows (--quick: a tenth; `--scale 1x,10x`: fractions of the full scale up to 10×,
// the top-level figures the largest's, `scales` each one's, and `*_per_row_growth` time per entity
// row at the largest ÷ at the smallest). Floe (getHistoricalFeatures of an aggregated view over
// an Iceberg table, written to Parquet) against the floor: a hand-written DuckDB query of window
// functions over the union of entity rows and events, on the same data files. Each runs in its own
// process, so peak memory (max RSS) is its own. The results are compared row for row before any
// time is reported, so a fast wrong answer cannot pass as a win.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/duckdb.js';
import { quoteLiteral } from '../engine/sql.js';
import { repoRoot } from '../scripts/services/paths.js';
import type { BenchmarkOptions } from './run.js';
import { nodeScript } from './_child.js';
import type { Measured } from './_child.js';
import { aggregateData, FEATURE_NAMES, FUNCTIONS, scaleOf, WINDOWS } from './_aggregate/data.js';
import type { Scale } from './_aggregate/data.js';
import { perRowGrowth, scaleFractionsArgument } from './_scale.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The bound for Floe at every scale (#56: 10M entity rows within 4 GB); the floor gets the same.
const MEMORY_LIMIT = '4GB';
const log = (line: string): void => console.error(`[aggregate] ${line}`);

/**
 * Why there is no vs_feast: Feast's windowed aggregations belong to StreamFeatureViews (alpha) and
 * are run by one of its ComputeEngines (local or Spark), not by the DuckDB or file offline stores
 * `bench pit` drives; whether that path gives, per entity row, exactly t − w < event_ts ≤ t over
 * the same data has not been established, and a peer that may compute something else is no peer.
 */
const FEAST =
  "not measured: Feast's windowed aggregations are StreamFeatureView aggregations (alpha) run by a ComputeEngine (local or Spark), " +
  'not by the offline stores bench pit uses; that they equal t − w < event_ts ≤ t per entity row on this data is not established, so there is no vs_feast';

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const scales = scaleFractionsArgument(options.args, [options.quick ? 0.1 : 1]).map(scaleOf);
  const results: ScaleFigures[] = [];
  for (const scale of scales) results.push(await runScale(scale));
  const largest = results.at(-1)!;
  const growth = (key: 'floe_s' | 'floor_s') => perRowGrowth(results, (index) => results[index]![key]);
  return {
    ...largest,
    ...(results.length > 1 ? { scales: results } : {}),
    floe_per_row_growth: growth('floe_s'),
    floor_per_row_growth: growth('floor_s'),
    feast: FEAST,
  };
}

type ScaleFigures = Record<string, unknown> & { readonly entity_rows: number; readonly floe_s: number; readonly floor_s: number };

async function runScale(scale: Scale): Promise<ScaleFigures> {
  log(`scale ${scale.fraction}× (${scale.entityRows.toLocaleString('en')} entity rows, ${scale.events.toLocaleString('en')} events)`);
  const data = await aggregateData(path.join(repoRoot, '.floe', 'bench'), scale, log);
  const out = path.join(data.directory, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const floeOut = path.join(out, 'floe.parquet');
  const floorOut = path.join(out, 'floor.parquet');
  const runner = (script: string) =>
    nodeScript(path.join(here, '_aggregate', script), {
      data,
      output: script.startsWith('floe') ? floeOut : floorOut,
      memoryLimit: MEMORY_LIMIT,
    });

  // First one run each, compared row for row: a difference stops the benchmark before any timing.
  log('Floe');
  const floeRuns: Measured[] = [await runner('floe-run.ts')];
  log('floor (hand-written DuckDB window functions)');
  const floorRuns: Measured[] = [await runner('floor-run.ts')];
  const differing = await rowsDiffering(floeOut, floorOut);
  if (differing !== 0) throw new Error(`at ${scale.fraction}×, Floe and the floor differ on ${differing} rows: no time is reported`);
  log('round 2: Floe, then the floor (each keeps its best time: the machine is shared)');
  floeRuns.push(await runner('floe-run.ts'));
  floorRuns.push(await runner('floor-run.ts'));
  const floe = best(floeRuns);
  const floor = best(floorRuns);
  return {
    scale: scale.fraction,
    entity_rows: scale.entityRows,
    events: scale.events,
    keys: scale.keys,
    functions: FUNCTIONS.length,
    windows: WINDOWS.map((window) => window.name),
    floe_s: round3(floe.seconds),
    floor_s: round3(floor.seconds),
    floe_runs_s: floeRuns.map((one) => round3(one.seconds)),
    floor_runs_s: floorRuns.map((one) => round3(one.seconds)),
    floe_cpu_s: round3(floe.cpuSeconds ?? Number.NaN),
    floor_cpu_s: round3(floor.cpuSeconds ?? Number.NaN),
    floe_peak_mb: Math.round(floe.maxRssKb / 1024),
    floor_peak_mb: Math.round(floor.maxRssKb / 1024),
    duckdb_memory_limit: MEMORY_LIMIT,
    floe_rows: floe.rows,
    rows_differing_from_floor: differing,
    vs_floor: round3(floe.seconds / floor.seconds),
    vs_floor_cpu: round3((floe.cpuSeconds ?? Number.NaN) / (floor.cpuSeconds ?? Number.NaN)),
  };
}

/** Rows (by request id) whose features differ either way between the two outputs; amounts are exact in any order, so equality is exact. */
async function rowsDiffering(floeOut: string, floorOut: string): Promise<number> {
  const engine = await Engine.create({ threads: 2, memoryLimit: '4GB' });
  try {
    return await engine.withConnection(async (connection) => {
      const columns = ['request_id', ...FEATURE_NAMES].join(', ');
      const except = async (a: string, b: string) =>
        Number(
          (
            await connection.runAndReadAll(
              `SELECT count(*) FROM (SELECT ${columns} FROM read_parquet(${quoteLiteral(a)}) EXCEPT ALL SELECT ${columns} FROM read_parquet(${quoteLiteral(b)}))`,
            )
          ).getRows()[0]?.[0] ?? 0,
        );
      return (await except(floeOut, floorOut)) + (await except(floorOut, floeOut));
    });
  } finally {
    engine.close();
  }
}

function best(runs: readonly Measured[]): Measured {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

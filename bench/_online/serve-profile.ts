// A profiling harness for `floe serve`'s read path, apart from `bench online`: the feature server runs
// in its own process (so `--cpu-prof` profiles it alone) over a local warehouse built once, and
// autocannon loads it from this process with Feast-shaped requests of deterministic random keys.
//   node --import tsx bench/_online/serve-profile.ts build DIR ENTITIES AGG_ENTITIES [AGG_EVENTS_PER_DAY]
//   node --import tsx bench/_online/serve-profile.ts run DIR [--seconds S] [--connections C] [--cpu-prof]
// `run` prints one JSON line: the first read after the start, then p50/p99/req/s per view and key count,
// and the server's resident memory (peak and at the end).
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Engine } from '../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../engine/write/partition-functions.js';
import { DEFAULT_MAX_CACHED_ROWS, OnlineStore } from '../../features/online/index.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { createFeatureServer, FEATURE_SERVER_ENGINE } from '../../server/feature-server.js';
import { aggregatedRegistry, AGGREGATED_VIEW, buildAggregatedTable } from './aggregated.js';
import { benchRegistry, buildTables, VIEW } from './dataset.js';
import { rowStoreIdle } from './floe-server.js';
import { keysFor, round } from './measure.js';
import { defined } from '../../contracts/defined.js';

/** The part of autocannon's API used here (it ships no types). */
interface LoadRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}
interface LoadResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: {
  url: string;
  connections: number;
  duration: number;
  requests: (LoadRequest & { setupRequest: (request: LoadRequest) => LoadRequest })[];
}) => Promise<LoadResult>;

const NAMESPACE = 'serve_profile';
const BUCKETS = 16;

interface Built {
  readonly entities: number;
  readonly aggregatedEntities: number;
}

const catalogConfig = (dir: string): CatalogConfig => ({
  type: 'sql',
  uri: `sqlite:///${path.join(dir, 'catalog.db')}`,
  create: true,
  warehouse: `file://${path.join(dir, 'warehouse')}`,
});

const registries = {
  plain: () => benchRegistry(`${NAMESPACE}.compacted`, BUCKETS),
  agg: () => aggregatedRegistry(`${NAMESPACE}.aggregated_source`, `${NAMESPACE}.aggregated`, BUCKETS),
};
type Kind = keyof typeof registries;

async function build(dir: string, entities: number, aggregatedEntities: number, aggregatedEventsPerDay: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const engine = await Engine.create({ threads: 2, memoryLimit: '4GB', setup: registerIcebergFunctions });
  const catalog = await loadCatalog(catalogConfig(dir));
  try {
    const context = { catalog, engine, workDirectory: path.join(dir, 'work') };
    await buildTables(context, { namespace: NAMESPACE, entities, snapshots: 1, buckets: BUCKETS, log: console.log });
    if (aggregatedEntities > 0)
      await buildAggregatedTable(context, {
        namespace: NAMESPACE,
        entities: aggregatedEntities,
        eventsPerDay: aggregatedEventsPerDay,
        buckets: BUCKETS,
        log: console.log,
      });
    await writeFile(path.join(dir, 'built.json'), JSON.stringify({ entities, aggregatedEntities } satisfies Built));
  } finally {
    await catalog.close();
    engine.close();
  }
}

/** The server process: one view's store behind `createFeatureServer`, its address on stdout. */
async function serve(dir: string, kind: Kind, maxCachedRows: number | undefined, rowStore: boolean): Promise<void> {
  const engine = await Engine.create({ ...FEATURE_SERVER_ENGINE, memoryLimit: '2GB', setup: registerIcebergFunctions });
  const catalog = await loadCatalog(catalogConfig(dir));
  const store = new OnlineStore({
    registry: registries[kind](),
    catalog,
    engine,
    ...defined({ maxCachedRows, rowStoreDirectory: rowStore ? path.join(dir, 'row-store') : undefined }),
  });
  const server = createFeatureServer({ store });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  console.log(url);
  process.once('SIGTERM', () => {
    void server.close().then(async () => {
      await catalog.close();
      engine.close();
      process.exit(0);
    });
  });
}

function load(url: string, feature: string, keys: number, entities: number, seconds: number, connections: number) {
  let index = 0;
  return autocannon({
    url: `${url}/get-online-features`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ features: [feature], entities: { driver_id: keysFor(1_000_000 + index++, keys, entities) } }),
        }),
      },
    ],
  });
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then(
    (status) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024,
  );
}

async function run(
  dir: string,
  options: { seconds: number; connections: number; cpuProf: boolean; kinds: Kind[]; maxCachedRows?: number; rowStore: boolean },
): Promise<void> {
  const built = JSON.parse(await readFile(path.join(dir, 'built.json'), 'utf8')) as Built;
  const results: Record<string, unknown> = {
    entities: built.entities,
    aggregated_entities: built.aggregatedEntities,
    connections: options.connections,
  };
  for (const kind of options.kinds) {
    const entities = kind === 'plain' ? built.entities : built.aggregatedEntities;
    if (entities === 0) continue;
    const args = [
      ...(options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, 'profiles')}`] : []),
      '--import',
      'tsx',
      process.argv[1]!,
      'serve',
      dir,
      kind,
      String(options.maxCachedRows ?? ''),
      ...(options.rowStore ? ['--row-store'] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const url = chunk.toString().trim();
      // Every feature of the view, as `bench online` asks.
      const feature = kind === 'plain' ? VIEW : AGGREGATED_VIEW;
      const started = performance.now();
      const first = await post(url, { features: [feature], entities: { driver_id: [1] } });
      const firstReadMs = round(performance.now() - started);
      if (first.status !== 200) throw new Error(`the first read answered ${first.status}: ${first.text}`);
      // Warm every file, as a long-running server would have, when the row cache can hold the table.
      if (entities <= (options.maxCachedRows ?? DEFAULT_MAX_CACHED_ROWS))
        for (let start = 1; start <= entities; start += 1_000)
          await post(url, {
            features: [feature],
            entities: { driver_id: Array.from({ length: Math.min(1_000, entities - start + 1) }, (_, i) => start + i) },
          });
      const storing = performance.now();
      if (options.rowStore) await rowStoreIdle(url);
      const shapes: Record<string, unknown> = { first_read_ms: firstReadMs, row_store_s: round((performance.now() - storing) / 1000) };
      for (const keys of [1, 100]) {
        const result = await load(url, feature, keys, entities, options.seconds, options.connections);
        shapes[`${keys}key`] = {
          p50_ms: result.latency.p50,
          p99_ms: result.latency.p99,
          rps: round(result.requests.average),
          non2xx: result.non2xx,
          errors: result.errors,
        };
        console.error(`${kind} ${keys} key(s): ${JSON.stringify(shapes[`${keys}key`])}`);
      }
      shapes['rss_mb'] = round(await memoryOf(child.pid!, 'VmRSS'));
      shapes['peak_rss_mb'] = round(await memoryOf(child.pid!, 'VmHWM'));
      results[kind] = shapes;
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
    }
  }
  console.log(JSON.stringify(results));
}

const [command, dir, ...rest] = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const index = rest.indexOf(name);
  return index < 0 ? undefined : rest[index + 1];
};
if (command === 'build' && dir) await build(dir, Number(rest[0] ?? 20_000), Number(rest[1] ?? 2_000), Number(rest[2] ?? 8));
else if (command === 'serve' && dir) await serve(dir, rest[0] as Kind, rest[1] ? Number(rest[1]) : undefined, rest.includes('--row-store'));
else if (command === 'run' && dir)
  await run(dir, {
    seconds: Number(flag('--seconds') ?? 10),
    connections: Number(flag('--connections') ?? 8),
    cpuProf: rest.includes('--cpu-prof'),
    rowStore: rest.includes('--row-store'),
    kinds: (flag('--views')?.split(',') as Kind[] | undefined) ?? ['plain', 'agg'],
    ...(flag('--max-cached-rows') === undefined ? {} : { maxCachedRows: Number(flag('--max-cached-rows')) }),
  });
else {
  console.error(
    'usage: serve-profile.ts build DIR ENTITIES AGG_ENTITIES [AGG_EVENTS_PER_DAY] | run DIR [--seconds S] [--connections C] [--views plain,agg] [--cpu-prof] [--max-cached-rows N] [--row-store]',
  );
  process.exit(2);
}

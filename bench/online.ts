// `npm run bench -- online [--quick]`: online read latency and throughput for 1 and 100 keys, on a
// compacted online table (one append) and on one with many appended snapshots, on a local
// warehouse (SQL catalog) and on the S3 server (REST catalog on MinIO); through the library, and
// through HTTP under concurrent load from a second process. The peer is a plain DuckDB query of
// the same Parquet files; vs_duckdb = Floe's p50 / DuckDB's p50 (below 1: Floe is faster).
// On the local warehouse it also reads an aggregated view (count/sum/avg/min/max over 1h/1d/7d,
// materialized tiles, compacted) through the library and HTTP: `http_agg_<keys>key_<c>c_*` beside
// the plain compacted view's `http_plain_<keys>key_<c>c_*`, and agg_vs_plain = aggregated p50 / plain p50.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/partition-functions.js';
import { OnlineStore } from '../features/online/index.js';
import type { Registry } from '../features/registry.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import type { CatalogConfig } from '../iceberg/catalog/load-catalog.js';
import { createFeatureServer } from '../server/feature-server.js';
import { restCatalogService } from '../test/support/services.js';
import type { BenchmarkOptions } from './run.js';
import { AGGREGATED_VIEW, buildAggregatedTable } from './_online/aggregated.js';
import { buildTables, VIEW } from './_online/dataset.js';
import { localDataFiles, peerQuery } from './_online/duckdb-peer.js';
import { keysFor, round, sequential } from './_online/measure.js';
import type { LatencyFigures } from './_online/measure.js';
import type { ServiceName } from '../scripts/services/service.js';
import { floeRestCatalog } from '../test/support/rest-catalog.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KEY_COUNTS = [1, 100] as const;

interface Settings {
  readonly entities: number;
  readonly snapshots: number;
  readonly buckets: number;
  readonly libraryMs: number;
  readonly libraryRequests: number;
  readonly peerMs: number;
  readonly httpSeconds: number;
  readonly connections: number;
  /** Events per entity and day for the aggregated view (over a week). */
  readonly aggregatedEventsPerDay: number;
}

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['rest-catalog'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const settings: Settings = options.quick
    ? {
        entities: 2_000,
        snapshots: 20,
        buckets: 16,
        libraryMs: 2_000,
        libraryRequests: 2_000,
        peerMs: 2_000,
        httpSeconds: 2,
        connections: 8,
        aggregatedEventsPerDay: 8,
      }
    : {
        entities: 20_000,
        snapshots: 100,
        buckets: 16,
        libraryMs: 8_000,
        libraryRequests: 5_000,
        peerMs: 8_000,
        httpSeconds: 6,
        connections: 8,
        aggregatedEventsPerDay: 8,
      };
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-online-'));
  const engine = await Engine.create({ threads: 2, memoryLimit: '4GB', setup: registerIcebergFunctions });
  const results: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  const aggregatedKeys: Record<string, number> = {};
  try {
    const rest = restCatalogService();
    const storages: [string, CatalogConfig][] = [
      [
        'local',
        { type: 'sql', uri: `sqlite:///${path.join(scratch, 'catalog.db')}`, warehouse: `file://${path.join(scratch, 'warehouse')}` },
      ],
      ['s3', floeRestCatalog(rest)],
    ];
    for (const [storage, config] of storages) {
      const catalog = await loadCatalog(config);
      try {
        const namespace = `bench_online_${Date.now().toString(36)}`;
        log(
          `${storage}: writing ${settings.snapshots} snapshots of ${settings.entities} entities (${settings.buckets} buckets) and a compacted copy`,
        );
        const tables = await buildTables(
          { catalog, engine, workDirectory: path.join(scratch, 'work') },
          { namespace, entities: settings.entities, snapshots: settings.snapshots, buckets: settings.buckets, log },
        );
        const byStorage: Record<string, unknown> = {};
        for (const [shape, registry] of [
          ['compacted', tables.compacted],
          [`appended_${settings.snapshots}`, tables.appended],
        ] as const) {
          const figures = await measureTable(catalog, engine, registry, settings, `${storage}/${shape}`);
          byStorage[shape] = figures;
          for (const keys of KEY_COUNTS)
            ratios[`${storage}_${shape.replace(/_\d+$/, '')}_${keys}key`] = round(
              figures.library[keys]!.p50_ms / figures.duckdb[keys]!.p50_ms,
            );
        }
        if (storage === 'local') {
          log(`${storage}: materializing an aggregated view of ${settings.entities} entities over a week`);
          const aggregated = await buildAggregatedTable(
            { catalog, engine, workDirectory: path.join(scratch, 'work') },
            { namespace, entities: settings.entities, eventsPerDay: settings.aggregatedEventsPerDay, buckets: settings.buckets, log },
          );
          const figures = await measureReads(catalog, engine, aggregated, AGGREGATED_VIEW, settings, `${storage}/aggregated`);
          byStorage['aggregated'] = figures;
          const plain = byStorage['compacted'] as TableFigures;
          const c = `${settings.connections}c`;
          for (const keys of KEY_COUNTS) {
            for (const [kind, http] of [
              ['agg', figures.http[keys]!],
              ['plain', plain.http[keys]!],
            ] as const) {
              aggregatedKeys[`http_${kind}_${keys}key_${c}_p50_ms`] = http.p50_ms;
              aggregatedKeys[`http_${kind}_${keys}key_${c}_p99_ms`] = http.p99_ms;
              aggregatedKeys[`http_${kind}_${keys}key_${c}_rps`] = http.rps;
            }
            aggregatedKeys[`agg_vs_plain_http_${keys}key_p50`] = round(figures.http[keys]!.p50_ms / plain.http[keys]!.p50_ms);
            aggregatedKeys[`agg_vs_plain_library_${keys}key_p50`] = round(figures.library[keys]!.p50_ms / plain.library[keys]!.p50_ms);
          }
        }
        results[storage] = byStorage;
      } finally {
        await catalog.close();
      }
    }
  } finally {
    engine.close();
    await rm(scratch, { recursive: true, force: true });
  }
  return {
    entities: settings.entities,
    snapshots: settings.snapshots,
    buckets: settings.buckets,
    http_connections: settings.connections,
    aggregated_events_per_entity_day: settings.aggregatedEventsPerDay,
    ...aggregatedKeys,
    ...results,
    vs_duckdb: ratios,
  };
}

interface TableFigures {
  data_files: number;
  cold_first_read_ms: number;
  library: Record<number, LatencyFigures>;
  http: Record<number, LatencyFigures & { errors: number }>;
  duckdb: Record<number, LatencyFigures>;
}

async function measureTable(
  catalog: Catalog,
  engine: Engine,
  registry: Registry,
  settings: Settings,
  label: string,
): Promise<TableFigures> {
  const reads = await measureReads(catalog, engine, registry, VIEW, settings, label);
  const duckdb: Record<number, LatencyFigures> = {};
  const table = await catalog.loadTable(registry.onlineTableOf(registry.featureView(VIEW)));
  const files = await localDataFiles(table);
  await engine.withConnection(async (connection) => {
    await connection.run('SET parquet_metadata_cache = true');
    const query = peerQuery(connection, files);
    await query(keysFor(0, 1, settings.entities));
    for (const keys of KEY_COUNTS) {
      duckdb[keys] = await sequential((index) => query(keysFor(index, keys, settings.entities)), {
        maxRequests: settings.libraryRequests / (keys === 1 ? 1 : 10),
        maxMs: settings.peerMs,
      });
      log(`  ${label} plain DuckDB ${keys} key(s): p50 ${duckdb[keys]!.p50_ms} ms, p99 ${duckdb[keys]!.p99_ms} ms`);
    }
  });
  return { ...reads, duckdb };
}

/** A view's reads through the library (one after another) and over HTTP (from a second process). */
async function measureReads(
  catalog: Catalog,
  engine: Engine,
  registry: Registry,
  view: string,
  settings: Settings,
  label: string,
): Promise<Omit<TableFigures, 'duckdb'>> {
  const store = new OnlineStore({ registry, catalog, engine });
  const ask = (keys: readonly number[]) =>
    store.getOnlineFeatures({ features: [view], entityRows: keys.map((driver_id) => ({ driver_id })) });
  const coldStart = performance.now();
  const first = await ask(keysFor(0, 1, settings.entities));
  const cold = round(performance.now() - coldStart);
  const dataFiles = first.reads[0]!.dataFiles;
  // Warm every file once, as a long-running server would have.
  for (let start = 1; start <= settings.entities; start += 1_000)
    await ask(Array.from({ length: Math.min(1_000, settings.entities - start + 1) }, (_, index) => start + index));

  const library: Record<number, LatencyFigures> = {};
  const http: Record<number, LatencyFigures & { errors: number }> = {};
  for (const keys of KEY_COUNTS) {
    library[keys] = await sequential((index) => ask(keysFor(index, keys, settings.entities)), {
      maxRequests: keys === 1 ? settings.libraryRequests : settings.libraryRequests / 10,
      maxMs: settings.libraryMs,
    });
    log(`  ${label} library ${keys} key(s): p50 ${library[keys]!.p50_ms} ms, p99 ${library[keys]!.p99_ms} ms, ${library[keys]!.rps} req/s`);
  }
  const server = createFeatureServer({ store });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    for (const keys of KEY_COUNTS) {
      http[keys] = await loadFromSecondProcess(url, view, keys, settings);
      log(
        `  ${label} HTTP ${keys} key(s), ${settings.connections} connections: p50 ${http[keys]!.p50_ms} ms, p99 ${http[keys]!.p99_ms} ms, ${http[keys]!.rps} req/s, ${http[keys]!.errors} errors`,
      );
    }
  } finally {
    await server.close();
  }
  return { data_files: dataFiles, cold_first_read_ms: cold, library, http };
}

function loadFromSecondProcess(url: string, view: string, keys: number, settings: Settings): Promise<LatencyFigures & { errors: number }> {
  const script = path.join(root, 'bench', '_online', 'load-generator.ts');
  const args = [
    '--import',
    'tsx',
    script,
    url,
    String(keys),
    String(settings.entities),
    String(settings.httpSeconds),
    String(settings.connections),
    view,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`the load generator failed (exit ${String(code)}):\n${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as LatencyFigures & { errors: number });
    });
  });
}

function log(line: string): void {
  console.log(line);
}

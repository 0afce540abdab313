// `npm run bench -- push [--quick]`: pushed rows acknowledged per second, and the latency of an
// acknowledged push (p50/p99), at 1, 8 and 32 concurrent HTTP clients, and the commits per second
// the group commit made on the online table. Floe is `floe serve` over a local warehouse (SQL
// catalog); the peer, in the same run, is Feast's `feast serve` pushing to its local SQLite online
// store. vs_feast_rows_per_s = Floe's rows/s ÷ Feast's at 32 clients (above 1: Floe pushes more).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PUSH_MAX_DELAY_MS } from '../features/config.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import { pythonOracle } from '../test/support/services.js';
import type { ServiceName } from '../scripts/services/service.js';
import { figures, round } from './_online/measure.js';
import type { LatencyFigures } from './_online/measure.js';
import type { BenchmarkOptions } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const CONCURRENCY = [1, 8, 32] as const;
const SOURCE_TABLE = 'bench.driver_stats';
const EPOCH = Date.parse('2024-05-01T00:00:00Z');

/** Started by bench/run.ts: the oracle venv, which holds Feast. */
export const services: readonly ServiceName[] = ['python'];

interface Load {
  readonly latency: LatencyFigures;
  readonly rows_per_s: number;
  readonly errors: number;
  readonly commits_per_s?: number;
}

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  // A stream consumer pushes micro-batches: 100 rows a request.
  const settings = options.quick ? { seconds: 2, rowsPerRequest: 100 } : { seconds: 8, rowsPerRequest: 100 };
  const scratch = await mkdtemp(path.join(tmpdir(), 'floe-bench-push-'));
  const children: ChildProcess[] = [];
  try {
    const floeUrl = await startFloe(scratch, children);
    const floe: Record<number, Load> = {};
    for (const clients of CONCURRENCY) {
      floe[clients] = await drive(floeUrl, clients, settings, true);
      log(describe('Floe', clients, floe[clients]!));
    }
    let feast: Record<number, Load> | undefined;
    let feastError: string | undefined;
    try {
      const feastUrl = await startFeast(scratch, children);
      const measured: Record<number, Load> = {};
      for (const clients of CONCURRENCY) {
        measured[clients] = await drive(feastUrl, clients, settings, false);
        log(describe('Feast', clients, measured[clients]!));
      }
      feast = measured;
    } catch (error) {
      feastError = (error as Error).message.split('\n').slice(0, 3).join(' ');
      log(`Feast could not be measured: ${feastError}`);
    }
    const at32 = floe[32]!;
    return {
      rows_per_request: settings.rowsPerRequest,
      seconds_per_level: settings.seconds,
      max_delay_ms: DEFAULT_PUSH_MAX_DELAY_MS,
      rows_per_s_32c: at32.rows_per_s,
      p99_ms_32c: at32.latency.p99_ms,
      floe: floe,
      ...(feast === undefined ? { feast_error: feastError } : { feast }),
      vs_feast_rows_per_s: feast === undefined || !(feast[32]!.rows_per_s > 0) ? null : round(at32.rows_per_s / feast[32]!.rows_per_s),
    };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) =>
        child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined,
      ),
    );
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `clients` loops, each pushing `rowsPerRequest` fresh rows per request for `seconds`. */
async function drive(url: string, clients: number, settings: { seconds: number; rowsPerRequest: number }, floe: boolean): Promise<Load> {
  const durations: number[] = [];
  const snapshots = new Set<string>();
  let errors = 0;
  let rows = 0;
  let nextDriver = clients * 1_000_000;
  const started = performance.now();
  const until = started + settings.seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const drivers = Array.from({ length: settings.rowsPerRequest }, () => nextDriver++);
        const body = {
          push_source_name: 'driver_push',
          to: 'online',
          df: {
            driver_id: drivers,
            conv_rate: drivers.map((driver) => (driver % 1000) / 1000),
            trips: drivers.map((driver) => driver % 97),
            event_timestamp: drivers.map((driver) => new Date(EPOCH + (driver % 86_400) * 1000).toISOString()),
          },
        };
        const begin = performance.now();
        let status: number;
        let text: string;
        try {
          const response = await fetch(`${url}/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          status = response.status;
          text = await response.text();
        } catch (error) {
          status = 0;
          text = (error as Error).message;
        }
        if (status !== 200) {
          errors += 1;
          if (errors === 1) log(`  ${url}/push answered ${status}: ${text.slice(0, 300)}`);
          // A server that refuses connections would otherwise spin this loop.
          if (status === 0) await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        durations.push(performance.now() - begin);
        rows += drivers.length;
        if (floe)
          for (const commit of (JSON.parse(text) as { commits: { snapshot_id: string }[] }).commits) snapshots.add(commit.snapshot_id);
      }
    }),
  );
  const elapsed = performance.now() - started;
  return {
    latency: figures(durations, elapsed),
    rows_per_s: round((rows / elapsed) * 1000),
    errors,
    ...(floe ? { commits_per_s: round((snapshots.size / elapsed) * 1000) } : {}),
  };
}

/** A Floe project with a push source over a fresh source table, served by `floe serve`. */
async function startFloe(scratch: string, children: ChildProcess[]): Promise<string> {
  const project = path.join(scratch, 'floe');
  await mkdir(project, { recursive: true });
  const catalogConfig = {
    type: 'sql' as const,
    uri: path.join(project, 'catalog.db'),
    create: true,
    warehouse: `file://${path.join(project, 'warehouse')}`,
  };
  const catalog = await loadCatalog(catalogConfig);
  try {
    await catalog.createNamespace(['bench']);
    await catalog.createTable(
      { namespace: ['bench'], name: 'driver_stats' },
      {
        schema: {
          schemaId: 0,
          identifierFieldIds: [],
          fields: [
            { id: 1, name: 'driver_id', type: 'long', required: true },
            { id: 2, name: 'conv_rate', type: 'double', required: false },
            { id: 3, name: 'trips', type: 'long', required: false },
            { id: 4, name: 'event_timestamp', type: 'timestamptz', required: true },
          ],
        },
      },
    );
  } finally {
    await catalog.close();
  }
  const module = (name: string) => JSON.stringify(path.join(root, 'features', name));
  await writeFile(path.join(project, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(project, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${module('definitions.ts')};
import { definePushSource } from ${module('push-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'driver_source', table: ${JSON.stringify(SOURCE_TABLE)}, timestampField: 'event_timestamp' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'driver_source' });
export const view = defineFeatureView({ name: 'driver_live', entities: ['driver'], source: 'driver_push',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }], online: { buckets: 16 } });
`,
  );
  await writeFile(
    path.join(project, 'floe.yaml'),
    `project: bench_push\ncatalog:\n  type: sql\n  uri: ${JSON.stringify(catalogConfig.uri)}\n  warehouse: ${JSON.stringify(catalogConfig.warehouse)}\nworkDirectory: work\n`,
  );
  const child = spawn(process.execPath, [path.join(root, 'bin', 'floe.js'), 'serve', '--project', project, '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (ready) resolve((JSON.parse(ready[0]) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`floe serve exited with ${code}:\n${stderr}`)));
  });
}

/** Feast's repository (bench/_push/feast_push_repo.py), applied, then `feast serve` on a free port. */
async function startFeast(scratch: string, children: ChildProcess[]): Promise<string> {
  const python = pythonOracle().python;
  const repo = path.join(scratch, 'feast');
  const applied = spawnSync(python, [path.join(here, '_push', 'feast_push_repo.py'), repo], { encoding: 'utf8', cwd: scratch });
  if (applied.status !== 0) throw new Error(`feast apply failed: ${applied.stderr.trim().split('\n').at(-1) ?? ''}`);
  const port = await freePort();
  const child = spawn(path.join(path.dirname(python), 'feast'), ['serve', '-h', '127.0.0.1', '-p', String(port)], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`feast serve exited with ${child.exitCode}: ${stderr}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return url;
    if (Date.now() > deadline) throw new Error(`feast serve did not answer /health within 60 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function describe(peer: string, clients: number, load: Load): string {
  const commits = load.commits_per_s === undefined ? '' : `, ${load.commits_per_s} commits/s`;
  return `${peer}, ${clients} client(s): ${load.rows_per_s} rows/s acknowledged, p50 ${load.latency.p50_ms} ms, p99 ${load.latency.p99_ms} ms${commits}, ${load.errors} errors`;
}

function log(line: string): void {
  console.error(line);
}

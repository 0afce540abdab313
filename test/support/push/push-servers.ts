// The push tests' project: a push source feeding one online view, served by `floe serve` processes
// sharing one SQL catalog, and pyiceberg reading what landed.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineEntity, defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import type { Definition } from '../../../features/registry.js';
import { runPyiceberg, sqliteCatalog } from '../pyiceberg.js';
import { testRuntime } from '../runtime.js';
import { serverError } from '../server-error.js';
import { featuresModule, sqliteCatalogIn, writeSqlCatalogProject } from '../cli-project.js';
import { createEmptySourceTable, liveView } from '../online/online-view.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const floe = path.join(root, 'bin', 'floe.js');
export const VIEW = 'driver_live';
export const SOURCE_TABLE = 'rides.driver_stats';
export const ONLINE_TABLE = `floe_online.${VIEW}`;
export const EPOCH = Date.parse('2024-05-01T00:00:00Z');

/** The driver entity, the Iceberg source `driver_source` over `sourceTable` and the push source `driver_push` into it. */
export function driverPushDefinitions(sourceTable: string): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_source', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    definePushSource({ name: 'driver_push', batchSource: 'driver_source' }),
  ];
}

/** The project in `dir`: push source driver_push into rides.driver_stats, feeding the online view driver_live. */
export async function createPushProject(dir: string): Promise<Runtime> {
  const catalog = sqliteCatalogIn(dir);
  const runtime = await testRuntime({
    directory: dir,
    catalog,
    definitions: [...driverPushDefinitions(SOURCE_TABLE), liveView(VIEW)],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await writeSqlCatalogProject(dir, {
    project: 'push_test',
    catalog,
    features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'driver_source', table: ${JSON.stringify(SOURCE_TABLE)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'driver_source' });
export const view = defineFeatureView({
  name: ${JSON.stringify(VIEW)},
  entities: ['driver'],
  source: 'driver_push',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }],
  online: { buckets: 4 },
});
`,
    yaml: 'push:\n  maxDelayMs: 100\n',
  });
  return runtime;
}

/** `floe serve` on the project in `dir`, added to `servers` (for the caller to kill), once it listens. */
export function startServe(dir: string, servers: ChildProcess[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [floe, 'serve', '--project', dir, '--port', '0', '--json', '--refresh-interval-ms', '100'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (ready) resolve({ url: (JSON.parse(ready[0]) as { url: string }).url, child });
    });
    child.once('exit', (code) => reject(new Error(`floe serve exited with ${code} before listening:\n${stderr}`)));
  });
}

export async function post(base: string, route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await response.json();
  return { status: response.status, json: response.ok ? (json as Record<string, unknown>) : { ...serverError(json) } };
}

/** Rows of a table of the project in `dir` as pyiceberg reads them, counted per driver. */
export async function driverCounts(dir: string, table: string): Promise<Map<number, number>> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: sqliteCatalog(dir), identifier: table });
  const counts = new Map<number, number>();
  for (const row of read.rows) counts.set(Number(row.driver_id), (counts.get(Number(row.driver_id)) ?? 0) + 1);
  return counts;
}

/**
 * What the CLI tests share: run `bin/floe.js` as a user does (collecting its exit code and output),
 * start and stop a `floe worker` process, and write a small Floe project over a pipelines source
 * table (a driver entity, the driver_stats source and one feature view) on the Temporal dev server.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporalService } from './services.js';
import type { SourceTable } from './pipelines/pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const floe = path.join(root, 'bin', 'floe.js');

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Lets a project `floe init` made in a temp folder `import … from 'floe'` as it would from the
 * installed package, but from this checkout's sources: node_modules/floe links to the checkout, and
 * the environment returned resolves package.json's `floe-source` export condition (the TypeScript
 * entry points, which the CLI runs through tsx) rather than dist/, which may be stale or unbuilt.
 */
export async function linkCheckoutAsFloe(project: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  await mkdir(path.join(project, 'node_modules'), { recursive: true });
  await symlink(root, path.join(project, 'node_modules', 'floe'), 'dir');
  return { ...env, NODE_OPTIONS: [env.NODE_OPTIONS, '--conditions=floe-source'].filter(Boolean).join(' ') };
}

/** Runs `floe <args>` in its own process and resolves once it has closed. */
export function floeCommand(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [floe, ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Starts `floe worker --project <project>`. Its output goes to `output` when given; otherwise
 * stdout is dropped and stderr shows in the test run.
 */
export function startWorker(project: string, options: { env?: NodeJS.ProcessEnv; output?: (text: string) => void } = {}): ChildProcess {
  const { env, output } = options;
  if (!output) return spawn(process.execPath, [floe, 'worker', '--project', project], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const worker = spawn(process.execPath, [floe, 'worker', '--project', project], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  worker.stdout.on('data', (chunk: Buffer) => output(chunk.toString()));
  worker.stderr.on('data', (chunk: Buffer) => output(chunk.toString()));
  return worker;
}

/** Stops a worker started by startWorker (SIGINT, as Ctrl-C would) and waits for it to exit. */
export async function stopWorker(worker: ChildProcess | undefined): Promise<void> {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGINT');
    await new Promise((resolve) => worker.once('exit', resolve));
  }
}

/**
 * Starts `floe serve --port 0 --offline-port 0 --json` (and `options.args`) on a project and resolves
 * with its URL, its offline (Arrow Flight) port and its registry address once it listens; stop it
 * with stopWorker.
 */
export function startServer(
  project: string,
  options: { env?: NodeJS.ProcessEnv; args?: readonly string[] } = {},
): Promise<{ url: string; offlinePort: number; registryAddress: string; server: ChildProcess }> {
  const args = ['serve', '--project', project, '--port', '0', '--offline-port', '0', '--json', ...(options.args ?? [])];
  const server = spawn(process.execPath, [floe, ...args], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    server.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (!ready) return;
      const printed = JSON.parse(ready[0]) as { url: string; offlineUrl: string; registryAddress: string };
      const offlinePort = Number(new URL(printed.offlineUrl.replace(/^grpc\+(tcp|tls):/, 'http:')).port);
      resolve({ url: printed.url, offlinePort, registryAddress: printed.registryAddress, server });
    });
    server.once('exit', (code) => reject(new Error(`floe serve exited with ${code} before listening:\n${stderr}`)));
  });
}

export interface CliProjectOptions {
  /** The project's name in floe.yaml; its task queue is this name and a random suffix. */
  readonly project: string;
  readonly source: SourceTable;
  /** The feature view's name. */
  readonly view: string;
  /** More fields of the feature view, as TypeScript source, e.g. `online: { buckets: 4 }`. */
  readonly viewFields?: readonly string[];
}

/**
 * Writes package.json, features.ts and floe.yaml of a project in `directory`: the driver entity, the
 * driver_stats source over `source.table`, and one feature view with conv_rate, acc_rate and
 * avg_daily_trips, on the source's SQL catalog and the Temporal dev server.
 */
export async function writeCliProject(directory: string, options: CliProjectOptions): Promise<void> {
  const { project, source, view, viewFields = [] } = options;
  const definitions = path.join(root, 'features', 'definitions.ts');
  // An ES module project, like the repository, so features.ts imports the definitions as ESM.
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(definitions)};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: ${JSON.stringify(source.table)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const view = defineFeatureView({
  name: ${JSON.stringify(view)},
  entities: ['driver'],
  source: 'driver_stats',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: 'long' }],
${viewFields.map((field) => `  ${field},\n`).join('')}});
`,
  );
  await writeFile(
    path.join(directory, 'floe.yaml'),
    `project: ${project}
catalog:
  type: sql
  name: floe_oracle
  uri: ${JSON.stringify(source.oracle.uri.replace(/^sqlite:\/\//, ''))}
  warehouse: ${JSON.stringify(source.oracle.warehouse.replace(/^file:\/\//, ''))}
temporal:
  address: ${JSON.stringify(temporalService().address)}
  taskQueue: ${project}-${randomUUID()}
workDirectory: work
`,
  );
}

/** A module of this checkout's `features/` (e.g. `definitions.ts`), as a quoted import specifier for a project's features.ts. */
export function featuresModule(name: string): string {
  return JSON.stringify(path.join(root, 'features', name));
}

/** The SQLite catalog of a test folder as Floe's SQL catalog takes it: `<dir>/catalog.db`, warehouse `<dir>/warehouse`. */
export function sqliteCatalogIn(directory: string): { type: 'sql'; name: string; uri: string; warehouse: string } {
  return {
    type: 'sql',
    name: 'floe_oracle',
    uri: path.join(directory, 'catalog.db'),
    warehouse: `file://${path.join(directory, 'warehouse')}`,
  };
}

/**
 * Writes an ES-module project in `directory` on a SQLite catalog (file paths, as Floe's SQL catalog
 * takes them; named `floe_oracle` unless `catalog.name` says otherwise): package.json, `features` as
 * features.ts (importing with featuresModule) and a floe.yaml with `yaml` (more sections) after the
 * catalog.
 */
export async function writeSqlCatalogProject(
  directory: string,
  options: { project: string; catalog: { name?: string; uri: string; warehouse: string }; features: string; yaml?: string },
): Promise<void> {
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(directory, 'features.ts'), options.features);
  await writeFile(
    path.join(directory, 'floe.yaml'),
    `project: ${options.project}
catalog:
  type: sql
  name: ${JSON.stringify(options.catalog.name ?? 'floe_oracle')}
  uri: ${JSON.stringify(options.catalog.uri)}
  warehouse: ${JSON.stringify(options.catalog.warehouse)}
${options.yaml ?? ''}workDirectory: work
`,
  );
}

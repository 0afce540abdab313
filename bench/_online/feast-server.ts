/**
 * The peers: Feast's own feature server (`feast serve`, from the oracle venv) over its Redis or
 * SQLite online store, loaded with the same rows Floe serves (bench/_online/feast_online_repo.py).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/services/ports.js';
import { child } from '../_child.js';
import { peakRssMb, stopProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export type FeastOnlineStore = 'redis' | 'sqlite';

export interface FeastLoad {
  readonly rows: number;
  readonly seconds: number;
}

/**
 * Applies the benchmark's view in a Feast repository at `repo` (project `project`: its keys in a
 * shared Redis stay apart from other scales') and writes every row of `parquet` to its online store.
 */
export async function loadFeastStore(options: {
  python: string;
  repo: string;
  project: string;
  parquet: string;
  store: FeastOnlineStore;
  /** `redis://host:port` when `store` is redis. */
  redisUrl?: string;
}): Promise<FeastLoad> {
  const args = [path.join(here, 'feast_online_repo.py'), options.repo, options.project, options.parquet, options.store];
  if (options.store === 'redis') {
    const url = new URL(options.redisUrl ?? '');
    args.push(`${url.hostname}:${url.port}`);
  }
  const { stdout } = await child(options.python, args, process.env);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as FeastLoad;
}

/**
 * `feast serve` in `repo` on a free loopback port, as Feast documents running it in production:
 * gunicorn with one worker (Floe's server is one process too), no access log (Floe writes none),
 * and no worker restarts every 1,000 requests (`--max-requests 0`), which would time Feast's
 * restarts rather than its reads.
 */
export async function startFeastServer(options: { python: string; repo: string }): Promise<ServerProcess> {
  const port = await freePort();
  const started = performance.now();
  const server = spawn(
    path.join(path.dirname(options.python), 'feast'),
    ['serve', '-h', '127.0.0.1', '-p', String(port), '--workers', '1', '--no-access-log', '--max-requests', '0'],
    { cwd: options.repo, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`feast serve exited with ${server.exitCode}: ${stderr}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      await stopProcess(server);
      throw new Error(`feast serve did not answer /health within 180 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, startMs: performance.now() - started, peakRssMb: () => peakRssMb(server.pid!), stop: () => stopProcess(server) };
}

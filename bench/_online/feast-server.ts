/**
 * The peers: Feast's own feature server over its Redis or SQLite online store, loaded with the
 * same rows Floe serves and then served as `feast serve` serves them
 * (bench/_online/feast_online_repo.py, from the oracle venv).
 */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/services/ports.js';
import { peakRssMb, stopProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const READY_WITHIN_MS = 600_000;

export type FeastOnlineStore = 'redis' | 'sqlite';
/**
 * How the rows reach the store: Feast's write_to_online_store, or (Redis only) Feast's own key and
 * value encoding sent through `redis-cli --pipe` (feast_online_repo.py says how), 1.6× faster on 2 cores.
 */
export type FeastLoadMethod = 'write' | 'pipe';

export interface FeastLoad {
  readonly rows: number;
  readonly seconds: number;
}

/**
 * Applies the benchmark's view in a Feast repository at `repo` (project `project`: its keys in a
 * shared Redis stay apart from other scales'), writes every row of `parquet` to its online store,
 * and starts Feast's feature server on a free loopback port; resolves once it answers /health.
 */
export async function startFeastPeer(options: {
  python: string;
  repo: string;
  project: string;
  parquet: string;
  store: FeastOnlineStore;
  /** `redis://host:port` when `store` is redis. */
  redisUrl?: string;
  method: FeastLoadMethod;
  log: (line: string) => void;
}): Promise<{ load: FeastLoad; server: ServerProcess }> {
  const port = await freePort();
  const args = [path.join(here, 'feast_online_repo.py'), options.repo, options.project, options.parquet, String(port), options.store];
  if (options.store === 'redis') {
    const url = new URL(options.redisUrl ?? '');
    args.push(`${url.hostname}:${url.port}`);
    if (options.method === 'pipe') args.push('pipe');
  } else if (options.method === 'pipe')
    throw new Error(`only Feast's Redis store is loaded through redis-cli --pipe, not ${options.store}`);
  const child = spawn(options.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const failed = (what: string) => new Error(`Feast over ${options.store} ${what}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  try {
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    if (first.done === true) throw failed(`exited (${String(child.exitCode)}) before loading its rows`);
    const load = JSON.parse(first.value) as FeastLoad;
    options.log(
      `  Feast ${options.store}: ${load.rows} rows written (${options.method === 'pipe' ? 'redis-cli --pipe' : 'write_to_online_store'}) in ${Math.round(load.seconds * 10) / 10} s; starting its feature server`,
    );
    const started = performance.now();
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (child.exitCode !== null) throw failed(`exited (${child.exitCode}) before answering /health`);
      const healthy = await fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline) throw failed(`did not answer /health within ${READY_WITHIN_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const server: ServerProcess = {
      url,
      startMs: performance.now() - started,
      peakRssMb: () => peakRssMb(child.pid!),
      stop: () => stopProcess(child),
    };
    return { load, server };
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
}

/** One command to the Redis at `url` (`redis://host:port`) through redis-cli; its reply as redis-cli prints it. */
export async function redisCommand(url: string, ...command: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  const { stdout } = await promisify(execFile)('redis-cli', ['-h', hostname, '-p', port, ...command]);
  return stdout.trim();
}

/** Bytes of Redis memory per stored key (INFO memory's used_memory ÷ DBSIZE), or undefined when it holds none. */
export async function redisBytesPerKey(url: string): Promise<number | undefined> {
  const keys = Number(await redisCommand(url, 'DBSIZE'));
  const used = Number(/^used_memory:(\d+)/m.exec(await redisCommand(url, 'INFO', 'memory'))?.[1]);
  return keys > 0 && used > 0 ? used / keys : undefined;
}

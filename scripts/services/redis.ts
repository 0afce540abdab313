/**
 * Redis for the online benchmark's peer (Feast's Redis online store): Debian's `redis-server`
 * package, installed with apt as root when missing, started without persistence on 127.0.0.1 and a
 * free port. Nothing but the Debian package is fetched.
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { aptInstall } from './apt.js';
import { logFile } from './paths.js';
import { freePorts } from './ports.js';
import { startProcess, waitUntilHealthy } from './process.js';
import type { RunningService } from './service.js';

const SERVER = '/usr/bin/redis-server';

export function redisInstalled(): string | undefined {
  return existsSync(SERVER) ? SERVER : undefined;
}

export function installRedis(): Promise<string> {
  return aptInstall({
    name: 'redis-server',
    why: "the online benchmark measures Feast's feature server over its Redis store",
    installed: redisInstalled,
  });
}

export async function startRedis(): Promise<RunningService> {
  const server = await installRedis();
  const [port] = (await freePorts(1)) as [number];
  const managed = startProcess({
    name: 'redis',
    command: server,
    // A throwaway store: no snapshots, no append-only file, nothing written outside the log.
    args: ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    env: process.env,
    log: logFile('redis'),
  });
  try {
    await waitUntilHealthy(managed, `PING on 127.0.0.1:${port}`, () => ping(port), 30_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'redis',
    processes: [managed],
    env: { FLOE_TEST_REDIS_URL: `redis://127.0.0.1:${port}` },
    summary: [`Redis          redis://127.0.0.1:${port} (${server})`],
  };
}

/** One PING in Redis's inline protocol; resolves on +PONG. */
function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => socket.destroy(new Error('no answer to PING within 2 s')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      if (data.toString().startsWith('+PONG')) resolve();
      else reject(new Error(`PING answered ${JSON.stringify(data.toString().trim())}`));
    });
  });
}

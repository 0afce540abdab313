/**
 * What the fault-stall suites share: private service processes to pause, kill and restart (never
 * the shared stack), a Floe worker in its own process, the backfill's progress as a clock, and the
 * `[stall] <case>: <s>` line each case prints.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { ManagedProcess } from '../../../scripts/services/process.js';
import { startProcess, waitUntilHealthy } from '../../../scripts/services/process.js';
import type { RunningService } from '../../../scripts/services/service.js';
import type { BackfillProgress } from '../../../contracts/backfill.js';
import type { WorkerProcessConfig } from './worker-process.js';

const WORKER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-process.ts');

/** When the backfill's progress first shows `count` chunks done (polled every 250 ms). */
export async function whenChunksDone(handle: WorkflowHandle, count: number): Promise<number> {
  for (let polls = 0; polls < 2_400; polls++) {
    try {
      if ((await handle.query<BackfillProgress>('progress')).chunksDone >= count) return Date.now();
    } catch {
      // No worker (or no server) to answer the query yet.
    }
    await sleep(250);
  }
  throw new Error(`the backfill never reached ${count} chunk(s) done`);
}

/** A Floe worker in its own process (worker-process.ts), resolved once it polls; added to `children` so the suite can kill it. */
export async function startWorkerProcess(config: WorkerProcessConfig, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', WORKER_SCRIPT], {
    env: { ...process.env, FLOE_TEST_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`the worker process exited (${String(code ?? signal)}) before it was ready`)));
  });
  return child;
}

/** Prints the case's stall (`[stall] <case>: <s> s`, the line the suite is read for) and asserts its bound. */
export function reportStall(t: TestContext, name: string, stallMs: number, boundMs: number, since: string): void {
  const seconds = (stallMs / 1000).toFixed(1);
  t.diagnostic(`${name}: the next window landed ${seconds} s after ${since} (bound ${boundMs / 1000} s)`);
  console.log(`[stall] ${name}: ${seconds} s after ${since}`);
  if (!(stallMs < boundMs)) throw new Error(`${name}: the stall was ${stallMs} ms, over its bound of ${boundMs} ms`);
}

/** The one process of a private service (started by a scripts/services start function). */
function processOf(service: RunningService): ManagedProcess {
  const managed = service.processes.at(-1);
  if (managed === undefined) throw new Error(`${service.name} has no process`);
  return managed;
}

/** SIGSTOPs the service's whole process group (the JVM or server and anything it forked); `resume` SIGCONTs it. */
export function pause(service: RunningService): { resume(): void } {
  const { pid } = processOf(service);
  process.kill(-pid, 'SIGSTOP');
  return { resume: () => process.kill(-pid, 'SIGCONT') };
}

/** SIGKILLs the service's process group, as a crash would, and waits until it is gone. */
export async function kill(service: RunningService): Promise<void> {
  const { pid } = processOf(service);
  process.kill(-pid, 'SIGKILL');
  for (let polls = 0; polls < 200; polls++) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
  throw new Error(`${service.name} (process group ${pid}) did not die after SIGKILL`);
}

/**
 * Starts the service's process again with the very command it was started with: the same ports
 * and the same data directory or database file, so clients keep the address they were given.
 * Resolves once `healthy` passes; the new process joins `service.processes` so the suite stops it.
 */
export async function restart(service: RunningService, what: string, healthy: () => Promise<void>): Promise<void> {
  // Its own log, so the dead process's log stays to be read.
  const { spec } = processOf(service);
  const managed = startProcess({ ...spec, log: spec.log.replace(/(-restarted)?\.log$/, '-restarted.log') });
  service.processes.push(managed);
  await waitUntilHealthy(managed, what, healthy, 60_000);
}

// Real worker processes (bench/_worker.ts) for the benches that time workflows (bench backfill,
// bench training-set), optionally each pinned to a core of its own, and the machine's core times
// around a run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerInput } from './_worker.js';

const WORKER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '_worker.ts');

/**
 * `processes` worker processes serving `input`, all ready; with `oneCoreEach`, worker n runs on
 * core n alone (util-linux's taskset), as a worker container with a one-CPU limit runs.
 */
export async function startWorkers(input: WorkerInput, processes: number, oneCoreEach: boolean): Promise<{ stop: () => Promise<void> }> {
  if (oneCoreEach && processes > cpus().length) throw new Error(`${processes} workers cannot each have one of ${cpus().length} cores`);
  const started = await Promise.allSettled(
    Array.from({ length: processes }, (_, index) => startWorkerProcess(input, oneCoreEach ? index : undefined)),
  );
  const workers = started.flatMap((one) => (one.status === 'fulfilled' ? [one.value] : []));
  const stop = async () => void (await Promise.all(workers.map(stopWorkerProcess)));
  const failed = started.find((one) => one.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { stop };
}

function startWorkerProcess(input: WorkerInput, core?: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, '--import', 'tsx', WORKER_SCRIPT, JSON.stringify(input)];
    const pinned = core === undefined ? command : ['taskset', '--cpu-list', String(core), ...command];
    const child = spawn(pinned[0]!, pinned.slice(1), {
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`a bench worker process exited (${String(code)}) before it was ready`)));
  });
}

function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** All cores' idle and total time so far (ms), as the OS counts it. */
export function coreTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** The share of all cores' time that was not idle since `before` (a coreTimes()), 0–1. */
export function machineBusySince(before: { idle: number; total: number }): number {
  const now = coreTimes();
  return 1 - (now.idle - before.idle) / (now.total - before.total);
}

/**
 * Services end with their owner (issue #53): however the process that started service process
 * groups ends — SIGKILL, a native crash, Ctrl-C — no process of those groups is left behind. Real
 * processes: an owner (fixtures/service-owner.ts) starts two groups, each a shell and the `sleep` it
 * forked, and the test follows exactly the processes descended from it (and the watchdog among them).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { descendants, stillRunning, untilEnded, type ProcessIdentity } from '../../support/process-tree.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { until } from '../../support/child-process.js';
import { WATCHDOG_NAME } from '../../../scripts/services/watchdog.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');
const owner = path.join(here, 'fixtures', 'service-owner.ts');
const logs = scratchFolder('service-owner');
/** The watchdog gives SIGTERM 10 s before SIGKILL; a shell and sleep end at once on SIGTERM. */
const ENDED_WITHIN_MS = 15_000;

interface Owner {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startOwner(mode: 'wait' | 'abort' | 'throw' | 'stop-first'): Owner {
  const child = spawn(process.execPath, ['--import', 'tsx', owner, logs, mode], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  // 'close', not 'exit': the watchdog writes to the owner's stderr after the owner has gone.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

/** Its services' processes (`services` shells and the sleep each forked) and, started before them, its watchdog. */
async function startedProcesses(started: Owner, services = 2): Promise<ProcessIdentity[]> {
  let found: ProcessIdentity[] = [];
  await until('the owner started its services', started.output, () => {
    found = started.output.join('').includes('ready') ? descendants(started.child.pid!) : [];
    return found.filter((known) => !isWatchdog(known)).length >= 2 * services;
  });
  return found;
}

function isWatchdog(known: ProcessIdentity): boolean {
  return known.command.includes(WATCHDOG_NAME);
}

/** Whatever a failed test left: the owner and the processes it started. */
function killAll(started: Owner, processes: readonly ProcessIdentity[]): void {
  const running = started.child.exitCode === null && started.child.signalCode === null;
  const left = [...processes, ...(running ? descendants(started.child.pid!) : [])];
  if (running) started.child.kill('SIGKILL');
  for (const known of stillRunning(left)) process.kill(known.pid, 'SIGKILL');
}

test('a SIGKILLed owner leaves no process of its services behind, and the watchdog names what it stopped', async () => {
  const started = startOwner('wait');
  let processes: ProcessIdentity[] = [];
  try {
    processes = await startedProcesses(started);
    started.child.kill('SIGKILL');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await started.exited;
    assert.equal(processes.filter(isWatchdog).length, 1, 'one watchdog for all the services of an owner');
    assert.match(started.output.join(''), /ended without stopping its services; stopping first \(pid \d+\), second \(pid \d+\)/);
  } finally {
    killAll(started, processes);
  }
});

test('the owner and every node process with it SIGKILLed at once (`pkill -9 node`) still leave none behind: the watchdog is a shell', async () => {
  const started = startOwner('wait');
  let processes: ProcessIdentity[] = [];
  try {
    processes = await startedProcesses(started);
    const nodes = [started.child.pid!, ...processes.filter((known) => /(^|\/)node /.test(known.command)).map((known) => known.pid)];
    for (const pid of nodes) process.kill(pid, 'SIGKILL');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await started.exited;
    assert.match(started.output.join(''), /ended without stopping its services; stopping first \(pid \d+\), second \(pid \d+\)/);
  } finally {
    killAll(started, processes);
  }
});

test('an owner that crashes without running any exit hook (SIGABRT) leaves none behind', async () => {
  const started = startOwner('abort');
  let processes: ProcessIdentity[] = [];
  try {
    processes = await startedProcesses(started);
    started.child.kill('SIGUSR2');
    await untilEnded(processes, ENDED_WITHIN_MS);
    assert.equal((await started.exited).signal, 'SIGABRT');
    assert.match(started.output.join(''), /ended without stopping its services; stopping first \(pid \d+\), second \(pid \d+\)/);
  } finally {
    killAll(started, processes);
  }
});

test('an owner that fails on an uncaught error stops its services through its exit hook', async () => {
  const started = startOwner('throw');
  let processes: ProcessIdentity[] = [];
  try {
    processes = await startedProcesses(started);
    started.child.kill('SIGUSR2');
    assert.equal((await started.exited).code, 1);
    await untilEnded(processes, ENDED_WITHIN_MS);
    assert.match(started.output.join(''), /Error: the owner failed/);
    assert.doesNotMatch(started.output.join(''), /ended without stopping/, 'the exit hook told the watchdog what it stopped');
  } finally {
    killAll(started, processes);
  }
});

test('Ctrl-C stops the services through the exit hooks, and the watchdog has nothing left to stop', async () => {
  const started = startOwner('wait');
  let processes: ProcessIdentity[] = [];
  try {
    processes = await startedProcesses(started);
    started.child.kill('SIGINT');
    assert.equal((await started.exited).code, 130);
    await untilEnded(processes, ENDED_WITHIN_MS);
    assert.doesNotMatch(started.output.join(''), /ended without stopping/);
  } finally {
    killAll(started, processes);
  }
});

test('a group the owner stopped itself is forgotten: the watchdog stops only the one left', async () => {
  const started = startOwner('stop-first');
  let processes: ProcessIdentity[] = [];
  try {
    await until('the owner stopped its first service', started.output, () => started.output.join('').includes('stopped'));
    processes = await startedProcesses(started, 1);
    started.child.kill('SIGKILL');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await started.exited;
    assert.match(started.output.join(''), /ended without stopping its services; stopping second \(pid \d+\)\n/);
  } finally {
    killAll(started, processes);
  }
});

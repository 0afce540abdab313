// services: temporal
/**
 * Services end with their owner (issue #53), for the two commands a user runs that start a Temporal
 * dev server of their own: `npm run demo` (which a crash twice left running for the best part of
 * an hour) and `floe dev`. Each runs as a real child process; mid-run it is SIGKILLed (no exit hook
 * runs: its watchdog must stop the server) or interrupted (Ctrl-C: its own hooks stop it), and every
 * process descended from it — the Temporal server and the watchdog — must have ended within a
 * bounded wait. Only those processes are looked at or killed, never the shared stack's.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../scripts/services/ports.js';
import { until } from '../../support/child-process.js';
import { floeCommand, linkCheckoutAsFloe } from '../../support/cli-project.js';
import { descendants, stillRunning, untilEnded, type ProcessIdentity } from '../../support/process-tree.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The watchdog gives SIGTERM 10 s before SIGKILL; a Temporal dev server ends within a second or two of SIGTERM. */
const ENDED_WITHIN_MS = 20_000;
const TEST_TIMEOUT_MS = 240_000;

interface Owner {
  readonly child: ChildProcess;
  readonly output: string[];
  /** Its exit code and signal, once its output (the watchdog's too) has closed. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const owners = new Set<{ owner: Owner; processes: ProcessIdentity[] }>();

function spawnOwner(args: readonly string[], env: NodeJS.ProcessEnv): Owner {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, closed };
}

/** Once `ready` shows in its output: every process it started, which must include a Temporal dev server. */
async function startedProcesses(owner: Owner, ready: string): Promise<ProcessIdentity[]> {
  const tracked = { owner, processes: [] as ProcessIdentity[] };
  owners.add(tracked);
  await until(`the output shows "${ready}"`, owner.output, () => owner.output.join('').includes(ready), 180_000);
  tracked.processes = descendants(owner.child.pid!);
  const commands = tracked.processes.map((known) => known.command).join('\n');
  assert.match(commands, /temporal server start-dev/, `a Temporal dev server among its processes:\n${commands}`);
  return tracked.processes;
}

// Whatever a failed test left: its owner and the processes found under it, nothing else.
after(() => {
  for (const { owner, processes } of owners) {
    const running = owner.child.exitCode === null && owner.child.signalCode === null;
    const left = [...processes, ...(running ? descendants(owner.child.pid!) : [])];
    if (running) owner.child.kill('SIGKILL');
    for (const known of stillRunning(left)) process.kill(known.pid, 'SIGKILL');
  }
});

describe('npm run demo', () => {
  const startDemo = (): Owner =>
    spawnOwner(['--import', 'tsx', path.join(root, 'scripts', 'demo.ts'), '--exit'], {
      ...process.env,
      FLOE_DEMO_DIR: scratchFolder('demo-killed'),
    });

  test('SIGKILLed mid-run, it leaves no process behind: the watchdog stops its Temporal server', { timeout: TEST_TIMEOUT_MS }, async () => {
    const demo = startDemo();
    const processes = await startedProcesses(demo, 'Starting a Floe worker');
    demo.child.kill('SIGKILL');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await demo.closed;
    assert.match(demo.output.join(''), /ended without stopping its services; stopping temporal \(pid \d+\)/);
  });

  test('interrupted mid-run, it stops its Temporal server itself', { timeout: TEST_TIMEOUT_MS }, async () => {
    const demo = startDemo();
    const processes = await startedProcesses(demo, 'Starting a Floe worker');
    demo.child.kill('SIGINT');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await demo.closed;
    assert.doesNotMatch(demo.output.join(''), /ended without stopping/, 'nothing was left for the watchdog');
  });
});

describe('floe dev', () => {
  let project: string;
  let projectEnv: NodeJS.ProcessEnv;

  before(async () => {
    project = path.join(scratchFolder('dev-killed'), 'project');
    const init = await floeCommand(['init', project, '--json']);
    assert.equal(init.code, 0, init.stderr);
    projectEnv = await linkCheckoutAsFloe(project);
  });

  /** `floe dev` on free ports (never 7233/8233, which something else may hold). */
  async function startDev(): Promise<Owner> {
    const [port, uiPort] = (await freePorts(2)) as [number, number];
    return spawnOwner([path.join(root, 'bin', 'floe.js'), 'dev', '--project', project, '--no-serve', '--json'], {
      ...projectEnv,
      FLOE_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      FLOE_DEV_UI_PORT: String(uiPort),
      FLOE_TASK_QUEUE: `dev-killed-${randomUUID()}`,
    });
  }

  test('SIGKILLed, it leaves no process behind: the watchdog stops its Temporal server', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dev = await startDev();
    const processes = await startedProcesses(dev, '"temporalAddress"');
    dev.child.kill('SIGKILL');
    await untilEnded(processes, ENDED_WITHIN_MS);
    await dev.closed;
    assert.match(dev.output.join(''), /ended without stopping its services; stopping temporal \(pid \d+\)/);
  });

  test('interrupted, it exits 130 having stopped its Temporal server itself', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dev = await startDev();
    const processes = await startedProcesses(dev, '"temporalAddress"');
    dev.child.kill('SIGINT');
    assert.equal((await dev.closed).code, 130, dev.output.join(''));
    await untilEnded(processes, ENDED_WITHIN_MS);
    assert.doesNotMatch(dev.output.join(''), /ended without stopping/, 'nothing was left for the watchdog');
  });
});

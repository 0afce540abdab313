/**
 * Long-running service processes: each is spawned as the leader of its own process group (so a
 * stop kills the JVM or server together with anything it forked), logs to .floe/logs/<name>.log,
 * and is stopped on exit, SIGINT and SIGTERM even if the caller forgets, and by the watchdog
 * (watchdog.ts) when this process ends in a way that runs no hook of its own (SIGKILL, a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure } from './log-tail.js';
import { unwatchGroup, watchGroup } from './watchdog.js';

export interface ProcessSpec {
  /** Service name used in messages and the log file name. */
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  log: string;
}

export interface ManagedProcess {
  readonly spec: ProcessSpec;
  readonly pid: number;
  /** Set once the process has exited, with how. */
  exited(): string | undefined;
  stop(): Promise<void>;
}

const live = new Set<ManagedProcess>();
const shutdownHooks: (() => Promise<void>)[] = [];
let exitHooksInstalled = false;

/** Runs on SIGINT/SIGTERM before the process groups are stopped and the process exits. */
export function addShutdownHook(hook: () => Promise<void>): void {
  installExitHooks();
  shutdownHooks.push(hook);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // 'exit' handlers must be synchronous: a last-resort SIGKILL of every group still running (the
  // watchdog is told, so it does not report them as left behind).
  process.on('exit', () => {
    for (const managed of live) {
      killGroup(managed.pid, 'SIGKILL');
      unwatchGroup(managed.pid);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`[services] ${signal}: stopping services\n`);
      void Promise.allSettled(shutdownHooks.map((hook) => hook()))
        .then(() => stopAll())
        .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

function groupAlive(pid: number): boolean {
  return killGroup(pid, 0);
}

/** Stops a process group: SIGTERM, then SIGKILL if it has not gone within the grace period. */
export async function stopGroup(pid: number, graceMs = 10_000): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await sleep(100);
  }
  killGroup(pid, 'SIGKILL');
  while (groupAlive(pid)) await sleep(50);
}

export function startProcess(spec: ProcessSpec): ManagedProcess {
  installExitHooks();
  mkdirSync(dirname(spec.log), { recursive: true });
  const fd = openSync(spec.log, 'w');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let exitReason: string | undefined;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
    exitReason = `could not be started: ${error.message}`;
  });
  child.once('exit', (code, signal) => {
    exitReason = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(
      describeFailure(`${spec.name} could not be started`, [spec.command, ...spec.args], spec.log, spawnError?.message ?? 'no pid'),
    );
  }
  watchGroup(pid, spec.name);
  const managed: ManagedProcess = {
    spec,
    pid,
    exited: () => exitReason,
    stop: async () => {
      live.delete(managed);
      await stopGroup(pid);
      unwatchGroup(pid);
    },
  };
  live.add(managed);
  return managed;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((managed) => managed.stop()));
}

/**
 * Polls `check` until it resolves, failing fast if the process dies and with the log's tail on
 * timeout. `check` throws (or rejects) while the service is not ready yet.
 */
export async function waitUntilHealthy(
  managed: ManagedProcess,
  what: string,
  check: () => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const { spec } = managed;
  const command = [spec.command, ...spec.args];
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const exited = managed.exited();
    if (exited !== undefined)
      throw new Error(describeFailure(`${spec.name} failed to start`, command, spec.log, `the process ${exited} before ${what} answered`));
    try {
      await check();
      return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        describeFailure(
          `${spec.name} failed its health check`,
          command,
          spec.log,
          `${what} did not answer within ${Math.round(timeoutMs / 1000)} s (last error: ${detail})`,
        ),
      );
    }
    await sleep(250);
  }
}

/** A health check step: GET a URL, expecting a 2xx status. */
export async function httpGetOk(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return body;
}

// Running a command to its end, or waiting on a long-running one, in tests that drive the CLI.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its end, collecting what it prints. */
export function runToEnd(command: string, args: readonly string[], options: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first JSON document a long-running command prints (its --json "ready" line). */
export function firstJson(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        resolve(JSON.parse(out));
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${String(code)} before it was ready:\n${out}\n${err}`)));
  });
}

/** The child's exit code, once it has exited. */
export function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Ctrl-C for a long-running command (a no-op once it has exited); its exit code. */
export function interrupt(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = exitCode(child);
  child.kill('SIGINT');
  return exited;
}

/** `command args` as a long-running child, each line it prints (stdout and stderr) pushed to `lines` as it comes. */
export function spawnCollecting(command: string, args: readonly string[], lines: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const take = (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((line) => line.length > 0),
    );
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  return child;
}

/** Polls `done` until it holds; fails naming `what`, with the last lines of the output, after `timeoutMs`. */
export async function until(
  what: string,
  lines: readonly string[],
  done: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; output:\n${lines.slice(-30).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether a child and its pipes keep Node running (a long-lived helper server: yes while it works for us, no while idle). */
export function setKeepsProcessAlive(child: ChildProcess, keep: boolean): void {
  // The pipes are net.Sockets at run time (typed as plain streams): each holds the event loop.
  for (const handle of [child, ...([child.stdin, child.stdout, child.stderr] as unknown[] as Socket[])]) {
    if (keep) handle.ref();
    else handle.unref();
  }
}

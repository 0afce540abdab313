/**
 * A `floe dev` run by a test: this checkout's bin/floe.js as its own process, everything it prints
 * kept (per stream and interleaved), and ways to wait on a line or on the output becoming ready.
 * Waits reject, with the output, when dev exits first or when what they wait for has not come
 * within their bound: a test's own timeout would say only that the test took too long.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const floe = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'floe.js');

export interface DevOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** Both streams, in the order the chunks arrived. */
  readonly both: string;
}

export interface FloeDev {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly both: () => string;
  /** Resolves with the first line matching `pattern` on `stream` printed after `from` (a length of that stream). */
  readonly line: (stream: 'stdout' | 'stderr', pattern: RegExp, from?: number) => Promise<string>;
  /** Resolves with what `check` finds in the output once it finds something (anything but undefined). */
  readonly when: <T>(check: (output: DevOutput) => T | undefined, waitingFor?: string) => Promise<T>;
}

/** How long a wait on dev's output lasts: dev's start on a loaded 2-core machine takes up to a minute. */
const DEV_WAIT_MS = 150_000;

/** Starts `floe dev <args>`; wait for it to be ready with `line` or `when`. */
export function startDev(args: readonly string[], options: { readonly env: NodeJS.ProcessEnv; readonly cwd?: string }): FloeDev {
  const child = spawn(process.execPath, [floe, 'dev', ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '', both: '' };
  const waiting = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]!.on('data', (chunk: Buffer) => {
      output[stream] += chunk.toString();
      output.both += chunk.toString();
      for (const check of waiting) check();
    });
  }
  const when = <T>(find: (current: DevOutput) => T | undefined, waitingFor = 'what the test waits for'): Promise<T> =>
    new Promise((resolve, reject) => {
      const stopWaiting = () => {
        waiting.delete(check);
        child.off('exit', exited);
        clearTimeout(bound);
      };
      const exited = (code: number | null) => {
        stopWaiting();
        reject(new Error(`floe dev exited with ${String(code)}:\n${output.stdout}\n${output.stderr}`));
      };
      const check = () => {
        const found = find(output);
        if (found === undefined) return;
        stopWaiting();
        resolve(found);
      };
      const bound = setTimeout(() => {
        stopWaiting();
        reject(new Error(`floe dev printed no ${waitingFor} within ${DEV_WAIT_MS / 1000} s; its output:\n${output.both}`));
      }, DEV_WAIT_MS).unref();
      waiting.add(check);
      child.once('exit', exited);
      check();
      if (waiting.has(check) && (child.exitCode !== null || child.signalCode !== null)) exited(child.exitCode);
    });
  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    both: () => output.both,
    line: (stream, pattern, from = 0) =>
      when(
        (current) =>
          current[stream]
            .slice(from)
            .split('\n')
            .find((line) => pattern.test(line)),
        `line matching ${String(pattern)} on ${stream}`,
      ),
    when,
  };
}

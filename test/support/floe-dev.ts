/**
 * A `floe dev` run by a test: this checkout's bin/floe.js as its own process, everything it prints
 * kept (per stream and interleaved), and ways to wait on a line or on the output becoming ready.
 * Waits reject, with the output, when dev exits first.
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
  readonly when: <T>(check: (output: DevOutput) => T | undefined) => Promise<T>;
}

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
  const when = <T>(find: (current: DevOutput) => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const exited = (code: number | null) => {
        waiting.delete(check);
        reject(new Error(`floe dev exited with ${String(code)}:\n${output.stdout}\n${output.stderr}`));
      };
      const check = () => {
        const found = find(output);
        if (found === undefined) return;
        waiting.delete(check);
        child.off('exit', exited);
        resolve(found);
      };
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
      when((current) =>
        current[stream]
          .slice(from)
          .split('\n')
          .find((line) => pattern.test(line)),
      ),
    when,
  };
}

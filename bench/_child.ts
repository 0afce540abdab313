import { spawn } from 'node:child_process';
import path from 'node:path';

/** What a benchmark's child process reports on its last line of output. */
export interface Measured {
  readonly seconds: number;
  readonly rows: number;
  readonly maxRssKb: number;
  /** User + system CPU time of the timed part, when it reports it (less noisy than wall time on a shared machine). */
  readonly cpuSeconds?: number;
}

/** Runs a TypeScript script in its own Node process (so its peak memory is its own) with `input` as JSON; returns its last line, parsed. */
export async function nodeScript(script: string, input: unknown): Promise<Measured> {
  const { stdout } = await child(process.execPath, ['--import', 'tsx', script, JSON.stringify(input)], process.env);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measured;
}

/** Runs a command to its end; rejects with the tail of its stderr when it fails. */
export function child(command: string, args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    process_.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    process_.once('error', reject);
    process_.once('exit', (code) =>
      code === 0
        ? resolve({ stdout })
        : reject(
            new Error(
              `${path.basename(args[args.length - 1]?.startsWith('{') ? (args[args.length - 2] ?? command) : (args[0] ?? command))} failed (exit ${String(code)}):\n${stderr.slice(-4000)}`,
            ),
          ),
    );
    process_.stdin.end(stdin ?? '');
  });
}

/** This process's user + system CPU time (all its threads, DuckDB's too) since `start` (a `process.cpuUsage()`), in seconds. */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

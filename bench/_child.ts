import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
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

/**
 * Where a peer is stopped: past 30 minutes, or past 70% of the machine's memory (before the kernel's
 * OOM killer picks a process on a shared machine, perhaps not the peer).
 */
export const PEER_LIMITS: ChildLimits = { timeoutMs: 30 * 60_000, memoryMb: Math.floor((os.totalmem() / 1024 / 1024) * 0.7) };

export interface ChildLimits {
  readonly timeoutMs: number;
  /** Resident memory (Linux VmRSS, polled each second) past which the process is killed. */
  readonly memoryMb: number;
}

/** A child that could not finish within its limits: out of memory or out of time, not a bug. */
export class ChildLimitError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Runs a command to its end; rejects with the tail of its stderr when it fails, and with a
 * ChildLimitError when it runs out of `limits` (killed), is killed by the kernel, or reports
 * running out of memory itself (Python's MemoryError, DuckDB's Out of Memory Error).
 */
export function child(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
  limits?: ChildLimits,
): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopped: string | undefined;
    const stop = (reason: string): void => {
      stopped ??= reason;
      process_.kill('SIGKILL');
    };
    const timer =
      limits &&
      setTimeout(
        () => stop(`over ${limits.timeoutMs % 60_000 === 0 ? `${limits.timeoutMs / 60_000} min` : `${limits.timeoutMs / 1000} s`}`),
        limits.timeoutMs,
      );
    const watch =
      limits &&
      setInterval(() => {
        const rssMb = residentMb(process_.pid);
        if (rssMb !== undefined && rssMb > limits.memoryMb) stop(`out of memory (over ${limits.memoryMb} MB resident)`);
      }, 1000);
    process_.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    process_.once('error', reject);
    process_.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      if (code === 0) return resolve({ stdout });
      if (limits !== undefined) {
        const reason =
          stopped ??
          (signal === 'SIGKILL'
            ? 'out of memory (killed by the kernel)'
            : /MemoryError|Out of Memory Error|std::bad_alloc/.test(stderr)
              ? `out of memory (${stderr.trim().split('\n').at(-1) ?? ''})`
              : undefined);
        if (reason !== undefined) return reject(new ChildLimitError(reason));
      }
      reject(
        new Error(
          `${path.basename(args[args.length - 1]?.startsWith('{') ? (args[args.length - 2] ?? command) : (args[0] ?? command))} failed (exit ${String(code ?? signal)}):\n${stderr.slice(-4000)}`,
        ),
      );
    });
    process_.stdin.end(stdin ?? '');
  });
}

/** A process's resident memory now (Linux VmRSS) in MB; undefined once it has gone. */
function residentMb(pid: number | undefined): number | undefined {
  try {
    const found = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return found === undefined ? undefined : Number(found) / 1024;
  } catch {
    return undefined;
  }
}

/** This process's user + system CPU time (all its threads, DuckDB's too) since `start` (a `process.cpuUsage()`), in seconds. */
export function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** What a peer run within PEER_LIMITS gave: its result, or why it could not finish (the JSON says so). */
export type PeerOutcome<T> =
  { readonly result: T; readonly failure?: undefined } | { readonly result?: undefined; readonly failure: string };

/** Runs a peer, turning a ChildLimitError (out of memory or time) into a failure the benchmark reports instead of failing. */
export async function withinLimits<T>(run: () => Promise<T>): Promise<PeerOutcome<T>> {
  try {
    return { result: await run() };
  } catch (error) {
    if (error instanceof ChildLimitError) return { failure: error.reason };
    throw error;
  }
}

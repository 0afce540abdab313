/** A feature server the benchmark started in a process of its own (Floe's or Feast's). */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ServerProcess {
  readonly url: string;
  /** Headers every request must carry (a bearer token when the server checks them). */
  readonly headers?: Readonly<Record<string, string>>;
  /** From the spawn to the server answering (listening, or healthy). */
  readonly startMs: number;
  /** Peak resident memory so far (Linux VmHWM), in MB, of the process and its direct children (a pre-forking server's workers). */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Peak resident memory of process `pid` and its direct children (Linux's VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  let kb = 0;
  for (const each of [pid, ...children]) {
    const status = readFileSync(`/proc/${each}/status`, 'utf8');
    const found = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (found === undefined) throw new Error(`/proc/${each}/status has no VmHWM line`);
    kb += Number(found);
  }
  return Math.round(kb / 1024);
}

/** SIGTERM, then wait for the exit (SIGKILL after 15 s). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

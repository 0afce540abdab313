/**
 * The processes a test started, found by parentage in /proc (Linux), so a test can check that
 * they have all ended without looking at, or killing, anything it did not start. A process is
 * known by its pid and start time, so a pid the kernel hands out again is not taken for it, and a
 * zombie (ended, not yet reaped by its new parent) counts as ended.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat). */
  readonly startTime: string;
  readonly command: string;
}

interface ProcessStat extends ProcessIdentity {
  readonly parent: number;
  readonly state: string;
}

function stat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  let command = text.slice(text.indexOf('(') + 1, close);
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() || command;
  } catch {
    // gone meanwhile: the short name will do
  }
  return { pid, state: fields[0]!, parent: Number(fields[1]), startTime: fields[19]!, command };
}

function allProcesses(): ProcessStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => stat(Number(name)))
    .filter((found) => found !== undefined);
}

/** Every process descended from `pid` now (children, theirs, …), not `pid` itself. */
export function descendants(pid: number): ProcessIdentity[] {
  const processes = allProcesses();
  const found: ProcessIdentity[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const child of processes.filter((candidate) => candidate.parent === parent)) {
      found.push({ pid: child.pid, startTime: child.startTime, command: child.command });
      parents.push(child.pid);
    }
  }
  return found;
}

/** Those of `processes` still running: the same pid and start time, not a zombie. */
export function stillRunning(processes: readonly ProcessIdentity[]): ProcessIdentity[] {
  return processes.filter((known) => {
    const now = stat(known.pid);
    return now !== undefined && now.startTime === known.startTime && now.state !== 'Z';
  });
}

/** Waits until none of `processes` runs; fails after `timeoutMs` naming those left. */
export async function untilEnded(processes: readonly ProcessIdentity[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = stillRunning(processes);
    if (left.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`still running after ${timeoutMs} ms:\n${left.map((known) => `  pid ${known.pid}: ${known.command}`).join('\n')}`);
    await sleep(100);
  }
}

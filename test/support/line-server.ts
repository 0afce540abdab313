// A long-lived helper process spoken to a line at a time: the Python oracle tools' `--serve` mode
// (python-tools.ts) and the Feast fork servers (python-fork-server.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const STDERR_TAIL_CHARS = 6_000;

export interface LineServerEvents {
  /** Each line the server writes to stdout, without its newline. */
  line(line: string): void;
  /** Once, when it could not start or has exited: why, and the last of what it wrote to stderr. */
  stopped(reason: string, stderrTail: string): void;
}

/** Starts `command args…` with its stdio piped; its stdout arrives a line at a time. */
export function spawnLineServer(command: string, args: readonly string[], events: LineServerEvents): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      events.line(line);
    }
  });
  let stderrTail = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS)));
  let stopped = false;
  const stop = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    events.stopped(reason, stderrTail);
  };
  child.once('error', (error) => stop(`could not run: ${error.message}`));
  child.once('close', (code, signal) => stop(`exited (${signal ?? `code ${String(code)}`})`));
  child.stdin.on('error', () => {}); // A write to a server that just died: 'close' reports it.
  return child;
}

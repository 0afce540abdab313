/**
 * Services end with their owner (issue #53): every process that starts service process groups
 * (`npm run demo`, `npm test`, a bench, `npm run services -- start`, `floe dev`) also starts one
 * watchdog (watchdog-process.ts), a detached node process that stops the groups still listed when
 * its stdin pipe closes, which the kernel does when the owner ends — by a crash, a signal or
 * SIGKILL too, where no exit hook of the owner runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

// From the sources (run through tsx) the program is the .ts file, which node runs with its types
// stripped; from the published package's dist/, the compiled .js beside this one.
const program = fileURLToPath(new URL(`./watchdog-process.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
let watchdog: ChildProcess | undefined;

function runningWatchdog(): ChildProcess {
  if (watchdog) return watchdog;
  // Detached, in a session of its own, so a Ctrl-C or hang-up for the owner's terminal does not end
  // it first; its stderr is the owner's, where it names what it stops. Neither it nor the pipe to
  // it keeps the owner alive.
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', program, String(process.pid)], {
    detached: true,
    env: {},
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const input = child.stdin as Socket;
  // A watchdog that failed cannot be told anything more; the owner goes on without it.
  input.on('error', () => undefined);
  input.unref();
  child.once('error', () => undefined);
  child.unref();
  watchdog = child;
  return child;
}

/** From now on, the process group `pgid` (a service called `name`) is stopped if this process ends first. */
export function watchGroup(pgid: number, name: string): void {
  runningWatchdog().stdin!.write(`+${pgid} ${name.replace(/\s+/g, ' ')}\n`);
}

/** The group has been stopped: its id may be reused, so the watchdog forgets it. */
export function unwatchGroup(pgid: number): void {
  watchdog?.stdin?.write(`-${pgid}\n`);
}

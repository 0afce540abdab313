/**
 * Services end with their owner (issue #53): every process that starts service process groups
 * (`npm run demo`, `npm test`, a bench, `npm run services -- start`, `floe dev`) also starts one
 * watchdog, a detached shell that stops the groups still listed when its stdin pipe closes, which
 * the kernel does when the owner ends — by a crash, a signal or SIGKILL too, where no exit hook of
 * the owner runs.
 *
 * The watchdog is `sh`, not node: killing every node process at once (`pkill -9 node`, an OOM
 * killer's sweep of a test run) must not take the watchdog down with its owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** What `ps` shows for the watchdog (its `$0`), followed by the owner's pid. */
export const WATCHDOG_NAME = 'floe-services-watchdog';

/** As long as an owner's own stop waits (stopGroup in process.ts), in tenths of a second. */
const GRACE_TENTHS = 100;

// stdin carries `+<pgid> <name>` for each group the owner starts and `-<pgid>` for each it has
// stopped; end of input means the owner is gone. Then each group still listed gets SIGTERM, and
// SIGKILL if it has not ended within the grace period. A hang-up or Ctrl-C for the owner's terminal
// must not end the watchdog before the owner, nor may the loss of the owner's stderr.
const WATCHDOG_SCRIPT = `
trap '' INT HUP PIPE
owner=$1
groups=''
while IFS= read -r line; do
  case $line in
    +*) groups="$groups\${line#+}
" ;;
    -*) pgid=\${line#-}; groups=$(printf '%s' "$groups" | grep -v "^$pgid " ; printf x); groups=\${groups%x} ;;
  esac
done
left=''
names=''
while IFS=' ' read -r pgid name; do
  [ -n "$pgid" ] || continue
  if kill -s TERM -- "-$pgid" 2>/dev/null; then left="$left $pgid"; names="$names, $name (pid $pgid)"; fi
done <<GROUPS
$groups
GROUPS
[ -n "$left" ] || exit 0
printf '[services] pid %s ended without stopping its services; stopping %s\\n' "$owner" "\${names#, }" >&2 2>/dev/null
tenths=0
while [ $tenths -lt ${GRACE_TENTHS} ]; do
  alive=''
  for pgid in $left; do kill -s 0 -- "-$pgid" 2>/dev/null && alive="$alive $pgid"; done
  [ -n "$alive" ] || exit 0
  sleep 0.1
  tenths=$((tenths + 1))
done
for pgid in $left; do kill -s KILL -- "-$pgid" 2>/dev/null; done
exit 0
`;

let watchdog: ChildProcess | undefined;

function runningWatchdog(): ChildProcess {
  if (watchdog) return watchdog;
  // Detached, in a session of its own, so a Ctrl-C or hang-up for the owner's terminal does not end
  // it first; its stderr is the owner's, where it names what it stops. Neither it nor the pipe to
  // it keeps the owner alive.
  const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, WATCHDOG_NAME, String(process.pid)], {
    detached: true,
    env: { PATH: '/usr/bin:/bin' },
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

/**
 * The watchdog program (scripts/services/watchdog.ts starts it): stops the service process groups
 * of an owner that ended without stopping them, even by SIGKILL or a native crash, which run none
 * of the owner's exit hooks. The owner holds the write end of this process's stdin and tells it
 * `+<pgid> <name>` for each group it starts and `-<pgid>` for each it has stopped; the kernel closes
 * that pipe when the owner ends, however it ends, so end of input means the owner is gone. Then each
 * group still listed gets SIGTERM, and SIGKILL if it has not ended within the grace period.
 *
 * Run by node directly (its types stripped, no loader): no imports of Floe's modules.
 */
const owner = Number(process.argv[2]);
/** As long as an owner's own stop waits (stopGroup in process.ts). */
const GRACE_MS = 10_000;
const groups = new Map<number, string>();

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // gone
  }
}

function heard(line: string): void {
  const match = /^([+-])(\d+)(?: (.*))?$/.exec(line);
  if (!match) return;
  const pgid = Number(match[2]);
  if (match[1] === '+') groups.set(pgid, match[3] ?? `process group ${pgid}`);
  else groups.delete(pgid);
}

let stopping = false;

async function stopOrphans(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const left = [...groups].filter(([pgid]) => signalGroup(pgid, 'SIGTERM'));
  if (left.length > 0)
    process.stderr.write(
      `[services] pid ${owner} ended without stopping its services; stopping ${left.map(([pgid, name]) => `${name} (pid ${pgid})`).join(', ')}\n`,
    );
  const deadline = Date.now() + GRACE_MS;
  while (left.some(([pgid]) => signalGroup(pgid, 0)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const [pgid] of left) signalGroup(pgid, 'SIGKILL');
  process.exit(0);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) heard(line);
});
process.stdin.once('end', () => {
  heard(pending);
  void stopOrphans();
});
process.stdin.once('error', () => void stopOrphans());
// Detached from the owner's terminal already; a hang-up or Ctrl-C sent to it must not end it before the owner.
for (const signal of ['SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);
// Nor may the owner's stderr, whose reader may be gone with the owner (`npm run demo | tee log`).
process.stderr.on('error', () => undefined);

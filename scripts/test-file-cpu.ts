/**
 * Preloaded by `npm test` into each test file's process: when the file's process exits, one JSON
 * line `{"file", "ms"}` goes to FLOE_TEST_CPU_FILE with the CPU time the file cost — its own
 * (user + system) and that of every child it waited for (the `floe` CLIs, Python oracles and
 * servers it spawned and reaped), from /proc/self/stat. Wall time says which files run long; this
 * says which cost the machine's cores, the figure that decides how long the whole run takes on
 * two of them. Services shared by every file are not counted. Read like the wall times, by scripts/test-file-times.ts.
 */
import { appendFileSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU times in these ticks on every architecture Node supports. */
const TICKS_PER_SECOND = 100;

const cpuFile = process.env.FLOE_TEST_CPU_FILE;
const file = process.argv[1];
if (cpuFile !== undefined && file !== undefined && process.platform === 'linux') {
  process.once('exit', () => {
    try {
      // Fields after the parenthesized command name: utime stime cutime cstime are the 12th–15th.
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = fields.slice(11, 15).reduce((sum, field) => sum + Number(field), 0);
      appendFileSync(cpuFile, `${JSON.stringify({ file, ms: Math.round((ticks * 1000) / TICKS_PER_SECOND) })}\n`);
    } catch {
      // A figure for the report only: a file whose figure is lost is left out of it.
    }
  });
}

/**
 * The one way tests get a temporary folder: `scratchFolder(name)` makes a new empty folder in the
 * OS's temp folder, `floe-<name>-XXXXXX`, and removes it with all it holds when its owner ends:
 *
 *   const scratch = scratchFolder('backfill');          // the test file: when its process exits,
 *                                                        // after every test and hook, passed or not
 *   const directory = scratchFolder('dev-lock', t);     // one test: when it ends (t.after)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

const removedOnExit = new Set<string>();

export function scratchFolder(name: string, test?: Pick<TestContext, 'after'>): string {
  const folder = mkdtempSync(path.join(tmpdir(), `floe-${name}-`));
  if (test !== undefined) {
    test.after(() => rm(folder, { recursive: true, force: true, maxRetries: 3 }));
    return folder;
  }
  // An exit listener, not an after() hook: it runs after the file's own after() hooks have stopped
  // the workers, servers and engines that may still write into the folder.
  if (removedOnExit.size === 0) process.once('exit', removeOnExit);
  removedOnExit.add(folder);
  return folder;
}

function removeOnExit(): void {
  for (const folder of removedOnExit) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
}

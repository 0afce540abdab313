// One `floe dev` per project: the lock names the live process holding it and where it runs, and a
// lock whose process is gone is taken over. Another process is a real child holding the lock.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { acquireDevLock, DEV_LOCK_FILE } from '../../../cli/dev-lock.js';
import { FloeError } from '../../../core/errors.js';
import { scratchFolder } from '../../support/scratch-folder.js';

test('a live holder is named with its pid and addresses; a dead one is taken over', async (t) => {
  const directory = scratchFolder('dev-lock', t);
  const file = path.join(directory, DEV_LOCK_FILE);
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    await writeFile(
      file,
      JSON.stringify({
        pid: other.pid,
        temporalAddress: '127.0.0.1:7233',
        temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows',
        featureServer: 'http://127.0.0.1:6566',
      }),
    );
    await assert.rejects(
      acquireDevLock(directory, { temporalAddress: '127.0.0.1:7300', temporalUi: 'http://127.0.0.1:8300' }),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') &&
        error.message ===
          `floe dev already runs for this project (pid ${other.pid}): Temporal 127.0.0.1:7233, Web UI http://127.0.0.1:8233/namespaces/default/workflows, feature server http://127.0.0.1:6566. Use that one, or stop it (Ctrl-C in its terminal) first; ${path.basename(directory)}/dev.lock names it`,
    );

    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    const lock = await acquireDevLock(directory, { temporalAddress: '127.0.0.1:7300', temporalUi: 'http://127.0.0.1:8300' });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      pid: process.pid,
      temporalAddress: '127.0.0.1:7300',
      temporalUi: 'http://127.0.0.1:8300',
    });
    await lock.update({
      temporalAddress: '127.0.0.1:7300',
      temporalUi: 'http://127.0.0.1:8300/namespaces/default/workflows',
      featureServer: null,
    });
    assert.equal((JSON.parse(await readFile(file, 'utf8')) as { featureServer: unknown }).featureServer, null);
    await lock.release();
    await assert.rejects(readFile(file), { code: 'ENOENT' });
  } finally {
    other.kill('SIGKILL');
  }
});

test('an unreadable lock (a crash while writing it) is taken over', async (t) => {
  const directory = scratchFolder('dev-lock', t);
  const file = path.join(directory, DEV_LOCK_FILE);
  await writeFile(file, '{"pid": 12');
  const lock = await acquireDevLock(directory, { temporalAddress: '127.0.0.1:7300', temporalUi: 'http://127.0.0.1:8300' });
  // Taken over: the file now names this process and where it runs, and releasing removes it.
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
    pid: process.pid,
    temporalAddress: '127.0.0.1:7300',
    temporalUi: 'http://127.0.0.1:8300',
  });
  await lock.release();
  await assert.rejects(readFile(file), { code: 'ENOENT' });
});

/** Installs sharing one cache wait for each other, and a lock left by a dead process is taken over. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { withInstallLock } from '../../../scripts/services/install-lock.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const cache = scratchFolder('lock-test');
const previous = process.env.FLOE_CACHE_DIR;
before(() => {
  process.env.FLOE_CACHE_DIR = cache;
});
after(() => {
  if (previous === undefined) delete process.env.FLOE_CACHE_DIR;
  else process.env.FLOE_CACHE_DIR = previous;
});

test('a second install of the same thing waits until the first is done', async () => {
  const events: string[] = [];
  const first = withInstallLock('thing', async () => {
    events.push('first start');
    await sleep(1_500);
    events.push('first end');
  });
  await sleep(50);
  const second = withInstallLock('thing', async () => {
    events.push('second start');
  });
  await Promise.all([first, second]);
  assert.deepEqual(events, ['first start', 'first end', 'second start']);
});

test('a lock whose holder has died is taken over', async () => {
  // A pid that surely is not running: a child that has already exited.
  const deadPid = spawnSync('true').pid;
  assert.ok(deadPid);
  mkdirSync(join(cache, 'locks'), { recursive: true });
  writeFileSync(join(cache, 'locks', 'stale.lock'), `${deadPid}\n`);
  const result = await withInstallLock('stale', () => Promise.resolve('ran'));
  assert.equal(result, 'ran');
});

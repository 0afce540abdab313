/**
 * The process handling every service relies on: a stop takes down the whole process group (a JVM
 * or shell and whatever it forked), and a service that dies or never answers fails with its name,
 * its command and the tail of its log.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startProcess, waitUntilHealthy } from '../../../scripts/services/process.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('process-test');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('stop() kills the process and the children it forked', async () => {
  const pidFile = join(dir, 'child.pid');
  const managed = startProcess({
    name: 'forker',
    command: 'sh',
    args: ['-c', `sleep 300 & echo $! > ${pidFile}; wait`],
    env: process.env,
    log: join(dir, 'forker.log'),
  });
  let childPid = NaN;
  for (let i = 0; i < 100 && Number.isNaN(childPid); i++) {
    await sleep(20);
    try {
      childPid = Number(readFileSync(pidFile, 'utf8').trim());
    } catch {
      // not written yet
    }
  }
  assert.ok(alive(childPid), 'the forked child runs');
  await managed.stop();
  for (let i = 0; i < 100 && alive(childPid); i++) await sleep(20);
  assert.equal(alive(managed.pid), false, 'the leader is gone');
  assert.equal(alive(childPid), false, 'the forked child is gone too');
});

test('a service that exits before it is healthy fails with its name, command and log tail', async () => {
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\\n');
  const managed = startProcess({
    name: 'crasher',
    command: 'sh',
    args: ['-c', `printf '${lines}\\n'; exit 3`],
    env: process.env,
    log: join(dir, 'crasher.log'),
  });
  await assert.rejects(
    waitUntilHealthy(managed, 'its port', () => Promise.reject(new Error('not yet')), 30_000),
    (error: Error) => {
      assert.match(error.message, /^crasher failed to start/);
      assert.match(error.message, /exited with code 3 before its port answered/);
      assert.match(error.message, /command: sh -c printf/);
      assert.match(error.message, /\| line 40/);
      assert.match(error.message, /\| line 11\n/);
      assert.doesNotMatch(error.message, /\| line 10\n/, 'only the last 30 lines');
      return true;
    },
  );
});

test('a service that never answers fails its health check at the timeout', async () => {
  const managed = startProcess({ name: 'sleeper', command: 'sleep', args: ['300'], env: process.env, log: join(dir, 'sleeper.log') });
  try {
    await assert.rejects(
      waitUntilHealthy(managed, 'GET /health', () => Promise.reject(new Error('connection refused')), 500),
      /sleeper failed its health check: GET \/health did not answer within 1 s \(last error: connection refused\)/,
    );
  } finally {
    await managed.stop();
  }
});

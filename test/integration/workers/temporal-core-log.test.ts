// services: temporal
// The Temporal SDK core's own log lines (here its DEBUG line about worker heartbeats, written while a
// worker starts) reach stderr through Floe's logger, in its one-line form and without colour codes
// though stderr is not a terminal; `floe dev`'s runtime (oneLine) shows none of them unless
// FLOE_TEMPORAL_LOG_LEVEL asks. A worker starts and stops on the real Temporal server, in a child
// process, since a process installs its runtime once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runToEnd } from '../../support/child-process.js';
import { temporalService } from '../../support/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const SCRIPT = `
import { installWorkerRuntime } from ${JSON.stringify(path.join(root, 'workers', 'worker-runtime.ts'))};
import { Redactor } from ${JSON.stringify(path.join(root, 'core', 'redaction.ts'))};
import { NativeConnection, Worker } from '@temporalio/worker';
installWorkerRuntime(new Redactor(), { oneLine: true });
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
const worker = await Worker.create({ connection, taskQueue: 'core-log-' + Date.now(), activities: { noop: async () => undefined } });
const running = worker.run();
await new Promise((resolve) => setTimeout(resolve, 500));
worker.shutdown();
await running;
await connection.close();
// The forwarded lines are flushed every 100 ms.
await new Promise((resolve) => setTimeout(resolve, 300));
`;

async function workerStderr(env: Record<string, string>): Promise<string> {
  const run = await runToEnd(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: root,
    env: { ...process.env, TEMPORAL_ADDRESS: temporalService().address, FLOE_LOG_LEVEL: 'DEBUG', ...env },
  });
  assert.equal(run.code, 0, run.stderr);
  return run.stderr;
}

test('floe dev hides core’s lines; FLOE_TEMPORAL_LOG_LEVEL shows them, one line each, without colour codes', async () => {
  const CORE_LINE = /^\S+Z \[DEBUG\] Worker heartbeating configured/m;
  assert.doesNotMatch(await workerStderr({}), CORE_LINE);
  const shown = await workerStderr({ FLOE_TEMPORAL_LOG_LEVEL: 'DEBUG' });
  assert.match(shown, CORE_LINE);
  assert.ok(!shown.includes('\u001b['), `colour codes on a stderr that is not a terminal:\n${shown}`);
});

// floe.yaml's worker section: no metrics endpoint unless worker.metricsPort is set, a port from the
// environment read as a number, a bad port refused naming the field, and --metrics-port winning.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { readProjectConfig } from '../../../features/config.js';
import { FloeError } from '../../../core/errors.js';
import { workerMetricsAddress } from '../../../workers/worker-runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const directory = scratchFolder('worker-config');

async function config(worker: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(directory, 'floe.yaml');
  await writeFile(file, `project: p\ncatalog:\n  type: sql\n  uri: catalog.db\n  warehouse: warehouse\n${worker}`);
  return readProjectConfig(file, env);
}

test('no worker section: no metrics endpoint', async () => {
  assert.equal(workerMetricsAddress(await config('')), undefined);
});

test('a port from the environment, on the default host; --metrics-port overrides it', async () => {
  const read = await config('worker:\n  metricsPort: ${FLOE_METRICS_PORT:-9464}\n', { FLOE_METRICS_PORT: '9500' });
  assert.deepEqual(workerMetricsAddress(read), { host: '127.0.0.1', port: 9500 });
  assert.deepEqual(workerMetricsAddress(read, 9600), { host: '127.0.0.1', port: 9600 });
  const open = await config('worker:\n  metricsPort: 9464\n  metricsHost: 0.0.0.0\n');
  assert.deepEqual(workerMetricsAddress(open), { host: '0.0.0.0', port: 9464 });
});

test('a port out of range is refused naming worker.metricsPort', async () => {
  await assert.rejects(config('worker:\n  metricsPort: 70000\n'), (error: unknown) => {
    assert.ok(FloeError.is(error, 'invalid-input'));
    assert.match(error.message, /worker\.metricsPort: /);
    return true;
  });
});

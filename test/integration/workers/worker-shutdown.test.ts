// services: temporal, minio, rest-catalog, python
// SIGTERM to `floe worker` while its materialize commit is jammed: the REST catalog fixture sits
// behind a proxy that reads the window's commit and never answers it. The commit is an activity
// outside the workflow task, so the worker's log has no TMPRL1104 line while it hangs; SIGTERM stops
// the worker within 30 s (the commit is cancelled once the grace time is up), and its log names what
// it waited for: the activity, the table and since when. The held commit is then either applied by
// the catalog after all (its client gone) or dropped; a new worker retries the commit, and pyiceberg
// reads the window landed exactly once either way.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MaterializeResult } from '../../../contracts/materialize.js';
import { exitCode, until } from '../../support/child-process.js';
import { featuresModule, startWorker } from '../../support/cli-project.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { startRestProxy } from '../../support/iceberg/rest-proxy.js';
import type { RestProxy } from '../../support/iceberg/rest-proxy.js';
import { expectedRows, onlineRows, onlineSnapshots, VIEW, writeSourceTable } from '../../support/pipelines/pipeline.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { restCatalogService, temporalService } from '../../support/services.js';
import { withWorkflowClient } from '../../support/workflow-client.js';

const WINDOW = { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };
/** What the issue asks of a stopping worker. */
const EXIT_BOUND_MS = 30_000;
/** How long the commit hangs before the SIGTERM: past the 5 s after which the SDK logs a long workflow task (TMPRL1104). */
const JAMMED_MS = 8_000;

const rows = driverStatsRows();
const oracle = oracleRestCatalog();
const scratch = scratchFolder('worker-shutdown');
const sourceTable = `rides_${randomUUID().slice(0, 8)}.driver_stats`;
const workers: ChildProcess[] = [];
let proxy: RestProxy;

before(async () => {
  proxy = await startRestProxy(restCatalogService().uri);
  await writeSourceTable(oracle, sourceTable, rows);
});

after(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await proxy.close();
});

describe('floe worker stopped while its commit is jammed', () => {
  for (const apply of [true, false])
    test(`exits within 30 s naming the commit it waited for; the held commit ${apply ? 'applied after all' : 'dropped'}, a new worker lands the window once`, async (t) => {
      const onlineNamespace = `online_${randomUUID().slice(0, 8)}`;
      const project = path.join(scratch, onlineNamespace);
      const taskQueue = await writeProject(project, onlineNamespace);
      const first = startFloeWorker(project);
      await until('the first worker started', first.lines, () => first.output().includes('Floe worker:'));
      const heldBefore = proxy.heldCommits();
      proxy.holdSnapshotCommits();
      const workflowId = `materialize-shutdown-${randomUUID()}`;
      await withWorkflowClient(temporalService().address, async (client) => {
        const handle = await client.start('materialize', { taskQueue, workflowId, args: [{ featureView: VIEW, ...WINDOW }] });
        await until('the window’s commit reached the catalog', first.lines, () => proxy.heldCommits() > heldBefore, 120_000);
        await new Promise((resolve) => setTimeout(resolve, JAMMED_MS));

        const signalled = Date.now();
        first.child.kill('SIGTERM');
        await Promise.race([
          exitCode(first.child),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`the worker did not exit within 30 s:\n${first.output()}`)), EXIT_BOUND_MS + 5_000),
          ),
        ]);
        const exitMs = Date.now() - signalled;
        const log = first.output();
        t.diagnostic(`exited ${exitMs} ms after SIGTERM; its log:\n${log}`);
        assert.ok(exitMs < EXIT_BOUND_MS, `the worker exited ${exitMs} ms after SIGTERM:\n${log}`);
        assert.match(
          log,
          new RegExp(
            `waiting for commitOnline \\(workflow ${workflowId}, table ${onlineNamespace}\\.${VIEW}, attempt 1\\) running since \\d{4}-\\d\\d-\\d\\dT`,
          ),
          log,
        );
        assert.doesNotMatch(log, /TMPRL1104/, 'no workflow task was held while the commit hung');
        assert.doesNotMatch(log, /gave up/, 'the cancelled commit stopped: nothing was abandoned');
        assert.equal(first.child.exitCode, 0, log);

        await proxy.releaseHeld({ apply });
        const second = startFloeWorker(project);
        try {
          const result: MaterializeResult = await handle.result();
          assert.equal(result.alreadyCommitted, apply, 'the retry found the held commit by its key when the catalog had applied it');
        } finally {
          second.child.kill('SIGTERM');
          await exitCode(second.child);
        }
      });
      const snapshots = await onlineSnapshots({ oracle }, onlineNamespace);
      assert.deepEqual(
        snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']),
        [`${workflowId}/${WINDOW.start}/${WINDOW.end}`],
      );
      assert.deepEqual(await onlineRows({ oracle }, onlineNamespace), expectedRows(rows, [WINDOW]));
    });
});

/** package.json, features.ts (the drivers' view over the source table) and floe.yaml on the REST catalog through the proxy; the task queue. */
async function writeProject(directory: string, onlineNamespace: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  const taskQueue = `worker-shutdown-${randomUUID()}`;
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: ${JSON.stringify(sourceTable)}, timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const view = defineFeatureView({
  name: ${JSON.stringify(VIEW)},
  entities: ['driver'],
  source: 'driver_stats',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'acc_rate', type: 'double' }, { name: 'avg_daily_trips', type: 'long' }],
  online: { buckets: 4 },
});
`,
  );
  const catalog = { ...floeRestCatalog(), uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}` };
  // JSON is YAML.
  const config = {
    project: 'worker_shutdown',
    catalog,
    online: { namespace: onlineNamespace },
    temporal: { address: temporalService().address, taskQueue },
    workDirectory: 'work',
  };
  await writeFile(path.join(directory, 'floe.yaml'), `${JSON.stringify(config, null, 2)}\n`);
  return taskQueue;
}

/** `floe worker` on the project, its output kept (also as lines, for `until`'s failure message). */
function startFloeWorker(project: string): { child: ChildProcess; output: () => string; lines: string[] } {
  let output = '';
  const lines: string[] = [];
  const child = startWorker(project, {
    output: (text) => {
      output += text;
      lines.push(...text.split('\n').filter((line) => line !== ''));
    },
  });
  workers.push(child);
  return { child, output: () => output, lines };
}

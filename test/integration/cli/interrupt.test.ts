// services: temporal
// Ctrl-C while `floe materialize` waits stops the waiting, not the workflow: exit 130 with the workflow
// id, the command line that follows it again (which does, rather than failing on the running id) and
// the Temporal CLI command that cancels it (which does). No worker runs here: the workflow waits on its
// task queue, so it is still running whenever the test looks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import { featuresModule, writeSqlCatalogProject } from '../../support/cli-project.js';
import { exitCode, runToEnd } from '../../support/child-process.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { temporalService } from '../../support/services.js';
import { withWorkflowClient } from '../../support/workflow-client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const project = scratchFolder('interrupt');
const WORKFLOW_ID = `interrupt-${randomUUID()}`;
const COMMAND = [
  'materialize',
  'driver_hourly_stats',
  '--start',
  '2024-05-01T00:00:00Z',
  '--end',
  '2024-05-02T00:00:00Z',
  '--workflow-id',
  WORKFLOW_ID,
  '--project',
  project,
];
const children: ChildProcess[] = [];

before(async () => {
  await writeSqlCatalogProject(project, {
    project: 'interrupt',
    catalog: { uri: path.join(project, 'catalog.db'), warehouse: path.join(project, 'warehouse') },
    features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp' });
export const view = defineFeatureView({ name: 'driver_hourly_stats', entities: ['driver'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }] });
`,
    // A task queue no worker polls: the workflow starts and waits.
    yaml: `temporal:\n  address: ${JSON.stringify(temporalService().address)}\n  taskQueue: interrupt-${randomUUID()}\n`,
  });
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await withWorkflowClient(temporalService().address, (client) => client.getHandle(WORKFLOW_ID).terminate('test over')).catch(
    (error: unknown) => {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    },
  );
});

/**
 * Runs the materialize command until its workflow runs (or, when `waiting` is given, until it prints
 * that line), then sends Ctrl-C; its exit code and stderr.
 */
async function materializeThenInterrupt(waiting?: RegExp): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [floe, ...COMMAND], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (waiting !== undefined) {
    const deadline = Date.now() + 60_000;
    while (!waiting.test(stderr)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `no line ${String(waiting)}:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    return { code: await exitCode(child), stderr };
  }
  await withWorkflowClient(temporalService().address, async (client) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await client
        .getHandle(WORKFLOW_ID)
        .describe()
        .then((description) => description.status.name)
        .catch(() => undefined);
      if (status === 'RUNNING') return;
      assert.ok(Date.now() < deadline && child.exitCode === null, `the workflow did not start (${String(status)}):\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  // A moment for the command to pass from starting to waiting.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  child.kill('SIGINT');
  return { code: await exitCode(child), stderr };
}

test(
  'Ctrl-C in floe materialize exits 130 saying the workflow goes on, how to follow it and how to cancel it',
  { timeout: 180_000 },
  async () => {
    const first = await materializeThenInterrupt();
    assert.equal(first.code, 130, first.stderr);
    const { address } = temporalService();
    assert.match(
      first.stderr,
      new RegExp(
        `^Stopped following: the materialize goes on as workflow ${WORKFLOW_ID} \\(Temporal ${address}, namespace default\\)\\.$`,
        'm',
      ),
    );
    const follow = /^ {2}follow it again: (floe materialize .*)$/m.exec(first.stderr)?.[1];
    assert.ok(follow?.includes(`--workflow-id ${WORKFLOW_ID}`), first.stderr);
    const cancel = /^ {2}cancel it: temporal (workflow cancel .*)$/m.exec(first.stderr)?.[1];
    assert.equal(cancel, `workflow cancel --workflow-id ${WORKFLOW_ID} --namespace default --address ${address}`);
    const status = await withWorkflowClient(address, async (client) => (await client.getHandle(WORKFLOW_ID).describe()).status.name);
    assert.equal(status, 'RUNNING', 'Ctrl-C stopped the workflow');

    // The same command line again follows the running workflow (it does not fail on its id), and Ctrl-C says the same.
    const again = await materializeThenInterrupt(/is already running; waiting for it/);
    assert.equal(again.code, 130, again.stderr);
    assert.equal(
      again.stderr,
      `A materialize ${WORKFLOW_ID} is already running; waiting for it (Ctrl-C stops waiting, not the workflow)\n${first.stderr}`,
    );

    // The printed cancel command, run with the Temporal CLI, asks the workflow to cancel.
    const cancelled = await runToEnd(temporalService().cli, cancel.split(' '), { env: process.env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const history = await withWorkflowClient(address, (client) => client.getHandle(WORKFLOW_ID).fetchHistory());
    assert.ok(
      history.events?.some((event) => event.workflowExecutionCancelRequestedEventAttributes != null),
      'no cancel request in the history',
    );
  },
);

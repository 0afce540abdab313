// services: temporal, python
// What the long-running commands tell an operator, against a `floe worker` process on the dev
// server: Ctrl-C on `floe backfill` leaves the workflow running and prints the command that
// reattaches, and the one that cancels it; `floe schedule list` shows recent runs with their
// status; `floe compact` says why it rewrote nothing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { chunkWindows } from '../../../contracts/windows.js';
import { materializeScheduleId } from '../../../contracts/ids.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { temporalService } from '../../support/services.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog, expectedRows, onlineRows } from '../../support/pipelines/pipeline.js';
import { waitForScheduleIdle } from '../../support/pipelines/schedule-runs.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const floe = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'floe.js');
const view = `ops_${randomUUID().slice(0, 8)}`;
const RANGE = { start: '2024-05-01T00:00:00Z', end: '2024-05-03T00:00:00Z' };

const directory = scratchFolder('cli-operations');
let source: SourceTable;
let worker: ChildProcess | undefined;
let client: Client;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, {
    project: 'cli-operations',
    source,
    view,
    viewFields: ['online: { buckets: 4 }', 'schedule: { every: { hours: 12 }, paused: true }'],
  });
  worker = startWorker(directory);
  client = new Client({
    connection: await Connection.connect({ address: temporalService().address }),
    namespace: temporalService().namespace,
  });
});

after(async () => {
  await client.schedule
    .getHandle(materializeScheduleId(view))
    .delete()
    .catch(() => undefined);
  await client.connection.close();
  await stopWorker(worker);
});

/** Runs `floe <args>` and sends it SIGINT once `ready` matches its stderr. */
function interruptWhen(
  args: readonly string[],
  ready: RegExp,
  beforeInterrupt: () => Promise<void> = async () => {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [floe, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && ready.test(stderr)) {
        sent = true;
        beforeInterrupt().then(() => child.kill('SIGINT'), reject);
      }
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('floe operations', () => {
  test('Ctrl-C on floe backfill leaves the workflow running; the printed command reattaches and completes it', async () => {
    // 12 chunks one at a time, interrupted after the first one is done.
    const args = [
      'backfill',
      view,
      '--start',
      RANGE.start,
      '--end',
      RANGE.end,
      '--chunk',
      '4h',
      '--parallelism',
      '1',
      '--project',
      directory,
    ];
    // Paused before the Ctrl-C, so the chunks left cannot all finish before the status is read
    // (how fast they run must not decide the test); a cancelled backfill would not stay RUNNING.
    const backfillId = `backfill-${view}-20240501T000000Z-20240503T000000Z-4h`;
    const interrupted = await interruptWhen(args, /: [1-9]\d*\/12 chunks/, () => client.workflow.getHandle(backfillId).signal('pause'));
    assert.equal(interrupted.code, 130, interrupted.stderr);
    const said =
      /^Stopped following: the backfill goes on as workflow (\S+) \(Temporal .*\n {2}follow it again: (floe backfill .+)\n {2}cancel it: temporal workflow cancel --workflow-id \1 /m.exec(
        interrupted.stderr,
      );
    assert.ok(said, `no reattach line in:\n${interrupted.stderr}`);
    const [, workflowId, command] = said;
    assert.equal(workflowId, backfillId);
    assert.equal(command, `floe ${args.join(' ')}`);
    assert.doesNotMatch(interrupted.stderr, /\n\s+at /);
    const description = await client.workflow.getHandle(workflowId!).describe();
    assert.equal(description.status.name, 'RUNNING', `the backfill did not outlive the CLI:\n${interrupted.stderr}`);
    await client.workflow.getHandle(backfillId).signal('resume');

    const reattached = await floeCommand(command!.split(' ').slice(1));
    assert.equal(reattached.code, 0, reattached.stderr);
    assert.match(
      reattached.stdout,
      new RegExp(
        `Backfilled ${view} over \\[${RANGE.start}, ${RANGE.end}\\): 12 chunk\\(s\\), \\d+ entity row\\(s\\), 1 run\\(s\\) of workflow ${workflowId}`,
      ),
    );
    assert.equal((await client.workflow.getHandle(workflowId!).describe()).status.name, 'COMPLETED');
    // One workflow run did it all, and every chunk landed once.
    const windows = chunkWindows(RANGE.start, RANGE.end, 4 * 3600);
    assert.deepEqual(await onlineRows(source, 'floe_online', view), expectedRows(source.rows, windows));
  });

  test('Ctrl-C on floe training-set leaves the workflow running; the printed command reattaches and completes it', async () => {
    // About 190 chunks of 8 entity rows one at a time: seconds of work left after the first ones.
    const output = `datasets.ops_${view}`;
    const args = [
      'training-set',
      '--entities-table',
      source.table,
      '--features',
      `${view}:conv_rate`,
      '--full-feature-names',
      '--output',
      output,
      '--chunk-rows',
      '8',
      '--parallelism',
      '1',
      '--project',
      directory,
    ];
    const interrupted = await interruptWhen(args, /training set \S+: [1-9]\d*\/\d+ chunks/);
    assert.equal(interrupted.code, 130, interrupted.stderr);
    const said =
      /^Stopped following: the training set goes on as workflow (\S+) \(Temporal .*\n {2}follow it again: (floe training-set .+)\n {2}cancel it: temporal workflow cancel --workflow-id \1 /m.exec(
        interrupted.stderr,
      );
    assert.ok(said, `no reattach line in:\n${interrupted.stderr}`);
    const [, workflowId, command] = said;
    assert.equal(workflowId, `training-set-${output}`);
    assert.equal(command, `floe ${args.join(' ')}`);
    assert.equal(
      (await client.workflow.getHandle(workflowId!).describe()).status.name,
      'RUNNING',
      `the training set did not outlive the CLI:\n${interrupted.stderr}`,
    );

    const reattached = await floeCommand([...command!.split(' ').slice(1), '--json']);
    assert.equal(reattached.code, 0, reattached.stderr);
    const result = JSON.parse(reattached.stdout) as { rows: number; alreadyCommitted: boolean };
    assert.deepEqual(
      { rows: result.rows, alreadyCommitted: result.alreadyCommitted },
      { rows: source.rows.length, alreadyCommitted: false },
    );
    const read = await runPyiceberg<{ rows: unknown[] }>('read', { catalog: source.oracle, identifier: output });
    assert.equal(read.rows.length, source.rows.length);
  });

  test('floe compact with nothing to rewrite says which partitions were below which threshold', async () => {
    // The oracle: pyiceberg's data files of the online table, per partition.
    const files = await runPyiceberg<{ rows: { content: number; partition: unknown }[] }>('inspect', {
      catalog: source.oracle,
      identifier: `floe_online.${view}`,
      what: 'files',
    });
    const perPartition = new Map<string, number>();
    for (const file of files.rows) {
      assert.equal(file.content, 0, 'the online table has a delete file');
      const key = JSON.stringify(file.partition);
      perPartition.set(key, (perPartition.get(key) ?? 0) + 1);
    }
    const most = Math.max(...perPartition.values());
    const run = await floeCommand(['compact', view, '--min-files', String(most), '--skip-cleanup', '--project', directory]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(
        `nothing to rewrite: ${perPartition.size} partitions have ≤ ${most} data files and no delete files \\(minFiles ${most}\\)`,
      ),
    );
    const json = await floeCommand(['compact', view, '--min-files', String(most), '--skip-cleanup', '--project', directory, '--json']);
    const result = JSON.parse(json.stdout) as {
      snapshotId: string | null;
      nothingRewritten: { belowThreshold: number; minFiles: number; reason: string };
    };
    assert.equal(result.snapshotId, null);
    assert.deepEqual(
      { belowThreshold: result.nothingRewritten.belowThreshold, minFiles: result.nothingRewritten.minFiles },
      { belowThreshold: perPartition.size, minFiles: most },
    );
  });

  test('floe schedule list shows the last runs with their status', async () => {
    const applied = await floeCommand(['schedule', 'apply', '--project', directory]);
    assert.equal(applied.code, 0, applied.stderr);
    const before = await floeCommand(['schedule', 'list', '--project', directory]);
    assert.match(before.stdout, new RegExp(`floe-materialize-${view}  PAUSED[^\\n]*\\n  next: [^\\n]*\\n  recent runs: \\(none yet\\)`));

    await client.schedule.getHandle(materializeScheduleId(view)).trigger();
    // Followed through Temporal, not by starting `floe schedule list` every half second: the list is
    // then read once the run is over (and again only if the list lags behind).
    await waitForScheduleIdle(client, materializeScheduleId(view), 1);
    let run: { scheduledAt: string; workflowId: string; status: string } | undefined;
    for (let attempt = 0; attempt < 120 && run?.status !== 'completed'; attempt++) {
      const listed = await floeCommand(['schedule', 'list', '--project', directory, '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const mine = (JSON.parse(listed.stdout) as { scheduleId: string; recentRuns: (typeof run)[] }[]).find(
        (one) => one.scheduleId === materializeScheduleId(view),
      );
      run = mine?.recentRuns.at(-1);
      if (run?.status === 'failed') break;
      if (run?.status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(run?.status, 'completed', `the triggered run: ${JSON.stringify(run)}`);
    const described = await client.workflow.getHandle(run.workflowId).describe();
    assert.equal(described.status.name, 'COMPLETED');
    const human = await floeCommand(['schedule', 'list', '--project', directory]);
    assert.match(human.stdout, new RegExp(`recent runs:\\n    ${run.scheduledAt.replace(/\./g, '\\.')}  completed\\s+${run.workflowId}`));
  });
});

// services: temporal, python
// Bad input to the `floe` command, one row each, as a user meets it: the exit code the README
// promises (2 bad input, 1 other), a message naming the object, no stack trace, and — for the
// windows refused before a workflow starts — no workflow under the id it would have had and no
// table changed. "Future" is the real now plus a day, so no row depends on the date.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { connectClient } from '../../../cli/temporal-client.js';
import { loadProject } from '../../../features/project.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { FloeError } from '../../../core/errors.js';
import { backfillWorkflowId, incrementalWorkflowId, materializeWorkflowId, trainingSetWorkflowId } from '../../../contracts/ids.js';
import { temporalService } from '../../support/services.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { closedPort } from '../../support/closed-port.js';

const suffix = randomUUID().slice(0, 8);
const view = `bad_input_${suffix}`;
const broken = `broken_${suffix}`;
const START = '2024-05-01T00:00:00Z';
const DAY_MS = 86_400_000;

const directory = scratchFolder('cli-bad-input');
let unreachable: string;
let unreachableAddress: string;
let source: SourceTable;
let worker: ChildProcess | undefined;
let client: Client;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'cli-bad-input', source, view, viewFields: ['delay: { hours: 1 }'] });
  // A view whose feature is no column of its source: only materializing it finds out.
  await appendFile(
    path.join(directory, 'features.ts'),
    `export const brokenView = defineFeatureView({ name: ${JSON.stringify(broken)}, entities: ['driver'], source: 'driver_stats', features: [{ name: 'no_such_column', type: 'double' }] });\n`,
  );
  // The same project pointing at a Temporal address where nothing listens.
  unreachable = path.join(directory, 'unreachable');
  await mkdir(unreachable);
  for (const file of ['package.json', 'features.ts']) await copyFile(path.join(directory, file), path.join(unreachable, file));
  unreachableAddress = `127.0.0.1:${await closedPort()}`;
  const yaml = await readFile(path.join(directory, 'floe.yaml'), 'utf8');
  await writeFile(
    path.join(unreachable, 'floe.yaml'),
    yaml.replace(/^ {2}address: .*$/m, `  address: ${JSON.stringify(unreachableAddress)}`),
  );
  worker = startWorker(directory);
  client = new Client({
    connection: await Connection.connect({ address: temporalService().address }),
    namespace: temporalService().namespace,
  });
});

after(async () => {
  await stopWorker(worker);
  await client?.connection.close();
});

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The source's current snapshot and whether the view's online table exists: what a refused command must leave alone. */
async function tableState(): Promise<{ sourceSnapshot: string | null; onlineExists: boolean }> {
  const catalog = await loadCatalog(source.floeCatalog);
  try {
    const table = await catalog.loadTable({ namespace: ['rides'], name: 'driver_stats' });
    return {
      sourceSnapshot: table.metadata.currentSnapshotId?.toString() ?? null,
      onlineExists: await catalog.tableExists({ namespace: ['floe_online'], name: view }),
    };
  } finally {
    await catalog.close();
  }
}

function assertNoStackTrace(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at /, `a stack trace:\n${stderr}`);
}

interface Refusal {
  readonly name: string;
  readonly args: () => string[];
  /** What the message must name. */
  readonly names: () => RegExp[];
  /** The workflow the command would have started. */
  readonly workflowId: () => string;
}

const future = (): string => new Date(Date.now() + DAY_MS).toISOString();
let futureEnd: string;

const refusals: Refusal[] = [
  {
    name: 'floe materialize with an end in the future',
    args: () => ['materialize', view, '--start', START, '--end', futureEnd],
    names: () => [new RegExp(`Feature view ${view}: --end ${futureEnd} is after \\S+Z \\(now − its delay\\)`)],
    workflowId: () => materializeWorkflowId(view, new Date(START).toISOString(), futureEnd),
  },
  {
    name: 'floe materialize-incremental --end in the future',
    args: () => ['materialize-incremental', view, '--end', futureEnd],
    names: () => [new RegExp(`Feature view ${view}: --end ${futureEnd} is after`)],
    workflowId: () => incrementalWorkflowId(view, futureEnd),
  },
  {
    name: 'floe backfill ending in the future',
    args: () => ['backfill', view, '--start', START, '--end', futureEnd],
    names: () => [new RegExp(`Feature view ${view}: --end ${futureEnd} is after`)],
    workflowId: () => backfillWorkflowId([view], new Date(START).toISOString(), futureEnd, '1d'),
  },
  {
    name: 'floe materialize with its end before its start',
    args: () => ['materialize', view, '--start', '2024-05-02T00:00:00Z', '--end', START],
    names: () => [/--end 2024-05-01T00:00:00Z must be after --start 2024-05-02T00:00:00Z/],
    workflowId: () => materializeWorkflowId(view, '2024-05-02T00:00:00.000Z', '2024-05-01T00:00:00.000Z'),
  },
  {
    name: 'floe backfill with its end at its start',
    args: () => ['backfill', view, '--start', START, '--end', START],
    names: () => [/--end 2024-05-01T00:00:00Z must be after --start 2024-05-01T00:00:00Z/],
    workflowId: () => backfillWorkflowId([view], '2024-05-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z', '1d'),
  },
  {
    name: 'floe materialize ending in the year 275760',
    args: () => ['materialize', view, '--start', START, '--end', '+275760-09-13T00:00:00Z'],
    names: () => [/--end "\+275760-09-13T00:00:00Z" is outside the years 1970–9999/],
    workflowId: () => materializeWorkflowId(view, '2024-05-01T00:00:00.000Z', new Date('+275760-09-13T00:00:00Z').toISOString()),
  },
  {
    // 121 days of hours: 2904 chunks.
    name: 'floe backfill of more chunks than --max-chunks',
    args: () => ['backfill', view, '--start', '2024-01-01T00:00:00Z', '--end', START, '--chunk', '1h', '--max-chunks', '100'],
    names: () => [/is 2904 chunks, more than --max-chunks 100;/],
    workflowId: () => backfillWorkflowId([view], '2024-01-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z', '1h'),
  },
  {
    // 1970 to 2024 in minutes: 28,401,120 chunks, past the default bound.
    name: 'floe backfill of more chunks than the default 100,000',
    args: () => ['backfill', view, '--start', '1970-01-01T00:00:00Z', '--end', '2024-01-01T00:00:00Z', '--chunk', '1m'],
    names: () => [/is 28401120 chunks, more than --max-chunks 100000;/],
    workflowId: () => backfillWorkflowId([view], '1970-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', '1m'),
  },
  {
    name: 'floe training-set with a missing entity Parquet file',
    args: () => [
      'training-set',
      '--entities-parquet',
      path.join(directory, 'no-such-requests.parquet'),
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.bad_${suffix}`,
    ],
    names: () => [
      new RegExp(
        `The entity Parquet file ${path.join(directory, 'no-such-requests.parquet').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not exist`,
      ),
    ],
    workflowId: () => trainingSetWorkflowId(`datasets.bad_${suffix}`),
  },
  {
    name: 'floe training-set with entity rows from a source that does not exist',
    args: () => [
      'training-set',
      '--entities-from',
      'no_such_source',
      '--start',
      START,
      '--end',
      '2024-05-02T00:00:00Z',
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.bad_from_${suffix}`,
    ],
    names: () => [/no source or feature view named "no_such_source"; sources: driver_stats/],
    workflowId: () => trainingSetWorkflowId(`datasets.bad_from_${suffix}`),
  },
  {
    name: 'floe training-set with entity rows from a source and --end before --start',
    args: () => [
      'training-set',
      '--entities-from',
      'driver_stats',
      '--start',
      '2024-05-02T00:00:00Z',
      '--end',
      START,
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.bad_from_${suffix}`,
    ],
    names: () => [/--end 2024-05-01T00:00:00Z must be after --start 2024-05-02T00:00:00Z/],
    workflowId: () => trainingSetWorkflowId(`datasets.bad_from_${suffix}`),
  },
  {
    name: 'floe training-set with --entities-from and no --end',
    args: () => [
      'training-set',
      '--entities-from',
      'driver_stats',
      '--start',
      START,
      '--features',
      `${view}:conv_rate`,
      '--output',
      `datasets.bad_from_${suffix}`,
    ],
    names: () => [/--entities-from driver_stats takes the rows with --start ≤ event time < --end: give both/],
    workflowId: () => trainingSetWorkflowId(`datasets.bad_from_${suffix}`),
  },
];

describe('floe refuses bad input with exit 2 before any workflow starts', () => {
  before(() => {
    futureEnd = future();
  });

  for (const refusal of refusals) {
    test(refusal.name, async () => {
      const before = await tableState();
      const run = await floeCommand([...refusal.args(), '--project', directory]);
      assert.equal(run.code, 2, `exit code ${run.code}:\n${run.stderr}`);
      for (const pattern of refusal.names()) assert.match(run.stderr, pattern);
      assert.doesNotMatch(run.stderr, /LINE 1|SELECT |metadata\//);
      assertNoStackTrace(run.stderr);
      assert.equal(await workflowExists(refusal.workflowId()), false, `workflow ${refusal.workflowId()} was started`);
      assert.deepEqual(await tableState(), before);
    });
  }
});

describe('failures found by the workflow keep the README’s exit codes', () => {
  test('a source column missing at materialize time: exit 2, naming the table by identifier and the column', async () => {
    const run = await floeCommand(['materialize', broken, '--start', START, '--end', '2024-05-02T00:00:00Z', '--project', directory]);
    assert.equal(run.code, 2, `exit code ${run.code}:\n${run.stderr}`);
    assert.match(run.stderr, /rides\.driver_stats/);
    assert.match(run.stderr, /"no_such_column"/);
    assert.doesNotMatch(run.stderr, /metadata\/|\.metadata\.json|LINE 1|SELECT /);
    assertNoStackTrace(run.stderr);
  });

  test('an unreachable Temporal: the commands’ connection gives up within 5 s', async () => {
    // Timed in this process: starting `floe` itself takes 1–8 s on a loaded test machine, which
    // would drown what is measured here, the wait for the server.
    const config = (await loadProject(unreachable)).config;
    const started = performance.now();
    await assert.rejects(connectClient(config), (error: unknown) => FloeError.is(error) && error.message.includes(unreachableAddress));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 5, `connecting took ${seconds.toFixed(1)} s`);
  });

  test('an unreachable Temporal: exit 1, naming the address and the setting, for every command that needs it', async () => {
    const commands = [
      ['materialize', view, '--start', START, '--end', '2024-05-02T00:00:00Z'],
      ['materialize-incremental', view, '--end', '2024-05-02T00:00:00Z'],
      ['backfill', view, '--start', START, '--end', '2024-05-02T00:00:00Z'],
      ['compact', view],
      ['consistency', view],
      ['schedule', 'list'],
      ['worker'],
      [
        'training-set',
        '--entities-table',
        'rides.driver_stats',
        '--features',
        `${view}:conv_rate`,
        '--output',
        `datasets.unreachable_${suffix}`,
      ],
    ];
    // At once: each spends its 2 s waiting for the server, not computing.
    const runs = await Promise.all(commands.map((args) => floeCommand([...args, '--project', unreachable])));
    for (const [index, args] of commands.entries()) {
      const run = runs[index]!;
      assert.equal(run.code, 1, `floe ${args[0]}: exit code ${run.code}:\n${run.stderr}`);
      assert.match(run.stderr, new RegExp(`Temporal server at ${unreachableAddress.replace(/\./g, '\\.')} within 2 s`));
      assert.match(run.stderr, /temporal\.address in floe\.yaml/);
      assert.match(run.stderr, /FLOE_TEMPORAL_ADDRESS/);
      assertNoStackTrace(run.stderr);
    }
  });
});

// services: temporal, python
// A feature removed, applied, then re-added (issue #54): its online column is a new one, so the rows
// materialized before read null, and running the window again under its own id says "already
// committed". `floe plan` says so and how to fill them: `--again` runs a committed window under a
// new id. Checked online through `floe get-online` against the source rows pyiceberg wrote, and
// offline through `floe training-set`.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { latestPerDriver } from '../../support/driver-stats.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const VIEW = 'readded';
const WINDOW = { start: '2024-05-02T00:00:00Z', end: '2024-05-03T00:00:00Z' };
const DRIVERS = [1001, 1002, 1003];
/** The instant online values are exact for: the window's end − 1 µs (a row at the end itself is the next window's). */
const EXACT_AS_OF = '2024-05-02T23:59:59.999999Z';
const ACC_RATE = "{ name: 'acc_rate', type: 'double' }, ";

const directory = scratchFolder('re-added-feature');
let source: SourceTable;
let worker: ChildProcess | undefined;
let definitions: string;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 're-added-feature', source, view: VIEW, viewFields: ['online: { buckets: 2 }'] });
  definitions = await readFile(path.join(directory, 'features.ts'), 'utf8');
  assert.ok(definitions.includes(ACC_RATE));
  worker = startWorker(directory);
});

after(async () => {
  await stopWorker(worker);
});

async function floe(args: readonly string[]): Promise<string> {
  const run = await floeCommand([...args, '--project', directory]);
  assert.equal(run.code, 0, `floe ${args.join(' ')}:\n${run.stderr}`);
  return run.stdout;
}

async function materialize(...extra: string[]): Promise<{ workflowId?: string; alreadyCommitted: boolean }> {
  return JSON.parse(await floe(['materialize', VIEW, '--start', WINDOW.start, '--end', WINDOW.end, '--json', ...extra])) as {
    alreadyCommitted: boolean;
  };
}

async function onlineAccRates(): Promise<{ values: unknown[]; statuses: string[] }> {
  const response = JSON.parse(await floe(['get-online', `${VIEW}:acc_rate`, '--entity', `driver_id=${DRIVERS.join(',')}`, '--json'])) as {
    features: { values: unknown[]; statuses: string[] }[];
  };
  return response.features[0]!;
}

/** The oracle: each driver's latest acc_rate in the window, from the rows pyiceberg wrote. */
function expectedAccRates(): number[] {
  const latest = latestPerDriver(source.rows, WINDOW);
  return DRIVERS.map((driver) => Number(latest.find((row) => Number(row.driver_id) === driver)!.acc_rate));
}

describe('a feature removed and re-added', () => {
  test('reads null until its window runs again with --again, then the source values online and offline', async () => {
    await floe(['apply']);
    assert.equal((await materialize()).alreadyCommitted, false);
    assert.deepEqual((await onlineAccRates()).values, expectedAccRates());

    await writeFile(path.join(directory, 'features.ts'), definitions.replace(ACC_RATE, ''));
    assert.match(await floe(['apply']), /drop column acc_rate/);
    await writeFile(path.join(directory, 'features.ts'), definitions);
    const plan = await floe(['plan']);
    assert.match(plan, /add column acc_rate double/);
    assert.match(
      plan,
      new RegExp(
        `rows already materialized read null for acc_rate until their windows run again \\(floe backfill ${VIEW} --start … --end … --again\\)`,
      ),
    );
    await floe(['apply']);

    // The finding: the new column holds nothing for rows materialized before, and the same window
    // run again under its own id finds its commit.
    assert.deepEqual(
      (await onlineAccRates()).values,
      DRIVERS.map(() => null),
    );
    assert.equal((await materialize()).alreadyCommitted, true);
    assert.deepEqual(
      (await onlineAccRates()).values,
      DRIVERS.map(() => null),
    );

    const again = await materialize('--again');
    assert.equal(again.alreadyCommitted, false);
    const online = await onlineAccRates();
    assert.deepEqual(online.values, expectedAccRates());
    assert.deepEqual(
      online.statuses,
      DRIVERS.map(() => 'PRESENT'),
    );

    await writeFile(
      path.join(directory, 'entities.csv'),
      ['driver_id,event_timestamp', ...DRIVERS.map((driver) => `${driver},${EXACT_AS_OF}`)].join('\n'),
    );
    await floe([
      'training-set',
      '--features',
      `${VIEW}:acc_rate`,
      '--entities-csv',
      path.join(directory, 'entities.csv'),
      '--output',
      'training.readded',
      '--json',
    ]);
    const training = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: source.oracle,
      identifier: 'training.readded',
    });
    const offline = new Map(training.rows.map((row) => [Number(row.driver_id), Number(row.acc_rate)]));
    assert.deepEqual(
      DRIVERS.map((driver) => offline.get(driver)),
      expectedAccRates(),
    );
  });
});

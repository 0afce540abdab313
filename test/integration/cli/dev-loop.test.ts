// services: temporal, python
// `floe dev --apply` keeps up with edited definitions: while it runs, the test adds a feature view
// and a feature to an existing view; without restarting dev, the new view materializes through the
// CLI against dev's Temporal and dev's feature server answers the new feature with the values
// pyiceberg reads from the source. A broken edit is one line and changes nothing; an edit of a
// file the definitions import reloads too, and so does an edit of an on-demand view's function alone. Then dev restarts on the same ports with its history.
// Every port is a free one written into floe.yaml; the data and windows are fixed instants.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../scripts/services/ports.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { interrupt, runToEnd } from '../../support/child-process.js';
import { resultWithin, withWorkflowClient } from '../../support/workflow-client.js';
import { floeCommand, linkCheckoutAsFloe } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { startDev } from '../../support/floe-dev.js';
import type { FloeDev } from '../../support/floe-dev.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DATA_END = '2024-05-03T00:00:00Z';
const WINDOW = { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' };
/** The sample data has one row per driver and hour: the window's last is at 23:00. */
const LAST_EVENT = '2024-05-02T23:00:00.000000+00:00';
const DRIVERS = [1001, 1007];

const scratch = scratchFolder('dev-loop');
let project: string;
let env: NodeJS.ProcessEnv;
let address: string;
let featureServerPort: number;
let devUiPort: number;
const children = new Set<ChildProcess>();

const entities = (description: string) =>
  `import { defineEntity } from 'floe';
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }], description: ${JSON.stringify(description)} });
`;

const definitions = (views: readonly string[]) =>
  `import { defineFeatureView, defineIcebergSource, defineOnDemandView } from 'floe';
export { driver } from './entities.js';
export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp', createdTimestampField: 'created' });
${views.join('\n')}
`;

const view = (name: string, features: readonly string[], source = 'driver_stats') =>
  `export const ${name} = defineFeatureView({ name: '${name}', entities: ['driver'], source: '${source}', features: [${features
    .map((feature) => `{ name: '${feature}', type: '${feature === 'avg_daily_trips' ? 'long' : 'double'}' }`)
    .join(', ')}], online: { buckets: 2 } });`;

/** An on-demand view scaling conv_rate by `factor`: editing the factor changes its function and nothing else. */
const scaled = (factor: number) =>
  `export const scaled = defineOnDemandView({ name: 'scaled', sources: ['driver_hourly_stats:conv_rate'], features: [{ name: 'conv_rate_scaled', type: 'double' }], compute: ({ driver_hourly_stats: stats }) => ({ conv_rate_scaled: (stats?.conv_rate as number) * ${factor} }) });`;

before(async () => {
  project = path.join(scratch, 'loop');
  const init = await floeCommand(['init', project, '--json']);
  assert.equal(init.code, 0, init.stderr);
  const [temporalPort, uiPort, serverPort] = (await freePorts(3)) as [number, number, number];
  address = `127.0.0.1:${temporalPort}`;
  featureServerPort = serverPort;
  devUiPort = uiPort;
  const yaml = (await readFile(path.join(project, 'floe.yaml'), 'utf8'))
    // The name pyiceberg's SQL catalog (the oracle) gives its tables.
    .replace(/\$\{FLOE_CATALOG_NAME:-[^}]*\}/, 'floe_oracle')
    .replace(/\$\{FLOE_TEMPORAL_ADDRESS:-[^}]*\}/, address)
    .replace(/\$\{FLOE_DEV_UI_PORT:-[^}]*\}/, String(uiPort))
    .replace(/\$\{FLOE_TASK_QUEUE:-[^}]*\}/, `dev-loop-${randomUUID()}`);
  await writeFile(path.join(project, 'floe.yaml'), yaml);
  env = await linkCheckoutAsFloe(project);
  await writeFile(path.join(project, 'entities.ts'), entities('A driver'));
  await writeFile(path.join(project, 'features.ts'), definitions([view('driver_hourly_stats', ['conv_rate', 'acc_rate'])]));
  // generate_data.mjs imports floe/sample-data, which the floe-source condition maps to TypeScript: tsx from the checkout runs it.
  const generated = await runToEnd(
    process.execPath,
    ['--import', 'tsx', path.join(project, 'generate_data.mjs'), '--days', '2', '--drivers', '10', '--end', DATA_END],
    { cwd: root, env },
  );
  assert.equal(generated.code, 0, generated.stderr);
  const applied = await floeCommand(['apply', '--project', project], { env });
  assert.equal(applied.code, 0, applied.stderr);
});

after(async () => {
  for (const child of children) await stop(child);
});

/** `floe dev --apply` on the project and the test's feature server port, once it is ready (its Ctrl-C line). */
async function startedDev(): Promise<FloeDev> {
  const dev = startDev(['--project', project, '--apply', '--port', String(featureServerPort)], { env });
  children.add(dev.child);
  await dev.line('stdout', /^Ctrl-C stops everything/);
  return dev;
}

/**
 * The line that ends the reload started by an edit made when stdout and stderr had these lengths:
 * `reloaded: …` or `unchanged: …` on stdout (a cached import would see no change), or the refusal on stderr.
 */
function reloadLine(dev: FloeDev, from: { stdout: number; stderr: number }): Promise<string> {
  return Promise.race([dev.line('stdout', /^(reloaded|unchanged): /, from.stdout), dev.line('stderr', /not reloaded/, from.stderr)]);
}

const lengths = (dev: FloeDev) => ({ stdout: dev.stdout().length, stderr: dev.stderr().length });

function stop(child: ChildProcess): Promise<number | null> {
  children.delete(child);
  return interrupt(child);
}

async function onlineFeatures(features: readonly string[]): Promise<{ values: unknown[]; statuses: string[] }[]> {
  const response = await fetch(`http://127.0.0.1:${featureServerPort}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features, entities: { driver_id: DRIVERS } }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { results: { values: unknown[]; statuses: string[] }[] }).results.slice(1);
}

/** The oracle: the source rows pyiceberg reads for the window's last event of each driver. */
async function sourceValues(column: string): Promise<number[]> {
  const oracle: OracleCatalog = {
    type: 'sql',
    uri: `sqlite:///${path.join(project, '.floe', 'catalog.db')}`,
    warehouse: `file://${path.join(project, '.floe', 'warehouse')}`,
  };
  const values: number[] = [];
  for (const driver of DRIVERS) {
    const source: { rows: Record<string, unknown>[] } = await runPyiceberg('read', {
      catalog: oracle,
      identifier: 'rides.driver_stats',
      row_filter: `driver_id == ${driver} and event_timestamp == '${LAST_EVENT}'`,
    });
    assert.equal(source.rows.length, 1, `driver ${driver}`);
    values.push(Number(source.rows[0]![column]));
  }
  return values;
}

/** How long a materialize of the test's 10 rows may take before the test says where it stands. */
const MATERIALIZE_WAIT_MS = 120_000;

async function materialize(viewName: string, dev: FloeDev): Promise<{ workflowId: string; runId: string }> {
  const started = await floeCommand(
    ['materialize', viewName, '--start', WINDOW.start, '--end', WINDOW.end, '--no-wait', '--json', '--project', project],
    { env },
  );
  assert.equal(started.code, 0, started.stderr);
  const run = JSON.parse(started.stdout) as { workflowId: string; runId: string };
  const result = await withWorkflowClient(address, (client) =>
    resultWithin<{ rows: number }>(
      client.getHandle(run.workflowId),
      MATERIALIZE_WAIT_MS,
      () => ` (view ${viewName}); floe dev's output:\n${dev.both()}`,
    ),
  );
  assert.equal(result.rows, 10, viewName);
  return run;
}

/**
 * dev's web UI lists the reloaded definitions, and the run, once Temporal's visibility has it, with a
 * link to its page in dev's own Temporal UI.
 */
async function webUiShows(run: { workflowId: string; runId: string }): Promise<void> {
  const ui = `http://127.0.0.1:${featureServerPort}/ui`;
  const catalog = (await (await fetch(`${ui}/api/catalog`)).json()) as { featureViews: { name: string }[] };
  assert.deepEqual(
    catalog.featureViews.map((listed) => listed.name),
    ['driver_activity', 'driver_hourly_stats'],
  );
  for (let attempt = 0; ; attempt++) {
    const { runs } = (await (await fetch(`${ui}/api/runs`)).json()) as { runs: { workflowId: string; temporalUiUrl: string }[] };
    const listed = runs.find((candidate) => candidate.workflowId === run.workflowId);
    if (listed !== undefined) {
      assert.equal(
        listed.temporalUiUrl,
        `http://127.0.0.1:${devUiPort}/namespaces/default/workflows/${encodeURIComponent(run.workflowId)}/${run.runId}/history`,
      );
      return;
    }
    assert.ok(attempt < 50, `dev's web UI never listed run ${run.workflowId}: ${JSON.stringify(runs)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('floe dev --apply', () => {
  test('reloads edited definitions without a restart, and restarts on the same ports with its history', { timeout: 300_000 }, async () => {
    const dev = await startedDev();
    assert.match(dev.stdout(), new RegExp(`Feature server http://127\\.0\\.0\\.1:${featureServerPort}`));
    assert.match(dev.stdout(), /Watching floe\.yaml, .*features\.ts.*entities\.ts|Watching floe\.yaml, .*entities\.ts.*features\.ts/);

    // A mistake: one line on stderr, and the server keeps answering on the previous definitions.
    let since = lengths(dev);
    await writeFile(
      path.join(project, 'features.ts'),
      definitions([view('driver_hourly_stats', ['conv_rate', 'acc_rate']), view('driver_activity', ['avg_daily_trips'], 'no_such_source')]),
    );
    const refused = await reloadLine(dev, since);
    assert.match(
      refused,
      /^floe dev: not reloaded: .*features\.ts: .*no_such_source.*\(the worker and server keep the previous definitions\)$/,
    );
    assert.equal(dev.stderr().slice(since.stderr).trim().split('\n').length, 1, dev.stderr().slice(since.stderr));
    assert.doesNotMatch(dev.stderr(), /\n\s+at /);
    assert.equal((await onlineFeatures(['driver_hourly_stats:conv_rate']))[0]!.statuses.length, DRIVERS.length);

    // A new view and a new feature of the existing one: applied, and the worker and server restarted.
    since = lengths(dev);
    const views = [
      view('driver_hourly_stats', ['conv_rate', 'acc_rate', 'avg_daily_trips']),
      view('driver_activity', ['avg_daily_trips', 'conv_rate']),
    ];
    await writeFile(path.join(project, 'features.ts'), definitions(views));
    const reloaded = await reloadLine(dev, since);
    assert.equal(
      reloaded,
      'reloaded: +view driver_activity, +feature driver_hourly_stats:avg_daily_trips (applied; worker and server restarted)',
    );
    const shown = dev.stdout().slice(since.stdout);
    assert.match(shown, /^ {2}\+ feature view driver_activity$/m, 'the lines floe plan prints');
    assert.match(shown, /^ {2}~ feature view driver_hourly_stats \(features added: avg_daily_trips\)$/m);

    const newView = await materialize('driver_activity', dev);
    await materialize('driver_hourly_stats', dev);
    await webUiShows(newView);
    const [trips, activityTrips, activityRate] = await onlineFeatures([
      'driver_hourly_stats:avg_daily_trips',
      'driver_activity:avg_daily_trips',
      'driver_activity:conv_rate',
    ]);
    const expectedTrips = await sourceValues('avg_daily_trips');
    assert.deepEqual(trips!.statuses, ['PRESENT', 'PRESENT']);
    assert.deepEqual(trips!.values.map(Number), expectedTrips);
    assert.deepEqual(activityTrips!.values.map(Number), expectedTrips);
    assert.deepEqual(activityRate!.values, await sourceValues('conv_rate'));

    // A file the definitions import is watched too.
    since = lengths(dev);
    await writeFile(path.join(project, 'entities.ts'), entities('A driver of the fleet'));
    assert.equal(await reloadLine(dev, since), 'reloaded: ~entity driver (description) (applied; worker and server restarted)');

    // An on-demand view, then an edit of its function alone: dev reloads it by the function's hash.
    const conv = await sourceValues('conv_rate');
    for (const [factor, change] of [
      [2, '+on-demand view scaled'],
      [3, '~on-demand view scaled (computeHash)'],
    ] as const) {
      since = lengths(dev);
      await writeFile(path.join(project, 'features.ts'), definitions([...views, scaled(factor)]));
      assert.equal(await reloadLine(dev, since), `reloaded: ${change} (applied; worker and server restarted)`);
      const [values] = await onlineFeatures(['scaled:conv_rate_scaled']);
      assert.deepEqual(
        values!.values,
        conv.map((value) => value * factor),
        `conv_rate × ${factor}`,
      );
    }

    assert.equal(await stop(dev.child), 130);
    const again = await startedDev();
    assert.match(again.stdout(), new RegExp(`Temporal +${address.replace(/\./g, '\\.')} `));
    assert.match(again.stdout(), new RegExp(`Feature server http://127\\.0\\.0\\.1:${featureServerPort}`));
    const description = await withWorkflowClient(address, (client) => client.getHandle(newView.workflowId).describe());
    assert.equal(description.runId, newView.runId, 'the materialize run from before the restart is still in the history');
    assert.equal(description.status.name, 'COMPLETED');
    // Each reload of the first dev shut a worker down: the SDK core's warnings of it stayed out of its pane, as did colour codes.
    assert.doesNotMatch(dev.stderr(), /shutdown_worker|temporalio_sdk_core/);
    assert.ok(!dev.stderr().includes('\u001b['), `colour codes on a stderr that is not a terminal:\n${dev.stderr()}`);
    assert.equal((await onlineFeatures(['driver_activity:conv_rate']))[0]!.statuses.join(), 'PRESENT,PRESENT');
    assert.equal(await stop(again.child), 130);
  });
});

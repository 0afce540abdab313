// services: chromium, temporal, python
// Floe's web UI (issue #57) in Debian's Chromium, as a person uses it: refused without a token (and
// with a wrong one), signed in with one, the catalog and its lineage graph, a search by owner and
// by tag, the freshness page with its stale views standing out, a running backfill on the runs page
// linked to its Temporal UI page, the tables page (its litter on request, "compact now" only for a
// token allowed to materialize), a view's backfill form refusing an end in the future, the feature
// values page's uPlot charts, signing out, and, a worker started last, the runs page showing a
// materialization's window and the rows pyiceberg reads in its table, a failed run's error and a
// terminated one's reason. (A backfill that lands its windows: ui-backfill.test.ts.) The server's clock
// is pinned (test/support/ui/ui-project.ts), so what is stale does not depend on the date.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { temporalRuns } from '../../cli/server-runs.js';
import { temporalActions } from '../../cli/server-actions.js';
import { FLOE_FEATURE_VIEW, FLOE_PROGRESS } from '../../contracts/search-attributes.js';
import { isoMillis } from '../../contracts/instants.js';
import { projectConfigSchema } from '../../features/config.js';
import { temporalService } from '../support/services.js';
import type { Browser } from '../support/browser.js';
import { openBrowser, SCREENSHOTS_DIRECTORY } from '../support/browser.js';
import { scratchFolder } from '../support/scratch-folder.js';
import type { UiServer } from '../support/ui/ui-project.js';
import { CONSISTENCY_TABLE, NOW, startUiServer, UI_TOKENS } from '../support/ui/ui-project.js';
import { appendConsistencyReport } from '../../features/consistency/index.js';
import { featureContext } from '../support/runtime.js';
import { committedWindows, onlineSnapshots } from '../support/pipelines/pipeline.js';
import { runPyiceberg, sqliteCatalog } from '../support/pyiceberg.js';
import type { TestWorker } from '../support/temporal.js';
import { startTestWorker } from '../support/temporal.js';
import { Redactor } from '../../core/redaction.js';

const TEMPORAL_UI = 'http://temporal-ui.test:8233';
const taskQueue = `e2e-ui-${randomUUID()}`;
const backfillId = `e2e-ui-backfill-${randomUUID()}`;
const directory = scratchFolder('e2e-ui');
let ui: UiServer;
let browser: Browser;
let worker: TestWorker | undefined;

/**
 * A screenshot of a page docs/ui.md shows: under .floe/test-results/e2e as every screenshot, and
 * with FLOE_DOCS_SCREENSHOTS=1 copied over docs/images/<name>.png, so the docs show the UI as it is.
 */
async function documented(name: string): Promise<void> {
  await browser.screenshot(name);
  if (process.env.FLOE_DOCS_SCREENSHOTS === '1')
    await copyFile(
      path.join(SCREENSHOTS_DIRECTORY, `${name}.png`),
      path.join(import.meta.dirname, '..', '..', 'docs', 'images', `${name}.png`),
    );
}
let connection: Connection;
let runs: ReturnType<typeof temporalRuns>;
let actions: ReturnType<typeof temporalActions>;

before(async () => {
  const { address, namespace } = temporalService();
  const config = projectConfigSchema.parse({
    project: 'rides',
    catalog: { type: 'sql', uri: 'unused.db' },
    temporal: { address, namespace, taskQueue },
  });
  runs = temporalRuns(config, { temporalUi: TEMPORAL_UI, redactor: new Redactor() });
  ui = await startUiServer(directory, {
    runs,
    actions: (runtime) => (actions = temporalActions(config, runtime.project.registry, { clock: () => NOW })),
  });
  browser = await openBrowser();
  // A backfill no worker polls for: it stays running, with the views and progress a backfill publishes.
  connection = await Connection.connect({ address });
  await new Client({ connection, namespace }).workflow.start('backfill', {
    taskQueue,
    workflowId: backfillId,
    args: [],
    typedSearchAttributes: [
      { key: FLOE_FEATURE_VIEW, value: 'driver_hourly' },
      { key: FLOE_PROGRESS, value: '2/7 chunks, 40 rows, running' },
    ],
  });
});

after(async () => {
  await new Client({ connection, namespace: temporalService().namespace }).workflow
    .getHandle(backfillId)
    .terminate('test over')
    .catch(() => undefined);
  await connection?.close();
  await worker?.close();
  await browser?.close();
  await ui?.close();
  await runs?.close();
  await actions?.close();
});

test('the UI asks for a token, refuses a wrong one, and shows nothing of the project until signed in', async () => {
  const { page } = browser;
  const refusals: number[] = [];
  page.on('response', (response) => {
    if (response.url().includes('/ui/api/')) refusals.push(response.status());
  });
  await page.goto(`${ui.url}/ui/`);
  const login = page.locator('#login');
  await login.waitFor();
  assert.match(await page.locator('#login-reason').innerText(), /needs credentials: send Authorization: Bearer <token>/);
  assert.deepEqual(refusals, [401]);
  assert.equal(await page.locator('#main').innerText(), '');
  assert.equal(await page.locator('#project').innerText(), '');
  await documented('ui-sign-in');

  await signIn(page, 'not-a-token');
  await page.locator('#login-reason', { hasText: 'the token is not valid' }).waitFor();
  await signIn(page, UI_TOKENS.nothing);
  await page.locator('#login-reason', { hasText: 'nothing may not read, which the web UI needs' }).waitFor();
  assert.deepEqual(refusals, [401, 401, 403]);
  assert.equal(await page.locator('#main').innerText(), '');
});

test('signed in, the catalog shows every definition and the lineage graph; search by owner and tag narrows it', async () => {
  const { page } = browser;
  await page.goto(`${ui.url}/ui/#catalog`);
  await signIn(page, UI_TOKENS.admin);
  await page.locator('#catalog-results table').first().waitFor();
  assert.equal(await page.locator('#project').innerText(), 'rides');
  assert.equal(await page.locator('#caller').innerText(), 'signed in as admin');
  assert.deepEqual(await rowNames(page, 'featureViews'), [
    'driver_hourly',
    'driver_live',
    'driver_quick',
    'driver_trip_totals',
    'ride_score',
  ]);
  assert.deepEqual(await rowNames(page, 'sources'), ['driver_source', 'driver_push', 'driver_stream', 'ride_request']);
  assert.equal(await page.locator('.lineage-graph .node').count(), 11);
  assert.equal(await page.locator('.lineage-graph .edge').count(), 12);
  assert.equal(await page.locator('.lineage-graph .edge[data-from="view:driver_hourly"][data-to="service:eta_model"]').count(), 1);
  await documented('ui-catalog');

  await page.locator('#search').fill('owner:alice');
  await page.locator('#catalog-results .count', { hasText: '2 definitions match' }).waitFor();
  assert.deepEqual(await rowNames(page, 'featureViews'), ['driver_hourly']);
  assert.deepEqual(await rowNames(page, 'featureServices'), ['eta_model']);
  assert.deepEqual(
    await page.locator('.lineage-graph .node.matched').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-node'))),
    ['view:driver_hourly', 'service:eta_model'],
  );
  await documented('ui-catalog-search');

  await page.locator('#search').fill('tag:team=finance');
  await page.locator('#catalog-results .count', { hasText: '1 definitions match' }).waitFor();
  assert.deepEqual(await rowNames(page, 'featureViews'), ['driver_trip_totals']);

  await page.locator('tr[data-name=driver_trip_totals] button').click();
  const definition = page.locator('#definition pre');
  await definition.waitFor();
  const shown = JSON.parse(await definition.innerText()) as { aggregations: unknown };
  assert.deepEqual(shown.aggregations, [{ column: 'trips', type: 'long', functions: ['sum'], windows: ['1d'] }]);
});

test('the freshness page puts the stale views first and marks them', async () => {
  const { page } = browser;
  await page.goto(`${ui.url}/ui/#freshness`);
  await page.locator('tr.freshness').first().waitFor();
  assert.equal(await page.locator('#measured-at').innerText(), isoMillis(NOW));
  // Each row's view, status and the background its first cell is painted with.
  const rows = await page
    .locator('tr.freshness td:first-child')
    .evaluateAll((cells) =>
      cells.map((cell) => [
        cell.parentElement!.getAttribute('data-view'),
        cell.parentElement!.getAttribute('data-status'),
        (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(cell)
          .backgroundColor,
      ]),
    );
  const staleWash = 'rgb(253, 232, 230)';
  assert.deepEqual(rows, [
    ['driver_live', 'stale', staleWash],
    ['driver_quick', 'stale', staleWash],
    ['driver_hourly', 'fresh', 'rgba(0, 0, 0, 0)'],
    ['driver_trip_totals', 'unscheduled', 'rgba(0, 0, 0, 0)'],
  ]);
  assert.equal(await page.locator('tr[data-view=driver_quick] td').nth(3).innerText(), '2024-05-02T00:00:00Z');
  assert.equal(await page.locator('tr[data-view=driver_live] td').nth(3).innerText(), 'never materialized');
  assert.equal(await page.locator('tr[data-view=driver_quick] td').nth(5).innerText(), '30m');
  assert.match(await page.locator('.summary').innerText(), /^2 of 4 views stale at/);
  assert.equal(await page.locator('button.backfill').count(), 0, 'admin may read but not materialize: no action buttons');
  const stream = await page.locator('tr.stream[data-stream=driver_stream] td').allInnerTexts();
  assert.deepEqual(
    [stream[0], stream[1], stream[3]?.split('\n')[0], stream[6]],
    ['driver_stream', 'drivers', '0: 15, 1: 7', '2 in rides.driver_stream_dead_letters'],
  );
  // Its broker (127.0.0.1:9092) does not answer: the lag is unknown, with the reason.
  assert.match(stream[3] ?? '', /lag unknown: \S/);
  // A click on a view plots its freshness at each materialization commit with uPlot.
  await page.locator('tr.freshness[data-view=driver_quick] button.history').click();
  await page.locator('.history-chart[data-view=driver_quick] .uplot canvas').waitFor();
  await documented('ui-freshness');
});

test('the runs page lists a running backfill with its views and progress, linked to its Temporal UI page', async () => {
  const { page } = browser;
  // Temporal lists a run a moment after it starts: reload until it shows.
  const row = page.locator(`tr.run[data-workflow-id="${backfillId}"]`);
  for (let attempt = 0; (await row.count()) === 0; attempt++) {
    assert.ok(attempt < 50, 'the backfill never showed on the runs page');
    await page.goto(`${ui.url}/ui/?attempt=${attempt}#runs`);
    await page.locator('.runs-page').waitFor();
  }
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual(
    [cells[0], cells[1], cells[2], cells[3], cells[6], cells[7], cells[8], cells[9]],
    // No worker polls its task queue: its progress query is not answered, so its windows and rows are unknown.
    ['backfill', backfillId, 'driver_hourly', 'running', '', '', '2/7 chunks, 40 rows, running', ''],
  );
  const link = await row.locator('a').getAttribute('href');
  assert.match(link ?? '', new RegExp(`^${TEMPORAL_UI}/namespaces/default/workflows/${backfillId}/[0-9a-f-]{36}/history$`));

  await page.locator('#sign-out').click();
  await page.locator('#login').waitFor();
  assert.equal(await page.locator('#main').innerText(), '');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('floe.token')), null);
});

test('the tables page lists the tables Floe reads and writes, finds litter on request, and offers compaction only to a token allowed to', async () => {
  const { page } = browser;
  await page.goto(`${ui.url}/ui/#tables`);
  await signIn(page, UI_TOKENS.admin);
  await page.locator('tr.table').first().waitFor();
  assert.deepEqual(await page.locator('tr.table').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-table'))), [
    'floe_monitoring.consistency',
    'floe_online.driver_hourly',
    'floe_online.driver_live',
    'floe_online.driver_quick',
    'floe_online.driver_trip_totals',
    'rides.driver_stats',
    'rides.driver_stream_dead_letters',
  ]);
  const source = page.locator('tr.table[data-table="rides.driver_stats"] td');
  assert.deepEqual(
    [await source.nth(1).innerText(), await source.nth(2).innerText(), await source.nth(5).innerText()],
    ['source of driver_source', '4', '5'],
  );
  assert.equal(await page.locator('tr.table[data-table="floe_online.driver_live"] td').nth(2).innerText(), 'not created yet');
  assert.equal(await page.locator('button.compact').count(), 0, 'admin may read but not materialize: no action buttons');
  await page.locator('tr.table[data-table="rides.driver_stats"] button.look').click();
  await page.locator('tr.table[data-table="rides.driver_stats"] td.litter', { hasText: 'orphan files' }).waitFor();
  assert.match(
    await page.locator('tr.table[data-table="rides.driver_stats"] td.litter').innerText(),
    /^0 orphan files \(0 B\), \d+ younger; 0 live delete files, 0 of deletion vectors$/,
  );
  await documented('ui-tables');

  // A token that may materialize driver_hourly sees "compact now" on its online table only.
  await page.locator('#sign-out').click();
  await page.locator('#login').waitFor();
  await signIn(page, UI_TOKENS.operator);
  await page.locator('tr.table').first().waitFor();
  assert.deepEqual(
    await page
      .locator('button.compact')
      .evaluateAll((buttons) => buttons.map((button) => button.closest('tr')!.getAttribute('data-table'))),
    ['floe_online.driver_hourly'],
  );

  // And Backfill on driver_hourly's freshness row, whose form refuses an end in the future (the clock is pinned at NOW).
  await page.goto(`${ui.url}/ui/#freshness`);
  await page.locator('tr.freshness').first().waitFor();
  assert.deepEqual(
    await page
      .locator('button.backfill')
      .evaluateAll((buttons) => buttons.map((button) => button.closest('tr')!.getAttribute('data-view'))),
    ['driver_hourly'],
  );
  await page.locator('tr.freshness[data-view=driver_hourly] button.backfill').click();
  const form = page.locator('tr.backfill[data-view=driver_hourly] form');
  await form.locator('input[name=start]').fill('2024-05-01T00:00:00Z');
  await form.locator('input[name=end]').fill('2024-05-03T00:00:00Z');
  await form.locator('button[type=submit]').click();
  await form.locator('.outcome.error').waitFor();
  assert.equal(
    await form.locator('.outcome').innerText(),
    'Feature view driver_hourly: end 2024-05-03T00:00:00Z is after 2024-05-02T00:30:00Z; a window may not end in the future',
  );
  await documented('ui-backfill');
  await page.locator('#sign-out').click();
});

test("the feature values page charts each feature's last window with uPlot, and the consistency checks over time", async () => {
  const { page } = browser;
  for (const [checkedAt, rate] of [
    ['2024-05-01T22:00:00.000Z', 0.2],
    ['2024-05-01T23:00:00.000Z', 0.1],
    ['2024-05-02T00:00:00.000Z', 0],
  ] as const)
    await appendConsistencyReport(featureContext(ui.runtime), CONSISTENCY_TABLE, {
      featureView: 'driver_hourly',
      checkedAt,
      exactAsOf: '2024-05-01T00:00:00.000Z',
      onlineSnapshotId: null,
      seed: 1,
      sampled: 10,
      population: 5,
      mismatches: rate * 10,
      features: [
        { feature: 'conv_rate', mismatches: rate * 10, mismatchRate: rate, examples: [] },
        { feature: 'trips', mismatches: 0, mismatchRate: 0, examples: [] },
      ],
    });
  const script = await fetch(`${ui.url}/ui/assets/uPlot.esm.js`);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(script.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // The page's first data requests are refused (401) until it is signed in: that is the sign-in, not a fault.
    if (message.type() === 'error' && !message.text().includes('status of 401')) errors.push(message.text());
  });
  await page.goto(`${ui.url}/ui/#values?view=driver_hourly`);
  await signIn(page, UI_TOKENS.admin);
  await page.locator('.feature-card[data-feature=trips] .histogram canvas').waitFor();
  await page.locator('.consistency-chart canvas').waitFor();
  assert.deepEqual(await page.locator('.feature-card').evaluateAll((cards) => cards.map((card) => card.getAttribute('data-feature'))), [
    'conv_rate',
    'trips',
  ]);
  const stat = (feature: string, name: string) =>
    page.locator(`.feature-card[data-feature=${feature}] tr[data-stat="${name}"] td`).innerText();
  assert.deepEqual(
    [
      await stat('trips', 'rows'),
      await stat('trips', 'min'),
      await stat('trips', 'max'),
      await stat('trips', 'mean'),
      await stat('trips', 'distinct'),
    ],
    ['5', '1', '7', '2.6', '3'],
  );
  assert.equal(await stat('conv_rate', 'null rate'), '0.0% (0)');
  assert.equal(await page.locator('#values-view').inputValue(), 'driver_hourly');
  assert.deepEqual(errors, [], 'no script or CSP error');
  await documented('ui-values');
  await page.locator('#sign-out').click();
});

test("the runs page shows a materialization's window and the rows it wrote, a failed run's error and a terminated one's reason", async () => {
  const { page } = browser;
  // The backfill above has no input a worker could run: it ends before a worker polls its task queue.
  await new Client({ connection, namespace: temporalService().namespace }).workflow.getHandle(backfillId).terminate('stopped by the test');
  worker = await startTestWorker(ui.runtime, { taskQueue });
  const window = { start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' };
  const materializeId = `e2e-ui-materialize-${randomUUID()}`;
  const result = (await worker.client.workflow.execute('materialize', {
    taskQueue,
    workflowId: materializeId,
    args: [{ featureView: 'driver_live', ...window }],
  })) as { rows: number };
  const failedId = `e2e-ui-materialize-${randomUUID()}`;
  await assert.rejects(
    worker.client.workflow.execute('materialize', { taskQueue, workflowId: failedId, args: [{ featureView: 'driver_gone', ...window }] }),
  );

  // What the materialization wrote, as pyiceberg reads it: driver_live was never materialized before.
  const oracle = sqliteCatalog(directory);
  const written = await runPyiceberg<{ rows: unknown[] }>('read', { catalog: oracle, identifier: 'floe_online.driver_live' });
  assert.equal(written.rows.length, 5, 'the latest row of each of the five drivers');
  assert.equal(result.rows, written.rows.length);
  assert.deepEqual(committedWindows(await onlineSnapshots({ oracle }, 'floe_online', 'driver_live')), [
    { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
  ]);

  await page.goto(`${ui.url}/ui/#runs`);
  await signIn(page, UI_TOKENS.admin);
  const cellsOf = (workflowId: string) => page.locator(`tr.run[data-workflow-id="${workflowId}"] td`).allInnerTexts();
  // Temporal lists a run's close a moment after it closes: reload until all three show closed.
  for (let attempt = 0; ; attempt++) {
    await page.locator('.runs-page').waitFor();
    const closed = await page.locator('tr.run:not([data-status=RUNNING])').count();
    if (closed === 3) break;
    assert.ok(attempt < 50, 'the closed runs never showed on the runs page');
    await page.goto(`${ui.url}/ui/?attempt=${attempt}#runs`);
  }
  const [completed, failed, terminated] = await Promise.all([cellsOf(materializeId), cellsOf(failedId), cellsOf(backfillId)]);
  // Type, views, status, windows, rows, error.
  const shown = (cells: string[]) => [cells[0], cells[2], cells[3], cells[6], cells[7], cells[9]];
  assert.deepEqual(shown(completed), [
    'materialize',
    'driver_live',
    'completed',
    '[2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z)',
    String(written.rows.length),
    '',
  ]);
  assert.deepEqual(shown(failed), [
    'materialize',
    'driver_gone',
    'failed',
    `[${window.start}, ${window.end})`,
    '',
    'No feature view named "driver_gone"; defined: driver_hourly, driver_live, driver_quick, driver_trip_totals (featureview=driver_gone)',
  ]);
  assert.deepEqual(shown(terminated), ['backfill', 'driver_hourly', 'terminated', '', '', 'stopped by the test']);
  await documented('ui-runs');
  await page.locator('#sign-out').click();
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.locator('#token').fill(token);
  await page.locator('#login button[type=submit]').click();
}

async function rowNames(page: Page, kind: string): Promise<string[]> {
  return page.locator(`section[data-kind=${kind}] tbody tr`).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-name') ?? ''));
}

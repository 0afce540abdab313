// services: chromium, temporal, python
// Issue #57: a backfill started from the web UI lands its windows. `floe serve` and `floe worker`
// run on a project (a SQL catalog with pyiceberg's driver stats); in Chromium, the view's Backfill
// form refuses a range that ends after it starts, with the CLI's message, then starts one over a
// past range (so the date the test runs does not matter) in 12-hour chunks; the worker runs it, and
// pyiceberg reads each window committed in the online table with the rows the source holds for it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startServer, startWorker, stopWorker, writeCliProject } from '../support/cli-project.js';
import type { SourceTable } from '../support/pipelines/pipeline.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  HALF_DAYS,
  onlineRows,
  onlineSnapshots,
  RANGE,
} from '../support/pipelines/pipeline.js';
import type { Browser } from '../support/browser.js';
import { openBrowser } from '../support/browser.js';
import { temporalService } from '../support/services.js';
import { scratchFolder } from '../support/scratch-folder.js';

const VIEW = 'driver_ui_backfill';
const directory = scratchFolder('e2e-ui-backfill');
let source: SourceTable;
let worker: ChildProcess | undefined;
let server: ChildProcess | undefined;
let url: string;
let browser: Browser;
let connection: Connection;

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'e2e-ui-backfill', source, view: VIEW });
  worker = startWorker(directory);
  ({ url, server } = await startServer(directory));
  browser = await openBrowser();
  connection = await Connection.connect({ address: temporalService().address });
});

after(async () => {
  await browser?.close();
  await stopWorker(server);
  await stopWorker(worker);
  await connection?.close();
});

test('a backfill started from the Backfill form lands its windows, which pyiceberg reads', async () => {
  const { page } = browser;
  // The project has no server.auth: the page signs nobody in, and anyone may act (as on POST /materialize).
  await page.goto(`${url}/ui/#freshness`);
  await page.locator(`tr.freshness[data-view=${VIEW}] button.backfill`).click();
  const form = page.locator(`tr.backfill[data-view=${VIEW}] form`);
  await form.locator('input[name=start]').fill(RANGE.end);
  await form.locator('input[name=end]').fill(RANGE.start);
  await form.locator('input[name=chunk]').fill('12h');
  await form.locator('button[type=submit]').click();
  await form.locator('.outcome.error').waitFor();
  assert.equal(await form.locator('.outcome').innerText(), 'end 2024-05-01T00:00:00Z must be after start 2024-05-03T12:00:00Z');

  await form.locator('input[name=start]').fill(RANGE.start);
  await form.locator('input[name=end]').fill(RANGE.end);
  await form.locator('button[type=submit]').click();
  const link = form.locator('.outcome a');
  await link.waitFor();
  const workflowId = await link.innerText();
  assert.equal(workflowId, `backfill-${VIEW}-20240501T000000Z-20240503T120000Z-12h`);
  assert.match(await form.locator('.outcome').innerText(), /^started: /);
  await browser.screenshot('ui-backfill-started');

  const result = (await new Client({ connection, namespace: temporalService().namespace }).workflow.getHandle(workflowId).result()) as {
    chunks: number;
  };
  assert.equal(result.chunks, HALF_DAYS.length);
  const windows = committedWindows(await onlineSnapshots(source, 'floe_online', VIEW));
  assert.deepEqual(
    [...windows].sort((a, b) => a.start.localeCompare(b.start)),
    HALF_DAYS,
  );
  assert.deepEqual(await onlineRows(source, 'floe_online', VIEW), expectedRows(source.rows, HALF_DAYS));
});

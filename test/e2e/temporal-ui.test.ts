// A person's path through the Temporal Web UI (the one embedded in Temporal CLI v1.5.1), in Debian's
// Chromium: the Backfill action on a feature view's schedule page, and the Start Workflow form with
// the backfill JSON the README documents. Each time the online table is then read by pyiceberg
// and compared with the brute-force answer.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { schedulePlans } from '../../features/schedules/schedule-plan.js';
import { applySchedules } from '../../features/schedules/schedules.js';
import type { DriverStatsRow } from '../fixtures/driver-stats.js';
import { materializeScheduleId } from '../../workflows/ids.js';
import { temporalService } from '../support/services.js';
import { committedWindows, createSource, expectedRows, onlineRows, onlineSnapshots, startPipelineWorker, VIEW } from '../integration/pipelines/support/pipeline.js';
import { openBrowser } from './support/browser.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'floe-e2e-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('Temporal Web UI', () => {
  test("a schedule's Backfill action lands exactly the expected rows", async () => {
    const today = Date.parse(new Date().toISOString().slice(0, 10));
    // Rows from yesterday to the day after tomorrow, so whichever day the UI offers has data.
    const source = await createSource(path.join(scratch, 'schedule'), rowsAround(today));
    const view = `ui_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 6 }, paused: true } });
    const scheduleId = materializeScheduleId(view);
    const browser = await openBrowser();
    try {
      await applySchedules(worker.client, schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue }));
      const { page } = browser;
      await page.goto(`${temporalService().uiUrl}/namespaces/default/schedules/${scheduleId}`);
      await page.getByRole('heading', { name: scheduleId }).waitFor();
      await page.locator('#schedule-actions-menu-button').click();
      await page.locator('[role=menuitem]:visible', { hasText: 'Backfill' }).click();
      const modal = page.locator('#backfill-schedule-modal');
      await modal.getByText('Schedule Backfill').waitFor();

      // The form offers today's date (UTC) for both ends; the test sets the times of day.
      const shown = await modal.locator('input[name=datepicker]').first().inputValue();
      const day = parseShownDate(shown);
      const times = modal.locator('input[name=hour], input[name=minute], input[name=second]');
      assert.equal(await times.count(), 6);
      for (const [index, value] of ['0', '0', '1', '23', '59', '59'].entries()) await times.nth(index).fill(value);
      await browser.screenshot('schedule-backfill-form');
      await modal.locator('[data-testid=confirm-modal-button]').click();
      await modal.waitFor({ state: 'hidden' });

      // Runs at 06:00, 12:00 and 18:00 of that day; the first reaches back one interval.
      await waitForScheduleIdle(worker.client, scheduleId, 3);
      await page.reload();
      await page.getByRole('heading', { name: scheduleId }).waitFor();
      await browser.screenshot('schedule-after-backfill');
      const at = (hours: number): string => new Date(day + hours * HOUR).toISOString();
      const windows = committedWindows(await onlineSnapshots(source, worker.onlineNamespace, view));
      assert.deepEqual(windows, [
        { start: at(0), end: at(6) },
        { start: at(6), end: at(12) },
        { start: at(12), end: at(18) },
      ]);
      const expected = expectedRows(source.rows, windows);
      assert.ok(expected.length > 0);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace, view), expected);
    } finally {
      await browser.close();
      await worker.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch((error: unknown) => {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        });
      await worker.close();
    }
  });

  test('the Start Workflow form starts a backfill from the documented JSON', async () => {
    const source = await createSource(path.join(scratch, 'start'));
    const worker = await startPipelineWorker(source);
    const browser = await openBrowser();
    try {
      const { page } = browser;
      const workflowId = `ui-backfill-${randomUUID()}`;
      // The README's example, as typed into the form.
      const input = `{"featureViews": ["${VIEW}"], "start": "2024-05-01T00:00:00Z", "end": "2024-05-03T00:00:00Z", "chunk": "1d", "parallelism": 2}`;
      await page.goto(`${temporalService().uiUrl}/namespaces/default/workflows/start-workflow`);
      await page.locator('input#workflowId').fill(workflowId);
      await page.locator('input#taskQueue').fill(worker.taskQueue);
      await page.locator('input#workflowType').fill('backfill');
      const editor = page.locator('.cm-content').first();
      await editor.click();
      await page.keyboard.insertText(input);
      await browser.screenshot('start-workflow-form');
      // Leaving the editor reformats the JSON (and moves the button), as it does for a person.
      await page.getByRole('heading', { name: 'Start a Workflow' }).click();
      await page.locator('.cm-content').getByText('"parallelism"').waitFor();
      await page.locator('[data-testid=start-workflow-button]').click();
      await waitForWorkflow(worker.client, workflowId);
      await browser.screenshot('start-workflow-started');

      const result = await worker.client.workflow.getHandle(workflowId).result();
      assert.deepEqual({ chunks: result.chunks, runs: result.runs }, { chunks: 2, runs: 1 });
      const days = [
        { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
        { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
      ];
      const expected = expectedRows(source.rows, days);
      assert.equal(result.rows, expected.length);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expected);

      // The workflow list shows the progress the backfill published.
      await page.goto(`${temporalService().uiUrl}/namespaces/default/workflows/${workflowId}`);
      await page.getByText('backfill').first().waitFor();
      await browser.screenshot('backfill-workflow-page');
    } finally {
      await browser.close();
      await worker.close();
    }
  });
});

/** `Sun Nov 22 2026` (the date picker's text) → that day's 00:00 UTC in epoch ms. */
function parseShownDate(shown: string): number {
  const match = /([A-Z][a-z]{2}) (\d{1,2}) (\d{4})/.exec(shown);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const month = match ? months.indexOf(match[1]!) : -1;
  if (!match || month < 0) throw new Error(`cannot read the date the backfill form shows: ${JSON.stringify(shown)}`);
  return Date.UTC(Number(match[3]), month, Number(match[2]));
}

/** 8 drivers every 20 minutes from the day before `day` to the end of the day after it. */
function rowsAround(day: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  for (let driver = 3001; driver <= 3008; driver++) {
    for (let time = day - DAY + driver * 7_000, report = 0; time < day + 2 * DAY; time += 20 * 60_000, report++) {
      rows.push({
        driver_id: driver,
        conv_rate: ((driver * 11 + report * 5) % 100) / 100,
        acc_rate: ((driver * 19 + report * 3) % 100) / 100,
        avg_daily_trips: driver + report,
        event_timestamp: new Date(time).toISOString(),
        created: new Date(time + 1_000).toISOString(),
      });
    }
  }
  return rows;
}

async function waitForWorkflow(client: Client, workflowId: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const found = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then(() => true, () => false);
    if (found) return;
    await sleep(200);
  }
  throw new Error(`the form did not start workflow ${workflowId}`);
}

async function waitForScheduleIdle(client: Client, scheduleId: string, actions: number): Promise<void> {
  for (let attempt = 0; attempt < 1_500; attempt++) {
    const { info } = await client.schedule.getHandle(scheduleId).describe();
    if (info.numActionsTaken >= actions && info.runningActions.length === 0) {
      const last = info.recentActions.at(-1);
      const status = last ? (await client.workflow.getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId).describe()).status.name : undefined;
      if (status === 'COMPLETED') return;
      if (status !== undefined && status !== 'RUNNING') throw new Error(`schedule run ${last?.action.workflow.workflowId} ended ${status}`);
    }
    await sleep(200);
  }
  throw new Error(`schedule ${scheduleId} did not finish ${actions} actions`);
}

// services: temporal, python, chromium
// A person's path through the Temporal Web UI (the one embedded in Temporal CLI v1.5.1), in Debian's
// Chromium: the Backfill action on a feature view's schedule page, and the Start Workflow form with
// the backfill JSON the README documents. Each time the online table is then read by pyiceberg
// and compared with the brute-force answer. Past ranges set every input (dates included), so no
// test depends on the time of day; ranges reaching into the future (the dialog's default, a day
// ahead from the dialog and from the form) must leave the watermark at or before now, and rows
// arriving afterwards must land with the next scheduled run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Locator, Page } from 'playwright-core';
import { schedulePlans } from '../../client/schedule-plan.js';
import { applySchedules } from '../../client/schedules.js';
import type { DriverStatsRow } from '../support/driver-stats.js';
import type { backfill } from '../../workflows/backfill.js';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/backfill.js';
import { backfillChunkWorkflowId, materializeScheduleId } from '../../contracts/ids.js';
import type { materialize } from '../../workflows/materialize.js';
import type { MaterializeResult } from '../../contracts/materialize.js';
import { chunkWindows } from '../../contracts/windows.js';
import { temporalService } from '../support/services.js';
import type { PipelineWorker, SourceTable } from '../support/pipelines/pipeline.js';
import {
  appendSourceRows,
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  onlineRows,
  onlineSnapshots,
  onlineWatermark,
  startPipelineWorker,
  VIEW,
} from '../support/pipelines/pipeline.js';
import { deleteSchedule, waitForScheduleIdle } from '../support/pipelines/schedule-runs.js';
import type { Browser } from '../support/browser.js';
import { openBrowser } from '../support/browser.js';
import { scratchFolder } from '../support/scratch-folder.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const scratch = scratchFolder('e2e');

describe('Temporal Web UI', () => {
  test("a schedule's Backfill action lands exactly the expected rows", async () => {
    // A fixed past day, both ends set in the form: the dialog's own default (now onward) plays no part.
    const day = Date.parse('2024-05-01T00:00:00Z');
    const source = await createDriverStatsCatalog(path.join(scratch, 'schedule'), driverReports(day - DAY, day + 2 * DAY));
    const view = `ui_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 6 }, paused: true } });
    const scheduleId = materializeScheduleId(view);
    const browser = await openBrowser();
    try {
      await applySchedules(worker.client, schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue }));
      const { page } = browser;
      // The browser's clock at 09:10 UTC, the hour when the dialog's default end jumps to tomorrow
      // (it compares the hours as strings, "10" < "9"): the range set below must win at any hour.
      await page.clock.install({ time: new Date('2026-11-22T09:10:00Z') });
      const modal = await openBackfillDialog(page, scheduleId);
      const range = { start: new Date(day + 1_000), end: new Date(day + DAY - 1_000) };
      await setBackfillRange(modal, range);
      await browser.screenshot('schedule-backfill-form');
      assert.deepEqual(await submitBackfill(page, modal, () => modal.locator('[data-testid=confirm-modal-button]').click()), range);

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
      await deleteSchedule(worker.client, scheduleId);
      await worker.close();
    }
  });

  test('the Start Workflow form starts a backfill from the documented JSON', async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'start'));
    const worker = await startPipelineWorker(source);
    const browser = await openBrowser();
    try {
      const { page } = browser;
      const workflowId = `ui-backfill-${randomUUID()}`;
      // The README's example, as typed into the form.
      const input = `{"featureViews": ["${VIEW}"], "start": "2024-05-01T00:00:00Z", "end": "2024-05-03T00:00:00Z", "chunk": "1d", "parallelism": 2}`;
      await startBackfillFromForm(browser, worker, workflowId, input, 'start-workflow');

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

  test("a running backfill shows its progress on its own page, and the list shows its chunks' short ids", async () => {
    const source = await createDriverStatsCatalog(path.join(scratch, 'progress'));
    const worker = await startPipelineWorker(source);
    const browser = await openBrowser();
    try {
      const { page } = browser;
      const workflowId = `ui-progress-${randomUUID()}`;
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId,
        args: [{ featureViews: [VIEW], start: '2024-05-01T00:00:00Z', end: '2024-05-03T00:00:00Z', chunk: '1d', parallelism: 1 }],
      });
      // Paused after its first chunk, the backfill stays running with progress to show.
      await handle.signal(pauseSignal);
      for (let attempt = 0; ; attempt++) {
        const progress = await handle.query(progressQuery);
        if (progress.state === 'paused' && progress.current.length === 0) break;
        assert.ok(attempt < 300, `the backfill did not settle paused: ${JSON.stringify(progress)}`);
        await sleep(200);
      }
      const { chunksDone } = await handle.query(progressQuery);
      await page.goto(`${temporalService().uiUrl}/namespaces/default/workflows/${workflowId}`);
      // The page's User Metadata tab shows the run's current details: Markdown the UI renders in a
      // frame whose address carries it.
      await page.getByText('User Metadata').first().click();
      const details = page.locator('iframe[title=output]');
      await details.waitFor();
      const rendered = new URL(String(await details.getAttribute('src')), temporalService().uiUrl).searchParams.get('content');
      assert.match(rendered ?? '', new RegExp(`^\\*\\*${chunksDone}/2 chunks, \\d+ rows, paused\\*\\*`));
      await browser.screenshot('backfill-progress-page');

      await handle.signal(resumeSignal);
      const result = await handle.result();
      assert.equal(result.chunks, 2);
      const childId = backfillChunkWorkflowId(workflowId, VIEW, '2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z');
      await page.goto(`${temporalService().uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${childId}"`)}`);
      await page.getByText(childId).first().waitFor();
      // With the chunk's short id the row's Type column starts on screen (a full id pushed it off).
      const type = await page.getByText('materialize', { exact: true }).first().boundingBox();
      assert.ok(type !== null && type.x < (page.viewportSize()?.width ?? 0), `the Type column starts at x=${type?.x}, off screen`);
      await browser.screenshot('backfill-child-in-list');
    } finally {
      await browser.close();
      await worker.close();
    }
  });

  test("the Backfill dialog's default range, from now on, materializes nothing past now; rows arriving later land with the next run", async () => {
    await backfillFromTheDialogIntoTheFuture({ name: 'default-range' });
  });

  test('a Backfill range typed to end a day from now materializes nothing past now; rows arriving later land with the next run', async () => {
    await backfillFromTheDialogIntoTheFuture({
      name: 'day-ahead',
      setRange: async (modal) => {
        const now = floorTo(Date.now(), 1_000);
        await setBackfillRange(modal, { start: new Date(now), end: new Date(now + DAY) });
      },
    });
  });

  test('the Start Workflow form with a backfill ending a day from now materializes nothing past now; rows arriving later land with the next run', async () => {
    const now = Date.now();
    const source = await createDriverStatsCatalog(path.join(scratch, 'start-future'), driverReports(now - DAY, now));
    const view = `ui_until_${randomUUID().slice(0, 8)}`;
    const worker = await startPipelineWorker(source, { viewName: view, schedule: { every: { hours: 6 }, paused: true } });
    const scheduleId = materializeScheduleId(view);
    const browser = await openBrowser();
    try {
      await applySchedules(worker.client, schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue }));
      const workflowId = `ui-backfill-until-${randomUUID()}`;
      const backfillRange = { start: new Date(floorTo(now - 10 * HOUR, MINUTE)).toISOString(), end: new Date(now + DAY).toISOString() };
      const input = `{"featureViews": ["${view}"], "start": "${backfillRange.start}", "end": "${backfillRange.end}", "chunk": "6h", "parallelism": 2}`;
      await startBackfillFromForm(browser, worker, workflowId, input, 'start-workflow-until-tomorrow');
      const result = await worker.client.workflow.getHandle<typeof backfill>(workflowId).result();
      const finishedAt = Date.now();
      assert.equal(typeof result.skipped, 'string', `the backfill says what it left out: ${JSON.stringify(result)}`);

      const snapshots = await onlineSnapshots(source, worker.onlineNamespace, view);
      const windows = committedWindows(snapshots);
      assert.ok(windows.length > 0, 'the chunks before now landed');
      for (const window of windows)
        assert.ok(Date.parse(window.end) <= finishedAt, `window ${window.start} → ${window.end} ends after now`);
      const watermark = onlineWatermark(snapshots);
      assert.ok(watermark !== null && Date.parse(watermark) <= finishedAt, `the watermark ${watermark} stays at or before now`);
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace, view), expectedRows(source.rows, windows));
      // Each chunk before now ran as a child; none that starts after now did.
      for (const chunk of chunkWindows(backfillRange.start, backfillRange.end, 6 * 3_600)) {
        const started = await workflowExists(worker.client, backfillChunkWorkflowId(workflowId, view, chunk.start, chunk.end));
        if (Date.parse(chunk.end) <= now) assert.ok(started, `the chunk ${chunk.start} → ${chunk.end}, in the past, ran`);
        if (Date.parse(chunk.start) >= finishedAt)
          assert.ok(!started, `the chunk ${chunk.start} → ${chunk.end}, in the future, did not run`);
      }

      await rowsArrivingLaterLandWithTheNextRun({ source, worker, view, scheduleId, watermark, runsBefore: 0 });
    } finally {
      await browser.close();
      await deleteSchedule(worker.client, scheduleId);
      await worker.close();
    }
  });
});

/**
 * A Backfill from the schedule's page over a range that reaches into the future: the dialog's
 * default, or the one `setRange` types; submitted with Enter in one of its fields, as a person
 * would (the Schedule button is the form's submit). The runs for future times must be no-ops, the
 * watermark must stay put, and rows arriving afterwards must land with the next run.
 */
async function backfillFromTheDialogIntoTheFuture(options: { name: string; setRange?: (modal: Locator) => Promise<void> }): Promise<void> {
  const now = Date.now();
  const source = await createDriverStatsCatalog(path.join(scratch, options.name), driverReports(now - DAY, now));
  const view = `ui_now_${randomUUID().slice(0, 8)}`;
  // Every 6 hours, the next time 30 minutes from now: the dialog's default range (now → now + 1
  // hour, or → tomorrow at now + 1 hour between 09:00 and 09:59 UTC) holds one or five scheduled
  // times, a day from now holds four, all of them in the future.
  const every = 6 * HOUR;
  const offset = (Math.ceil((now + 30 * MINUTE) / MINUTE) * MINUTE) % every;
  const worker = await startPipelineWorker(source, {
    viewName: view,
    schedule: { every: { hours: 6 }, ...(offset > 0 ? { offset: { seconds: offset / 1000 } } : {}), paused: true },
  });
  const scheduleId = materializeScheduleId(view);
  const browser = await openBrowser();
  try {
    await applySchedules(worker.client, schedulePlans(worker.runtime.project.registry, { taskQueue: worker.taskQueue }));
    // The view's history up to two hours ago: the old watermark.
    const history = {
      start: new Date(floorTo(now - 8 * HOUR, MINUTE)).toISOString(),
      end: new Date(floorTo(now - 2 * HOUR, MINUTE)).toISOString(),
    };
    await worker.client.workflow.execute<typeof materialize>('materialize', {
      taskQueue: worker.taskQueue,
      workflowId: `history-${view}`,
      args: [{ featureView: view, ...history }],
    });

    const { page } = browser;
    const modal = await openBackfillDialog(page, scheduleId);
    await options.setRange?.(modal);
    await browser.screenshot(`schedule-backfill-${options.name}`);
    const range = await submitBackfill(page, modal, () => modal.locator('input[name=second]').last().press('Enter'));
    assert.ok(
      range.start.getTime() <= Date.now() && range.end.getTime() > Date.now(),
      `the backfilled range reaches into the future: ${range.start.toISOString()} → ${range.end.toISOString()}`,
    );
    const times = intervalTimes(every, offset, range);
    assert.ok(times.length >= 1, 'the range holds a scheduled time');

    await waitForScheduleIdle(worker.client, scheduleId, times.length);
    const runs = await scheduleRuns(worker.client, scheduleId);
    assert.deepEqual(
      runs.map((run) => run.scheduledAt),
      times.map((time) => time.toISOString()),
    );
    for (const run of runs) {
      assert.ok(Date.parse(run.scheduledAt) > Date.parse(run.takenAt), `run ${run.workflowId} was started before its scheduled time`);
      assert.equal(
        typeof run.result.skipped,
        'string',
        `the run for ${run.scheduledAt}, in the future, is a no-op that says why: ${JSON.stringify(run.result)}`,
      );
    }
    const snapshots = await onlineSnapshots(source, worker.onlineNamespace, view);
    assert.deepEqual(committedWindows(snapshots), [history], 'nothing past now is committed');
    assert.equal(onlineWatermark(snapshots), history.end);

    await rowsArrivingLaterLandWithTheNextRun({ source, worker, view, scheduleId, watermark: history.end, runsBefore: runs.length });
  } finally {
    await browser.close();
    await deleteSchedule(worker.client, scheduleId);
    await worker.close();
  }
}

/**
 * Rows arriving after the runs, with event times between the view's watermark and a moment ago,
 * land with the schedule's next run (triggered now): it starts at that watermark, ends at or before
 * now, and the online table then equals the brute-force answer over every row the source holds.
 */
async function rowsArrivingLaterLandWithTheNextRun(options: {
  source: SourceTable;
  worker: PipelineWorker;
  view: string;
  scheduleId: string;
  watermark: string;
  runsBefore: number;
}): Promise<void> {
  const { worker, view, scheduleId, watermark } = options;
  // A few seconds between the watermark and now, for the arriving rows' event times.
  await sleep(Math.max(0, Date.parse(watermark) + 5_000 - Date.now()));
  const arrived = arrivingRows(Date.parse(watermark), Date.now() - 1_000);
  const source = await appendSourceRows(options.source, arrived);
  await worker.client.schedule.getHandle(scheduleId).trigger();
  await waitForScheduleIdle(worker.client, scheduleId, options.runsBefore + 1);
  const next = (await scheduleRuns(worker.client, scheduleId)).at(-1)!;
  const checkedAt = Date.now();
  assert.equal(next.result.skipped, undefined, `the triggered run materialized: ${JSON.stringify(next.result)}`);
  assert.equal(next.result.start, watermark, 'the next run starts at the watermark');
  assert.ok(Date.parse(next.result.end) <= checkedAt, `the next run ends at or before now: ${next.result.end}`);

  const snapshots = await onlineSnapshots(source, worker.onlineNamespace, view);
  const windows = committedWindows(snapshots);
  for (const window of windows) assert.ok(Date.parse(window.end) <= checkedAt, `window ${window.start} → ${window.end} ends after now`);
  assert.ok(Date.parse(onlineWatermark(snapshots)!) <= checkedAt, 'the watermark stays at or before now');
  const expected = expectedRows(source.rows, windows);
  const latecomers = new Set(arrived.map((row) => String(row.driver_id)));
  assert.equal(
    new Set(expected.map((row) => String(row.driver_id)).filter((driver) => latecomers.has(driver))).size,
    latecomers.size,
    'every driver whose rows arrived later has a row in the expected answer',
  );
  assert.deepEqual(await onlineRows(source, worker.onlineNamespace, view), expected);
}

/** The schedule's runs (its recent actions, oldest first), each with its finished workflow's result. */
async function scheduleRuns(
  client: Client,
  scheduleId: string,
): Promise<{ workflowId: string; scheduledAt: string; takenAt: string; result: MaterializeResult }[]> {
  const { info } = await client.schedule.getHandle(scheduleId).describe();
  return Promise.all(
    info.recentActions.map(async (action) => ({
      workflowId: action.action.workflow.workflowId,
      scheduledAt: action.scheduledAt.toISOString(),
      takenAt: action.takenAt.toISOString(),
      result: (await client.workflow
        .getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId)
        .result()) as MaterializeResult,
    })),
  );
}

/** The times of an interval schedule (`every`, `offset`, since the Unix epoch, in ms) strictly inside `range`. */
function intervalTimes(every: number, offset: number, range: { start: Date; end: Date }): Date[] {
  const times: Date[] = [];
  for (let time = Math.floor((range.start.getTime() - offset) / every) * every + offset; time < range.end.getTime(); time += every) {
    if (time > range.start.getTime()) times.push(new Date(time));
  }
  return times;
}

function floorTo(time: number, unit: number): number {
  return Math.floor(time / unit) * unit;
}

/**
 * Fills the Start Workflow form (id, task queue, type `backfill`, the JSON typed into its editor),
 * submits it and waits for the workflow to exist. Screenshots are named after `shots`.
 */
async function startBackfillFromForm(
  browser: Browser,
  worker: PipelineWorker,
  workflowId: string,
  input: string,
  shots: string,
): Promise<void> {
  const { page } = browser;
  await page.goto(`${temporalService().uiUrl}/namespaces/default/workflows/start-workflow`);
  await page.locator('input#workflowId').fill(workflowId);
  await page.locator('input#taskQueue').fill(worker.taskQueue);
  await page.locator('input#workflowType').fill('backfill');
  const editor = page.locator('.cm-content').first();
  await editor.click();
  await page.keyboard.insertText(input);
  await browser.screenshot(`${shots}-form`);
  // Leaving the editor reformats the JSON (and moves the button), as it does for a person.
  await page.getByRole('heading', { name: 'Start a Workflow' }).click();
  await page.locator('.cm-content').getByText('"parallelism"').waitFor();
  await page.locator('[data-testid=start-workflow-button]').click();
  await waitForWorkflow(worker.client, workflowId);
  await browser.screenshot(`${shots}-started`);
}

/** The schedule's page, its actions menu → Backfill: the dialog, open. */
async function openBackfillDialog(page: Page, scheduleId: string): Promise<Locator> {
  await page.goto(`${temporalService().uiUrl}/namespaces/default/schedules/${scheduleId}`);
  await page.getByRole('heading', { name: scheduleId }).waitFor();
  await page.locator('#schedule-actions-menu-button').click();
  await page.locator('[role=menuitem]:visible', { hasText: 'Backfill' }).click();
  const modal = page.locator('#backfill-schedule-modal');
  await modal.getByText('Schedule Backfill').waitFor();
  return modal;
}

/**
 * Types both ends of the range into the dialog as a person would: each date as MM/DD/YY into its
 * date picker, then hour, minute and second. The dialog reads them in UTC. Checks the dates it shows.
 */
async function setBackfillRange(modal: Locator, range: { start: Date; end: Date }): Promise<void> {
  const dates = modal.locator('input[name=datepicker]');
  const times = modal.locator('input[name=hour], input[name=minute], input[name=second]');
  assert.equal(await dates.count(), 2, 'the Backfill dialog has a start and an end date');
  assert.equal(await times.count(), 6, 'the Backfill dialog has hour, minute and second for each end');
  for (const [end, instant] of [range.start, range.end].entries()) {
    const date = dates.nth(end);
    // Retyping the date already chosen leaves the typed text showing, so only another day is typed.
    if ((await date.inputValue()) !== shownDate(instant)) {
      await date.click();
      await date.fill(typedDate(instant));
      // Clicking outside the date picker closes its calendar (Escape would close the whole dialog).
      await modal.getByText('Schedule Backfill').click();
    }
    assert.equal(await date.inputValue(), shownDate(instant), `the Backfill dialog took the ${end === 0 ? 'start' : 'end'} date`);
    for (const [unit, value] of [instant.getUTCHours(), instant.getUTCMinutes(), instant.getUTCSeconds()].entries())
      await times.nth(end * 3 + unit).fill(String(value));
  }
}

/**
 * Submits the dialog with `submit` and returns the range the UI asked the server to backfill (the
 * schedule patch request it sends), once the dialog has closed.
 */
async function submitBackfill(page: Page, modal: Locator, submit: () => Promise<void>): Promise<{ start: Date; end: Date }> {
  const request = page.waitForRequest((sent) => sent.method() === 'POST' && /\/schedules\/[^/]+\/patch/.test(sent.url()));
  await submit();
  const body = (await request).postDataJSON() as { patch?: { backfillRequest?: { startTime: string; endTime: string }[] } };
  await modal.waitFor({ state: 'hidden' });
  const backfills = body.patch?.backfillRequest ?? [];
  assert.equal(backfills.length, 1, `the Backfill dialog sent one backfill request: ${JSON.stringify(body)}`);
  return { start: new Date(backfills[0]!.startTime), end: new Date(backfills[0]!.endTime) };
}

/** 2024-05-01T… → `05/01/24`, what the date picker accepts typed (read in the browser's zone, UTC). */
function typedDate(instant: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${two(instant.getUTCMonth() + 1)}/${two(instant.getUTCDate())}/${two(instant.getUTCFullYear() % 100)}`;
}

/** 2024-05-01T… → `Wed May 01 2024`, what the date picker shows for that day. */
function shownDate(instant: Date): string {
  const day = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  const [weekday, date, month, year] = day.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${date} ${year}`;
}

/** 8 drivers (3001–3008) reporting every 20 minutes from `from` until before `to` (epoch ms). */
function driverReports(from: number, to: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  for (let driver = 3001; driver <= 3008; driver++) {
    for (let time = from + driver * 7_000, report = 0; time < to; time += 20 * 60_000, report++)
      rows.push(driverReport(driver, report, time));
  }
  return rows;
}

/** Rows that arrive late: 4 drivers the source has not seen (3901–3904), 3 reports each strictly inside (`from`, `to`). */
function arrivingRows(from: number, to: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  for (let driver = 3901; driver <= 3904; driver++) {
    for (let report = 0; report < 3; report++)
      rows.push(driverReport(driver, report, Math.floor(from + ((to - from) * (report + 1)) / 4) + (driver - 3900)));
  }
  return rows;
}

function driverReport(driver: number, report: number, time: number): DriverStatsRow {
  return {
    driver_id: driver,
    conv_rate: ((driver * 11 + report * 5) % 100) / 100,
    acc_rate: ((driver * 19 + report * 3) % 100) / 100,
    avg_daily_trips: driver + report,
    event_timestamp: new Date(time).toISOString(),
    created: new Date(time + 1_000).toISOString(),
  };
}

async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  return client.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
}

async function waitForWorkflow(client: Client, workflowId: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await workflowExists(client, workflowId)) return;
    await sleep(200);
  }
  throw new Error(`the form did not start workflow ${workflowId}`);
}

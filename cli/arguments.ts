/**
 * The checks a window given on the command line passes before any workflow starts, so a bad one
 * is refused with exit 2 instead of leaving a failed run behind.
 */
import type { FeatureViewDefinition } from '../features/definitions.js';
import { latestWindowEnd } from '../features/time-bounds.js';
import { FloeError } from '../core/errors.js';
import { INSTANT_EXAMPLE, instantMillis, isoMillis, printedInstant } from '../contracts/instants.js';
import { parseDurationSeconds } from '../contracts/windows.js';
import { IN_FLIGHT_FILE_AGE_MS } from '../iceberg/maintenance/in-flight-file-age.js';

/** Instants Iceberg timestamps, DuckDB and the workflow ids all handle alike. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST_EXCLUSIVE = Date.UTC(10_000, 0, 1);

/** An option's ISO-8601 instant (no zone: UTC), normalized, within the years 1970–9999. */
export function instant(text: string, option: string): string {
  const parsed = instantMillis(text);
  if (Number.isNaN(parsed))
    throw new FloeError('invalid-input', `${option} ${JSON.stringify(text)} is not an ISO-8601 instant (for example ${INSTANT_EXAMPLE})`, {
      context: { field: option },
    });
  if (parsed < EARLIEST || parsed >= LATEST_EXCLUSIVE) {
    throw new FloeError('invalid-input', `${option} ${JSON.stringify(text)} is outside the years 1970–9999`, {
      context: { field: option },
    });
  }
  return new Date(parsed).toISOString();
}

/** `[start, end)` must hold at least one instant. */
export function checkWindowOrder(start: string, end: string, names = { start: '--start', end: '--end' }): void {
  if (!(instantMillis(start) < instantMillis(end)))
    throw new FloeError('invalid-input', `${names.end} ${printedInstant(end)} must be after ${names.start} ${printedInstant(start)}`, {
      context: { field: names.end },
    });
}

/**
 * A manual window may not end after now − the view's `delay`: rows up to then may still be
 * arriving, and a watermark past them would skip them for good.
 */
export function checkWindowEnded(view: Pick<FeatureViewDefinition, 'name' | 'delay'>, end: string, now: Date, endName = '--end'): void {
  const limit = latestWindowEnd(view, now);
  if (instantMillis(end) > limit.getTime()) {
    const delay = view.delay === undefined ? '' : ` (now − its delay)`;
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name}: ${endName} ${printedInstant(end)} is after ${isoMillis(limit.getTime())}${delay}; a window may not end in the future`,
      {
        context: { featureView: view.name, field: endName },
      },
    );
  }
}

/** The chunk length in seconds, or exit 2 naming the option. */
export function chunkSeconds(text: string): number {
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined)
    throw new FloeError('invalid-input', `--chunk ${JSON.stringify(text)} is not a duration such as 1d, 6h or PT30M`, {
      context: { field: '--chunk' },
    });
  return seconds;
}

/**
 * How many chunks a backfill of `views` feature views over `[start, end)` runs (one per view and
 * chunk window); refused beyond `maxChunks`, naming the count.
 */
export function checkChunkCount(
  window: { readonly start: string; readonly end: string },
  chunk: string,
  views: number,
  maxChunks: number,
): number {
  const windows = Math.ceil((instantMillis(window.end) - instantMillis(window.start)) / (chunkSeconds(chunk) * 1000));
  const count = windows * views;
  if (count > maxChunks) {
    throw new FloeError(
      'invalid-input',
      `A backfill of [${printedInstant(window.start)}, ${printedInstant(window.end)}) in chunks of ${chunk} is ${count} chunks, more than --max-chunks ${maxChunks}; use a longer --chunk or raise --max-chunks`,
      {
        context: { field: '--chunk' },
      },
    );
  }
  return count;
}

/** A positive integer option, or exit 2 naming it. */
export function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new FloeError('invalid-input', `${option} must be a positive integer, got ${text}`, { context: { field: option } });
  return value;
}

/** `value` when it is at most `most`, else exit 2 naming the option. */
export function atMost(value: number, most: number, option: string): number {
  if (value > most) throw new FloeError('invalid-input', `${option} must be at most ${most}, got ${value}`, { context: { field: option } });
  return value;
}

/** An optional integer option of at least `least`, or exit 2 naming it. */
export function integerAtLeast(text: string | undefined, option: string, least: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < least)
    throw new FloeError('invalid-input', `${option} ${JSON.stringify(text)} must be an integer of at least ${least}`, {
      context: { field: option },
    });
  return value;
}

/** Temporal's default limit on a workflow id's length (the server's limit.maxIDLength). */
const MAX_WORKFLOW_ID_LENGTH = 1000;

/** A --workflow-id Temporal takes and a terminal shows: no line breaks or other control characters; else exit 2. */
export function checkWorkflowIdOption(id: string): void {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (id.length > 0 && id.length <= MAX_WORKFLOW_ID_LENGTH && !/[\u0000-\u001f\u007f-\u009f]/.test(id)) return;
  throw new FloeError(
    'invalid-input',
    `--workflow-id must be 1 to ${MAX_WORKFLOW_ID_LENGTH} characters without line breaks, tabs or other control characters, got ${JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id)}`,
    { context: { field: '--workflow-id' } },
  );
}

/** A duration option in seconds (72h, 3d, PT1H; 0 means none), or exit 2 naming it. */
export function durationSeconds(text: string, option: string): number {
  if (/^0+[a-z]*$/i.test(text.trim())) return 0;
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined)
    throw new FloeError('invalid-input', `${option} ${JSON.stringify(text)} is not a duration (for example 72h, 3d or PT1H; 0 for none)`, {
      context: { field: option },
    });
  return seconds;
}

/**
 * Refuses an age for removing unreferenced files under IN_FLIGHT_FILE_AGE_MS unless `force`: a file
 * that young may belong to a commit still in flight. `removes` says what the option governs.
 */
export function checkInFlightAge(seconds: number, text: string, option: string, force: boolean | undefined, removes = ''): void {
  if (seconds * 1000 >= IN_FLIGHT_FILE_AGE_MS || force === true) return;
  const bound = `${IN_FLIGHT_FILE_AGE_MS / 3_600_000}h`;
  throw new FloeError(
    'invalid-input',
    `${option} ${text} is under ${bound}, the longest a file may wait for the commit still in flight that will refer to it: ${removes}removing it would break that commit. Use an age of at least ${bound}, or add --force if nothing writes the table meanwhile`,
    { context: { field: option } },
  );
}

/** A command's subject: a feature view (its online table) or `--table`, exactly one of them. */
export function viewOrTable(
  command: string,
  featureView: string | undefined,
  table: string | undefined,
): { readonly featureView: string } | { readonly table: string } {
  if ((featureView === undefined) === (table === undefined))
    throw new FloeError('invalid-input', `floe ${command} needs either a feature view or --table <namespace.table>, not both`, {
      context: { field: 'feature-view' },
    });
  return table !== undefined ? { table } : { featureView: featureView! };
}

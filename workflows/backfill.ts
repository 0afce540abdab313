import {
  ActivityCancellationType,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BackfillCarried, BackfillInput, BackfillProgress, BackfillResult, BackfillState, ChunkRef } from '../contracts/backfill.js';
import { backfillChildWorkflowId, backfillChunkWorkflowId } from '../contracts/ids.js';
import { FLOE_FEATURE_VIEW, FLOE_PROGRESS } from '../contracts/search-attributes.js';
import { chunkWindows, parseDurationSeconds } from '../contracts/windows.js';
import type { MaterializeWindowsActivities } from '../activities/materialize-windows.js';
import { dataStepRetry } from './activity-retry.js';
import { materialize } from './materialize.js';
import { instantMillis, isoMillis, printedInstant } from '../contracts/instants.js';
import { defined } from '../contracts/defined.js';

export const progressQuery = defineQuery<BackfillProgress>('progress');
/** Finish the chunks under way, start no new one until `resume`. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

const DEFAULT_CHUNK = '1d';
const DEFAULT_PARALLELISM = 2;
const DEFAULT_CHUNKS_PER_RUN = 100;

// A batch heartbeats while it works: a dead worker's batch is retried elsewhere within 30 s, and a
// cancelled one stops before its next window (its commits land whole or not at all).
const batches = proxyActivities<MaterializeWindowsActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: dataStepRetry(),
});

/**
 * Materializes a range as child workflows with ids derived from this workflow's id and the chunk,
 * so a backfill started again under the same id finds its committed chunks instead of appending
 * them twice. At most `parallelism` children run at once; `pause`/`resume` signals hold and release
 * new chunks; cancelling it cancels the running children, whose windows then land whole or not at
 * all. Progress is answered by the `progress` query and shown in the `FloeProgress` search
 * attribute, which the Temporal UI's workflow list can display. With `windowsPerActivity`, chunks
 * run in batches, each one activity of this workflow (see materializeWindows), committing each
 * chunk under the key its child would have used.
 */
export async function backfill(input: BackfillInput): Promise<BackfillResult> {
  const carried = input.carried ?? { nextChunk: 0, rows: 0, runs: 0 };
  const until = patched('backfill-stops-at-present') ? (carried.until ?? workflowInfo().runStartTime.toISOString()) : undefined;
  const plan = planBackfill(input, until);
  const shortChildIds = patched('backfill-short-child-ids');
  const chunksPerRun = input.chunksPerRun ?? DEFAULT_CHUNKS_PER_RUN;
  const run: BackfillRun = {
    input,
    plan,
    carried,
    parentId: workflowInfo().workflowId,
    stopAt: Math.min(plan.chunks.length, carried.nextChunk + Math.max(1, chunksPerRun)),
    next: carried.nextChunk,
    done: carried.nextChunk,
    rows: carried.rows,
    paused: false,
    failure: undefined,
    state: 'running',
    running: new Map(),
  };
  handleQueryAndSignals(run);
  publish(run);

  // Runs started before windowsPerActivity existed never take this path: their commands are unchanged.
  const batchSize =
    plan.windowsPerActivity === undefined ? undefined : balancedBatchSize(run.stopAt - run.next, plan.parallelism, plan.windowsPerActivity);
  await Promise.all(
    Array.from({ length: plan.parallelism }, () => (batchSize === undefined ? childLane(run, shortChildIds) : batchLane(run, batchSize))),
  );

  if (run.failure !== undefined) throw stopped(run, run.failure);
  if (run.next < plan.chunks.length) {
    // Every chunk before `next` is done: the lanes finished the ones they started.
    return continueAsNew<typeof backfill>({
      ...input,
      carried: { nextChunk: run.next, rows: run.rows, runs: carried.runs + 1, ...defined({ until }) },
    });
  }
  run.state = 'completed';
  publish(run);
  return {
    featureViews: input.featureViews,
    start: input.start,
    end: input.end,
    ...defined({ skipped: plan.skipped }),
    chunks: plan.chunks.length,
    rows: run.rows,
    runs: carried.runs + 1,
  };
}

type BackfillPlan = ReturnType<typeof planBackfill>;

/** One run of a backfill (until it continues as new): what it was given and where its lanes are. */
interface BackfillRun {
  readonly input: BackfillInput;
  readonly plan: BackfillPlan;
  readonly carried: BackfillCarried;
  readonly parentId: string;
  /** The chunk this run stops before (the next run starts there). */
  readonly stopAt: number;
  /** The next chunk a lane takes. */
  next: number;
  done: number;
  rows: number;
  paused: boolean;
  /** The first failure of a lane: the others start no new chunk. */
  failure: unknown;
  state: BackfillState;
  /** The chunks under way, by index. */
  readonly running: Map<number, ChunkRef>;
}

function progressOf(run: BackfillRun): BackfillProgress {
  return {
    state: run.state,
    featureViews: run.input.featureViews,
    start: run.input.start,
    end: run.input.end,
    chunksTotal: run.plan.chunks.length,
    chunksDone: run.done,
    rows: run.rows,
    current: [...run.running.entries()].sort(([a], [b]) => a - b).map(([, chunk]) => chunk),
    paused: run.paused,
    run: run.carried.runs + 1,
  };
}

/** Shows the run's progress in its search attributes (the UI's list) and its current details (its page). */
function publish(run: BackfillRun): void {
  const now = progressOf(run);
  upsertSearchAttributes([
    { key: FLOE_FEATURE_VIEW, value: run.input.featureViews.join(',') },
    { key: FLOE_PROGRESS, value: describeProgress(now) },
  ]);
  setCurrentDetails(progressDetails(now, run.plan.skipped));
}

function handleQueryAndSignals(run: BackfillRun): void {
  setHandler(progressQuery, () => progressOf(run));
  setHandler(pauseSignal, () => {
    run.paused = true;
    if (run.state === 'running') run.state = 'paused';
  });
  setHandler(resumeSignal, () => {
    run.paused = false;
    if (run.state === 'paused') run.state = 'running';
  });
}

/**
 * Whether a lane (no longer paused) may take another chunk. Checked in the same synchronous step as
 * the lane takes it: between an await and the next, another lane may have taken the last one.
 */
function mayTakeChunk(run: BackfillRun): boolean {
  return !(run.failure !== undefined || run.next >= run.stopAt || workflowInfo().continueAsNewSuggested);
}

/** A lane that materializes `size` chunks at a time in one activity, each under the key its child would have used. */
async function batchLane(run: BackfillRun, size: number): Promise<void> {
  const { plan } = run;
  try {
    for (;;) {
      await condition(() => !run.paused || run.failure !== undefined);
      if (!mayTakeChunk(run)) return;
      const first = run.next;
      run.next = Math.min(run.stopAt, first + size);
      const indexes = Array.from({ length: run.next - first }, (_, offset) => first + offset);
      for (const index of indexes) run.running.set(index, plan.chunks[index]!);
      publish(run);
      try {
        const results = await batches.materializeWindows({
          windows: indexes.map((index) => {
            const chunk = plan.chunks[index]!;
            return { ...chunk, keyPrefix: backfillChunkWorkflowId(run.parentId, chunk.featureView, chunk.start, chunk.end) };
          }),
        });
        run.done += results.length;
        run.rows += results.reduce((sum, result) => sum + result.rows, 0);
      } finally {
        for (const index of indexes) run.running.delete(index);
      }
      publish(run);
    }
  } catch (error) {
    run.failure ??= error;
  }
}

/** A lane that materializes one chunk at a time as a child workflow. */
async function childLane(run: BackfillRun, shortChildIds: boolean): Promise<void> {
  try {
    for (;;) {
      await condition(() => !run.paused || run.failure !== undefined);
      if (!mayTakeChunk(run)) return;
      const index = run.next++;
      const chunk = run.plan.chunks[index]!;
      run.running.set(index, chunk);
      try {
        const result = await executeChild(materialize, {
          workflowId: (shortChildIds ? backfillChunkWorkflowId : backfillChildWorkflowId)(
            run.parentId,
            chunk.featureView,
            chunk.start,
            chunk.end,
          ),
          args: [{ featureView: chunk.featureView, start: chunk.start, end: chunk.end }],
          typedSearchAttributes: [{ key: FLOE_FEATURE_VIEW, value: chunk.featureView }],
          ...(shortChildIds ? { staticSummary: `${chunk.featureView} [${chunk.start}, ${chunk.end}) of ${run.parentId}` } : {}),
        });
        run.done += 1;
        run.rows += result.rows;
      } finally {
        run.running.delete(index);
      }
      publish(run);
    }
  } catch (error) {
    run.failure ??= error;
  }
}

/** Publishes how the run ended and returns what to throw: the cancellation itself, or a failure naming the chunk's. */
function stopped(run: BackfillRun, failure: unknown): unknown {
  run.state = isCancellation(failure) ? 'cancelled' : 'failed';
  publish(run);
  if (isCancellation(failure)) return failure;
  return ApplicationFailure.create({
    type: 'BackfillChunkFailed',
    message: `Backfill stopped after ${run.done} of ${run.plan.chunks.length} chunks: a chunk failed (${failure instanceof Error ? failure.message : String(failure)})`,
    nonRetryable: true,
    ...(failure instanceof Error ? { cause: failure } : {}),
  });
}

/**
 * The size of a run's batches: at most `most`, and such that every lane gets the same number of
 * batches, of nearly equal sizes (30 chunks, 2 lanes, at most 10: 8, 8, 8 and 6).
 */
export function balancedBatchSize(chunks: number, lanes: number, most: number): number {
  const batchesPerLane = Math.max(1, Math.ceil(chunks / (lanes * most)));
  return Math.max(1, Math.ceil(chunks / (lanes * batchesPerLane)));
}

/** `12/30 chunks, 4800 rows, running` — what the UI's list shows in the FloeProgress column. */
export function describeProgress(progress: BackfillProgress): string {
  return `${progress.chunksDone}/${progress.chunksTotal} chunks, ${progress.rows} rows, ${progress.state}`;
}

/** What the workflow's page shows while it runs (Temporal's current details, Markdown). */
function progressDetails(progress: BackfillProgress, skipped: string | undefined): string {
  const lines = [
    `**${describeProgress(progress)}**`,
    ...progress.current.map((chunk) => `- ${chunk.featureView} [${chunk.start}, ${chunk.end})`),
  ];
  if (skipped !== undefined) lines.push('', skipped);
  return lines.join('\n');
}

/**
 * The chunks of a backfill, in order (by window, then view), or a non-retryable failure naming the
 * bad field. With `until`, the range is cut there: no chunk ends after it, and `skipped` says what
 * was left out.
 */
export function planBackfill(
  input: BackfillInput,
  until?: string,
): { chunks: ChunkRef[]; parallelism: number; windowsPerActivity?: number; skipped?: string } {
  const invalid = (field: string, message: string): ApplicationFailure =>
    ApplicationFailure.nonRetryable(`Backfill input ${field}: ${message}`, 'FloeError:invalid-input');
  if (
    !Array.isArray(input.featureViews) ||
    input.featureViews.length === 0 ||
    input.featureViews.some((view) => typeof view !== 'string' || view === '')
  ) {
    throw invalid('featureViews', 'must be a non-empty list of feature view names, e.g. ["driver_hourly_stats"]');
  }
  for (const field of ['start', 'end'] as const) {
    if (typeof input[field] !== 'string' || Number.isNaN(instantMillis(input[field])))
      throw invalid(field, `must be an ISO-8601 instant such as "2024-05-01T00:00:00Z", got ${JSON.stringify(input[field])}`);
  }
  if (!(instantMillis(input.start) < instantMillis(input.end))) throw invalid('start', `${input.start} must be before end ${input.end}`);
  const chunkSeconds = parseDurationSeconds(input.chunk ?? DEFAULT_CHUNK);
  if (chunkSeconds === undefined)
    throw invalid('chunk', `must be a duration such as "1d", "6h" or "PT6H", got ${JSON.stringify(input.chunk)}`);
  const parallelism = input.parallelism ?? DEFAULT_PARALLELISM;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64)
    throw invalid('parallelism', `must be an integer from 1 to 64, got ${JSON.stringify(input.parallelism)}`);
  if (input.chunksPerRun !== undefined && (!Number.isInteger(input.chunksPerRun) || input.chunksPerRun < 1))
    throw invalid('chunksPerRun', `must be a positive integer, got ${JSON.stringify(input.chunksPerRun)}`);
  const { windowsPerActivity } = input;
  if (windowsPerActivity !== undefined && (!Number.isInteger(windowsPerActivity) || windowsPerActivity < 1 || windowsPerActivity > 1000))
    throw invalid('windowsPerActivity', `must be an integer from 1 to 1000, got ${JSON.stringify(windowsPerActivity)}`);
  const batching = defined({ windowsPerActivity });
  const cut = until !== undefined && instantMillis(until) < instantMillis(input.end) ? until : undefined;
  const windows =
    instantMillis(cut ?? input.end) > instantMillis(input.start) ? chunkWindows(input.start, cut ?? input.end, chunkSeconds) : [];
  const chunks = windows.flatMap((window) => input.featureViews.map((featureView) => ({ featureView, ...window })));
  if (cut === undefined) return { chunks, parallelism, ...batching };
  return {
    chunks,
    parallelism,
    ...batching,
    skipped: `[${isoMillis(Math.max(instantMillis(cut), instantMillis(input.start)))}, ${printedInstant(input.end)}) was not materialized: it lies after ${printedInstant(cut)}, when the backfill started`,
  };
}

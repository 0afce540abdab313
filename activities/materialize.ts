import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { LatePlan, ScanSummary } from '../contracts/materialize.js';
import type { FeatureContext } from '../features/context.js';
import { commitOnlineWindow } from '../features/materialize/commit.js';
import { planSourceScan } from '../features/materialize/plan.js';
import type { Window } from '../features/materialize/source-rows.js';
import { computeLatestRows, writeOnlinePartitions } from '../features/materialize/write-before-prepares-in-one-step.js';
import { prepareOnlineFiles } from '../features/materialize/write.js';
import { readWatermark } from '../features/online/table-state.js';

export type { LatePlan, ScanSummary };
import { recordCommittedWindow } from './activity-metrics.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';
import { instantDate } from '../contracts/instants.js';

export interface WindowInput {
  readonly featureView: string;
  readonly start: string;
  readonly end: string;
}

export interface PlanSourceResult {
  readonly sourceSnapshotId: string | null;
  readonly scan: ScanSummary;
  /** The window to materialize (see planSourceScan): end clamped to now − delay, start moved back for late rows. */
  readonly window: { readonly start: string; readonly end: string };
  /** Why nothing was planned: the whole window lies after now − delay. */
  readonly skipped?: string;
  readonly late?: LatePlan;
}

export interface ComputeLatestResult {
  /** The window's latest rows, staged as Parquet in the online table's storage; null when there are none. */
  readonly staging: string | null;
  readonly rows: number;
}

export interface WriteOnlineResult {
  /** The manifest of the written data files, or null when the window had no rows. */
  readonly manifest: string | null;
  readonly dataFiles: number;
}

/** `staging` is always null: prepareWindow writes the online files from a local file (it was the staged file of the three-step shape). */
export interface PrepareWindowResult extends ComputeLatestResult, WriteOnlineResult {
  readonly plan: PlanSourceResult;
}

export interface CommitOnlineResult {
  readonly snapshotId: string | null;
  readonly alreadyCommitted: boolean;
  readonly attempts: number;
}

export type MaterializeActivities = ReturnType<typeof createMaterializeActivities>;

/**
 * Test-only seams, so tests can hold a step at a known point (to cancel it, or to kill the worker
 * process there). Production workers pass none.
 */
export interface MaterializeHooks {
  /** Runs inside the compute step, under its heartbeats and cancellation signal, before it computes. */
  readonly beforeCompute?: (info: { readonly featureView: string; readonly signal: AbortSignal }) => Promise<void>;
  /** Runs inside the write step between uploading its data files and writing their manifest. */
  readonly afterDataFiles?: (info: { readonly featureView: string; readonly signal: AbortSignal }) => Promise<void>;
  /** Runs inside the write step after its data files and manifest are uploaded, before it returns. */
  readonly afterWrite?: (info: {
    readonly featureView: string;
    readonly manifest: string | null;
    readonly signal: AbortSignal;
  }) => Promise<void>;
}

/**
 * The materialize workflow's steps. Payloads stay small and JSON-only (ids as strings, data as
 * file locations). Files are never overwritten: each attempt of a step writes under its own name
 * and returns what it wrote, so a slow attempt that outlives its timeout cannot touch the files a
 * later attempt handed on; what an abandoned attempt wrote is an orphan for compaction to remove.
 */
export function createMaterializeActivities(context: FeatureContext, hooks: MaterializeHooks = {}) {
  // Each step's work as its own activity: prepareWindow runs the first three as one, and the
  // separate compute and write steps remain for runs recorded before `materialize-prepares-in-one-step`.
  const plan = async (input: WindowInput & { readonly incremental?: boolean }, signal?: AbortSignal): Promise<PlanSourceResult> => {
    const planned = await planSourceScan(signal ? { ...context, signal } : context, input.featureView, windowOf(input), {
      incremental: input.incremental ?? false,
    });
    return {
      sourceSnapshotId: planned.sourceSnapshotId?.toString() ?? null,
      scan: planned.scan,
      window: { start: planned.window.start.toISOString(), end: planned.window.end.toISOString() },
      ...(planned.skipped === undefined ? {} : { skipped: planned.skipped }),
      ...(planned.late === undefined ? {} : { late: planned.late }),
    };
  };
  const compute = async (
    input: WindowInput & { readonly sourceSnapshotId: string | null; readonly late?: LatePlan },
    signal: AbortSignal,
  ): Promise<ComputeLatestResult> => {
    await hooks.beforeCompute?.({ featureView: input.featureView, signal });
    return computeLatestRows({ ...context, signal }, input.featureView, windowOf(input), {
      sourceSnapshotId: input.sourceSnapshotId === null ? null : BigInt(input.sourceSnapshotId),
      stagingName: attemptName('latest', input),
      ...(input.late === undefined ? {} : { late: input.late }),
    });
  };
  const write = async (
    input: { readonly featureView: string; readonly staging: string | null; readonly rows: number },
    signal: AbortSignal,
  ): Promise<WriteOnlineResult> => {
    const written = await writeOnlinePartitions({ ...context, signal }, input.featureView, {
      staging: input.staging,
      rows: input.rows,
      filePrefix: attemptName('online', input),
      materializedAt: new Date(),
      ...(hooks.afterDataFiles ? { afterDataFiles: () => hooks.afterDataFiles!({ featureView: input.featureView, signal }) } : {}),
    });
    await hooks.afterWrite?.({ featureView: input.featureView, manifest: written.manifest, signal });
    return written;
  };

  return {
    /** The view's watermark (see readWatermark), as an ISO instant, or null before its first commit. */
    async readWatermark(input: { readonly featureView: string }): Promise<string | null> {
      return asActivityFailure(async () => (await readWatermark(context, input.featureView))?.toISOString() ?? null);
    },

    async planSource(input: WindowInput & { readonly incremental?: boolean }): Promise<PlanSourceResult> {
      return asActivityFailure(() => plan(input));
    },

    async computeLatest(
      input: WindowInput & { readonly sourceSnapshotId: string | null; readonly late?: LatePlan },
    ): Promise<ComputeLatestResult> {
      return asActivityFailure(() => withHeartbeats('computing the latest row per entity', (signal) => compute(input, signal)));
    },

    async writeOnline(input: {
      readonly featureView: string;
      readonly staging: string | null;
      readonly rows: number;
    }): Promise<WriteOnlineResult> {
      return asActivityFailure(() => withHeartbeats('writing online partitions', (signal) => write(input, signal)));
    },

    /**
     * Plan, latest rows and online files in one step (see prepareWindow in workflows/materialize.ts):
     * each separate step costs a round trip through the server. Returns what the three return.
     */
    async prepareWindow(input: WindowInput & { readonly incremental?: boolean }): Promise<PrepareWindowResult> {
      return asActivityFailure(() =>
        withHeartbeats('planning the source scan', async (signal, report) => {
          const planned = await plan(input, signal);
          if (planned.skipped !== undefined) return { plan: planned, staging: null, rows: 0, manifest: null, dataFiles: 0 };
          report({ phase: 'computing the latest row per entity, writing online partitions' });
          await hooks.beforeCompute?.({ featureView: input.featureView, signal });
          // The latest rows go from a local file straight into the online files: nothing is staged.
          const prepared = await prepareOnlineFiles({ ...context, signal }, input.featureView, windowOf({ ...input, ...planned.window }), {
            sourceSnapshotId: planned.sourceSnapshotId === null ? null : BigInt(planned.sourceSnapshotId),
            scratchName: attemptName('latest', input),
            ...(planned.late === undefined ? {} : { late: planned.late }),
            filePrefix: attemptName('online', input),
            materializedAt: new Date(),
            ...(hooks.afterDataFiles ? { afterDataFiles: () => hooks.afterDataFiles!({ featureView: input.featureView, signal }) } : {}),
          });
          await hooks.afterWrite?.({ featureView: input.featureView, manifest: prepared.manifest, signal });
          return { plan: planned, staging: null, ...prepared };
        }),
      );
    },

    async commitOnline(
      input: WindowInput & {
        readonly manifest: string | null;
        readonly sourceSnapshotId: string | null;
        readonly idempotencyKey: string;
        readonly staging?: string | null;
        readonly incremental?: boolean;
      },
    ): Promise<CommitOnlineResult> {
      return asActivityFailure(() =>
        withHeartbeats('committing the window', async () => {
          const committed = await commitOnlineWindow(context, input.featureView, {
            window: windowOf(input),
            manifest: input.manifest,
            idempotencyKey: input.idempotencyKey,
            sourceSnapshotId: input.sourceSnapshotId,
            staging: input.staging ?? null,
            incremental: input.incremental ?? false,
          });
          recordCommittedWindow({ featureView: input.featureView, ...committed });
          return {
            snapshotId: committed.snapshotId?.toString() ?? null,
            alreadyCommitted: committed.alreadyCommitted,
            attempts: committed.attempts,
          };
        }),
      );
    },
  };
}

function windowOf(input: WindowInput): Window {
  return { start: instantDate(input.start), end: instantDate(input.end) };
}

/** A file-name-safe name, unique to this attempt of this step in this workflow run. */
export function attemptName(step: string, input: object): string {
  const { workflowExecution, activityType, attempt } = Context.current().info;
  const digest = createHash('sha256')
    .update(JSON.stringify([workflowExecution?.workflowId, workflowExecution?.runId, activityType, input]))
    .digest('hex');
  return `${step}-${digest.slice(0, 20)}-a${attempt}`;
}

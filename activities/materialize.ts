import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { LatePlan, ScanSummary } from '../contracts/materialize.js';
import type { FeatureContext } from '../features/context.js';
import { commitOnlineWindow } from '../features/materialize/commit.js';
import { planSourceScan } from '../features/materialize/plan.js';
import type { Window } from '../features/materialize/source-rows.js';
import { computeLatestRows, writeOnlinePartitions } from '../features/materialize/write-before-prepares-in-one-step.js';
import { prepareOnlineFiles } from '../features/materialize/write.js';
import { readWatermark } from '../features/online-table/table-state.js';
import { defined } from '../contracts/defined.js';

export type { LatePlan, ScanSummary };
import { recordCommittedWindow } from './activity-metrics.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';
import type { Progress } from './activity-support.js';
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

/** What planning a window takes; `incremental` for a run given no start (see planSourceScan). */
export type PlanWindowInput = WindowInput & { readonly incremental?: boolean };

export type ComputeLatestInput = WindowInput & { readonly sourceSnapshotId: string | null; readonly late?: LatePlan };

export interface WriteOnlineInput {
  readonly featureView: string;
  readonly staging: string | null;
  readonly rows: number;
}

export type CommitOnlineInput = WindowInput & {
  readonly manifest: string | null;
  readonly sourceSnapshotId: string | null;
  readonly idempotencyKey: string;
  readonly staging?: string | null;
  readonly incremental?: boolean;
};

/**
 * The materialize workflow's steps. Payloads stay small and JSON-only (ids as strings, data as
 * file locations). Files are never overwritten: each attempt of a step writes under its own name
 * and returns what it wrote, so a slow attempt that outlives its timeout cannot touch the files a
 * later attempt handed on; what an abandoned attempt wrote is an orphan for compaction to remove.
 * prepareWindow runs the first three steps as one; the separate computeLatest and writeOnline
 * remain for runs recorded before `materialize-prepares-in-one-step`.
 */
export function createMaterializeActivities(context: FeatureContext, hooks: MaterializeHooks = {}) {
  return {
    /** The view's watermark (see readWatermark), as an ISO instant, or null before its first commit. */
    async readWatermark(input: { readonly featureView: string }): Promise<string | null> {
      const signal = Context.current().cancellationSignal;
      return asActivityFailure(
        context.catalog.redactor,
        async () => (await readWatermark({ ...context, signal }, input.featureView))?.toISOString() ?? null,
      );
    },

    async planSource(input: PlanWindowInput): Promise<PlanSourceResult> {
      return asActivityFailure(context.catalog.redactor, () => planWindow(context, input));
    },

    async computeLatest(input: ComputeLatestInput): Promise<ComputeLatestResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('computing the latest row per entity', (signal) => computeLatestStep(context, hooks, input, signal)),
      );
    },

    async writeOnline(input: WriteOnlineInput): Promise<WriteOnlineResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('writing online partitions', (signal) => writeOnlineStep(context, hooks, input, signal)),
      );
    },

    /**
     * Plan, latest rows and online files in one step (see prepareWindow in workflows/materialize.ts):
     * each separate step costs a round trip through the server. Returns what the three return.
     */
    async prepareWindow(input: PlanWindowInput): Promise<PrepareWindowResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('planning the source scan', (signal, report) => prepareWindowStep(context, hooks, input, signal, report)),
      );
    },

    async commitOnline(input: CommitOnlineInput): Promise<CommitOnlineResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('committing the window', (signal) => commitOnlineStep({ ...context, signal }, input)),
      );
    },
  };
}

async function planWindow(context: FeatureContext, input: PlanWindowInput, signal?: AbortSignal): Promise<PlanSourceResult> {
  const planned = await planSourceScan(signal ? { ...context, signal } : context, input.featureView, windowOf(input), {
    incremental: input.incremental ?? false,
  });
  return {
    sourceSnapshotId: planned.sourceSnapshotId?.toString() ?? null,
    scan: planned.scan,
    window: { start: planned.window.start.toISOString(), end: planned.window.end.toISOString() },
    ...defined({ skipped: planned.skipped, late: planned.late }),
  };
}

async function computeLatestStep(
  context: FeatureContext,
  hooks: MaterializeHooks,
  input: ComputeLatestInput,
  signal: AbortSignal,
): Promise<ComputeLatestResult> {
  await hooks.beforeCompute?.({ featureView: input.featureView, signal });
  return computeLatestRows({ ...context, signal }, input.featureView, windowOf(input), {
    sourceSnapshotId: input.sourceSnapshotId === null ? null : BigInt(input.sourceSnapshotId),
    stagingName: attemptName('latest', input),
    ...defined({ late: input.late }),
  });
}

async function writeOnlineStep(
  context: FeatureContext,
  hooks: MaterializeHooks,
  input: WriteOnlineInput,
  signal: AbortSignal,
): Promise<WriteOnlineResult> {
  const written = await writeOnlinePartitions({ ...context, signal }, input.featureView, {
    staging: input.staging,
    rows: input.rows,
    filePrefix: attemptName('online', input),
    materializedAt: new Date(),
    ...afterDataFilesHook(hooks, input.featureView, signal),
  });
  await hooks.afterWrite?.({ featureView: input.featureView, manifest: written.manifest, signal });
  return written;
}

async function prepareWindowStep(
  context: FeatureContext,
  hooks: MaterializeHooks,
  input: PlanWindowInput,
  signal: AbortSignal,
  report: (progress: Progress) => void,
): Promise<PrepareWindowResult> {
  const planned = await planWindow(context, input, signal);
  if (planned.skipped !== undefined) return { plan: planned, staging: null, rows: 0, manifest: null, dataFiles: 0 };
  report({ phase: 'computing the latest row per entity, writing online partitions' });
  await hooks.beforeCompute?.({ featureView: input.featureView, signal });
  // The latest rows go from DuckDB's memory straight into the online files: nothing is staged.
  const prepared = await prepareOnlineFiles({ ...context, signal }, input.featureView, windowOf({ ...input, ...planned.window }), {
    sourceSnapshotId: planned.sourceSnapshotId === null ? null : BigInt(planned.sourceSnapshotId),
    ...defined({ late: planned.late }),
    filePrefix: attemptName('online', input),
    materializedAt: new Date(),
    ...afterDataFilesHook(hooks, input.featureView, signal),
  });
  await hooks.afterWrite?.({ featureView: input.featureView, manifest: prepared.manifest, signal });
  return { plan: planned, staging: null, ...prepared };
}

/** The test seam run between a write step's data files and its manifest, when one is given. */
function afterDataFilesHook(hooks: MaterializeHooks, featureView: string, signal: AbortSignal): { afterDataFiles?: () => Promise<void> } {
  const hook = hooks.afterDataFiles;
  return hook ? { afterDataFiles: () => hook({ featureView, signal }) } : {};
}

async function commitOnlineStep(context: FeatureContext, input: CommitOnlineInput): Promise<CommitOnlineResult> {
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

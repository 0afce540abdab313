import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type {
  CleanupOptions,
  CompactionPlan,
  CompactionPlanOptions,
  CompactionRequest,
  CompactionTarget,
  ExpireResult,
  OrphanResult,
  RewriteResult,
} from '../features/compaction/index.js';
import {
  expireOldSnapshots,
  planCompaction,
  removeOldOrphans,
  resolveCompactionTarget,
  rewriteAndCommit,
} from '../features/compaction/index.js';
import type { FeatureContext } from '../features/context.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';

export type { CompactionPlan, CompactionTarget, ExpireResult, OrphanResult, RewriteResult };

export type CompactActivities = ReturnType<typeof createCompactActivities>;

/** Test-only seams. Production workers pass none. */
export interface CompactHooks {
  /** Runs inside the rewrite step after its files are written, just before it commits. */
  readonly beforeCompactionCommit?: (info: { readonly table: string; readonly signal: AbortSignal }) => Promise<void>;
}

/**
 * The compact workflow's steps. Payloads are JSON-only: the plan names groups by key and the
 * snapshot by a decimal id; the rewrite step re-plans that snapshot itself.
 */
export function createCompactActivities(context: FeatureContext, hooks: CompactHooks = {}) {
  return {
    async planCompaction(input: { readonly request: CompactionRequest; readonly options: CompactionPlanOptions }): Promise<CompactionPlan> {
      return asActivityFailure(context.catalog.redactor, async () =>
        planCompaction(context, await resolveCompactionTarget(context, input.request), input.options),
      );
    },

    /** Rewrites and commits; a retry that finds the idempotency key committed writes nothing. */
    async rewriteCompaction(input: { readonly plan: CompactionPlan; readonly idempotencyKey: string }): Promise<RewriteResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('rewriting partitions', async (signal, report) =>
          rewriteAndCommit({ ...context, signal }, input.plan, {
            idempotencyKey: input.idempotencyKey,
            filePrefix: attemptName('compact', input.idempotencyKey),
            report: (progress) => report({ ...progress }),
            ...(hooks.beforeCompactionCommit
              ? { beforeCommit: () => hooks.beforeCompactionCommit!({ table: input.plan.target.table, signal }) }
              : {}),
          }),
        ),
      );
    },

    async expireSnapshots(input: { readonly table: string; readonly options: CleanupOptions }): Promise<ExpireResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('expiring snapshots', () => expireOldSnapshots(context, input.table, input.options)),
      );
    },

    async removeOrphans(input: { readonly table: string; readonly options: CleanupOptions }): Promise<OrphanResult> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('removing orphan files', () => removeOldOrphans(context, input.table, input.options)),
      );
    },
  };
}

/** A file-name-safe name, unique to this attempt of this step in this workflow run. */
function attemptName(step: string, key: string): string {
  const { workflowExecution, activityType, attempt } = Context.current().info;
  const digest = createHash('sha256')
    .update(JSON.stringify([workflowExecution?.workflowId, workflowExecution?.runId, activityType, key]))
    .digest('hex');
  return `${step}-${digest.slice(0, 20)}-a${attempt}`;
}

import type { ConsistencyReport } from '../contracts/consistency.js';
import { appendConsistencyReport, checkConsistency, DEFAULT_CONSISTENCY_TABLE } from '../features/consistency/index.js';
import type { FeatureContext } from '../features/context.js';
import type { Runtime } from '../features/runtime.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';
import { defined } from '../contracts/defined.js';

export type ConsistencyActivities = ReturnType<typeof createConsistencyActivities>;

/** The consistency workflow's steps: the check (sample, online read, offline recompute, compare), then the report's append. */
export function createConsistencyActivities(context: FeatureContext) {
  return {
    async checkConsistency(input: {
      readonly featureView: string;
      readonly sample?: number;
      readonly seed: number;
      readonly examples?: number;
    }): Promise<ConsistencyReport> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('checking consistency', (signal) =>
          checkConsistency({ ...context, signal }, input.featureView, {
            seed: input.seed,
            ...defined({ sample: input.sample, examples: input.examples }),
          }),
        ),
      );
    },

    /** Appends the report's rows; a retry that finds its idempotency key committed appends nothing. */
    async appendConsistencyReport(input: {
      readonly report: ConsistencyReport;
      readonly reportTable?: string;
      readonly idempotencyKey: string;
    }): Promise<{ table: string; snapshotId: string | null; rows: number }> {
      return asActivityFailure(context.catalog.redactor, () =>
        appendConsistencyReport(context, input.reportTable ?? configuredReportTable(context), input.report, {
          idempotencyKey: input.idempotencyKey,
        }),
      );
    },
  };
}

/** floe.yaml's `monitoring.consistencyTable` when the worker runs a project's runtime, else the default. */
function configuredReportTable(context: FeatureContext): string {
  const project = (context as Partial<Runtime>).project;
  return project?.config.monitoring.consistencyTable ?? DEFAULT_CONSISTENCY_TABLE;
}

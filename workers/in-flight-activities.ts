import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';
import { isoMillis } from '../contracts/instants.js';
import { formatTableIdentifier } from '../iceberg/catalog/identifier.js';
import type { Registry } from '../features/registry.js';

/** An activity this worker is running: what a stopping worker names while it waits for it. */
export interface InFlightActivity {
  readonly activityType: string;
  readonly workflowId: string | undefined;
  readonly attempt: number;
  /** The table it works on, when its input names one (a feature view's online table, or `table`). */
  readonly table: string | undefined;
  readonly since: Date;
}

/**
 * The activities a worker is running, kept by an activity interceptor (`interceptor`), so that a
 * worker asked to stop can say which activity it waits for, on which table, since when.
 */
export class InFlightActivities {
  private readonly running = new Set<InFlightActivity>();

  constructor(
    private readonly registry: Registry,
    private readonly now: () => Date = () => new Date(),
  ) {}

  readonly interceptor = (context: Context): ActivityInterceptors => ({
    inbound: {
      execute: async (input, next) => {
        const { activityType, attempt, workflowExecution } = context.info;
        const entry: InFlightActivity = {
          activityType,
          workflowId: workflowExecution?.workflowId,
          attempt,
          table: this.tableOf(input.args[0]),
          since: this.now(),
        };
        this.running.add(entry);
        try {
          return await next(input);
        } finally {
          this.running.delete(entry);
        }
      },
    },
  });

  get size(): number {
    return this.running.size;
  }

  /** One line per activity, longest running first: `commitOnline (workflow w, table t, attempt 2) running since <instant> (12 s)`. */
  describe(): string[] {
    const now = this.now().getTime();
    return [...this.running]
      .sort((a, b) => a.since.getTime() - b.since.getTime())
      .map((activity) => {
        const about = [
          activity.workflowId === undefined ? undefined : `workflow ${activity.workflowId}`,
          activity.table === undefined ? undefined : `table ${activity.table}`,
          `attempt ${activity.attempt}`,
        ].filter((part) => part !== undefined);
        const seconds = Math.round((now - activity.since.getTime()) / 1000);
        return `${activity.activityType} (${about.join(', ')}) running since ${isoMillis(activity.since.getTime())} (${seconds} s)`;
      });
  }

  private tableOf(input: unknown): string | undefined {
    if (typeof input !== 'object' || input === null) return undefined;
    const { featureView, table } = input as { featureView?: unknown; table?: unknown };
    if (typeof table === 'string') return table;
    if (typeof featureView !== 'string') return undefined;
    try {
      return formatTableIdentifier(this.registry.onlineTableOf(this.registry.featureView(featureView)));
    } catch {
      return undefined;
    }
  }
}

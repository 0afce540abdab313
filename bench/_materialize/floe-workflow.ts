// Materialize workflows, one per online namespace in turn (each a fresh online table), run by a
// worker in its own process, so its peak memory (the worker's: DuckDB, the Temporal core, the
// activities) is its own: prints one JSON line, a WorkflowRun per namespace.
//
// Each worker first materializes the empty day before the window, then the window is timed: a
// worker serves window after window (a schedule, a backfill), and only its first workflow task
// pays for loading the workflow bundle into a fresh V8 context (70–90 ms here), so that first
// window's overhead is reported on its own.
//
// Last, the floor: a workflow of the same shape whose two steps do nothing (two-step-workflow.ts),
// timed the same way on a worker with the same activity slots, its best of a few runs after one
// that warms the worker. Whatever the two measures share is Temporal's, not Floe's.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { temporalService } from '../../test/support/services.js';
import { startTestWorker } from '../../test/support/temporal.js';
import type { TestWorker } from '../../test/support/temporal.js';
import type { materialize } from '../../workflows/materialize.js';
import { DEFAULT_MAX_CONCURRENT_ACTIVITIES } from '../../workers/worker.js';
import type { TwoStepActivities } from './two-step-workflow.js';
import { cpuSecondsSince } from '../_child.js';
import { activityMillis, benchRuntime, VIEW } from '../_pipelines.js';

/** What this script prints. */
export interface WorkflowRuns {
  readonly runs: WorkflowRun[];
  /** The two-step workflow of no-ops: its best wall time less its activities' run time. */
  readonly temporalFloorMs: number;
}

export interface WorkflowRun {
  readonly ms: number;
  readonly activitiesMs: number;
  /** The worker's first window (empty, the day before): its wall time less its activities' run time. */
  readonly coldOverheadMs: number;
  /** CPU time of the worker process (all its threads, DuckDB's too) while the workflow ran. */
  readonly cpuSeconds: number;
  readonly rows: number;
  /** The worker process's peak so far: a later run's includes the earlier runs'. */
  readonly maxRssKb: number;
}

const { directory, catalog, onlineNamespaces, window } = JSON.parse(process.argv[2] ?? '{}') as {
  directory: string;
  catalog: CatalogConfig;
  onlineNamespaces: string[];
  window: { start: string; end: string };
};
const DAY_MS = 86_400_000;
const FLOOR_ROUNDS = 5;
const dayBefore = {
  start: new Date(Date.parse(window.start) - DAY_MS).toISOString(),
  end: window.start,
};

/** A client and the task queue of a worker that runs its workflows. */
type WorkflowWorker = Pick<TestWorker, 'client' | 'taskQueue'>;

/** A workflow on `worker`'s task queue, timed from its start to its result. */
async function timedRun(worker: WorkflowWorker, workflowType: string, args: unknown[]) {
  const started = performance.now();
  const handle = await worker.client.workflow.start(workflowType, {
    taskQueue: worker.taskQueue,
    workflowId: `bench-${workflowType}-${randomUUID()}`,
    args,
  });
  const result: unknown = await handle.result();
  const ms = performance.now() - started;
  return { ms, result, activitiesMs: activityMillis(await handle.fetchHistory()) };
}

async function materializeRun(worker: WorkflowWorker, span: { start: string; end: string }) {
  const input: Parameters<typeof materialize>[0] = { featureView: VIEW, ...span };
  const run = await timedRun(worker, 'materialize', [input]);
  return { ...run, result: run.result as Awaited<ReturnType<typeof materialize>> };
}

/** The floor's overhead: the best of `rounds` runs of the two no-op steps, after one that warms the worker. */
async function temporalFloorMs(rounds: number): Promise<number> {
  const { address, namespace } = temporalService();
  const taskQueue = `bench-floor-${randomUUID()}`;
  const nothing = async () => null;
  const activities: TwoStepActivities = { prepareNothing: nothing, commitNothing: nothing };
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./two-step-workflow.ts', import.meta.url)),
      activities,
      maxConcurrentActivityTaskExecutions: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    });
    return await worker.runUntil(async () => {
      const overheads: number[] = [];
      for (let round = 0; round <= rounds; round++) {
        const { ms, activitiesMs } = await timedRun({ client, taskQueue }, 'twoSteps', []);
        if (round > 0) overheads.push(ms - activitiesMs);
      }
      return Math.min(...overheads);
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

const runs: WorkflowRun[] = [];
for (const onlineNamespace of onlineNamespaces) {
  const runtime = await benchRuntime(directory, catalog, onlineNamespace);
  try {
    const worker = await startTestWorker(runtime);
    try {
      const cold = await materializeRun(worker, dayBefore);
      if (cold.result.rows !== 0) throw new Error(`the day before the window materialized ${cold.result.rows} rows, not none`);
      const cpuStarted = process.cpuUsage();
      const { ms, result, activitiesMs } = await materializeRun(worker, window);
      const cpuSeconds = cpuSecondsSince(cpuStarted);
      runs.push({
        ms,
        activitiesMs,
        coldOverheadMs: cold.ms - cold.activitiesMs,
        cpuSeconds,
        rows: result.rows,
        maxRssKb: process.resourceUsage().maxRSS,
      });
    } finally {
      await worker.close();
    }
  } finally {
    await runtime.close();
  }
}
const output: WorkflowRuns = { runs, temporalFloorMs: await temporalFloorMs(FLOOR_ROUNDS) };
console.log(JSON.stringify(output));

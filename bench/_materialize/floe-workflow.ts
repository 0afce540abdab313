// Materialize workflows, one per online namespace in turn (each a fresh online table), run by a
// worker in its own process, so its peak memory (the worker's: DuckDB, the Temporal core, the
// activities) is its own: prints one JSON line, a WorkflowRun per namespace.
//
// Each worker first materializes the empty day before the window, then the window is timed: a
// worker serves window after window (a schedule, a backfill), and only its first workflow task
// pays for loading the workflow bundle into a fresh V8 context (70–90 ms here), so that first
// window's overhead is reported on its own.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CatalogConfig } from '../../iceberg/catalog/load-catalog.js';
import { startTestWorker } from '../../test/support/temporal.js';
import type { TestWorker } from '../../test/support/temporal.js';
import type { materialize } from '../../workflows/materialize.js';
import { cpuSecondsSince } from '../_child.js';
import { activityMillis, benchRuntime, VIEW } from '../_pipelines.js';

/** What this script prints. */
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
const dayBefore = {
  start: new Date(Date.parse(window.start) - DAY_MS).toISOString(),
  end: window.start,
};

/** One materialize workflow of `span` on `worker`, timed from its start to its result. */
async function timedRun(worker: TestWorker, span: { start: string; end: string }) {
  const started = performance.now();
  const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
    taskQueue: worker.taskQueue,
    workflowId: `bench-materialize-${randomUUID()}`,
    args: [{ featureView: VIEW, ...span }],
  });
  const result = await handle.result();
  const ms = performance.now() - started;
  return { ms, result, activitiesMs: activityMillis(await handle.fetchHistory()) };
}

const runs: WorkflowRun[] = [];
for (const onlineNamespace of onlineNamespaces) {
  const runtime = await benchRuntime(directory, catalog, onlineNamespace);
  try {
    const worker = await startTestWorker(runtime);
    try {
      const cold = await timedRun(worker, dayBefore);
      if (cold.result.rows !== 0) throw new Error(`the day before the window materialized ${cold.result.rows} rows, not none`);
      const cpuStarted = process.cpuUsage();
      const { ms, result, activitiesMs } = await timedRun(worker, window);
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
console.log(JSON.stringify(runs));

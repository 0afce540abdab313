// Materialize workflows, one per online namespace in turn (each a fresh online table), run by a
// worker in its own process, so its peak memory (the worker's: DuckDB, the Temporal core, the
// activities) is its own: prints one JSON line, a WorkflowRun per namespace.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CatalogConfig } from '../../iceberg/catalog/load-catalog.js';
import { startTestWorker } from '../../test/support/temporal.js';
import type { materialize } from '../../workflows/materialize.js';
import { cpuSecondsSince } from '../_child.js';
import { activityMillis, benchRuntime, VIEW } from '../_pipelines.js';

/** What this script prints. */
export interface WorkflowRun {
  readonly ms: number;
  readonly activitiesMs: number;
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

const runs: WorkflowRun[] = [];
for (const onlineNamespace of onlineNamespaces) {
  const runtime = await benchRuntime(directory, catalog, onlineNamespace);
  try {
    const worker = await startTestWorker(runtime);
    try {
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
        taskQueue: worker.taskQueue,
        workflowId: `bench-materialize-${randomUUID()}`,
        args: [{ featureView: VIEW, ...window }],
      });
      const result = await handle.result();
      const ms = performance.now() - started;
      const cpuSeconds = cpuSecondsSince(cpuStarted);
      runs.push({
        ms,
        activitiesMs: activityMillis(await handle.fetchHistory()),
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

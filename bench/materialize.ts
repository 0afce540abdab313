// `npm run bench -- materialize [--quick]`: source rows per second through one whole materialize
// workflow on the Temporal dev server (10M source rows, 1M entities; --quick a tenth), the
// orchestration overhead (the workflow's wall time minus its activities' own run time), and the
// same four steps called as a library (`materializeWindow`) as the peer: vs_library.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchmarkOptions } from './run.js';
import { materializeWindow } from '../features/materialization.js';
import { startTestWorker } from '../test/support/temporal.js';
import type { materialize } from '../workflows/materialize.js';
import { activityMillis, benchCatalog, generatedRows, temporalAddress, VIEW } from './_pipelines.js';

const WINDOW = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' };

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rows = options.quick ? 1_000_000 : 10_000_000;
  const entities = options.quick ? 100_000 : 1_000_000;
  const temporal = await temporalAddress();
  console.error(`writing ${rows} source rows for ${entities} entities`);
  const bench = await benchCatalog({ rowsQuery: generatedRows(rows, entities, WINDOW.start, 1) });
  try {
    // The peer first: the four steps in this process, no Temporal.
    const library = await bench.runtime('online_library');
    const libraryStarted = performance.now();
    const direct = await materializeWindow(
      { registry: library.project.registry, catalog: library.catalog, engine: library.engine, workDirectory: library.project.config.workDirectory },
      VIEW,
      { start: new Date(WINDOW.start), end: new Date(WINDOW.end) },
      `bench-library-${randomUUID()}`,
    );
    const libraryMs = performance.now() - libraryStarted;
    console.error(`library: ${direct.rows} entity rows in ${Math.round(libraryMs)} ms`);

    const runtime = await bench.runtime('online_workflow');
    const worker = await startTestWorker(runtime);
    try {
      const started = performance.now();
      const handle = await worker.client.workflow.start<typeof materialize>('materialize', { taskQueue: worker.taskQueue, workflowId: `bench-materialize-${randomUUID()}`, args: [{ featureView: VIEW, ...WINDOW }] });
      const result = await handle.result();
      const workflowMs = performance.now() - started;
      const activitiesMs = activityMillis(await handle.fetchHistory());
      console.error(`workflow: ${result.rows} entity rows in ${Math.round(workflowMs)} ms, activities ${Math.round(activitiesMs)} ms`);
      if (result.rows !== direct.rows) throw new Error(`the workflow materialized ${result.rows} rows, the library ${direct.rows}`);
      return {
        source_rows: rows,
        entities,
        online_rows: result.rows,
        workflow_ms: Math.round(workflowMs),
        library_ms: Math.round(libraryMs),
        source_rows_per_s: Math.round(rows / (workflowMs / 1000)),
        library_source_rows_per_s: Math.round(rows / (libraryMs / 1000)),
        activities_ms: Math.round(activitiesMs),
        orchestration_overhead_ms_per_window: Math.round(workflowMs - activitiesMs),
        vs_library: Number((workflowMs / libraryMs).toFixed(3)),
      };
    } finally {
      await worker.close();
    }
  } finally {
    await bench.close();
    await temporal.stop();
  }
}

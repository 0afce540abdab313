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
import type { ServiceName } from '../scripts/services/service.js';

const WINDOW = { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' };

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['temporal'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rows = options.quick ? 1_000_000 : 10_000_000;
  const entities = options.quick ? 100_000 : 1_000_000;
  const temporal = await temporalAddress();
  console.error(`writing ${rows} source rows for ${entities} entities`);
  const bench = await benchCatalog({ rowsQuery: generatedRows(rows, entities, WINDOW.start, 1) });
  try {
    // Alternating rounds, each into a fresh online table; the best of each side is reported, since
    // other work on a shared machine only ever adds time.
    const rounds = 2;
    const library: number[] = [];
    const workflow: { ms: number; activitiesMs: number }[] = [];
    let onlineRows = 0;
    for (let round = 1; round <= rounds; round++) {
      const peer = await bench.runtime(`online_library_${round}`);
      const libraryStarted = performance.now();
      const direct = await materializeWindow(
        { registry: peer.project.registry, catalog: peer.catalog, engine: peer.engine, workDirectory: peer.project.config.workDirectory },
        VIEW,
        { start: new Date(WINDOW.start), end: new Date(WINDOW.end) },
        `bench-library-${randomUUID()}`,
      );
      library.push(performance.now() - libraryStarted);
      console.error(`round ${round} library: ${direct.rows} entity rows in ${Math.round(library.at(-1)!)} ms`);

      const runtime = await bench.runtime(`online_workflow_${round}`);
      const worker = await startTestWorker(runtime);
      try {
        const started = performance.now();
        const handle = await worker.client.workflow.start<typeof materialize>('materialize', {
          taskQueue: worker.taskQueue,
          workflowId: `bench-materialize-${randomUUID()}`,
          args: [{ featureView: VIEW, ...WINDOW }],
        });
        const result = await handle.result();
        const ms = performance.now() - started;
        workflow.push({ ms, activitiesMs: activityMillis(await handle.fetchHistory()) });
        console.error(
          `round ${round} workflow: ${result.rows} entity rows in ${Math.round(ms)} ms, activities ${Math.round(workflow.at(-1)!.activitiesMs)} ms`,
        );
        if (result.rows !== direct.rows) throw new Error(`the workflow materialized ${result.rows} rows, the library ${direct.rows}`);
        onlineRows = result.rows;
      } finally {
        await worker.close();
      }
    }
    const libraryMs = Math.min(...library);
    const best = workflow.reduce((a, b) => (b.ms < a.ms ? b : a));
    return {
      source_rows: rows,
      entities,
      online_rows: onlineRows,
      rounds,
      workflow_ms: Math.round(best.ms),
      library_ms: Math.round(libraryMs),
      source_rows_per_s: Math.round(rows / (best.ms / 1000)),
      library_source_rows_per_s: Math.round(rows / (libraryMs / 1000)),
      activities_ms: Math.round(best.activitiesMs),
      orchestration_overhead_ms_per_window: Math.round(Math.min(...workflow.map((one) => one.ms - one.activitiesMs))),
      vs_library: Number((best.ms / libraryMs).toFixed(3)),
    };
  } finally {
    await bench.close();
    await temporal.stop();
  }
}

// `npm run bench -- backfill [--quick]`: a backfill of 30 daily chunks through child materialize
// workflows on one worker, with parallelism 1, 2 and 4: total time and source rows per second
// (3M source rows, 100k entities; --quick a tenth). Each run writes its own online table.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchmarkOptions } from './run.js';
import { startTestWorker } from '../test/support/temporal.js';
import type { backfill } from '../workflows/backfill.js';
import { benchCatalog, generatedRows, temporalAddress, VIEW } from './_pipelines.js';
import type { ServiceName } from '../scripts/services/service.js';

const START = '2024-05-01T00:00:00.000Z';
const DAYS = 30;

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['temporal'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rows = options.quick ? 300_000 : 3_000_000;
  const entities = options.quick ? 10_000 : 100_000;
  const temporal = await temporalAddress();
  console.error(`writing ${rows} source rows for ${entities} entities over ${DAYS} days`);
  const bench = await benchCatalog({ rowsQuery: generatedRows(rows, entities, START, DAYS) });
  const end = new Date(Date.parse(START) + DAYS * 86_400_000).toISOString();
  const figures: Record<string, unknown> = { source_rows: rows, entities, chunks: DAYS };
  try {
    for (const parallelism of [1, 2, 4]) {
      const runtime = await bench.runtime(`online_p${parallelism}`);
      const worker = await startTestWorker(runtime);
      try {
        const started = performance.now();
        const result = await worker.client.workflow.execute<typeof backfill>('backfill', {
          taskQueue: worker.taskQueue,
          workflowId: `bench-backfill-p${parallelism}-${randomUUID()}`,
          args: [{ featureViews: [VIEW], start: START, end, chunk: '1d', parallelism }],
        });
        const ms = performance.now() - started;
        console.error(`parallelism ${parallelism}: ${result.chunks} chunks, ${result.rows} entity rows in ${Math.round(ms)} ms`);
        figures[`p${parallelism}_total_ms`] = Math.round(ms);
        figures[`p${parallelism}_source_rows_per_s`] = Math.round(rows / (ms / 1000));
        figures[`p${parallelism}_online_rows`] = result.rows;
      } finally {
        await worker.close();
      }
    }
    figures.speedup_p2_vs_p1 = Number(((figures.p1_total_ms as number) / (figures.p2_total_ms as number)).toFixed(3));
    figures.speedup_p4_vs_p1 = Number(((figures.p1_total_ms as number) / (figures.p4_total_ms as number)).toFixed(3));
    return figures;
  } finally {
    await bench.close();
    await temporal.stop();
  }
}

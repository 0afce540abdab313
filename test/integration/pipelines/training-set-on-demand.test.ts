// services: temporal, python
// The trainingSet workflow on the Temporal dev server with an on-demand feature: the worker has
// the view's compute from the definitions it loaded, runs it in every chunk over the joined rows
// (a request field taken from the entity rows), and the output table, read by pyiceberg, holds
// the values getHistoricalFeatures(...).toArrow() gives for the same entity rows.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { quoteLiteral } from '../../../engine/sql.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { defineOnDemandView, defineRequestSource } from '../../../features/on-demand.js';
import type { trainingSet } from '../../../workflows/training-set.js';
import type { TrainingSetInput } from '../../../contracts/training-set.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog, startPipelineWorker, VIEW } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const ride = defineRequestSource({ name: 'ride', fields: [{ name: 'surge', type: 'double' }] });
const tripScore = defineOnDemandView({
  name: 'trip_score',
  sources: [`${VIEW}:conv_rate`, `${VIEW}:avg_daily_trips`, ride],
  features: [
    { name: 'score', type: 'double' },
    { name: 'double_trips', type: 'long' },
  ],
  compute: (inputs) => {
    const conv = inputs[VIEW]!.conv_rate as number | null;
    const trips = inputs[VIEW]!.avg_daily_trips as number | null;
    const surge = inputs.ride!.surge as number | null;
    return { score: conv === null || surge === null ? null : conv * surge, double_trips: trips === null ? null : trips * 2 };
  },
});

const scratch = scratchFolder('training-set-on-demand');
let source: SourceTable;
let worker: PipelineWorker;
let entityFile: string;
const ROWS = 140;

before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'));
  worker = await startPipelineWorker(source, { extraDefinitions: [ride, tripScore] });
  const start = Date.parse('2024-04-30T22:00:00Z');
  const values = Array.from({ length: ROWS }, (_, index) => {
    const driver = 1001 + ((index * 7) % 43); // some drivers nobody has heard of
    const time = new Date(start + ((index * 4_111_000) % (62 * 3_600_000))).toISOString();
    const surge = index % 5 === 0 ? 'NULL' : String(1 + (index % 4) / 4);
    return `(${quoteLiteral(`r${index}`)}, ${driver}, ${quoteLiteral(time)}, ${surge})`;
  });
  entityFile = path.join(scratch, 'entities.parquet');
  await worker.runtime.engine.withConnection(async (connection) => {
    await connection.run(
      `COPY (SELECT request_id, driver_id::BIGINT AS driver_id, event_timestamp::TIMESTAMPTZ AS event_timestamp, surge::DOUBLE AS surge FROM (VALUES ${values.join(', ')}) AS t(request_id, driver_id, event_timestamp, surge)) TO ${quoteLiteral(entityFile)} (FORMAT parquet)`,
    );
  });
});
after(async () => {
  await worker?.close();
});

describe('trainingSet workflow with an on-demand view', () => {
  test('every chunk computes it; pyiceberg reads the same values as toArrow()', async () => {
    const features = [`${VIEW}:conv_rate`, 'trip_score'];
    const input: TrainingSetInput = {
      entities: { parquet: [entityFile] },
      features,
      output: { table: 'datasets.on_demand' },
      chunkRows: 40,
      parallelism: 2,
    };
    const handle = await worker.client.workflow.start<typeof trainingSet>('trainingSet', {
      taskQueue: worker.taskQueue,
      workflowId: `training-set-on-demand-${randomUUID()}`,
      args: [input],
    });
    const result = await handle.result();
    assert.equal(result.rows, ROWS);

    const { runtime } = worker;
    const expected = await getHistoricalFeatures(
      {
        registry: runtime.project.registry,
        catalog: runtime.catalog,
        engine: runtime.engine,
        workDirectory: runtime.project.config.workDirectory,
      },
      { entities: { parquet: [entityFile] }, features },
    ).toArrow();
    const want = new Map<string, [unknown, unknown, unknown]>();
    for (let row = 0; row < expected.numRows; row++) {
      const double = expected.getChild('double_trips')!.get(row) as bigint | null;
      want.set(expected.getChild('request_id')!.get(row) as string, [
        expected.getChild('conv_rate')!.get(row) ?? null,
        expected.getChild('score')!.get(row) ?? null,
        double === null ? null : String(double),
      ]);
    }
    const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: source.oracle,
      identifier: 'datasets.on_demand',
    });
    assert.equal(read.rows.length, ROWS);
    const got = new Map(
      read.rows.map((row) => [
        row.request_id as string,
        [
          row.conv_rate ?? null,
          row.score ?? null,
          row.double_trips === null || row.double_trips === undefined ? null : String(row.double_trips),
        ],
      ]),
    );
    assert.deepEqual(got, want);
    const computed = [...want.values()].filter(([, score]) => score !== null).length;
    assert.ok(computed > 20 && computed < ROWS, `some rows have a score and some do not (${computed})`);
  });
});

// services: temporal, python
// The consistency report table on a real catalog: each check appends a small file, and once they
// outnumber the bound the append merges them, so the table neither grows a file per check forever
// nor loses a row. pyiceberg reads the files and rows; the latest rates stay the last check's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import type { ConsistencyReport } from '../../../contracts/consistency.js';
import { appendConsistencyReport, latestMismatchRates } from '../../../features/consistency/index.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { createDriverStatsCatalog, startPipelineWorker } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('consistency-report');

const FEATURES = ['conv_rate', 'acc_rate'];

function report(check: number): ConsistencyReport {
  const checkedAt = new Date(Date.parse('2024-05-03T00:00:00Z') + check * 3_600_000).toISOString();
  return {
    featureView: 'driver_hourly_stats',
    checkedAt,
    exactAsOf: checkedAt,
    onlineSnapshotId: null,
    seed: check,
    sampled: 10,
    population: 40,
    mismatches: check,
    features: FEATURES.map((feature, index) => ({
      feature,
      mismatches: check + index,
      mismatchRate: (check + index) / 10,
      examples: [],
    })),
  };
}

test('the report table merges its small files once they outnumber the bound, keeping every row', async () => {
  const source = await createDriverStatsCatalog(path.join(scratch, 'catalog'));
  const worker = await startPipelineWorker(source);
  const reportTable = `monitoring_${randomUUID().slice(0, 8)}.consistency`;
  const pyiceberg = async <T>(what: string): Promise<T[]> =>
    (await runPyiceberg<{ rows: T[] }>(what === 'read' ? 'read' : 'inspect', { catalog: source.oracle, identifier: reportTable, what }))
      .rows;
  try {
    const append = (check: number) =>
      appendConsistencyReport(worker.runtime, reportTable, report(check), { idempotencyKey: `check-${check}`, maxFiles: 4 });
    for (let check = 0; check < 4; check++) await append(check);
    assert.equal((await pyiceberg('data_files')).length, 4, 'four files are not more than the bound');

    await append(4);
    assert.equal((await pyiceberg('data_files')).length, 1, 'the fifth check merged all five');
    await append(5);
    await append(6);
    await append(6); // a retried append: committed once
    assert.equal((await pyiceberg('data_files')).length, 3);

    const rows = await pyiceberg<{ seed?: unknown; mismatches: unknown; feature: string }>('read');
    assert.equal(rows.length, 7 * FEATURES.length);
    assert.deepEqual(
      rows.map((row) => `${row.feature} ${String(row.mismatches)}`).sort(),
      Array.from({ length: 7 }, (_, check) => FEATURES.map((feature, index) => `${feature} ${check + index}`))
        .flat()
        .sort(),
    );
    const latest = await latestMismatchRates(worker.runtime, reportTable);
    assert.deepEqual(
      latest.map((rate) => [rate.feature, rate.mismatchRate, rate.checkedAt]),
      [
        ['acc_rate', 0.7, '2024-05-03T06:00:00Z'],
        ['conv_rate', 0.6, '2024-05-03T06:00:00Z'],
      ],
    );
  } finally {
    await worker.close();
  }
});

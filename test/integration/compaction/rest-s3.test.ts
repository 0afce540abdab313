// services: temporal, rest-catalog, python
// Compaction through the REST catalog on S3 (MinIO): small windows compact to one file per bucket,
// and with no retention the table's S3 prefix holds exactly the files pyiceberg says it refers to.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import type { CompactResult } from '../../../contracts/compact.js';
import { driverStatsRows, driverStatsSchema } from '../../support/driver-stats.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { testRuntime } from '../../support/runtime.js';
import { restCatalogService } from '../../support/services.js';
import { startTestWorker } from '../../support/temporal.js';
import { BUCKETS, driverDefinitions, VIEW } from '../../support/pipelines/definitions.js';
import { SOURCE_COLUMN_TYPES, sortDriverStatsRows } from '../../support/pipelines/pipeline.js';
import { referencedByPyiceberg } from '../../support/compaction/referenced.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { resultWithin } from '../../support/workflow-client.js';

const scratch = scratchFolder('compaction-rest');
/** Each run takes seconds; past this, the test says where the run stands (one hung once until the file's timeout). */
const RUN_WAIT_MS = 180_000;

test('REST catalog on S3: compaction, expiry and orphan removal', async () => {
  const rest = restCatalogService();
  const suffix = randomUUID().slice(0, 8);
  const oracle: OracleCatalog = oracleRestCatalog(rest);
  const sourceTable = `rides_${suffix}.driver_stats`;
  const onlineNamespace = `online_${suffix}`;
  const online = `${onlineNamespace}.${VIEW}`;
  const rows = driverStatsRows();
  await runPyiceberg('create_table', { catalog: oracle, identifier: sourceTable, schema: driverStatsSchema, format_version: 2 });
  await runPyiceberg('append', { catalog: oracle, identifier: sourceTable, rows, columns: SOURCE_COLUMN_TYPES });
  const runtime = await testRuntime({
    directory: scratch,
    catalog: floeRestCatalog(rest),
    definitions: driverDefinitions(sourceTable),
    onlineNamespace,
  });
  const worker = await startTestWorker(runtime);
  try {
    for (const [start, end] of [
      ['2024-05-01T00:00:00.000Z', '2024-05-01T08:00:00.000Z'],
      ['2024-05-01T08:00:00.000Z', '2024-05-01T16:00:00.000Z'],
      ['2024-05-01T16:00:00.000Z', '2024-05-02T00:00:00.000Z'],
    ] as const) {
      await resultWithin(
        await worker.client.workflow.start('materialize', {
          taskQueue: worker.taskQueue,
          workflowId: `materialize-${randomUUID()}`,
          args: [{ featureView: VIEW, start, end }],
        }),
        RUN_WAIT_MS,
      );
    }
    const read = async () =>
      sortDriverStatsRows(
        (await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: oracle, identifier: online })).rows.map(
          ({ materialized_at: _ignored, ...rest }) => rest,
        ),
      );
    const before = await read();
    const table = await runtime.catalog.loadTable(parseTableIdentifier(online));
    const stray = `${table.metadata.location}/data/stray-${randomUUID()}.parquet`;
    await table.io.write(stray, new TextEncoder().encode('not referenced'));

    const result = await resultWithin<CompactResult>(
      await worker.client.workflow.start('compact', {
        taskQueue: worker.taskQueue,
        workflowId: `compact-${VIEW}-${randomUUID()}`,
        args: [{ featureView: VIEW }, { minFiles: 2, retentionSeconds: 0, retainLast: 1 }],
      }),
      RUN_WAIT_MS,
    );
    assert.equal(result.partitionsRewritten, BUCKETS);
    assert.equal(result.dataFilesAfter, BUCKETS);
    assert.equal(result.snapshotsExpired, 3);
    assert.ok(result.orphansRemoved >= 1);

    const after = await read();
    const latest = new Map<string, Record<string, unknown>>();
    for (const row of before) {
      const current = latest.get(String(row.driver_id));
      if (!current || `${String(row.event_ts)}|${String(row.created_ts)}` > `${String(current.event_ts)}|${String(current.created_ts)}`)
        latest.set(String(row.driver_id), row);
    }
    assert.deepEqual(after, sortDriverStatsRows([...latest.values()]));
    const files = await runPyiceberg<{ rows: unknown[] }>('inspect', { catalog: oracle, identifier: online, what: 'data_files' });
    assert.equal(files.rows.length, BUCKETS);

    const listed: string[] = [];
    for await (const file of table.io.list(`${table.metadata.location}/`)) listed.push(file.location);
    assert.ok(!listed.includes(stray));
    assert.deepEqual(listed.sort(), await referencedByPyiceberg(oracle, online));
  } finally {
    await worker.close();
    await runtime.close();
  }
});

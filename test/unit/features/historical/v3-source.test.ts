// getHistoricalFeatures over a format v3 source: a nanosecond event time, a column added with an
// initial-default, and a variant column that is no obstacle until a feature reads it.
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { appendQuery } from '../../../../engine/write/append-query.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../../features/historical/get-historical-features.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import { FloeError } from '../../../../core/errors.js';
import { addColumn } from '../../../../iceberg/schema-update/add-column.js';
import type { Workspace } from '../../../support/features/tables.js';
import { withWorkspace } from '../../../support/features/tables.js';

const IDENTIFIER = { namespace: ['rides'], name: 'ns_stats' };

/** driver 1 at 00:00, 01:00 and 02:00 plus 500 ns (nanosecond event times); then `bonus` (default 5) and `payload` (variant) added. */
async function nanosecondSource(workspace: Workspace): Promise<void> {
  await workspace.catalog.createNamespace(['rides']);
  await workspace.catalog.createTable(IDENTIFIER, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'driver_id', required: false, type: 'long' },
        { id: 2, name: 'event_ts', required: false, type: 'timestamp_ns' },
        { id: 3, name: 'conv_rate', required: false, type: 'double' },
      ],
    },
    properties: { 'format-version': '3' },
  });
  await appendQuery({
    catalog: workspace.catalog,
    engine: workspace.engine,
    identifier: IDENTIFIER,
    query: `SELECT * FROM (VALUES
      (1::BIGINT, TIMESTAMP_NS '2024-05-01 00:00:00', 0.0::DOUBLE),
      (1::BIGINT, TIMESTAMP_NS '2024-05-01 01:00:00', 0.1::DOUBLE),
      (1::BIGINT, TIMESTAMP_NS '2024-05-01 02:00:00.000000500', 0.2::DOUBLE)) AS t(driver_id, event_ts, conv_rate)`,
    workDirectory: path.join(workspace.directory, 'work'),
  });
  await commitChange(workspace.catalog, IDENTIFIER, addColumn('bonus', 'int', { initialDefault: 5, writeDefault: 6 }));
  await commitChange(workspace.catalog, IDENTIFIER, addColumn('payload', 'variant'));
}

const definitions = (features: { name: string; type: 'double' | 'int' | 'string' }[]) => [
  defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
  defineIcebergSource({ name: 'ns_stats', table: 'rides.ns_stats', timestampField: 'event_ts' }),
  defineFeatureView({ name: 'stats', entities: ['driver'], source: 'ns_stats', features }),
];

const entities = (isoTimes: string[]) =>
  new arrow.Table({
    driver_id: arrow.vectorFromArray(
      isoTimes.map(() => 1n),
      new arrow.Int64(),
    ),
    event_timestamp: arrow.vectorFromArray(
      isoTimes.map((iso) => new Date(iso)),
      new arrow.TimestampMillisecond(),
    ),
  });

describe('getHistoricalFeatures over a v3 source', () => {
  it('joins on a timestamp_ns event time, reads the initial-default of a column added later, and ignores a variant column it does not read', async () => {
    await withWorkspace(async (workspace) => {
      await nanosecondSource(workspace);
      const job = getHistoricalFeatures(
        workspace.context(
          definitions([
            { name: 'conv_rate', type: 'double' },
            { name: 'bonus', type: 'int' },
          ]),
        ),
        {
          entities: entities(['2024-05-01T01:30:00Z', '2024-05-01T01:59:59.999Z', '2024-05-01T02:00:00Z']),
          features: ['stats:conv_rate', 'stats:bonus'],
        },
      );
      const rows = (await job.toArrow()).toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON());
      assert.deepEqual(
        rows.map((row) => [row.conv_rate, row.bonus]),
        [
          [0.1, 5],
          [0.1, 5],
          [0.2, 5],
        ],
        'timestamps compare at microsecond precision: the row 500 ns after 02:00 is seen at 02:00, not a millisecond before',
      );
    });
  });

  it('refuses a feature that reads the variant column, naming the table, column and type', async () => {
    await withWorkspace(async (workspace) => {
      await nanosecondSource(workspace);
      const job = getHistoricalFeatures(workspace.context(definitions([{ name: 'payload', type: 'string' }])), {
        entities: entities(['2024-05-01T01:30:00Z']),
        features: ['stats:payload'],
      });
      await assert.rejects(job.toArrow(), (error: unknown) => {
        assert.ok(FloeError.is(error, 'unsupported'), String(error));
        assert.match(error.message, /Column "payload" of table rides\.ns_stats has type variant, which Floe cannot read yet/);
        assert.doesNotMatch(error.message, /SELECT|read_parquet|\.metadata\.json/);
        return true;
      });
    });
  });
});

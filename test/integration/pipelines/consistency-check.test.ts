// services: python
// The consistency check as a library call. TTLs apply at the same microsecond on both sides. A row exactly a TTL
// before the exact instant (watermark − 1 µs) is still present offline (event_ts ≥ t − ttl), so the
// online read must be pinned to that instant, not to the watermark's millisecond: pinned there, the
// same row reads as expired (checked below, so this test fails if the pin drifts). And an online
// table that lags its source (a late row no incremental run has taken yet) is caught, then agrees
// once an incremental run takes the row.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkConsistency } from '../../../features/consistency/index.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { Runtime } from '../../../features/runtime.js';
import type { DriverStatsRow } from '../../support/driver-stats.js';
import { testRuntime } from '../../support/runtime.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { appendSourceRows, createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const VIEW = 'driver_recent';
const WATERMARK = Date.parse('2024-05-02T00:00:00Z');

function row(driver: number, eventTimestamp: string, conv: number): DriverStatsRow {
  return {
    driver_id: driver,
    conv_rate: conv,
    acc_rate: conv / 2,
    avg_daily_trips: driver,
    event_timestamp: eventTimestamp,
    created: eventTimestamp,
  };
}

const scratch = scratchFolder('consistency-ttl');
let runtime: Runtime;
let source: SourceTable;
before(async () => {
  source = await createDriverStatsCatalog(path.join(scratch, 'source'), [
    row(1, '2024-05-01T22:59:59.999999Z', 0.1), // exactly one hour before watermark − 1 µs: present
    row(2, '2024-05-01T22:59:59.999998Z', 0.2), // a microsecond older: expired, on both sides
    row(3, '2024-05-01T23:30:00.000000Z', 0.3),
    row(3, '2024-05-01T10:00:00.000000Z', 0.31),
  ]);
  runtime = await testRuntime({
    directory: scratch,
    catalog: source.floeCatalog,
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({
        name: 'driver_stats',
        table: source.table,
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      }),
      defineFeatureView({
        name: VIEW,
        entities: ['driver'],
        source: 'driver_stats',
        features: [
          { name: 'conv_rate', type: 'double' },
          { name: 'avg_daily_trips', type: 'long' },
        ],
        ttl: { hours: 1 },
        online: { buckets: 2 },
      }),
    ],
  });
  await materializeWindow(runtime, VIEW, { start: new Date('2024-05-01T00:00:00Z'), end: new Date(WATERMARK) }, 'ttl-test', {
    incremental: true,
  });
});
after(async () => {
  await runtime.close();
});

test('a row exactly a TTL before the exact instant agrees online and offline; one a microsecond older is expired on both', async () => {
  const report = await checkConsistency(runtime, VIEW, { sample: 10 });
  assert.equal(report.exactAsOf, '2024-05-01T23:59:59.999999Z');
  assert.equal(report.sampled, 3);
  assert.equal(report.mismatches, 0, JSON.stringify(report.features));

  const read = (millis: number) =>
    new OnlineStore({
      registry: runtime.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => millis,
    }).getOnlineFeatures({
      features: [`${VIEW}:conv_rate`],
      entityRows: [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }],
    });
  const pinned = await read(WATERMARK - 0.001);
  assert.deepEqual(pinned.features[0]!.statuses, ['PRESENT', 'OUTSIDE_MAX_AGE', 'PRESENT']);
  assert.deepEqual(pinned.features[0]!.values, [0.1, null, 0.3]);
  const atWatermark = await read(WATERMARK);
  assert.deepEqual(
    atWatermark.features[0]!.statuses,
    ['OUTSIDE_MAX_AGE', 'OUTSIDE_MAX_AGE', 'PRESENT'],
    'a millisecond clock would not do',
  );
});

test('a late row the online table has not taken yet is named; an incremental run makes online and offline agree again', async () => {
  await appendSourceRows(source, [row(3, '2024-05-01T23:45:00.000000Z', 0.75)]);
  const stale = await checkConsistency(runtime, VIEW, { sample: 10 });
  assert.deepEqual(
    stale.features.map((feature) => [feature.feature, feature.mismatches, feature.examples]),
    [
      ['conv_rate', 1, [{ entity: '{"driver_id":3}', online: '0.3', offline: '0.75' }]],
      ['avg_daily_trips', 0, []],
    ],
  );
  const caughtUp = await materializeWindow(runtime, VIEW, { start: new Date(WATERMARK), end: new Date(WATERMARK + 3_600_000) }, 'late', {
    incremental: true,
  });
  assert.equal(caughtUp.late?.rows, 1);
  const agreed = await checkConsistency(runtime, VIEW, { sample: 10 });
  assert.equal(agreed.exactAsOf, '2024-05-02T00:59:59.999999Z');
  assert.equal(agreed.mismatches, 0, JSON.stringify(agreed.features));
});

// services: none
// OnlineStore.freshness (the web UI's freshness page and /metrics' freshness gauges) over a project
// of 500 views whose online tables do not exist yet, on a SQLite catalog: each is reported as never
// materialized, and the first call answers in well under a second. It took 8-20 s when each view's
// reader allocated its own 100,000-slot cache (lru-cache preallocates), ~25 ms per view.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { Definition } from '../../../features/registry.js';
import { OnlineStore } from '../../../features/online/index.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const VIEWS = 500;

test('freshness of 500 views without online tables: all never materialized, the first call in under 2 s', async (t) => {
  const directory = scratchFolder('freshness-many-views', t);
  const definitions: Definition[] = [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_source', table: 'rides.driver_stats', timestampField: 'event_timestamp' }),
  ];
  for (let index = 0; index < VIEWS; index++)
    definitions.push(
      defineFeatureView({
        name: `driver_view_${String(index).padStart(3, '0')}`,
        entities: ['driver'],
        source: 'driver_source',
        features: [{ name: 'conv_rate', type: 'double' }],
        schedule: { every: { hours: 1 } },
      }),
    );
  const runtime = await testRuntime({
    directory,
    catalog: {
      type: 'sql',
      uri: `sqlite:///${path.join(directory, 'catalog.db')}`,
      warehouse: `file://${path.join(directory, 'warehouse')}`,
    },
    definitions,
  });
  t.after(() => runtime.close());
  const store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine });

  const started = performance.now();
  const freshness = await store.freshness();
  const elapsedMs = performance.now() - started;

  assert.equal(freshness.length, VIEWS);
  assert.deepEqual(freshness[0], { featureView: 'driver_view_000', watermarkMs: null, lastCommitMs: null });
  assert.ok(
    freshness.every((entry) => entry.watermarkMs === null && entry.lastCommitMs === null),
    'a view without an online table has no watermark and no commit',
  );
  // About 50 ms on a loaded 2-core machine; 8-20 s before.
  assert.ok(elapsedMs < 2_000, `the first freshness of ${VIEWS} views took ${Math.round(elapsedMs)} ms`);
});

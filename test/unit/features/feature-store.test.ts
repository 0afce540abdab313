// A project folder opened as a FeatureStore: floe.yaml's engine section reaches DuckDB (memory
// limit, spill folder), and plan, apply historical retrieval and online reads work from the definitions module.
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FeatureStore } from '../../../features/feature-store.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { createTableWithRows, withWorkspace } from '../../support/features/tables.js';

const definitionsModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'features', 'definitions.js');

describe('FeatureStore', () => {
  it('opens a project with its engine settings, applies it and retrieves training rows', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'rides.stats',
        [
          { name: 'driver_id', type: 'long' },
          { name: 'ts', type: 'timestamptz' },
          { name: 'trips', type: 'long' },
        ],
        [[[1n, { micros: 1_000_000n }, 5n]]],
      );
      const project = path.join(workspace.directory, 'project');
      await mkdir(project, { recursive: true });
      await writeFile(path.join(project, 'package.json'), '{ "type": "module" }\n');
      await writeFile(
        path.join(project, 'floe.yaml'),
        [
          `project: store_test`,
          `catalog:`,
          `  type: sql`,
          `  uri: ${path.join(workspace.directory, 'catalog.db')}`,
          `  warehouse: ${path.join(workspace.directory, 'warehouse')}`,
          `engine:`,
          `  memoryLimit: 300MB`,
          `  threads: 1`,
          `  tempDirectory: spill`,
          '',
        ].join('\n'),
      );
      await writeFile(
        path.join(project, 'features.ts'),
        [
          `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(definitionsModule)};`,
          `export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });`,
          `export const stats = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });`,
          `export const view = defineFeatureView({ name: 'v', entities: ['driver'], source: 'stats', features: [{ name: 'trips', type: 'long' }], online: { buckets: 2 } });`,
        ].join('\n'),
      );
      const store = await FeatureStore.open(project);
      try {
        assert.match(await store.engine.setting('memory_limit'), /^(286\.1 MiB|300\.0 MB|300MB)$/);
        assert.equal(await store.engine.setting('temp_directory'), path.join(project, 'spill'));
        // One process-caches object, rooted at workDirectory, made by the runtime and given to its catalog.
        const { caches } = store.runtime;
        assert.equal(caches.scratchRoot, path.join(project, '.floe', 'work'));
        assert.equal(store.runtime.workDirectory, caches.scratchRoot);
        assert.equal(store.runtime.catalog.caches, caches);
        assert.equal((await store.plan()).onlineTables[0]?.action, 'create');
        assert.equal((await store.apply()).version, 1);
        const entities = new arrow.Table({
          driver_id: arrow.vectorFromArray([1n], new arrow.Int64()),
          event_timestamp: arrow.vectorFromArray([new Date(5000)], new arrow.TimestampMillisecond()),
        });
        const result = await store.getHistoricalFeatures({ entities, features: ['v:trips'] }).toArrow();
        assert.equal(result.getChild('trips')?.get(0), 5n);

        await materializeWindow(store.runtime, 'v', { start: new Date(0), end: new Date(2000) }, 'feature-store-test');
        const online = await store.getOnlineFeatures({ features: ['v:trips'], entityRows: [{ driver_id: 1 }, { driver_id: 2 }] });
        assert.deepEqual(
          online.features.map(({ ref, values, statuses, eventTimestamps }) => ({ ref, values, statuses, eventTimestamps })),
          [{ ref: 'v:trips', values: [5n, null], statuses: ['PRESENT', 'NOT_FOUND'], eventTimestamps: ['1970-01-01T00:00:01Z', null] }],
        );
      } finally {
        await store.close();
      }
    });
  });
});

// services: postgres
// openRuntime, the one way FeatureStore, the worker, `floe serve`, `floe dev` and `floe get-online`
// open a project: every floe.yaml engine setting reaches DuckDB (read back from DuckDB itself), and
// an engine setting DuckDB refuses closes the catalog already opened (its Postgres connections end)
// and fails naming the floe.yaml field.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadProject } from '../../../features/project.js';
import { openRuntime } from '../../../features/runtime.js';
import { FloeError } from '../../../core/errors.js';
import { FEATURE_SERVER_ENGINE } from '../../../server/feature-server.js';
import { freshPostgresDatabase, postgresRows, withPostgres } from '../../support/postgres.js';
import { postgresService } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const definitionsModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'features', 'definitions.js');

const scratch = scratchFolder('runtime');

/** A project folder: floe.yaml with the given catalog and engine sections, and one feature view. */
async function projectFolder(name: string, catalog: readonly string[], engine: readonly string[]): Promise<string> {
  const directory = path.join(scratch, name);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, 'package.json'), '{ "type": "module", "private": true }\n');
  await writeFile(
    path.join(directory, 'floe.yaml'),
    [`project: ${name}`, 'catalog:', ...catalog.map((line) => `  ${line}`), 'engine:', ...engine.map((line) => `  ${line}`), ''].join('\n'),
  );
  await writeFile(
    path.join(directory, 'features.ts'),
    [
      `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(definitionsModule)};`,
      `export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });`,
      `export const stats = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });`,
      `export const view = defineFeatureView({ name: 'v', entities: ['driver'], source: 'stats', features: [{ name: 'trips', type: 'long' }], online: { buckets: 2 } });`,
    ].join('\n'),
  );
  return directory;
}

describe('openRuntime', () => {
  it('gives DuckDB every engine setting of floe.yaml; close() may be called again', async () => {
    const directory = await projectFolder(
      'settings',
      ['type: sql', 'uri: catalog.db', 'create: true', 'warehouse: warehouse'],
      ['memoryLimit: 300MB', 'threads: 1', 'maxTempDirectorySize: 3GB', 'tempDirectory: spill'],
    );
    const runtime = await openRuntime(await loadProject(directory, {}));
    try {
      const { engine } = runtime;
      assert.equal(await engine.setting('max_temp_directory_size'), '2.7 GiB');
      assert.equal(await engine.setting('memory_limit'), '286.1 MiB');
      assert.equal(await engine.setting('threads'), '1');
      assert.equal(await engine.setting('temp_directory'), path.join(directory, 'spill'));
      assert.deepEqual(await runtime.catalog.listNamespaces(), []);
    } finally {
      await Promise.all([runtime.close(), runtime.close()]);
    }
    await runtime.close();
    await assert.rejects(runtime.engine.setting('threads'), /engine is closed/);
  });

  it('takes the caller’s engine defaults (`floe serve`’s: one thread) where floe.yaml sets nothing, and gives freed memory back', async () => {
    const unset = await projectFolder('serving', ['type: sql', 'uri: catalog.db', 'create: true', 'warehouse: warehouse'], ['{}']);
    const set = await projectFolder(
      'serving_set',
      ['type: sql', 'uri: catalog.db', 'create: true', 'warehouse: warehouse'],
      ['threads: 2'],
    );
    for (const [directory, threads] of [
      [unset, '1'],
      [set, '2'],
    ] as const) {
      const runtime = await openRuntime(await loadProject(directory, {}), FEATURE_SERVER_ENGINE);
      try {
        assert.equal(await runtime.engine.setting('threads'), threads, directory);
        assert.equal(await runtime.engine.setting('allocator_background_threads'), 'true', directory);
      } finally {
        await runtime.close();
      }
    }
  });

  it('without engine settings, spills under the work directory with DuckDB’s defaults otherwise', async () => {
    const directory = await projectFolder('defaults', ['type: sql', 'uri: catalog.db', 'create: true', 'warehouse: warehouse'], ['{}']);
    const runtime = await openRuntime(await loadProject(directory, {}));
    try {
      assert.equal(await runtime.engine.setting('temp_directory'), path.join(directory, '.floe', 'work', 'duckdb-spill'));
      assert.equal(await runtime.engine.setting('max_temp_directory_size'), '90% of available disk space');
    } finally {
      await runtime.close();
    }
  });

  for (const [setting, value] of [
    ['memoryLimit', 'lots'],
    ['maxTempDirectorySize', 'plenty'],
  ] as const) {
    it(`an engine.${setting} DuckDB refuses closes the Postgres catalog it opened and names the field`, async () => {
      const url = await freshPostgresDatabase('floe_runtime');
      const database = new URL(url).pathname.slice(1);
      const directory = await projectFolder(
        `refused_${setting}`,
        ['type: sql', 'uri: ${CATALOG_URI}', 'warehouse: warehouse'],
        [`${setting}: ${value}`],
      );
      const project = await loadProject(directory, { CATALOG_URI: url });
      await assert.rejects(openRuntime(project), (error: unknown) => {
        assert.ok(FloeError.is(error, 'invalid-input'), String(error));
        assert.equal(error.context.field, `engine.${setting}`);
        assert.equal(error.context.file, path.join(directory, 'floe.yaml'));
        assert.match(error.message, new RegExp(`engine\\.${setting}: DuckDB refused ${setting} "${value}": Memory must have a number`));
        assert.doesNotMatch(error.message, /SET |GLOBAL|at .*\.ts:/);
        return true;
      });
      // The catalog did open (it created its tables) before DuckDB refused the setting…
      assert.deepEqual(await postgresRows(url, `SELECT to_regclass('iceberg_tables') IS NOT NULL AS present`), [{ present: true }]);
      // …and its pool was closed: an idle connection left behind would stay for the pool's 10 s idle timeout.
      assert.equal(await floeConnectionsAfterSettling(database), 0);
    });
  }
});

/** Catalog connections ('floe' is the pool's application_name) to the database, once ended backends have had a moment to exit. */
async function floeConnectionsAfterSettling(database: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const count = await withPostgres(postgresService().url, async (client) => {
      const result = await client.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = $1 AND application_name = 'floe'`,
        [database],
      );
      return result.rows[0]!.count;
    });
    if (count === 0 || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

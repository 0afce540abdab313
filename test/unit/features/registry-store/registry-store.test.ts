// The registry store (versioned documents written ifAbsent), the definitions diff, and the online
// table evolution (schema and write layout) as a TableChange replayed against a SQL catalog (SQLite).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { describePlan } from '../../../../cli/commands/plan.js';
import { projectConfigSchema } from '../../../../features/config.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../../features/definitions.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../../features/online-table/layout.js';
import { Registry } from '../../../../features/registry.js';
import { applyDefinitions, planApply } from '../../../../features/registry-store/apply.js';
import { diffDefinitions } from '../../../../features/registry-store/diff.js';
import { registryDocument } from '../../../../features/registry-store/document.js';
import { onlineTableChange } from '../../../../features/registry-store/online-evolution.js';
import { registryLocation, RegistryStore } from '../../../../features/registry-store/store.js';
import { commitChange } from '../../../../iceberg/commit/commit.js';
import { FloeError } from '../../../../core/errors.js';
import { LocalFileIO } from '../../../../iceberg/io/local-file-io.js';
import { currentSchema, sortOrderById } from '../../../../iceberg/spec/metadata.js';
import { createTableEnsuringNamespace } from '../../../../iceberg/catalog/create-table.js';
import { COMPRESSION_CODEC, PAGE_VERSION, ROW_GROUP_LIMIT } from '../../../../engine/write/table-writer.js';
import { createTableWithRows, withWorkspace } from '../../../support/features/tables.js';
import type { Workspace } from '../../../support/features/tables.js';

const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
/** A project on the workspace's SQL catalog. */
const projectOn = (workspace: Workspace) =>
  projectConfigSchema.parse({
    project: 'p',
    catalog: { type: 'sql', uri: path.join(workspace.directory, 'catalog.db'), warehouse: path.join(workspace.directory, 'warehouse') },
  });
/** The views' source table, rides.stats. */
const createSourceTable = (workspace: Workspace) =>
  createTableWithRows(
    workspace,
    'rides.stats',
    [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'a', type: 'double' },
      { name: 'b', type: 'string' },
    ],
    [],
  );
const viewWith = (features: { name: string; type: 'double' | 'long' | 'int' | 'string' }[]) =>
  defineFeatureView({ name: 'hourly', entities: ['driver'], source: 'stats', online: { buckets: 4 }, features });

describe('registry store', () => {
  it('writes each version once, reads the highest, and refuses a version another apply took', async () => {
    await withWorkspace(async (workspace) => {
      const store = new RegistryStore(path.join(workspace.directory, 'registry'), new LocalFileIO());
      assert.equal(await store.latest(), null);
      const registry = new Registry([driver, source, viewWith([{ name: 'a', type: 'double' }])]);
      await store.write(registryDocument(registry, { project: 'p', version: 1, appliedAt: new Date(0) }));
      await store.write(registryDocument(registry, { project: 'p', version: 2, appliedAt: new Date(1) }));
      assert.equal((await store.latest())?.version, 2);
      assert.deepEqual((await store.read(1)).featureViews[0]!.features, [{ name: 'a', type: 'double' }]);
      await assert.rejects(
        store.write(registryDocument(registry, { project: 'p', version: 2, appliedAt: new Date(2) })),
        (error: unknown) => FloeError.is(error, 'already-exists'),
      );
    });
  });

  it('defaults under a SQL catalog warehouse and must be given for a REST catalog', () => {
    const sql = projectConfigSchema.parse({ project: 'demo', catalog: { type: 'sql', uri: '/tmp/c.db', warehouse: 's3://bucket/wh/' } });
    assert.equal(registryLocation(sql), 's3://bucket/wh/_floe_registry/demo');
    const rest = projectConfigSchema.parse({ project: 'demo', catalog: { type: 'rest', uri: 'http://localhost:8181', warehouse: 'wh' } });
    assert.throws(
      () => registryLocation(rest),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') && /set registry\.location/.test(error.message) && error.context.field === 'registry.location',
    );
    assert.equal(registryLocation({ ...rest, registry: { location: 's3://bucket/registry/' } }), 's3://bucket/registry');
  });

  it('diffs definitions by kind and name, with the features a view gained or lost', () => {
    const before = [
      driver,
      source,
      viewWith([
        { name: 'a', type: 'double' },
        { name: 'b', type: 'long' },
      ]),
    ];
    const after = [
      driver,
      { ...source, description: 'now described' },
      viewWith([
        { name: 'a', type: 'double' },
        { name: 'c', type: 'string' },
      ]),
    ];
    assert.deepEqual(diffDefinitions(before, after), [
      { change: 'update', kind: 'source', name: 'stats', fields: ['description'] },
      { change: 'update', kind: 'featureView', name: 'hourly', fields: ['features'], featuresAdded: ['c'], featuresRemoved: ['b'] },
    ]);
    assert.deepEqual(diffDefinitions(after, after), []);
  });
});

describe('online schema evolution', () => {
  it('adds, drops and promotes columns in one commit, replayed on top of a concurrent change, never rewriting data', async () => {
    await withWorkspace(async (workspace) => {
      const v1 = new Registry([
        driver,
        source,
        defineFeatureView({
          name: 'hourly',
          entities: ['driver'],
          source: 'stats',
          online: { buckets: 4 },
          features: [
            { name: 'a', type: 'float' },
            { name: 'b', type: 'long' },
          ],
        }),
      ]);
      const layout1 = onlineTableLayout(v1, v1.featureView('hourly'));
      await ensureOnlineTable(workspace.catalog, layout1);
      const v2 = new Registry([
        driver,
        source,
        viewWith([
          { name: 'a', type: 'double' },
          { name: 'c', type: 'string' },
        ]),
      ]);
      const change = onlineTableChange(onlineTableLayout(v2, v2.featureView('hourly')));
      // Someone else evolves the table between our load and our commit: the change restates itself.
      const table = await workspace.catalog.loadTable(layout1.identifier);
      const stale = await change.prepare(table);
      await commitChange(workspace.catalog, layout1.identifier, {
        description: 'concurrent: add column d',
        prepare: async (base) => {
          const schema = currentSchema(base.metadata);
          return {
            requirements: [{ type: 'assert-current-schema-id', currentSchemaId: schema.schemaId }],
            updates: [
              {
                action: 'add-schema',
                schema: {
                  ...schema,
                  schemaId: 1,
                  fields: [...schema.fields, { id: base.metadata.lastColumnId + 1, name: 'd', type: 'int', required: false }],
                },
                lastColumnId: base.metadata.lastColumnId + 1,
              },
              { action: 'set-current-schema', schemaId: -1 },
            ],
          };
        },
      });
      await assert.rejects(workspace.catalog.commitTable(layout1.identifier, stale.requirements, stale.updates), (error: unknown) =>
        FloeError.is(error, 'commit-conflict'),
      );
      const result = await commitChange(workspace.catalog, layout1.identifier, change);
      const schema = currentSchema(result.table.metadata);
      const byName = Object.fromEntries(schema.fields.map((field) => [field.name, field]));
      assert.equal(byName.a?.type, 'double', 'float promoted to double, same field id');
      assert.equal(byName.a?.id, layout1.schema.fields.find((field) => field.name === 'a')!.id);
      assert.equal(byName.b, undefined, 'a removed feature is dropped');
      assert.equal(byName.c?.type, 'string');
      assert.equal(byName.c?.id, 8, 'a new column gets an id above every id ever assigned, including the concurrent column (7)');
      assert.equal(byName.d, undefined, 'restated on the new base, the change makes the table match the view: the stray column goes too');
      assert.equal(result.table.metadata.schemas.length, 3);
    });
  });

  it('gives a table an older Floe created the key sort order and the write properties it lacks, keeping those it sets', async () => {
    await withWorkspace(async (workspace) => {
      const config = projectOn(workspace);
      await createSourceTable(workspace);
      const registry = new Registry([driver, source, viewWith([{ name: 'a', type: 'double' }])]);
      const layout = onlineTableLayout(registry, registry.featureView('hourly'));
      // As Floe created online tables before they had a write layout; the codec was set by hand since.
      await createTableEnsuringNamespace(workspace.catalog, layout.identifier, {
        schema: layout.schema,
        partitionSpec: layout.spec,
        properties: { 'format-version': '2', [COMPRESSION_CODEC]: 'zstd' },
      });
      const plan = await planApply({ config, registry, catalog: workspace.catalog });
      assert.deepEqual(plan.problems, []);
      assert.deepEqual(plan.onlineTables, [
        {
          action: 'evolve',
          table: 'floe_online.hourly',
          featureView: 'hourly',
          add: [],
          drop: [],
          promote: [],
          sortBy: ['driver_id'],
          setProperties: { [ROW_GROUP_LIMIT]: '32768', [PAGE_VERSION]: '2', 'floe.online-table': 'true' },
        },
      ]);
      assert.match(
        describePlan(plan),
        /~ floe_online\.hourly: sort new files by driver_id, set write\.parquet\.row-group-limit=32768, set write\.parquet\.page-version=2, set floe\.online-table=true/,
      );

      await applyDefinitions({ config, registry, catalog: workspace.catalog });
      const { metadata } = await workspace.catalog.loadTable(layout.identifier);
      const order = sortOrderById(metadata, metadata.defaultSortOrderId);
      const keyId = currentSchema(metadata).fields.find((field) => field.name === 'driver_id')!.id;
      assert.deepEqual(order?.fields, [{ sourceId: keyId, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }]);
      assert.notEqual(order?.orderId, 0);
      assert.equal(metadata.properties[COMPRESSION_CODEC], 'zstd', 'a property the table sets is not changed');
      assert.equal(metadata.properties[ROW_GROUP_LIMIT], '32768');
      assert.equal(metadata.snapshots.length, 0, 'no data is written');
      assert.equal(currentSchema(metadata).schemaId, 0, 'the schema did not change');
      const again = await planApply({ config, registry, catalog: workspace.catalog });
      assert.equal(again.onlineTables[0]?.action, 'unchanged');
    });
  });

  it('planApply reports a missing source table, a type change it cannot make, and changed partitioning; applyDefinitions then changes nothing', async () => {
    await withWorkspace(async (workspace) => {
      const config = projectOn(workspace);
      const missing = await planApply({
        config,
        registry: new Registry([driver, source, viewWith([{ name: 'a', type: 'double' }])]),
        catalog: workspace.catalog,
      });
      assert.match(missing.problems.join('\n'), /Feature view hourly, source stats \(table rides\.stats\): .*rides\.stats/);

      await createSourceTable(workspace);
      const v1 = new Registry([driver, source, viewWith([{ name: 'a', type: 'double' }])]);
      const applied = await applyDefinitions({ config, registry: v1, catalog: workspace.catalog });
      assert.equal(applied.version, 1);
      const changedType = await planApply({
        config,
        registry: new Registry([driver, source, viewWith([{ name: 'a', type: 'string' }])]),
        catalog: workspace.catalog,
      });
      assert.match(changedType.problems.join('\n'), /column a is "double" and cannot become string/);
      const repartitioned = new Registry([
        driver,
        source,
        defineFeatureView({
          name: 'hourly',
          entities: ['driver'],
          source: 'stats',
          online: { buckets: 8 },
          features: [{ name: 'a', type: 'double' }],
        }),
      ]);
      await assert.rejects(
        applyDefinitions({ config, registry: repartitioned, catalog: workspace.catalog }),
        /partitioned by \[bucket\[4\]\(driver_id\)\] but the view asks for \[bucket\[8\]\(driver_id\)\]/,
      );
      assert.equal(await RegistryStore.forProject(config).latestVersion(), 1);
    });
  });
});

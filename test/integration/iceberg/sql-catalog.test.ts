import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog, sqlitePathFromUri } from '../../../iceberg/catalog/sql-catalog.js';
import type { SqlDriver } from '../../../iceberg/catalog/sql-driver.js';
import { SqliteDriver } from '../../../iceberg/catalog/sqlite-driver.js';
import { FloeError } from '../../../iceberg/errors.js';
import { parseTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { MetadataReply, RowsReply, TableStateReply } from '../../support/pyiceberg.js';
import { addColumnChange, emptySnapshotChange } from './helpers/changes.js';
import { catalogContract, EVENTS_SCHEMA } from './helpers/catalog-contract.js';
import { commitChange } from '../../../iceberg/commit/commit.js';

/** pyiceberg's oracle opens its SQL catalog under this name: rows are keyed by catalog name. */
const CATALOG_NAME = 'floe_oracle';
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'floe-sql-catalog-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function paths(name: string): { db: string; uri: string; warehouse: string } {
  const db = join(root, name, 'catalog.db');
  return { db, uri: `sqlite:///${db}`, warehouse: pathToFileURL(join(root, name, 'warehouse')).href };
}

function open(name: string, driver?: SqlDriver): Promise<SqlCatalog> {
  const { uri, warehouse } = paths(name);
  return SqlCatalog.open({ name: CATALOG_NAME, uri, warehouse, ...(driver === undefined ? {} : { driver }) });
}

catalogContract('SQL catalog (SQLite)', {
  open: () => open('contract'),
  get expectedLocationPrefix() {
    return paths('contract').warehouse;
  },
});

describe('SQL catalog specifics', () => {
  it('creates exactly pyiceberg’s tables and rows', async () => {
    const catalog = await open('schema');
    try {
      await catalog.createNamespace(['db']);
      await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: EVENTS_SCHEMA });
    } finally {
      await catalog.close();
    }
    const db = new Database(paths('schema').db, { readonly: true });
    try {
      const columns = (table: string): string[] => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((column) => column.name);
      assert.deepEqual(columns('iceberg_tables'), ['catalog_name', 'table_namespace', 'table_name', 'metadata_location', 'previous_metadata_location', 'iceberg_type']);
      assert.deepEqual(columns('iceberg_namespace_properties'), ['catalog_name', 'namespace', 'property_key', 'property_value']);
      assert.deepEqual(db.prepare('SELECT catalog_name, namespace, property_key, property_value FROM iceberg_namespace_properties').all(), [
        { catalog_name: CATALOG_NAME, namespace: 'db', property_key: 'exists', property_value: 'true' },
      ]);
      const row = db.prepare('SELECT * FROM iceberg_tables').get() as Record<string, string | null>;
      assert.equal(row['table_namespace'], 'db');
      assert.equal(row['iceberg_type'], 'TABLE');
      assert.equal(row['previous_metadata_location'], null);
    } finally {
      db.close();
    }
  });

  it('works on an older catalog schema without iceberg_type, without migrating it', async () => {
    const { db: dbPath } = paths('v0');
    await mkdir(join(root, 'v0'), { recursive: true });
    const db = new Database(dbPath);
    db.exec(`CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL,
      metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))`);
    db.close();
    const catalog = await open('v0');
    try {
      await catalog.createNamespace(['db']);
      await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: EVENTS_SCHEMA });
      assert.deepEqual(await catalog.listTables(['db']), [{ namespace: ['db'], name: 't' }]);
      await commitChange(catalog, { namespace: ['db'], name: 't' }, emptySnapshotChange('v0'));
    } finally {
      await catalog.close();
    }
    const check = new Database(dbPath, { readonly: true });
    try {
      assert.ok(!(check.prepare('PRAGMA table_info(iceberg_tables)').all() as { name: string }[]).some((column) => column.name === 'iceberg_type'));
    } finally {
      check.close();
    }
  });

  it('a commit records the previous metadata location and never overwrites a metadata file', async () => {
    const catalog = await open('pointer');
    const identifier = { namespace: ['db'], name: 't' };
    try {
      await catalog.createNamespace(['db']);
      const created = await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
      const committed = await commitChange(catalog, identifier, addColumnChange('x'));
      const db = new Database(paths('pointer').db, { readonly: true });
      try {
        assert.deepEqual(db.prepare('SELECT metadata_location, previous_metadata_location FROM iceberg_tables').get(), {
          metadata_location: committed.table.metadataLocation,
          previous_metadata_location: created.metadataLocation,
        });
      } finally {
        db.close();
      }
      const files = await readdir(join(root, 'pointer', 'warehouse', 'db', 't', 'metadata'));
      assert.equal(files.length, 2);
      assert.ok(existsSync(new URL(created.metadataLocation)), 'the first metadata file is still there');
    } finally {
      await catalog.close();
    }
  });

  it('the pointer swap is compare-and-swap: a writer that sneaks in between load and swap wins, and the loser’s file is removed', async () => {
    const { db: dbPath } = paths('cas');
    const setup = await open('cas');
    const identifier: TableIdentifier = { namespace: ['db'], name: 't' };
    await setup.createNamespace(['db']);
    await setup.createTable(identifier, { schema: EVENTS_SCHEMA });
    await setup.close();
    // Another process moves the pointer right before our UPDATE runs.
    const inner = new SqliteDriver(dbPath);
    const sneaky: SqlDriver = {
      query: (sql, params) => inner.query(sql, params),
      batch: (statements) => inner.batch(statements),
      classify: (error) => inner.classify(error),
      close: () => inner.close(),
      async execute(sql, params) {
        if (sql.trimStart().startsWith('UPDATE iceberg_tables')) await inner.execute("UPDATE iceberg_tables SET metadata_location = metadata_location || '#other'");
        return inner.execute(sql, params);
      },
    };
    const catalog = await open('cas', sneaky);
    try {
      await assert.rejects(
        catalog.commitTable(identifier, [], [{ action: 'set-properties', updates: { a: '1' } }]),
        (error: unknown) => FloeError.is(error, 'commit-conflict') && error.retryable && /changed by another commit/.test(error.message),
      );
      assert.deepEqual(await readdir(join(root, 'cas', 'warehouse', 'db', 't', 'metadata')).then((files) => files.length), 1, 'the losing metadata file was deleted');
    } finally {
      await catalog.close();
    }
  });

  it('dropping with purge removes the table’s files', async () => {
    const catalog = await open('purge');
    try {
      await catalog.createNamespace(['db']);
      const identifier = { namespace: ['db'], name: 't' };
      await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
      await commitChange(catalog, identifier, emptySnapshotChange('k'));
      await catalog.dropTable(identifier, { purge: true });
      assert.deepEqual(await readdir(join(root, 'purge', 'warehouse', 'db', 't', 'metadata')), []);
    } finally {
      await catalog.close();
    }
  });

  it('names a namespace level with a dot as invalid input (the separator), and reads SQLAlchemy/JDBC URIs', async () => {
    const catalog = await open('dots');
    try {
      await assert.rejects(catalog.createNamespace(['a.b']), (error: unknown) => FloeError.is(error, 'invalid-input') && /contains a dot/.test(error.message));
      await catalog.createNamespace(['a', 'b']);
      assert.deepEqual(await catalog.listNamespaces(), [['a']]);
      assert.deepEqual(await catalog.listNamespaces(['a']), [['a', 'b']]);
      assert.equal(await catalog.namespaceExists(['a']), true, 'a parent of an existing namespace exists');
    } finally {
      await catalog.close();
    }
    assert.equal(sqlitePathFromUri('sqlite:////abs/c.db'), '/abs/c.db');
    assert.equal(sqlitePathFromUri('jdbc:sqlite:file:/abs/c.db'), '/abs/c.db');
    assert.equal(sqlitePathFromUri('/abs/c.db'), '/abs/c.db');
    assert.throws(() => sqlitePathFromUri('postgresql://u:secret@h/db'), (error: unknown) => FloeError.is(error, 'unsupported') && !error.message.includes('secret'));
  });
});

describe('SQL catalog ↔ pyiceberg', () => {
  const oracle = (name: string) => ({ type: 'sql' as const, uri: paths(name).uri, warehouse: paths(name).warehouse });

  it('pyiceberg creates and appends; Floe loads exactly the metadata pyiceberg wrote', async () => {
    await mkdir(join(root, 'from-py'), { recursive: true });
    const identifier = { namespace: ['shop'], name: 'orders' };
    await runPyiceberg<TableStateReply>('create_table', {
      catalog: oracle('from-py'),
      identifier: 'shop.orders',
      schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'amount', type: 'double', required: false }] },
      partition_spec: { 'spec-id': 0, fields: [] },
    });
    const appended = await runPyiceberg<TableStateReply>('append', {
      catalog: oracle('from-py'),
      identifier: 'shop.orders',
      columns: { id: 'long', amount: 'double' },
      rows: [{ id: '1', amount: 9.5 }, { id: '2', amount: null }],
    });
    const pyMetadata = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle('from-py'), identifier: 'shop.orders' });
    const catalog = await open('from-py');
    try {
      assert.deepEqual(await catalog.listNamespaces(), [['shop']]);
      assert.deepEqual(await catalog.listTables(['shop']), [identifier]);
      const table = await catalog.loadTable(identifier);
      assert.equal(table.metadataLocation, pyMetadata.metadata_location);
      assert.equal(table.metadataLocation, appended.metadata_location);
      assert.deepEqual(table.metadata, parseTableMetadata(pyMetadata.metadata_json, 'pyiceberg'));
      assert.equal(table.metadata.currentSnapshotId?.toString(), appended.snapshot_id);
      assert.equal(table.metadata.snapshots[0]?.summary['added-records'], '2');

      // Floe commits on top of pyiceberg's table; pyiceberg then reads its data and Floe's change.
      await commitChange(catalog, identifier, addColumnChange('note'));
      const read = await runPyiceberg<RowsReply>('read', { catalog: oracle('from-py'), identifier: 'shop.orders' });
      assert.deepEqual(read.columns, ['id', 'amount', 'note']);
      assert.deepEqual(read.rows.map((row) => row['id']).sort(), ['1', '2']);
    } finally {
      await catalog.close();
    }
  });

  it('Floe creates a table and commits a schema and property change; pyiceberg loads it and sees them', async () => {
    const catalog = await open('from-floe');
    const identifier = { namespace: ['features'], name: 'clicks' };
    let floeLocation: string;
    try {
      await catalog.createNamespace(['features'], { owner: 'ml' });
      await catalog.createTable(identifier, {
        schema: EVENTS_SCHEMA,
        // Identity, not bucket: pyiceberg needs pyiceberg-core (not in the oracle venv) to write through bucket.
        partitionSpec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'user_id', transform: 'identity' }] },
        properties: { 'write.format.default': 'parquet' },
      });
      await commitChange(catalog, identifier, addColumnChange('country'));
      const committed = await catalog.commitTable(identifier, [], [{ action: 'set-properties', updates: { 'floe.feature-view': 'clicks' } }]);
      floeLocation = committed.metadataLocation;
    } finally {
      await catalog.close();
    }
    const seen = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle('from-floe'), identifier: 'features.clicks' });
    assert.equal(seen.metadata_location, floeLocation);
    const metadata = seen.metadata as { 'current-schema-id': number; schemas: { 'schema-id': number; fields: { name: string }[] }[]; properties: Record<string, string>; 'partition-specs': unknown[] };
    const current = metadata.schemas.find((schema) => schema['schema-id'] === metadata['current-schema-id']);
    assert.deepEqual(current?.fields.map((field) => field.name), ['user_id', 'event_ts', 'clicks', 'country']);
    assert.equal(metadata.properties['floe.feature-view'], 'clicks');
    assert.equal(metadata.properties['write.format.default'], 'parquet');
    assert.deepEqual(metadata['partition-specs'], [{ 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, transform: 'identity', name: 'user_id' }] }]);

    // pyiceberg appends to the Floe-made table (after Floe's schema change), and Floe sees the snapshot.
    const appended = await runPyiceberg<TableStateReply>('append', {
      catalog: oracle('from-floe'),
      identifier: 'features.clicks',
      columns: { user_id: 'long', event_ts: 'timestamptz', clicks: 'int', country: 'string' },
      rows: [{ user_id: '7', event_ts: '2024-01-01T00:00:00Z', clicks: 3, country: 'NL' }],
    });
    const reopened = await open('from-floe');
    try {
      const table = await reopened.loadTable(identifier);
      assert.equal(table.metadata.currentSnapshotId?.toString(), appended.snapshot_id);
      assert.equal(currentSchema(table.metadata).fields.length, 4);
    } finally {
      await reopened.close();
    }
  });

  it('a v1 table written by pyiceberg stays v1 when Floe commits to it, and pyiceberg reads Floe’s v1 file', async () => {
    await mkdir(join(root, 'v1'), { recursive: true });
    await runPyiceberg<TableStateReply>('create_table', {
      catalog: oracle('v1'),
      identifier: 'old.events',
      format_version: 1,
      schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'kind', type: 'string', required: false }] },
      partition_spec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, transform: 'identity', name: 'kind' }] },
    });
    await runPyiceberg('append', { catalog: oracle('v1'), identifier: 'old.events', columns: { id: 'long', kind: 'string' }, rows: [{ id: '1', kind: 'a' }] });
    const catalog = await open('v1');
    const identifier = { namespace: ['old'], name: 'events' };
    try {
      const committed = await catalog.commitTable(identifier, [], [{ action: 'set-properties', updates: { 'floe.touched': 'yes' } }]);
      assert.equal(committed.metadata.formatVersion, 1);
    } finally {
      await catalog.close();
    }
    const seen = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle('v1'), identifier: 'old.events' });
    const written = seen.metadata as Record<string, unknown>;
    assert.equal(written['format-version'], 1);
    assert.deepEqual(written['partition-spec'], [{ name: 'kind', transform: 'identity', 'source-id': 2, 'field-id': 1000 }]);
    assert.equal((written['properties'] as Record<string, string>)['floe.touched'], 'yes');
    const read = await runPyiceberg<RowsReply>('read', { catalog: oracle('v1'), identifier: 'old.events' });
    assert.deepEqual(read.rows, [{ id: '1', kind: 'a' }]);
  });
});

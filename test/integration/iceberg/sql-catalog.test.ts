// services: python, postgres
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { PostgresDriver } from '../../../iceberg/catalog/postgres-driver.js';
import { SqlCatalog, sqlitePathFromUri } from '../../../iceberg/catalog/sql-catalog.js';
import type { SqlDriver } from '../../../iceberg/catalog/sql-driver.js';
import { SqliteDriver } from '../../../iceberg/catalog/sqlite-driver.js';
import { FloeError } from '../../../core/errors.js';
import { parseTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import { freshPostgresDatabase, postgresRows } from '../../support/postgres.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import type { MetadataReply, OracleCatalog, RowsReply, TableStateReply } from '../../support/pyiceberg.js';
import { addColumnChange, emptySnapshotChange } from '../../support/iceberg/changes.js';
import { catalogContract, EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';
import { closedPort } from '../../support/closed-port.js';

/** pyiceberg's oracle opens its SQL catalog under this name: rows are keyed by catalog name. */
const CATALOG_NAME = 'floe_oracle';
const root = scratchFolder('sql-catalog');

/**
 * One database a SQL catalog can live in. Every test below runs on each backend; what a catalog
 * stored is checked by reading the database directly, not through the catalog.
 */
interface Backend {
  readonly label: string;
  /** The catalog URI of the case `name`: the same database for the same name, a fresh one per name. */
  uri(name: string): Promise<string>;
  /** The same database as pyiceberg's SqlCatalog (SQLAlchemy) names it. */
  oracleUri(name: string): Promise<string>;
  /** Rows of one statement run directly on the case's database. */
  rows(name: string, sql: string): Promise<Record<string, unknown>[]>;
  /** Column names of a table, in order. */
  columns(name: string, table: string): Promise<string[]>;
  /** A driver of this backend on the case's database, to interpose on. */
  driver(name: string): Promise<SqlDriver>;
}

const sqlite: Backend = {
  label: 'SQLite',
  async uri(name) {
    return `sqlite:///${sqlitePath(name)}`;
  },
  oracleUri(name) {
    return this.uri(name);
  },
  async rows(name, sql) {
    mkdirSync(join(root, 'sqlite', name), { recursive: true });
    const db = new Database(sqlitePath(name));
    try {
      const statement = db.prepare(sql);
      return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
    } finally {
      db.close();
    }
  },
  async columns(name, table) {
    return (await this.rows(name, `PRAGMA table_info(${table})`)).map((column) => String(column['name']));
  },
  async driver(name) {
    return new SqliteDriver(sqlitePath(name));
  },
};

function sqlitePath(name: string): string {
  return join(root, 'sqlite', name, 'catalog.db');
}

const postgresDatabases = new Map<string, Promise<string>>();
const postgres: Backend = {
  label: 'Postgres',
  uri(name) {
    let url = postgresDatabases.get(name);
    if (url === undefined) postgresDatabases.set(name, (url = freshPostgresDatabase(`sql_catalog_${name}`)));
    return url;
  },
  async oracleUri(name) {
    // SQLAlchemy 2.1 takes a bare postgresql:// as psycopg 3; pyiceberg's sql-postgres extra installs psycopg2.
    return (await this.uri(name)).replace(/^postgresql:/, 'postgresql+psycopg2:');
  },
  async rows(name, sql) {
    return postgresRows(await this.uri(name), sql);
  },
  async columns(name, table) {
    const rows = await this.rows(
      name,
      `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`,
    );
    return rows.map((row) => String(row['column_name']));
  },
  async driver(name) {
    return new PostgresDriver(await this.uri(name));
  },
};

for (const backend of [sqlite, postgres]) describeSqlCatalog(backend);

function describeSqlCatalog(backend: Backend): void {
  const folder = (name: string): string => join(root, backend.label.toLowerCase(), name);
  const warehouse = (name: string): string => pathToFileURL(join(folder(name), 'warehouse')).href;

  async function open(name: string, driver?: SqlDriver): Promise<SqlCatalog> {
    return SqlCatalog.open({
      name: CATALOG_NAME,
      uri: await backend.uri(name),
      warehouse: warehouse(name),
      ...defined({ driver }),
    });
  }

  catalogContract(`SQL catalog (${backend.label})`, {
    open: () => open('contract'),
    get expectedLocationPrefix() {
      return warehouse('contract');
    },
  });

  describe(`SQL catalog (${backend.label}) specifics`, () => {
    it('creates exactly pyiceberg’s tables and rows', async () => {
      const catalog = await open('schema');
      try {
        await catalog.createNamespace(['db']);
        await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: EVENTS_SCHEMA });
      } finally {
        await catalog.close();
      }
      assert.deepEqual(await backend.columns('schema', 'iceberg_tables'), [
        'catalog_name',
        'table_namespace',
        'table_name',
        'metadata_location',
        'previous_metadata_location',
        'iceberg_type',
      ]);
      assert.deepEqual(await backend.columns('schema', 'iceberg_namespace_properties'), [
        'catalog_name',
        'namespace',
        'property_key',
        'property_value',
      ]);
      assert.deepEqual(
        await backend.rows('schema', 'SELECT catalog_name, namespace, property_key, property_value FROM iceberg_namespace_properties'),
        [{ catalog_name: CATALOG_NAME, namespace: 'db', property_key: 'exists', property_value: 'true' }],
      );
      const [row, ...more] = await backend.rows('schema', 'SELECT * FROM iceberg_tables');
      assert.equal(more.length, 0);
      assert.equal(row?.['table_namespace'], 'db');
      assert.equal(row?.['iceberg_type'], 'TABLE');
      assert.equal(row?.['previous_metadata_location'], null);
    });

    it('works on an older catalog schema without iceberg_type, without migrating it', async () => {
      await backend.rows(
        'v0',
        `CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL,
        metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))`,
      );
      const catalog = await open('v0');
      try {
        await catalog.createNamespace(['db']);
        await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: EVENTS_SCHEMA });
        assert.deepEqual(await catalog.listTables(['db']), [{ namespace: ['db'], name: 't' }]);
        await commitChange(catalog, { namespace: ['db'], name: 't' }, emptySnapshotChange('v0'));
      } finally {
        await catalog.close();
      }
      assert.ok(!(await backend.columns('v0', 'iceberg_tables')).includes('iceberg_type'));
    });

    it('a commit records the previous metadata location and never overwrites a metadata file', async () => {
      const catalog = await open('pointer');
      const identifier = { namespace: ['db'], name: 't' };
      try {
        await catalog.createNamespace(['db']);
        const created = await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
        const committed = await commitChange(catalog, identifier, addColumnChange('x'));
        assert.deepEqual(await backend.rows('pointer', 'SELECT metadata_location, previous_metadata_location FROM iceberg_tables'), [
          { metadata_location: committed.table.metadataLocation, previous_metadata_location: created.metadataLocation },
        ]);
        const files = await readdir(join(folder('pointer'), 'warehouse', 'db', 't', 'metadata'));
        assert.equal(files.length, 2);
        assert.ok(existsSync(new URL(created.metadataLocation)), 'the first metadata file is still there');
      } finally {
        await catalog.close();
      }
    });

    it('the pointer swap is compare-and-swap: a writer that sneaks in between load and swap wins, and the loser’s file is removed', async () => {
      const setup = await open('cas');
      const identifier: TableIdentifier = { namespace: ['db'], name: 't' };
      await setup.createNamespace(['db']);
      await setup.createTable(identifier, { schema: EVENTS_SCHEMA });
      await setup.close();
      // Another process moves the pointer right before our UPDATE runs.
      const inner = await backend.driver('cas');
      const sneaky: SqlDriver = {
        query: (sql, params) => inner.query(sql, params),
        batch: (statements) => inner.batch(statements),
        classify: (error) => inner.classify(error),
        close: () => inner.close(),
        async execute(sql, params) {
          if (sql.trimStart().startsWith('UPDATE iceberg_tables'))
            await inner.execute("UPDATE iceberg_tables SET metadata_location = metadata_location || '#other'");
          return inner.execute(sql, params);
        },
      };
      const catalog = await open('cas', sneaky);
      try {
        await assert.rejects(
          catalog.commitTable(identifier, [], [{ action: 'set-properties', updates: { a: '1' } }]),
          (error: unknown) => FloeError.is(error, 'commit-conflict') && error.retryable && /changed by another commit/.test(error.message),
        );
        assert.deepEqual(
          await readdir(join(folder('cas'), 'warehouse', 'db', 't', 'metadata')).then((files) => files.length),
          1,
          'the losing metadata file was deleted',
        );
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
        assert.deepEqual(await readdir(join(folder('purge'), 'warehouse', 'db', 't', 'metadata')), []);
      } finally {
        await catalog.close();
      }
    });

    it('names a namespace level with a dot as invalid input (the separator)', async () => {
      const catalog = await open('dots');
      try {
        await assert.rejects(
          catalog.createNamespace(['a.b']),
          (error: unknown) => FloeError.is(error, 'invalid-input') && /contains a dot/.test(error.message),
        );
        await catalog.createNamespace(['a', 'b']);
        await catalog.createNamespace(['ax', 'y']);
        assert.deepEqual(await catalog.listNamespaces(), [['a'], ['ax']]);
        assert.deepEqual(await catalog.listNamespaces(['a']), [['a', 'b']]);
        assert.equal(await catalog.namespaceExists(['a']), true, 'a parent of an existing namespace exists');
        assert.equal(
          await catalog.namespaceExists(['a_']),
          false,
          'a LIKE wildcard in a name matches only itself (else a_ would be the parent of ax.y)',
        );
      } finally {
        await catalog.close();
      }
    });
  });

  describe(`SQL catalog (${backend.label}) ↔ pyiceberg`, () => {
    const oracle = async (name: string): Promise<OracleCatalog> => ({
      type: 'sql',
      uri: await backend.oracleUri(name),
      warehouse: warehouse(name),
    });

    it('pyiceberg creates and appends; Floe loads exactly the metadata pyiceberg wrote', async () => {
      await mkdir(folder('from-py'), { recursive: true });
      const identifier = { namespace: ['shop'], name: 'orders' };
      await runPyiceberg<TableStateReply>('create_table', {
        catalog: await oracle('from-py'),
        identifier: 'shop.orders',
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'amount', type: 'double', required: false },
          ],
        },
        partition_spec: { 'spec-id': 0, fields: [] },
      });
      const appended = await runPyiceberg<TableStateReply>('append', {
        catalog: await oracle('from-py'),
        identifier: 'shop.orders',
        columns: { id: 'long', amount: 'double' },
        rows: [
          { id: '1', amount: 9.5 },
          { id: '2', amount: null },
        ],
      });
      const pyMetadata = await runPyiceberg<MetadataReply>('load_metadata', {
        catalog: await oracle('from-py'),
        identifier: 'shop.orders',
      });
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
        const read = await runPyiceberg<RowsReply>('read', { catalog: await oracle('from-py'), identifier: 'shop.orders' });
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
        const committed = await catalog.commitTable(
          identifier,
          [],
          [{ action: 'set-properties', updates: { 'floe.feature-view': 'clicks' } }],
        );
        floeLocation = committed.metadataLocation;
      } finally {
        await catalog.close();
      }
      const seen = await runPyiceberg<MetadataReply>('load_metadata', {
        catalog: await oracle('from-floe'),
        identifier: 'features.clicks',
      });
      assert.equal(seen.metadata_location, floeLocation);
      const metadata = seen.metadata as {
        'current-schema-id': number;
        schemas: { 'schema-id': number; fields: { name: string }[] }[];
        properties: Record<string, string>;
        'partition-specs': unknown[];
      };
      const current = metadata.schemas.find((schema) => schema['schema-id'] === metadata['current-schema-id']);
      assert.deepEqual(
        current?.fields.map((field) => field.name),
        ['user_id', 'event_ts', 'clicks', 'country'],
      );
      assert.equal(metadata.properties['floe.feature-view'], 'clicks');
      assert.equal(metadata.properties['write.format.default'], 'parquet');
      assert.deepEqual(metadata['partition-specs'], [
        { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, transform: 'identity', name: 'user_id' }] },
      ]);

      // pyiceberg appends to the Floe-made table (after Floe's schema change), and Floe sees the snapshot.
      const appended = await runPyiceberg<TableStateReply>('append', {
        catalog: await oracle('from-floe'),
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
      await mkdir(folder('v1'), { recursive: true });
      await runPyiceberg<TableStateReply>('create_table', {
        catalog: await oracle('v1'),
        identifier: 'old.events',
        format_version: 1,
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'kind', type: 'string', required: false },
          ],
        },
        partition_spec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, transform: 'identity', name: 'kind' }] },
      });
      await runPyiceberg('append', {
        catalog: await oracle('v1'),
        identifier: 'old.events',
        columns: { id: 'long', kind: 'string' },
        rows: [{ id: '1', kind: 'a' }],
      });
      const catalog = await open('v1');
      const identifier = { namespace: ['old'], name: 'events' };
      try {
        const committed = await catalog.commitTable(identifier, [], [{ action: 'set-properties', updates: { 'floe.touched': 'yes' } }]);
        assert.equal(committed.metadata.formatVersion, 1);
      } finally {
        await catalog.close();
      }
      const seen = await runPyiceberg<MetadataReply>('load_metadata', { catalog: await oracle('v1'), identifier: 'old.events' });
      const written = seen.metadata as Record<string, unknown>;
      assert.equal(written['format-version'], 1);
      assert.deepEqual(written['partition-spec'], [{ name: 'kind', transform: 'identity', 'source-id': 2, 'field-id': 1000 }]);
      assert.equal((written['properties'] as Record<string, string>)['floe.touched'], 'yes');
      const read = await runPyiceberg<RowsReply>('read', { catalog: await oracle('v1'), identifier: 'old.events' });
      assert.deepEqual(read.rows, [{ id: '1', kind: 'a' }]);
    });
  });
}

describe('SQL catalog URIs', () => {
  it('reads SQLAlchemy and JDBC SQLite URIs, and names an unknown scheme without its password', () => {
    assert.equal(sqlitePathFromUri('sqlite:////abs/c.db'), '/abs/c.db');
    assert.equal(sqlitePathFromUri('jdbc:sqlite:file:/abs/c.db'), '/abs/c.db');
    assert.equal(sqlitePathFromUri('/abs/c.db'), '/abs/c.db');
    assert.throws(
      () => sqlitePathFromUri('mysql://u:secret@h/db'),
      (error: unknown) => FloeError.is(error, 'unsupported') && !error.message.includes('secret'),
    );
  });
});

describe('SQL catalog on Postgres: the password in the URI stays secret', () => {
  const SECRET = 'floe-test-secret';
  const shows = (value: unknown): string =>
    `${String(value)}\n${inspect(value, { depth: 20, showHidden: true })}\n${JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? String(item) : item))}`;

  it('the test server really takes a password, so a wrong one is refused (non-retryable, not named)', async () => {
    assert.ok((await postgres.uri('secret')).includes(`:${SECRET}@`), 'the test URL carries the password these tests look for');
    const wrong = (await postgres.uri('secret')).replace(SECRET, 'wrong-horse-battery');
    const error = await SqlCatalog.open({ name: CATALOG_NAME, uri: wrong, warehouse: 'file:///nowhere' }).then(
      () => assert.fail('a wrong password was accepted'),
      (failure: unknown) => failure,
    );
    assert.ok(FloeError.is(error, 'catalog') && !error.retryable, shows(error));
    assert.match(error.message, /password authentication failed/);
    assert.ok(!shows(error).includes('wrong-horse-battery'), shows(error));
  });

  it('an unreachable server is a retryable io error, and neither it nor a malformed URI shows the password', async () => {
    const url = new URL(await postgres.uri('secret'));
    url.port = String(await closedPort());
    const unreachable = await SqlCatalog.open({ name: CATALOG_NAME, uri: url.href, warehouse: 'file:///nowhere' }).then(
      () => assert.fail('opened a catalog on a closed port'),
      (failure: unknown) => failure,
    );
    assert.ok(FloeError.is(unreachable, 'io') && unreachable.retryable, shows(unreachable));
    assert.ok(!shows(unreachable).includes(SECRET), shows(unreachable));

    const malformed = await loadCatalog({ type: 'sql', uri: `postgresql://floe:${SECRET}@[not-a-host/db` }).then(
      () => assert.fail('a malformed URI was accepted'),
      (failure: unknown) => failure,
    );
    assert.ok(FloeError.is(malformed, 'invalid-input'), shows(malformed));
    assert.match(malformed.message, /postgresql:\/\/floe:\*\*\*@/);
    assert.ok(!shows(malformed).includes(SECRET), shows(malformed));
  });

  it('nothing the catalog persists (its rows, metadata files) holds the password', async () => {
    const catalog = await loadCatalog({
      type: 'sql',
      name: CATALOG_NAME,
      uri: await postgres.uri('persisted'),
      warehouse: pathToFileURL(join(root, 'persisted')).href,
    });
    try {
      await catalog.createNamespace(['db'], { owner: 'ml' });
      await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: EVENTS_SCHEMA });
      await commitChange(catalog, { namespace: ['db'], name: 't' }, emptySnapshotChange('persisted'));
    } finally {
      await catalog.close();
    }
    const rows = [
      ...(await postgres.rows('persisted', 'SELECT * FROM iceberg_tables')),
      ...(await postgres.rows('persisted', 'SELECT * FROM iceberg_namespace_properties')),
    ];
    assert.equal(rows.length, 2);
    assert.ok(!JSON.stringify(rows).includes(SECRET));
    const files = await readdir(join(root, 'persisted'), { recursive: true, withFileTypes: true });
    const written = files.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
    assert.equal(written.length, 2, `two metadata files were written: ${written.join(', ')}`);
    for (const file of written) assert.ok(!(await readFile(file)).includes(SECRET), `${file} holds the password`);
  });
});

// services: rest-catalog, python, java-oracle
/**
 * The Java Iceberg oracle (test/oracles/java) works, so other tests may trust it: a merge-on-read
 * round trip on a SQLite JdbcCatalog and through the REST fixture + MinIO (create, append,
 * position delete, equality delete, read with the deletes applied, sequence numbers), values that
 * come back exactly as the pyiceberg oracle prints them (both read the same table), a catalog
 * both oracles share, clear errors for bad input, and a clear failure when the oracle is absent.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  asPyicebergCatalog,
  javaSqliteCatalog,
  openJavaOracle,
  runJavaOracle,
  type JavaCatalog,
  type JavaFile,
  type JavaOracleSession,
} from '../../support/java-oracle.js';
import { runPyiceberg, type RowsReply } from '../../support/pyiceberg.js';
import { javaOracleService, restCatalogService } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratchDir = (): string => scratchFolder('java-oracle-test');

let java: JavaOracleSession;
before(() => {
  java = openJavaOracle();
});
after(async () => {
  await java.close();
});

const MOR = { 'format-version': '2', 'write.delete.mode': 'merge-on-read' };
const EVENTS_SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'ts', required: false, type: 'timestamptz' },
  ],
};
const ids = (rows: readonly Record<string, unknown>[]): string[] => rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
const onlyFile = (files: readonly JavaFile[] | undefined): JavaFile => {
  assert.equal(files?.length, 1, `expected exactly one file, got ${JSON.stringify(files)}`);
  return files[0] as JavaFile;
};

/**
 * The same merge-on-read story on any catalog: A = ids 1-4, B = ids 5-6, a position delete of A
 * positions 0 and 2 (ids 1, 3), then an equality delete of id 5. Rows left: 2, 4, 6.
 */
async function morRoundTrip(catalog: JavaCatalog, identifier: string): Promise<{ snapshots: string[]; files: { a: string; b: string } }> {
  const created = await java.run('create_table', { catalog, identifier, schema: EVENTS_SCHEMA, properties: MOR });
  assert.equal(created.snapshot_id, null);

  const appendA = await java.run('append', {
    catalog,
    identifier,
    columns: { id: 'long', name: 'string', ts: 'timestamptz' },
    rows: [1, 2, 3, 4].map((id) => ({ id, name: `a${id}`, ts: `2024-03-0${id}T12:00:00.000001Z` })),
  });
  assert.equal(appendA.sequence_number, 1);
  const a = onlyFile(appendA.data_files);
  assert.deepEqual({ rows: a.rows, records: a.record_count, content: a.content }, { rows: [0, 1, 2, 3], records: 4, content: 0 });

  const appendB = await java.run('append', { catalog, identifier, rows: [{ id: 5, name: 'b5' }, { id: 6 }] });
  assert.equal(appendB.sequence_number, 2);
  const b = onlyFile(appendB.data_files);

  const positional = await java.run('delete_positions', { catalog, identifier, file_path: a.file_path, positions: [2, 0] });
  assert.equal(positional.sequence_number, 3);
  const positionFile = onlyFile(positional.delete_files);
  assert.deepEqual({ content: positionFile.content, records: positionFile.record_count }, { content: 1, records: 2 });

  const equality = await java.run('delete_equality', { catalog, identifier, equality_fields: ['id'], rows: [{ id: '5' }] });
  assert.equal(equality.sequence_number, 4);
  const equalityFile = onlyFile(equality.delete_files);
  assert.deepEqual(
    { content: equalityFile.content, records: equalityFile.record_count, ids: equalityFile.equality_field_ids },
    { content: 2, records: 1, ids: [1] },
  );

  const now = await java.run('read', { catalog, identifier });
  assert.deepEqual(now.columns, ['id', 'name', 'ts']);
  assert.deepEqual(
    [...now.rows].sort((x, y) => Number(x.id) - Number(y.id)),
    [
      { id: '2', name: 'a2', ts: '2024-03-02T12:00:00.000001Z' },
      { id: '4', name: 'a4', ts: '2024-03-04T12:00:00.000001Z' },
      { id: '6', name: null, ts: null },
    ],
  );
  const beforeDeletes = await java.run('read', { catalog, identifier, snapshot_id: appendB.snapshot_id, columns: ['id'] });
  assert.deepEqual(beforeDeletes.columns, ['id']);
  assert.deepEqual(ids(beforeDeletes.rows), ['1', '2', '3', '4', '5', '6']);
  const afterPositions = await java.run('read', { catalog, identifier, snapshot_id: positional.snapshot_id });
  assert.deepEqual(ids(afterPositions.rows), ['2', '4', '5', '6']);

  const inspect = await java.run('inspect', { catalog, identifier });
  assert.equal(inspect.format_version, 2);
  assert.equal(inspect.current_snapshot_id, equality.snapshot_id);
  assert.equal(inspect.last_sequence_number, 4);
  assert.deepEqual(
    inspect.snapshots.map((s) => [
      s.sequence_number,
      s.operation,
      s.summary['added-records'] ?? null,
      s.summary['added-position-deletes'] ?? null,
      s.summary['added-equality-deletes'] ?? null,
    ]),
    [
      [1, 'append', '4', null, null],
      [2, 'append', '2', null, null],
      [3, 'delete', null, '2', null],
      [4, 'delete', null, null, '1'],
    ],
  );
  assert.deepEqual(
    inspect.snapshots.map((s) => s.snapshot_id),
    [appendA.snapshot_id, appendB.snapshot_id, positional.snapshot_id, equality.snapshot_id],
  );
  const described = (path: string): [number, number | null, number | null, number] => {
    const file = inspect.files.find((f) => f.file_path === path);
    assert.ok(file, `inspect lists no file ${path}`);
    return [file.content, file.data_sequence_number, file.file_sequence_number, file.record_count];
  };
  assert.equal(inspect.files.length, 4);
  assert.deepEqual(described(a.file_path), [0, 1, 1, 4]);
  assert.deepEqual(described(b.file_path), [0, 2, 2, 2]);
  assert.deepEqual(described(positionFile.file_path), [1, 3, 3, 2]);
  assert.deepEqual(described(equalityFile.file_path), [2, 4, 4, 1]);
  // Java's planner narrows the spec's candidates by column bounds: the position delete's
  // file_path bounds name only A, and the equality delete of id 5 cannot match A's ids [1, 4].
  assert.deepEqual(
    inspect.scan_tasks,
    [
      { data_file: a.file_path, delete_files: [positionFile.file_path] },
      { data_file: b.file_path, delete_files: [equalityFile.file_path] },
    ].sort((x, y) => x.data_file.localeCompare(y.data_file)),
  );

  return { snapshots: inspect.snapshots.map((s) => s.snapshot_id), files: { a: a.file_path, b: b.file_path } };
}

describe('Java oracle on a SQLite JdbcCatalog', () => {
  test('writes position and equality deletes that Java reads applied, with the right sequence numbers', async () => {
    const dir = scratchDir();
    const catalog = javaSqliteCatalog(dir);
    await morRoundTrip(catalog, 'oracle.events');

    // The plain mode (one JVM per request) answers the same.
    const single = await runJavaOracle('read', { catalog, identifier: 'oracle.events', columns: ['id'] });
    assert.deepEqual(ids(single.rows), ['2', '4', '6']);

    // JdbcCatalog's V1 tables, keyed by the catalog name the pyiceberg oracle uses.
    const db = new Database(join(dir, 'catalog.db'), { readonly: true });
    try {
      const row = db
        .prepare('SELECT catalog_name, table_namespace, table_name, metadata_location, iceberg_type FROM iceberg_tables')
        .get() as Record<string, string>;
      assert.deepEqual(
        [row.catalog_name, row.table_namespace, row.table_name, row.iceberg_type],
        ['floe_oracle', 'oracle', 'events', 'TABLE'],
      );
      // Hadoop's file system writes local paths as file:/abs (one slash), not file:///abs.
      assert.ok(
        row.metadata_location?.startsWith(`file:${join(dir, 'warehouse', 'oracle', 'events', 'metadata')}/`),
        row.metadata_location,
      );
    } finally {
      db.close();
    }
  });

  test('pyiceberg and Java read the same table into the same JSON, value for value', async () => {
    const catalog = javaSqliteCatalog(scratchDir());
    const identifier = 'oracle.values';
    const columns = {
      id: 'long',
      flag: 'boolean',
      small: 'int',
      ratio: 'float',
      measure: 'double',
      price: 'decimal(9,2)',
      day: 'date',
      clock: 'time',
      local_ts: 'timestamp',
      instant: 'timestamptz',
      label: 'string',
      payload: 'binary',
      code: 'fixed[3]',
    };
    await java.run('create_table', {
      catalog,
      identifier,
      schema: {
        type: 'struct',
        'schema-id': 0,
        fields: Object.entries(columns).map(([name, type], index) => ({ id: index + 1, name, type, required: name === 'id' })),
      },
      properties: MOR,
    });
    const written = {
      id: '4611686018427387905', // 2^62 + 1: must survive as a string
      flag: true,
      small: -7,
      ratio: 0.1, // as a float: 0.10000000149011612
      measure: -2.5e-300,
      price: '-1234567.89',
      day: '2024-02-29',
      clock: '23:59:58.999999',
      local_ts: '2024-02-29T23:59:59.000001',
      instant: '2024-03-01T01:30:00.5+02:00',
      label: 'naïve ☃',
      payload: Buffer.from([0, 1, 254, 255]).toString('base64'),
      code: Buffer.from('abc').toString('base64'),
    };
    const expected = {
      ...written,
      ratio: 0.10000000149011612,
      local_ts: '2024-02-29T23:59:59.000001Z',
      instant: '2024-02-29T23:30:00.500000Z',
    };
    const nulls = Object.fromEntries(Object.keys(columns).map((name) => [name, name === 'id' ? '-1' : null]));
    await java.run('append', { catalog, identifier, columns, rows: [written, { id: -1 }] });

    const byId = (a: Record<string, unknown>, b: Record<string, unknown>): number => (BigInt(String(a.id)) < BigInt(String(b.id)) ? -1 : 1);
    const fromJava = await java.run('read', { catalog, identifier });
    const fromPython = await runPyiceberg<RowsReply>('read', { catalog: asPyicebergCatalog(catalog), identifier });
    assert.deepEqual([...fromJava.rows].sort(byId), [nulls, expected]);
    assert.deepEqual([...(fromPython.rows as Record<string, unknown>[])].sort(byId), [nulls, expected]);
    assert.deepEqual(fromPython.columns, fromJava.columns);

    // The other way round: pyiceberg appends to the table Java created, Java reads its row.
    await runPyiceberg('append', { catalog: asPyicebergCatalog(catalog), identifier, columns, rows: [{ ...written, id: '2' }] });
    const again = await java.run('read', { catalog, identifier, columns: ['id', 'instant', 'payload', 'price'] });
    assert.deepEqual(
      again.rows.find((row) => row.id === '2'),
      { id: '2', instant: expected.instant, payload: expected.payload, price: expected.price },
    );
  });

  test('rejects bad input with a message naming what is wrong', async () => {
    const catalog = javaSqliteCatalog(scratchDir());
    const identifier = 'oracle.strict';
    await java.run('create_table', { catalog, identifier, schema: EVENTS_SCHEMA, properties: MOR });
    await assert.rejects(
      java.run('append', { catalog, identifier, rows: [{ id: 1, nope: 'x' }] }),
      /column 'nope', which the table schema does not have/,
    );
    await assert.rejects(java.run('append', { catalog, identifier, rows: [{ name: 'no id' }] }), /rows\[0\]\.id is a required long column/);
    await assert.rejects(
      java.run('append', { catalog, identifier, columns: { id: 'int' }, rows: [] }),
      /declares 'id' as int but table .*strict has it as long/,
    );
    await assert.rejects(
      java.run('delete_positions', { catalog, identifier, file_path: 'file:/nowhere.parquet', positions: [0] }),
      /file_path file:\/nowhere\.parquet is not a live data file of table/,
    );
    await assert.rejects(
      java.run('delete_equality', { catalog, identifier, equality_fields: ['missing'], rows: [] }),
      /equality field 'missing' is not a column/,
    );
    await assert.rejects(
      java.run('read', { catalog: { type: 'sql', uri: 'sqlite:///x.db', warehouse: '/tmp' }, identifier }),
      /must be a JDBC URL/,
    );
    // The session survives failed requests.
    const read = await java.run('read', { catalog, identifier });
    assert.deepEqual(read.rows, []);
  });

  test('fails, naming the cause, when Java or the compiled oracle is missing', async () => {
    const service = javaOracleService();
    const catalog = javaSqliteCatalog(scratchDir());
    await assert.rejects(
      runJavaOracle('read', { catalog, identifier: 'a.b' }, { ...service, classpath: join(scratchDir(), 'missing.jar') }),
      /ClassNotFoundException: floe\.oracle\.JavaOracle|Could not find or load main class/,
    );
    await assert.rejects(
      runJavaOracle('read', { catalog, identifier: 'a.b' }, { ...service, java: join(scratchDir(), 'no-java') }),
      /could not be started/,
    );
  });
});

describe('Java oracle through the REST fixture, storing in MinIO', () => {
  test('the same merge-on-read round trip, and pyiceberg reads the position deletes alike', async () => {
    const rest = restCatalogService();
    const catalog: JavaCatalog = { type: 'rest', uri: rest.uri, s3: rest.s3 };
    const identifier = `java_${randomUUID().replaceAll('-', '')}.events`;
    const { snapshots } = await morRoundTrip(catalog, identifier);

    const metadata = await java.run('load_metadata', { catalog, identifier });
    assert.ok(
      metadata.metadata_location.startsWith(`${rest.warehouse}/${identifier.replace('.', '/')}/metadata/`),
      metadata.metadata_location,
    );
    assert.equal(metadata.metadata['current-snapshot-id'], snapshots[3]);
    assert.ok(metadata.metadata_json.includes(String(snapshots[3])), 'the raw metadata text carries the snapshot id digit for digit');

    // pyiceberg applies position deletes: at the third snapshot both oracles leave 2, 4, 5, 6.
    const python = await runPyiceberg<RowsReply>('read', {
      catalog: asPyicebergCatalog(catalog),
      identifier,
      snapshot_id: snapshots[2],
      columns: ['id'],
    });
    assert.deepEqual(ids(python.rows), ['2', '4', '5', '6']);
  });

  test('Java loads and reads back a table another writer committed through the REST fixture', async () => {
    // What a check of Floe's REST commits does: the other writer here is pyiceberg.
    const rest = restCatalogService();
    const catalog: JavaCatalog = { type: 'rest', uri: rest.uri, s3: rest.s3 };
    const identifier = `python_${randomUUID().replaceAll('-', '')}.events`;
    await runPyiceberg('create_table', { catalog: asPyicebergCatalog(catalog), identifier, schema: EVENTS_SCHEMA, format_version: 2 });
    const appended = await runPyiceberg<{ snapshot_id: string; metadata_location: string }>('append', {
      catalog: asPyicebergCatalog(catalog),
      identifier,
      columns: { id: 'long', name: 'string', ts: 'timestamptz' },
      rows: [{ id: '9007199254740993', name: 'past 2^53', ts: '2024-06-01T00:00:00Z' }],
    });
    const read = await java.run('read', { catalog, identifier });
    assert.deepEqual(read.rows, [{ id: '9007199254740993', name: 'past 2^53', ts: '2024-06-01T00:00:00.000000Z' }]);
    const inspect = await java.run('inspect', { catalog, identifier });
    assert.equal(inspect.metadata_location, appended.metadata_location);
    assert.equal(inspect.current_snapshot_id, appended.snapshot_id);
  });
});

// services: python, rest-catalog
// `floe table load` (issue #53): Feast's kind of Parquet — `timestamp[ns, tz=UTC]` event times and
// zoneless nanosecond created times, written by pyarrow — appended to an Iceberg table of the
// project's catalog, created with `--create --partition day(event_timestamp)`, on a SQL catalog
// with a local warehouse and on the REST catalog with MinIO. pyiceberg reads every row back (times
// truncated to microseconds); the same load again is "already loaded" and adds nothing; a CSV
// appends by column name; a column of another type is refused with exit 2, naming it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { CommandResult } from '../../support/cli-project.js';
import { featuresModule, floeCommand } from '../../support/cli-project.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import type { MetadataReply, OracleCatalog, RowsReply } from '../../support/pyiceberg.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { pythonOracle } from '../../support/services.js';

const directory = scratchFolder('table-load');
const DAY_NS = 86_400_000_000_000n;
const START_NS = BigInt(Date.parse('2024-05-01T00:00:00Z')) * 1_000_000n;

interface FeastRow {
  readonly driver_id: number;
  /** Nanoseconds since the epoch, with digits below the microsecond. */
  readonly event_timestamp: bigint;
  readonly created: bigint | null;
  readonly conv_rate: number;
  readonly avg_daily_trips: number;
}

/** 120 rows over three days, every time carrying nanoseconds below its microsecond. */
const ROWS: FeastRow[] = Array.from({ length: 120 }, (_, index) => ({
  driver_id: 1001 + (index % 5),
  event_timestamp: START_NS + (BigInt(index) * 3n * DAY_NS) / 120n + 123_456_789n + BigInt(index),
  created: index % 7 === 0 ? null : START_NS + BigInt(index) * 1_000_000_000n + 987_654_321n,
  conv_rate: (index % 16) / 8,
  avg_daily_trips: index * 3,
}));

/** An ISO instant of nanoseconds since the epoch, truncated to microseconds, as pyiceberg_tool.py prints it. */
function microsIso(nanos: bigint): string {
  const micros = nanos / 1000n;
  const seconds = new Date(Number(micros / 1_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(micros % 1_000_000n).toString().padStart(6, '0')}Z`;
}

function expectedRows(rows: readonly FeastRow[]): Record<string, unknown>[] {
  return rows.map((row) => ({
    driver_id: String(row.driver_id),
    event_timestamp: microsIso(row.event_timestamp),
    created: row.created === null ? null : microsIso(row.created),
    conv_rate: row.conv_rate,
    avg_daily_trips: row.avg_daily_trips,
  }));
}

/** Writes rows as pandas and Feast write them: int64 ids, timestamp[ns, tz=UTC], timestamp[ns], float32, int32. */
function writeFeastParquet(file: string, rows: readonly FeastRow[], types: { driver_id?: 'string' } = {}): void {
  const script = `
import json, sys
import pyarrow as pa, pyarrow.parquet as pq
rows = json.load(sys.stdin)
pq.write_table(pa.table({
    "driver_id": pa.array([str(r["driver_id"]) if ${types.driver_id === 'string' ? 'True' : 'False'} else r["driver_id"] for r in rows], pa.string() if ${types.driver_id === 'string' ? 'True' : 'False'} else pa.int64()),
    "event_timestamp": pa.array([int(r["event_timestamp"]) for r in rows], pa.timestamp("ns", tz="UTC")),
    "created": pa.array([None if r["created"] is None else int(r["created"]) for r in rows], pa.timestamp("ns")),
    "conv_rate": pa.array([r["conv_rate"] for r in rows], pa.float32()),
    "avg_daily_trips": pa.array([r["avg_daily_trips"] for r in rows], pa.int32()),
}), sys.argv[1])
`;
  const input = JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  execFileSync(pythonOracle().python, ['-c', script, file], { input, encoding: 'utf8' });
}

/** A project folder whose floe.yaml has `catalog` (as YAML or JSON text). */
async function project(name: string, catalog: string): Promise<string> {
  const folder = path.join(directory, name);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(folder, 'features.ts'),
    `import { defineEntity } from ${featuresModule('definitions.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
`,
  );
  await writeFile(
    path.join(folder, 'floe.yaml'),
    `project: ${name}\ncatalog: ${catalog}\nregistry:\n  location: ${JSON.stringify(path.join(folder, 'registry'))}\nworkDirectory: work\n`,
  );
  return folder;
}

const byKey = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  String(a['driver_id']).localeCompare(String(b['driver_id'])) || String(a['event_timestamp']).localeCompare(String(b['event_timestamp']));

async function oracleRows(catalog: OracleCatalog, identifier: string): Promise<Record<string, unknown>[]> {
  const { rows } = await runPyiceberg<RowsReply>('read', { catalog, identifier });
  return rows.sort(byKey);
}

function assertRefusedCleanly(result: CommandResult): void {
  assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, /^floe: /);
  assert.doesNotMatch(result.stderr, /\n\s+at |SELECT|read_parquet|read_csv/);
}

const feastParquet = path.join(directory, 'driver_stats.parquet');

before(() => {
  writeFeastParquet(feastParquet, ROWS);
});

/** The Feast load, run and run again, on one catalog: every row read back by pyiceberg, none twice. */
async function loadsFeastDataOnce(folder: string, oracle: OracleCatalog, table: string): Promise<void> {
  const floe = (...args: string[]): Promise<CommandResult> => floeCommand([...args, '--project', folder]);
  const loaded = await floe('table', 'load', feastParquet, table, '--create', '--partition', 'day(event_timestamp)');
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.match(loaded.stdout, new RegExp(`^Created ${table.replace('.', '\\.')}$`, 'm'));
  assert.match(loaded.stdout, /^ {2}event_timestamp: nanosecond timestamps \(timestamptz_ns\) truncated to microseconds \(timestamptz\)$/m);
  assert.match(loaded.stdout, /^ {2}created: nanosecond timestamps \(timestamp_ns\) truncated to microseconds \(timestamp\)$/m);
  const appended = /^Appended 120 row\(s\) of .* in (\d+) data file\(s\): snapshot (\d+)$/m.exec(loaded.stdout);
  assert.ok(appended, loaded.stdout);
  assert.ok(Number(appended[1]) >= 3, 'one file a day at least');

  assert.deepEqual(await oracleRows(oracle, table), expectedRows(ROWS).sort(byKey));
  const { metadata } = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle, identifier: table });
  const schema = (metadata['schemas'] as { fields: { name: string; type: string }[] }[]).at(-1)!;
  assert.deepEqual(
    schema.fields.map((field) => `${field.name} ${field.type}`),
    ['driver_id long', 'event_timestamp timestamptz', 'created timestamp', 'conv_rate float', 'avg_daily_trips int'],
  );
  const [spec] = metadata['partition-specs'] as { fields: { name: string; transform: string }[] }[];
  assert.deepEqual(
    spec!.fields.map((field) => [field.name, field.transform]),
    [['event_timestamp_day', 'day']],
  );

  // The same load again, as after a crash: found by its idempotency key, nothing written.
  const again = await floe('table', 'load', feastParquet, table, '--create', '--partition', 'day(event_timestamp)', '--json');
  assert.equal(again.code, 0, again.stderr);
  const answer = JSON.parse(again.stdout) as Record<string, unknown>;
  assert.equal(answer['alreadyLoaded'], true);
  assert.equal(answer['created'], false);
  assert.equal(answer['snapshotId'], appended[2]);
  assert.equal(answer['rows'], 120);
  assert.deepEqual(answer['truncatedToMicroseconds'], [
    { column: 'event_timestamp', from: 'timestamptz_ns', to: 'timestamptz' },
    { column: 'created', from: 'timestamp_ns', to: 'timestamp' },
  ]);
  const plain = await floe('table', 'load', feastParquet, table);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /is already loaded into .*: snapshot \d+ holds its 120 row\(s\); nothing was written/);
  assert.equal((await oracleRows(oracle, table)).length, 120, 'no row twice');
  const snapshots = await runPyiceberg<RowsReply>('inspect', { catalog: oracle, identifier: table, what: 'snapshots' });
  assert.equal(snapshots.rows.length, 1);
}

describe('floe table load on a SQL catalog with a local warehouse', () => {
  let folder: string;
  const oracle = sqliteCatalog(path.join(directory, 'sql'));
  const table = 'rides.driver_stats';
  const floe = (...args: string[]): Promise<CommandResult> => floeCommand([...args, '--project', folder]);
  const snapshotOf = async (): Promise<unknown> =>
    (await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle, identifier: table })).metadata['current-snapshot-id'];

  before(async () => {
    const sql = path.join(directory, 'sql');
    folder = await project(
      'sql',
      JSON.stringify({
        type: 'sql',
        name: 'floe_oracle',
        uri: path.join(sql, 'catalog.db'),
        warehouse: path.join(sql, 'warehouse'),
        create: true,
      }),
    );
  });

  test('Feast’s Parquet lands once: every row read back by pyiceberg, nanoseconds truncated, a second run adds nothing', async () => {
    await loadsFeastDataOnce(folder, oracle, table);
  });

  test('a CSV appends by column name: a column it lacks is null, times without a zone are UTC', async () => {
    const csv = path.join(directory, 'late.csv');
    await writeFile(
      csv,
      'avg_daily_trips,driver_id,event_timestamp,conv_rate\n7,2001,2024-05-04T01:02:03.5Z,0.25\n8,2002,2024-05-04 05:00:00,\n',
    );
    const loaded = await floe('table', 'load', csv, table, '--json');
    assert.equal(loaded.code, 0, loaded.stderr);
    const answer = JSON.parse(loaded.stdout) as Record<string, unknown>;
    assert.equal(answer['rows'], 2);
    assert.deepEqual(answer['truncatedToMicroseconds'], []);
    const rows = (await oracleRows(oracle, table)).filter((row) => Number(row['driver_id']) >= 2001);
    assert.deepEqual(rows, [
      { driver_id: '2001', event_timestamp: '2024-05-04T01:02:03.500000Z', created: null, conv_rate: 0.25, avg_daily_trips: 7 },
      { driver_id: '2002', event_timestamp: '2024-05-04T05:00:00.000000Z', created: null, conv_rate: null, avg_daily_trips: 8 },
    ]);
  });

  test('a column of another type, an unknown column and a bad CSV value are refused (exit 2) naming the file, column and types', async () => {
    const before = await snapshotOf();
    const wrongType = path.join(directory, 'string-ids.parquet');
    writeFeastParquet(wrongType, ROWS.slice(0, 3), { driver_id: 'string' });
    const refused = await floe('table', 'load', wrongType, table);
    assertRefusedCleanly(refused);
    assert.match(
      refused.stderr,
      new RegExp(
        `${wrongType.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be appended to rides\\.driver_stats: column driver_id is string in the file and long in rides\\.driver_stats`,
      ),
    );

    const unknown = path.join(directory, 'unknown.csv');
    await writeFile(unknown, 'driver_id,event_timestamp,city\n1,2024-05-04T00:00:00Z,ams\n');
    const unknownRefused = await floe('table', 'load', unknown, table);
    assertRefusedCleanly(unknownRefused);
    assert.match(
      unknownRefused.stderr,
      /unknown\.csv cannot be appended to rides\.driver_stats: column city \(string\) is not a column of rides\.driver_stats/,
    );

    const badValue = path.join(directory, 'bad-value.csv');
    // DuckDB's own parse of a CSV integer would load 7.5 as 8.
    await writeFile(badValue, 'driver_id,event_timestamp\n1,2024-05-04T00:00:00Z\n7.5,2024-05-04T00:00:00Z\n');
    const badRefused = await floe('table', 'load', badValue, table);
    assertRefusedCleanly(badRefused);
    assert.match(
      badRefused.stderr,
      /bad-value\.csv \(csv\) cannot be appended to rides\.driver_stats: column driver_id: 7\.5 is not a whole number as written/,
    );

    // DuckDB takes the column for double and would round the last id; the table --create made is dropped again.
    const bigIds = path.join(directory, 'big-ids.csv');
    await writeFile(bigIds, 'id,event_timestamp\n1,2024-05-04T00:00:00Z\n12345678901234567890123,2024-05-04T00:00:00Z\n');
    const bigRefused = await floe('table', 'load', bigIds, 'rides.big_ids', '--create');
    assertRefusedCleanly(bigRefused);
    assert.match(
      bigRefused.stderr,
      /big-ids\.csv \(csv\) cannot be appended to rides\.big_ids: column id: 12345678901234567890123 is a whole number past ±2\^53, which the double DuckDB takes the column for would round/,
    );
    const noTable = await floe('table', 'load', bigIds, 'rides.big_ids');
    assert.match(noTable.stderr, /No table rides\.big_ids in catalog floe_oracle/);

    const otherTable = await floe('table', 'load', feastParquet, table, '--create', '--partition', 'bucket(4, driver_id)');
    assertRefusedCleanly(otherTable);
    assert.match(
      otherTable.stderr,
      /Table rides\.driver_stats exists and is not the table .* would create: it is partitioned by day\(event_timestamp\), --partition asks for bucket\(4, driver_id\)/,
    );

    const missing = await floe('table', 'load', feastParquet, 'rides.nowhere');
    assertRefusedCleanly(missing);
    assert.match(missing.stderr, /No table rides\.nowhere in catalog floe_oracle: load with --create/);
    assert.equal(await snapshotOf(), before, 'nothing was committed');
  });
});

/** A Parquet file of nested columns: lists, a map, structs, nanosecond timestamps inside, and a dict column as pandas writes one (a struct). */
function writeNestedParquet(file: string, firstDriver = 1): void {
  const script = `
import sys
import pyarrow as pa, pyarrow.parquet as pq
pq.write_table(pa.table({
    "driver_id": pa.array([${firstDriver}, ${firstDriver + 1}], pa.int64()),
    "event_timestamp": pa.array([1714521600000000123, 1714521601000000456], pa.timestamp("ns", tz="UTC")),
    "embedding": pa.array([[0.5, -1.25], [None]], pa.list_(pa.float32())),
    "ids": pa.array([[9007199254740993, 9223372036854775807], []], pa.list_(pa.int64())),
    "meta": pa.array([[("a", 1), ("big", 9007199254740993)], None], pa.map_(pa.string(), pa.int64())),
    "profile": pa.array([{"name": "Ann", "age": 42}, {"name": None, "age": 7}], pa.struct([("name", pa.string()), ("age", pa.int32())])),
    "seen": pa.array([[1714521600000000123], [None]], pa.list_(pa.timestamp("ns", tz="UTC"))),
    "when": pa.array([{"at": 1714521600000000999}, None], pa.struct([("at", pa.timestamp("ns"))])),
    "driver_metadata": pa.array([{"vehicle_type": "truck", "rating": "3.0"}, {"vehicle_type": None, "rating": "4.8"}], pa.struct([("vehicle_type", pa.string()), ("rating", pa.string())])),
}), sys.argv[1])
`;
  execFileSync(pythonOracle().python, ['-c', script, file], { encoding: 'utf8' });
}

describe('floe table load of nested Parquet columns', () => {
  const sql = path.join(directory, 'nested');
  const oracle = sqliteCatalog(sql);
  const file = path.join(directory, 'nested.parquet');
  let folder: string;
  before(async () => {
    folder = await project(
      'nested',
      JSON.stringify({
        type: 'sql',
        name: 'floe_oracle',
        uri: path.join(sql, 'catalog.db'),
        warehouse: path.join(sql, 'warehouse'),
        create: true,
      }),
    );
    writeNestedParquet(file);
  });
  const floe = (...args: string[]): Promise<CommandResult> => floeCommand([...args, '--project', folder]);
  const schemaOf = async (table: string) => {
    const { metadata } = await runPyiceberg<MetadataReply>('load_metadata', { catalog: oracle, identifier: table });
    return (metadata['schemas'] as { fields: Record<string, unknown>[] }[]).at(-1)!.fields;
  };

  test('lists, maps and structs load as Iceberg list, map and struct columns with a field id for every field inside; nanoseconds inside are truncated and said so; --map makes a dict column written as a struct a map', async () => {
    const loaded = await floe('table', 'load', file, 'rides.nested', '--create', '--map', 'driver_metadata');
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(
      loaded.stdout,
      /^ {2}seen: nanosecond timestamps \(list<timestamptz_ns>\) truncated to microseconds \(list<timestamptz>\)$/m,
    );
    assert.match(
      loaded.stdout,
      /^ {2}when: nanosecond timestamps \(struct<at:timestamp_ns>\) truncated to microseconds \(struct<at:timestamp>\)$/m,
    );

    const fields = await schemaOf('rides.nested');
    const byName = Object.fromEntries(fields.map((field) => [field['name'], field['type']]));
    assert.deepEqual(byName['embedding'], { type: 'list', 'element-id': 10, element: 'float', 'element-required': false });
    assert.deepEqual(byName['ids'], { type: 'list', 'element-id': 11, element: 'long', 'element-required': false });
    assert.deepEqual(byName['meta'], { type: 'map', 'key-id': 12, key: 'string', 'value-id': 13, value: 'long', 'value-required': false });
    assert.deepEqual(byName['profile'], {
      type: 'struct',
      fields: [
        { id: 14, name: 'name', type: 'string', required: false },
        { id: 15, name: 'age', type: 'int', required: false },
      ],
    });
    assert.deepEqual(byName['seen'], { type: 'list', 'element-id': 16, element: 'timestamptz', 'element-required': false });
    assert.deepEqual(byName['when'], { type: 'struct', fields: [{ id: 17, name: 'at', type: 'timestamp', required: false }] });
    assert.deepEqual(byName['driver_metadata'], {
      type: 'map',
      'key-id': 18,
      key: 'string',
      'value-id': 19,
      value: 'string',
      'value-required': false,
    });

    const rows = await oracleRows(oracle, 'rides.nested');
    assert.deepEqual(rows, [
      {
        driver_id: '1',
        event_timestamp: '2024-05-01T00:00:00.000000Z',
        embedding: [0.5, -1.25],
        ids: ['9007199254740993', '9223372036854775807'],
        meta: [
          { key: 'a', value: '1' },
          { key: 'big', value: '9007199254740993' },
        ],
        profile: { name: 'Ann', age: 42 },
        seen: ['2024-05-01T00:00:00.000000Z'],
        when: { at: '2024-05-01T00:00:00.000000Z' },
        driver_metadata: [
          { key: 'vehicle_type', value: 'truck' },
          { key: 'rating', value: '3.0' },
        ],
      },
      {
        driver_id: '2',
        event_timestamp: '2024-05-01T00:00:01.000000Z',
        embedding: [null],
        ids: [],
        meta: null,
        profile: { name: null, age: 7 },
        seen: [null],
        when: null,
        // A field that is null is no key, as Feast writes a Map.
        driver_metadata: [{ key: 'rating', value: '4.8' }],
      },
    ]);

    // Into the table as it is: the struct goes into its map column without --map.
    const again = path.join(directory, 'nested-again.parquet');
    writeNestedParquet(again, 3);
    const appended = await floe('table', 'load', again, 'rides.nested', '--json');
    assert.equal(appended.code, 0, appended.stderr);
    assert.deepEqual((JSON.parse(appended.stdout) as { truncatedToMicroseconds: unknown }).truncatedToMicroseconds, [
      { column: 'event_timestamp', from: 'timestamptz_ns', to: 'timestamptz' },
      { column: 'seen', from: 'list<timestamptz_ns>', to: 'list<timestamptz>' },
      { column: 'when', from: 'struct<at:timestamp_ns>', to: 'struct<at:timestamp>' },
    ]);
    const appendedRows = (await oracleRows(oracle, 'rides.nested')).filter((row) => Number(row['driver_id']) >= 3);
    assert.deepEqual(
      appendedRows.map((row) => [row['driver_id'], row['driver_metadata'], row['when']]),
      [
        ['3', rows[0]!['driver_metadata'], rows[0]!['when']],
        ['4', rows[1]!['driver_metadata'], rows[1]!['when']],
      ],
    );
  });

  test('--map of a column that is no struct of one type, and --map without --create, are refused (exit 2) naming the column', async () => {
    const notStruct = await floe('table', 'load', file, 'rides.nested_refused', '--create', '--map', 'ids');
    assertRefusedCleanly(notStruct);
    assert.match(
      notStruct.stderr,
      /--map ids asks for a map of a struct column whose fields share one type, but its column ids is list<long>/,
    );
    const mixed = await floe('table', 'load', file, 'rides.nested_refused', '--create', '--map', 'profile');
    assertRefusedCleanly(mixed);
    assert.match(mixed.stderr, /its column profile is struct<name:string,age:int>/);
    const withoutCreate = await floe('table', 'load', file, 'rides.nested', '--map', 'driver_metadata');
    assertRefusedCleanly(withoutCreate);
    assert.match(withoutCreate.stderr, /--map is for a table --create makes/);
  });
});

describe('floe table load on the REST catalog with MinIO', () => {
  test('Feast’s Parquet lands once in a table on S3', async () => {
    const folder = await project('rest', JSON.stringify(floeRestCatalog()));
    await loadsFeastDataOnce(folder, oracleRestCatalog(), `table_load_${randomUUID().slice(0, 8)}.driver_stats`);
  });
});

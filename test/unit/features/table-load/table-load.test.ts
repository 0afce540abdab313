// How `floe table load` matches a file's columns to a table: by name, with the widenings it
// documents, nanosecond timestamps named as truncated, and every refusal naming the file, table,
// column and both types. DuckDB writes and reads the files (pyarrow's zoned nanoseconds are in
// test/integration/cli/table-load.test.ts).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { describeRelation } from '../../../../engine/describe.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { schemaFromColumns } from '../../../../engine/types.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { loadColumns, newTableQuery, schemaDifferences } from '../../../../features/table-load/load-columns.js';
import { duckdbReadingReason, openLoadSource } from '../../../../features/table-load/load-source.js';
import { rows, withConnection } from '../../../support/engine/duckdb.js';

const FILE_SQL = `SELECT 7::INTEGER AS id, 1.5::FLOAT AS rate, TIMESTAMP_NS '2024-05-02 00:00:00.123456789' AS created, 'ams' AS city`;

const schemaOf = (...fields: Omit<NestedField, 'id'>[]): Schema => ({
  schemaId: 0,
  identifierFieldIds: [],
  fields: fields.map((field, index) => ({ ...field, id: index + 1 })),
});
const optional = (name: string, type: NestedField['type']): Omit<NestedField, 'id'> => ({ name, type, required: false });

const refusal = (pattern: RegExp) => (error: unknown) => FloeError.is(error, 'invalid-input') && pattern.test(error.message);

describe('floe table load: the columns of a file and of a table', () => {
  it('widens int to long and float to double, truncates nanoseconds and names them, and nulls a column the file lacks', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'rows.parquet');
      await connection.run(`COPY (${FILE_SQL}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
      const source = await openLoadSource(connection, file, 'parquet');
      assert.deepEqual(
        source.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'int'],
          ['rate', 'float'],
          ['created', 'timestamp_ns'],
          ['city', 'string'],
        ],
      );
      const table = schemaOf(
        optional('city', 'string'),
        optional('id', 'long'),
        optional('rate', 'double'),
        optional('created', 'timestamp'),
        optional('extra', 'long'),
      );
      const columns = loadColumns(source, table, 'rides.t');
      assert.deepEqual(columns.truncated, [{ column: 'created', from: 'timestamp_ns', to: 'timestamp' }]);
      const [row] = await rows(
        connection,
        `SELECT city, id, rate, CAST(created AS TIMESTAMP)::VARCHAR AS created, extra FROM (${columns.query})`,
      );
      assert.deepEqual(row, { city: 'ams', id: 7, rate: 1.5, created: '2024-05-02 00:00:00.123456', extra: null });

      // A new table: nanoseconds become microseconds.
      const created = schemaFromColumns(await describeRelation(connection, newTableQuery(source)));
      assert.deepEqual(
        created.fields.map((field) => `${field.name} ${String(field.type)}`),
        ['id int', 'rate float', 'created timestamp', 'city string'],
      );
      assert.deepEqual(schemaDifferences(created, table), [
        "its column id is long, the file's int",
        "its column rate is double, the file's float",
        'the file has no column extra',
      ]);
    });
  });

  it('refuses another type, an unknown column and a missing required one, naming the file, table, column and both types', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'rows.parquet');
      await connection.run(`COPY (${FILE_SQL}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
      const source = await openLoadSource(connection, file, 'parquet');
      const base = [optional('id', 'long'), optional('rate', 'double'), optional('created', 'timestamp')];
      assert.throws(
        () => loadColumns(source, schemaOf(...base, optional('city', 'long')), 'rides.t'),
        refusal(
          /rows\.parquet cannot be appended to rides\.t: column city is string in the file and long in rides\.t\. .*\(file=.*rows\.parquet, table=rides\.t, column=city\)/,
        ),
      );
      assert.throws(() => loadColumns(source, schemaOf(...base), 'rides.t'), refusal(/column city \(string\) is not a column of rides\.t/));
      assert.throws(
        () => loadColumns(source, schemaOf(...base, optional('city', 'string'), { name: 'key', type: 'long', required: true }), 'rides.t'),
        refusal(/it has no column key, which rides\.t requires \(long\)/),
      );
      const exact = schemaOf(
        optional('id', 'int'),
        optional('rate', 'float'),
        optional('created', 'timestamp_ns'),
        optional('city', 'string'),
      );
      assert.deepEqual(loadColumns(source, exact, 'rides.t').truncated, [], 'nanoseconds into a nanosecond column stay nanoseconds');
    });
  });

  it('widens a decimal to one of more precision and the same scale, as Iceberg promotes it, and refuses any other decimal', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'prices.parquet');
      await connection.run(`COPY (SELECT 12345678.91::DECIMAL(10, 2) AS price) TO ${quoteLiteral(file)} (FORMAT parquet)`);
      const source = await openLoadSource(connection, file, 'parquet');
      const wider = loadColumns(source, schemaOf(optional('price', 'decimal(12, 2)')), 'shop.prices');
      assert.deepEqual(await rows(connection, `SELECT typeof(price) AS type, price::VARCHAR AS price FROM (${wider.query})`), [
        { type: 'DECIMAL(12,2)', price: '12345678.91' },
      ]);
      for (const other of ['decimal(12, 3)', 'decimal(9, 2)', 'decimal(38, 1)'] as const)
        assert.throws(
          () => loadColumns(source, schemaOf(optional('price', other)), 'shop.prices'),
          refusal(new RegExp(`column price is decimal\\(10, 2\\) in the file and ${other.replace(/[()]/g, '\\$&')} in shop\\.prices`)),
          other,
        );
    });
  });

  it('reads a CSV column of an existing table as the table’s type, and names the column of a value that is not one', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'rows.csv');
      await writeFile(file, 'id,seen\n1,2024-05-02 00:00:00\n2,2024-05-02T01:00:00+02:00\n');
      const sniffed = await openLoadSource(connection, file, 'csv');
      assert.deepEqual(
        sniffed.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'long'],
          ['seen', 'timestamptz'],
        ],
      );
      const declared = await openLoadSource(connection, file, 'csv', new Map([['id', 'int']]));
      assert.deepEqual(
        declared.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'int'],
          ['seen', 'timestamptz'],
        ],
      );
      const table = schemaOf(optional('id', 'int'), optional('seen', 'timestamptz'));
      assert.deepEqual(
        await rows(connection, `SELECT id, seen::VARCHAR AS seen FROM (${loadColumns(declared, table, 'rides.t').query}) ORDER BY id`),
        [
          { id: 1, seen: '2024-05-02 00:00:00+00' },
          { id: 2, seen: '2024-05-01 23:00:00+00' },
        ],
      );

      const bad = path.join(dir, 'bad.csv');
      await writeFile(bad, 'id,seen\n1,2024-05-02 00:00:00\nx,2024-05-02 00:00:00\n');
      const badSource = await openLoadSource(
        connection,
        bad,
        'csv',
        new Map([
          ['id', 'int'],
          ['seen', 'timestamptz'],
        ]),
      );
      await assert.rejects(rows(connection, loadColumns(badSource, table, 'rides.t').query), (error: Error) =>
        /^column id: x is not a whole number as written/.test(duckdbReadingReason(error.message)),
      );
    });
  });

  it('reads a CSV timestamp with an offset as the instant it names, and a decimal as written or not at all', async () => {
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'rows.csv');
      await writeFile(
        file,
        'id,seen,price\n1,2024-05-02T10:00:00+09:00,1.50\n2,2024-05-02 10:00:00,-0.05\n3,2024-05-02T10:00:00-04:30, 12345.6 \n4,,\n',
      );
      const table = schemaOf(optional('id', 'long'), optional('seen', 'timestamp'), optional('price', 'decimal(7, 2)'));
      const declared = new Map(table.fields.map((field) => [field.name, field.type]));
      const source = await openLoadSource(connection, file, 'csv', declared);
      assert.deepEqual(
        source.columns.map((column) => [column.name, column.type]),
        [
          ['id', 'long'],
          ['seen', 'timestamp'],
          ['price', 'decimal(7, 2)'],
        ],
      );
      assert.deepEqual(
        await rows(
          connection,
          `SELECT id, seen::VARCHAR AS seen, price::VARCHAR AS price FROM (${loadColumns(source, table, 'rides.t').query}) ORDER BY id`,
        ),
        [
          { id: 1n, seen: '2024-05-02 01:00:00', price: '1.50' },
          { id: 2n, seen: '2024-05-02 10:00:00', price: '-0.05' },
          { id: 3n, seen: '2024-05-02 14:30:00', price: '12345.60' },
          { id: 4n, seen: null, price: null },
        ],
      );
      for (const price of ['1.005', '7.95e-138', '123456', '1.5e1', '-', 'x']) {
        const bad = path.join(dir, 'bad.csv');
        await writeFile(bad, `id,price\n1,1.25\n2,${price}\n`);
        const badSource = await openLoadSource(connection, bad, 'csv', declared);
        await assert.rejects(rows(connection, loadColumns(badSource, table, 'rides.t').query), (error: Error) => {
          assert.equal(
            duckdbReadingReason(error.message),
            `column price: ${price} is not a decimal(7, 2) as written: at most 5 digits before the point and 2 after it (more would be rounded), no exponent`,
          );
          return true;
        });
      }
    });
  });

  it('reads a CSV value into its column only as written: what DuckDB’s parse would round, drop or overflow is refused, naming column and value', async () => {
    const loaded = async (type: NestedField['type'], text: string): Promise<unknown> =>
      withConnection(async (connection, dir) => {
        const file = path.join(dir, 'rows.csv');
        await writeFile(file, `id,v\n1,${text}\n`);
        const table = schemaOf(optional('id', 'long'), optional('v', type));
        const source = await openLoadSource(connection, file, 'csv', new Map(table.fields.map((field) => [field.name, field.type])));
        const [row] = await rows(connection, `SELECT v::VARCHAR AS v FROM (${loadColumns(source, table, 'rides.t').query})`);
        return row!['v'];
      }).catch((error: Error) => duckdbReadingReason(error.message));
    const cases: [NestedField['type'], string, string][] = [
      ['long', '7.0', '7'],
      ['long', ' +8 ', '8'],
      ['long', '-9223372036854775808', '-9223372036854775808'],
      ['long', '7.5', 'column v: 7.5 is not a whole number as written (a fraction other than .0 would be rounded)'],
      ['long', '1e3', 'column v: 1e3 is not a whole number as written (a fraction other than .0 would be rounded)'],
      ['long', '0x10', 'column v: 0x10 is not a whole number as written (a fraction other than .0 would be rounded)'],
      ['long', '9223372036854775808', 'column v: 9223372036854775808 is out of range for long'],
      ['int', '2147483648', 'column v: 2147483648 is out of range for int'],
      ['double', '0.1', '0.1'],
      ['double', '-inf', '-inf'],
      ['double', '1e400', 'column v: 1e400 is out of range for double'],
      ['float', '3.5e38', 'column v: 3.5e38 is out of range for float'],
      ['double', 'many', 'column v: many is not a number'],
      ['date', '2024-05-02', '2024-05-02'],
      ['date', '2024-05-02 00:00:00', '2024-05-02'],
      [
        'date',
        '2024-05-02T23:00:00-05:00',
        'column v: 2024-05-02T23:00:00-05:00 is not a date as written (YYYY-MM-DD; a time of day or a zone would be dropped)',
      ],
      ['time', '10:00:00.5', '10:00:00.5'],
      ['time', '10:00:00+09:00', 'column v: 10:00:00+09:00 is not a time as written (HH:MM:SS with at most 6 fraction digits, no zone)'],
      ['timestamptz', '2024-05-02 10:00:00.1234560+02:00', '2024-05-02 08:00:00.123456+00'],
      [
        'timestamptz',
        '2024-05-02 10:00:00.1234567',
        'column v: 2024-05-02 10:00:00.1234567 has more than 6 fraction digits, which a timestamptz cannot hold',
      ],
      ['timestamp', 'soon', 'column v: soon is not a timestamp'],
      ['timestamp_ns', '2024-05-02T10:00:00.123456789+09:00', '2024-05-02 01:00:00.123456789'],
      [
        'timestamp_ns',
        '2024-05-02 10:00:00.1234567891',
        'column v: 2024-05-02 10:00:00.1234567891 has more than 9 fraction digits, which a timestamp_ns cannot hold',
      ],
    ];
    for (const [type, text, expected] of cases) assert.equal(await loaded(type, text), expected, `${text} into a ${String(type)}`);
  });

  it('reads a CSV column as the type DuckDB’s sniffing takes it for when no table declares one, and refuses what that type would round, overflow or cut', async () => {
    const created = async (text: string): Promise<[unknown, unknown]> =>
      withConnection(async (connection, dir) => {
        const file = path.join(dir, 'rows.csv');
        await writeFile(file, `id,v\n1,${text}\n2,\n`);
        const source = await openLoadSource(connection, file, 'csv');
        const type = source.columns.find((column) => column.name === 'v')?.type;
        const [row] = await rows(connection, `SELECT v::VARCHAR AS v FROM (${newTableQuery(source, new Set())}) WHERE id = 1`);
        return [type, row!['v']] as [unknown, unknown];
      }).catch((error: Error) => [undefined, duckdbReadingReason(error.message)]);
    const cases: [string, [unknown, unknown]][] = [
      ['007', ['string', '007']],
      ['9223372036854775807', ['long', '9223372036854775807']],
      ['2024-05-02', ['date', '2024-05-02']],
      ['2024-05-02T10:00:00+09:00', ['timestamptz', '2024-05-02 01:00:00+00']],
      ['2024-05-02 10:00:00.123456', ['timestamp', '2024-05-02 10:00:00.123456']],
      ['9007199254740992', ['long', '9007199254740992']],
      ['7.25', ['double', '7.25']],
      [
        '12345678901234567890123',
        [
          undefined,
          'column v: 12345678901234567890123 is a whole number past ±2^53, which the double DuckDB takes the column for would round; load it into a table whose column is a decimal or a string',
        ],
      ],
      ['1e400', [undefined, 'column v: 1e400 is out of range for double']],
      [
        '2024-05-02 10:00:00.1234567',
        [undefined, 'column v: 2024-05-02 10:00:00.1234567 has more than 6 fraction digits, which a timestamp cannot hold'],
      ],
      ['05/02/2024', [undefined, 'column v: 05/02/2024 is not a date as written (YYYY-MM-DD; a time of day or a zone would be dropped)']],
    ];
    for (const [text, expected] of cases) assert.deepEqual(await created(text), expected, text);
    await withConnection(async (connection, dir) => {
      const file = path.join(dir, 'indexed.csv');
      await writeFile(file, ',id,v\n0,1,x\n');
      await assert.rejects(
        openLoadSource(connection, file, 'csv'),
        refusal(/indexed\.csv cannot be read as csv: its header line gives column 1 no name \(pandas writes its index so/),
      );
    });
    // DuckDB sniffs from the first 20,480 rows: a fraction after them, in a column it took for long, would be rounded.
    const manyRowsThenAFraction = ['1', ...Array.from({ length: 30_000 }, (_, index) => `${index + 3},1`), '30003,7.5'].join('\n');
    assert.deepEqual(await created(manyRowsThenAFraction), [
      undefined,
      'column v: 7.5 is not a whole number as written (a fraction other than .0 would be rounded)',
    ]);
  });

  it('refuses zoned nanoseconds into a nanosecond column, since DuckDB reads them as microseconds', () => {
    const zoned = { name: 'at', duckdbType: { toString: () => 'TIMESTAMP WITH TIME ZONE' }, type: 'timestamptz_ns' } as never;
    assert.throws(
      () =>
        loadColumns(
          { file: 'f.parquet', format: 'parquet', relation: 'x', columns: [zoned] },
          schemaOf(optional('at', 'timestamptz_ns')),
          'rides.t',
        ),
      refusal(
        /column at is timestamptz_ns in the file and in rides\.t, but DuckDB reads zoned nanosecond Parquet timestamps as microseconds/,
      ),
    );
  });
});

// A pushed (or streamed) instant lands as the instant it names, in every timestamp column type:
// DuckDB's cast to TIMESTAMP drops an offset (10:00+09:00 read as 10:00) and refuses a zone after a
// bare date, so the staged text is the instant in UTC. Read back through DuckDB, each column holds
// what the instant rule reads (test/unit/contracts/instants.test.ts checks that rule against a
// regular expression and Date).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { instantMicros, instantNanos } from '../../../../contracts/instants.js';
import { Engine } from '../../../../engine/duckdb.js';
import { FloeError } from '../../../../core/errors.js';
import { stageBatch, stagedRowsSql } from '../../../../features/push/push-commit.js';
import { checkPushedRows } from '../../../../features/push/push-rows.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', required: true, type: 'long' },
  { id: 2, name: 'ts', required: false, type: 'timestamp' },
  { id: 3, name: 'tstz', required: false, type: 'timestamptz' },
  { id: 4, name: 'ts_ns', required: false, type: 'timestamp_ns' },
  { id: 5, name: 'tstz_ns', required: false, type: 'timestamptz_ns' },
];

const TEXTS = [
  '2024-05-02T10:00:00+09:00',
  '2024-05-02 10:00:00.123456789-04:30',
  '2024-05-02T10:00+0530',
  '2024-05-02Z',
  '2024-05-02+09',
  '2024-05-02',
  '2024-05-02T23:59:59.999999999Z',
  '1969-12-31T23:59:59.5-00:00',
  '1969-12-31T23:59:59.9999995Z',
];

/** The checked rows staged as a push batch is, and read back through DuckDB (the engine that writes the table) by `columns`, in driver order. */
async function stagedAndRead(checked: ReturnType<typeof checkPushedRows>, columns: string): Promise<unknown[][]> {
  const directory = scratchFolder('push-instants');
  const engine = await Engine.create({ threads: 1, memoryLimit: '500MB', tempDirectory: path.join(directory, 'spill') });
  try {
    const staged = await stageBatch(directory, [{ rows: checked }]);
    return await engine.withConnection(async (connection) =>
      (await connection.runAndReadAll(`SELECT ${columns} FROM (${stagedRowsSql(staged, [0])}) ORDER BY driver_id`)).getRows(),
    );
  } finally {
    engine.close();
  }
}

describe('pushed instants', () => {
  it('land as the instant they name, offsets and all, in timestamp, timestamptz and both nanosecond types', async () => {
    const checked = checkPushedRows(
      'driver_push',
      Object.fromEntries([['driver_id', TEXTS.map((_, index) => index)], ...FIELDS.slice(1).map((field) => [field.name, TEXTS])]) as Record<
        string,
        unknown[]
      >,
      FIELDS,
      new Set(['driver_id']),
    );
    // A zone-less text is read in the session's zone, which the engine sets to UTC.
    const rows = await stagedAndRead(
      checked,
      'epoch_us(ts)::VARCHAR, epoch_us(tstz)::VARCHAR, epoch_ns(ts_ns)::VARCHAR, epoch_ns(tstz_ns)::VARCHAR',
    );
    assert.deepEqual(
      rows,
      TEXTS.map((text) => {
        const [micros, nanos] = [String(instantMicros(text)), String(instantNanos(text))];
        return [micros, micros, nanos, nanos];
      }),
    );
    assert.equal(rows[0]![0], String(Date.UTC(2024, 4, 2, 1) * 1000), '10:00+09:00 is 01:00 UTC');
    // Digits past a microsecond column's are cut towards the past, before 1970 too; nanosecond columns keep them.
    const lastSecond = Date.UTC(2024, 4, 2, 23, 59, 59) / 1000;
    assert.deepEqual(rows[6], [`${lastSecond}999999`, `${lastSecond}999999`, `${lastSecond}999999999`, `${lastSecond}999999999`]);
    assert.deepEqual(rows[8], ['-1', '-1', '-500', '-500']);
  });

  it('past what a nanosecond timestamp holds are refused naming the column and the range', () => {
    for (const type of ['timestamp_ns', 'timestamptz_ns'] as const) {
      const fields: NestedField[] = [{ id: 1, name: 'ts', required: true, type }];
      assert.throws(
        () => checkPushedRows('driver_push', { ts: ['2262-04-11T23:47:16.854775808Z'] }, fields, new Set(['ts'])),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') &&
          /ts/.test(error.message) &&
          error.message.includes(
            `"2262-04-11T23:47:16.854775808Z" is out of range for ${type} (1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z`,
          ),
      );
      for (const edge of ['2262-04-11T23:47:16.854775807Z', '2262-04-12T00:47:16.854775807+01:00', '1677-09-21T00:12:43.145224192Z'])
        assert.doesNotThrow(() => checkPushedRows('driver_push', { ts: [edge] }, fields, new Set(['ts'])), edge);
      assert.throws(
        () => checkPushedRows('driver_push', { ts: ['1677-09-21T01:12:43.145224191+01:00'] }, fields, new Set(['ts'])),
        /out of range for timestamp/,
      );
    }
  });

  it('outside years 1 to 9999 in UTC are refused as their row, naming the column and the range, in every other timestamp and date column', () => {
    const outside = {
      timestamp: [
        '+010000-01-01T00:00:00Z',
        '9999-12-31T23:00:00-02:00',
        '0000-12-31T23:59:59.999999Z',
        '0001-01-01T00:30:00+01:00',
        '-000001-01-01T00:00:00Z',
      ],
      timestamptz: ['+010000-01-01T00:00:00Z', '9999-12-31T23:30-0100', '0000-06-01'],
      date: ['0000-01-01'],
    };
    for (const [type, texts] of Object.entries(outside)) {
      const fields: NestedField[] = [
        { id: 1, name: 'driver_id', required: true, type: 'long' },
        { id: 2, name: 'at', required: false, type: type as 'timestamp' },
      ];
      for (const text of texts)
        assert.throws(
          () =>
            checkPushedRows(
              'driver_push',
              { driver_id: [1, 2], at: ['2024-05-02T00:00:00Z'.slice(0, type === 'date' ? 10 : undefined), text] },
              fields,
              new Set(['driver_id']),
            ),
          (error: unknown) =>
            FloeError.is(error, 'invalid-input') &&
            error.message.includes(`row 1, column at: ${JSON.stringify(text)} is out of range for ${type} (years 1 to 9999 in UTC)`),
          `${type} ${text}`,
        );
    }
    const listOfTimestamps: NestedField[] = [
      { id: 1, name: 'at', required: true, type: { type: 'list', elementId: 2, element: 'timestamp', elementRequired: false } },
    ];
    assert.throws(
      () => checkPushedRows('driver_push', { at: [['2024-05-02T00:00:00Z', '+010000-01-01T00:00:00Z']] }, listOfTimestamps, new Set()),
      /row 0, column at: \[1\]: "\+010000-01-01T00:00:00Z" is out of range for timestamp \(years 1 to 9999 in UTC\)/,
    );
  });

  it('at the edges of years 1 to 9999 land as the instants they name', async () => {
    const edges = ['0001-01-01T00:00:00Z', '0001-01-01T01:00:00+01:00', '9999-12-31T23:59:59.999999Z', '9999-12-31T22:59:59.999999-01:00'];
    const fields = FIELDS.slice(0, 3);
    const checked = checkPushedRows(
      'driver_push',
      { driver_id: edges.map((_, index) => index), ts: edges, tstz: edges },
      fields,
      new Set(['driver_id']),
    );
    assert.deepEqual(
      await stagedAndRead(checked, 'epoch_us(ts)::VARCHAR, epoch_us(tstz)::VARCHAR'),
      edges.map((text) => [String(instantMicros(text)), String(instantMicros(text))]),
    );
  });
});

// Pushed list, map and struct values (issue #54 item 6): each value inside checked as a value of
// its own type and refused naming where inside it goes wrong; staged as JSON text and cast by
// DuckDB to the column's type, a long past 2^53 inside a map exact, nulls inside kept.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../../../engine/duckdb.js';
import { toIcebergValue } from '../../../../engine/values.js';
import { parseExactJson } from '../../../../core/exact-json.js';
import { stageBatch, stagedRowsSql } from '../../../../features/push/push-commit.js';
import { checkPushedRows } from '../../../../features/push/push-rows.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { NESTED_FIELDS } from '../../../support/features/nested-source.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const REQUIRED = new Set(['driver_id', 'ts']);
/** A push request's body as the HTTP server parses it: numbers exact. */
const ROWS = parseExactJson(`{
  "driver_id": [1, 2],
  "ts": ["2024-05-01T00:00:00Z", "2024-05-01T00:00:01Z"],
  "embedding": [[0.5, -1.25, 3], [1.5, null]],
  "scores": [[0.1], []],
  "meta": [{"a": 1, "big": 9007199254740993}, {}],
  "profile": [{"name": "Ann \\"A\\", x", "age": 42}, {"age": 7}],
  "config": ["{\\"tier\\":\\"gold\\"}", null]
}`) as Record<string, unknown[]>;

describe('pushed nested values', () => {
  it('are staged as JSON text and read back by DuckDB as the column’s values', async () => {
    const checked = checkPushedRows('driver_push', ROWS, NESTED_FIELDS, REQUIRED);
    assert.deepEqual(checked.columns.find((column) => column.field.name === 'meta')!.values, ['{"a":1,"big":9007199254740993}', '{}']);
    assert.deepEqual(checked.columns.find((column) => column.field.name === 'profile')!.values, [
      '{"name":"Ann \\"A\\", x","age":42}',
      '{"name":null,"age":7}',
    ]);
    const directory = scratchFolder('push-nested');
    const engine = await Engine.create({ threads: 1, memoryLimit: '500MB', tempDirectory: path.join(directory, 'spill') });
    try {
      const staged = await stageBatch(directory, [{ rows: checked }]);
      const rows = await engine.withConnection(async (connection) =>
        (await connection.runAndReadAll(stagedRowsSql(staged, [0]))).getRows(),
      );
      const values = rows.map((row) =>
        Object.fromEntries(NESTED_FIELDS.slice(2).map((field, index) => [field.name, toIcebergValue(row[index + 2]!, field.type)])),
      );
      assert.deepEqual(values, [
        {
          embedding: [0.5, -1.25, 3],
          scores: [Math.fround(0.1)],
          meta: { a: 1n, big: 9_007_199_254_740_993n },
          profile: { name: 'Ann "A", x', age: 42 },
          config: '{"tier":"gold"}',
        },
        { embedding: [1.5, null], scores: [], meta: {}, profile: { name: null, age: 7 }, config: null },
      ]);
    } finally {
      engine.close();
    }
  });

  it('takes a list, map or struct as its JSON text too, as Feast’s remote online store sends them', () => {
    const checked = checkPushedRows(
      'driver_push',
      {
        driver_id: [1],
        ts: ['2024-05-01T00:00:00Z'],
        meta: ['{"a": 1, "big": 9007199254740993}'],
        profile: ['{"name": "Ann", "age": 42}'],
        embedding: ['[0.5, null]'],
      },
      NESTED_FIELDS,
      REQUIRED,
    );
    const values = Object.fromEntries(checked.columns.map((column) => [column.field.name, column.values[0]]));
    assert.deepEqual(
      [values['meta'], values['profile'], values['embedding']],
      ['{"a":1,"big":9007199254740993}', '{"name":"Ann","age":42}', '[0.5,null]'],
    );
    assert.throws(
      () => checkPushedRows('driver_push', { driver_id: [1], ts: ['2024-05-01T00:00:00Z'], meta: ['not json'] }, NESTED_FIELDS, REQUIRED),
      /row 0, column meta: expected an object \(map<string,long>\), got string "not json"/,
    );
  });

  it('a wrong value inside is refused naming the row, the column and where inside it', () => {
    const base = { driver_id: [1], ts: ['2024-05-01T00:00:00Z'] };
    const cases: [Record<string, unknown[]>, RegExp][] = [
      [{ ...base, embedding: ['0.5'] }, /row 0, column embedding: expected a list \(list<float>\), got string "0\.5"/],
      [{ ...base, embedding: [[0.5, 'x']] }, /row 0, column embedding: \[1\]: expected a number \(float\), got string "x"/],
      [{ ...base, embedding: [[1e39]] }, /row 0, column embedding: \[0\]: 1e\+39 is out of range for float/],
      [{ ...base, meta: [{ a: 1.5 }] }, /row 0, column meta: \["a"\]: expected an integer \(long\), got number 1\.5/],
      [{ ...base, meta: [{ a: 2n ** 63n }] }, /row 0, column meta: \["a"\]: 9223372036854775808 is out of range for long/],
      [{ ...base, meta: [[1]] }, /row 0, column meta: expected an object \(map<string,long>\), got a list \[1\]/],
      [{ ...base, profile: [{ name: 'x', height: 2 }] }, /row 0, column profile: "height" is not a field of struct<name:string,age:int>/],
      [{ ...base, profile: [{ age: 2 ** 31 }] }, /row 0, column profile: \.age: 2147483648 is out of range for int/],
    ];
    for (const [rows, message] of cases)
      assert.throws(
        () => checkPushedRows('driver_push', rows, NESTED_FIELDS, REQUIRED),
        (error: unknown) => message.test((error as Error).message) && /nothing of this request was written/.test((error as Error).message),
        String(message),
      );
    const binary: NestedField = {
      id: 9,
      name: 'blobs',
      required: false,
      type: { type: 'list', elementId: 10, element: 'binary', elementRequired: false },
    };
    assert.throws(
      () => checkPushedRows('driver_push', { ...base, blobs: [['AA==']] }, [...NESTED_FIELDS, binary], REQUIRED),
      /row 0, column blobs: \[0\]: binary values inside a list, map or struct cannot be pushed as JSON/,
    );
  });
});

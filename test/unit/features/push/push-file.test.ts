// `floe push --file`: the file's values reach the push's checks as a push body's would. DuckDB
// reads Parquet and CSV: lists, maps and structs arrive as JSON parsed with exact numbers, so a long
// inside one stays the long that was written; a CSV's strings, integers, decimals and times arrive
// as written, not as DuckDB's detection reads them. JSON lines are parsed as push bodies are.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { quoteLiteral } from '../../../../engine/sql.js';
import { readPushFile } from '../../../../features/push/push-file.js';
import { checkPushedRows } from '../../../../features/push/push-rows.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';
import { withEngine } from '../../../support/engine/duckdb.js';

const BIG = '9007199254740993';
const FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', required: true, type: 'long' },
  { id: 2, name: 'xs', required: false, type: { type: 'list', elementId: 10, element: 'long', elementRequired: false } },
  { id: 3, name: 'm', required: false, type: { type: 'map', keyId: 11, key: 'string', valueId: 12, value: 'long', valueRequired: false } },
  {
    id: 4,
    name: 's',
    required: false,
    type: {
      type: 'struct',
      fields: [
        { id: 13, name: 'id', required: false, type: 'long' },
        { id: 14, name: 'at', required: false, type: 'timestamp' },
      ],
    },
  },
];

/** The staged text of each column, by name. */
function staged(columns: Awaited<ReturnType<typeof readPushFile>>): Record<string, readonly unknown[]> {
  const checked = checkPushedRows('driver_push', columns, FIELDS, new Set(['driver_id']));
  return Object.fromEntries(checked.columns.map((column) => [column.field.name, column.values]));
}

describe('floe push --file', () => {
  it('reads lists, maps and structs from Parquet as JSON with every long exact', async () => {
    await withEngine(async (engine, dir) => {
      const file = path.join(dir, 'rows.parquet');
      await engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT 1::BIGINT AS driver_id, [${BIG}::BIGINT, 2] AS xs, MAP {'a': ${BIG}::BIGINT} AS m, {'id': ${BIG}::BIGINT, 'at': TIMESTAMP '2024-05-02 10:00:00.5'} AS s) TO ${quoteLiteral(file)} (FORMAT parquet)`,
        ),
      );
      assert.deepEqual(staged(await readPushFile(engine, file)), {
        driver_id: ['1'],
        xs: [`[${BIG},2]`],
        m: [`{"a":${BIG}}`],
        s: [`{"id":${BIG},"at":"2024-05-02 10:00:00.5"}`],
      });
    });
  });

  it('reads nanosecond timestamps with every digit', async () => {
    await withEngine(async (engine, dir) => {
      const file = path.join(dir, 'rows.parquet');
      await engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT 1::BIGINT AS driver_id, TIMESTAMP_NS '2024-05-02 10:00:00.123456789' AS at_ns) TO ${quoteLiteral(file)} (FORMAT parquet)`,
        ),
      );
      const fields: NestedField[] = [FIELDS[0]!, { id: 5, name: 'at_ns', required: false, type: 'timestamp_ns' }];
      const checked = checkPushedRows('driver_push', await readPushFile(engine, file), fields, new Set(['driver_id']));
      assert.deepEqual(checked.columns[1]!.values, ['2024-05-02T10:00:00.123456789']);
    });
  });

  it('reads a JSON-lines column of mixed values with every long exact, and refuses the wrong one by row', async () => {
    await withEngine(async (engine, dir) => {
      const file = path.join(dir, 'rows.jsonl');
      await writeFile(file, `{"driver_id": 1, "xs": [${BIG}]}\n{"driver_id": 2, "xs": []}\n`);
      assert.deepEqual(staged(await readPushFile(engine, file)).xs, [`[${BIG}]`, '[]']);
      await writeFile(file, `{"driver_id": 1, "xs": [${BIG}]}\n{"driver_id": 2, "xs": "many"}\n`);
      const columns = await readPushFile(engine, file);
      assert.throws(() => staged(columns), /row 1, column xs: expected a list \(list<long>\), got string "many"/);
    });
  });

  it('reads a CSV’s strings, integers, decimals and times as written, not as the doubles detection makes of them', async () => {
    await withEngine(async (engine, dir) => {
      const fields: NestedField[] = [
        FIELDS[0]!,
        { id: 5, name: 'account', required: false, type: 'string' },
        { id: 6, name: 'amount', required: false, type: 'decimal(38, 10)' },
        { id: 7, name: 'visits', required: false, type: 'long' },
        { id: 8, name: 'at_ns', required: false, type: 'timestamp_ns' },
        { id: 9, name: 'rate', required: false, type: 'double' },
        { id: 10, name: 'active', required: false, type: 'boolean' },
      ];
      const file = path.join(dir, 'rows.csv');
      await writeFile(
        file,
        [
          'driver_id,account,amount,visits,at_ns,rate,active',
          `1,1.10,12345678901234567890.0123456789,7.0,2024-05-02 10:00:00.123456789+09:00,0.5,true`,
          `2,1e3,0.1,${BIG},2024-05-02T10:00:00.000000001,1e-3,false`,
          '3,,,,,,',
        ].join('\n'),
      );
      const checked = checkPushedRows('driver_push', await readPushFile(engine, file, fields), fields, new Set(['driver_id']));
      assert.deepEqual(Object.fromEntries(checked.columns.map((column) => [column.field.name, column.values])), {
        driver_id: ['1', '2', '3'],
        account: ['1.10', '1e3', null],
        amount: ['12345678901234567890.0123456789', '0.1', null],
        visits: ['7', BIG, null],
        at_ns: ['2024-05-02T01:00:00.123456789Z', '2024-05-02T10:00:00.000000001', null],
        rate: ['0.5', '0.001', null],
        active: ['true', 'false', null],
      });
      await writeFile(file, 'driver_id,visits\n1,7.5\n');
      const columns = await readPushFile(engine, file, fields);
      assert.throws(
        () => checkPushedRows('driver_push', columns, fields, new Set(['driver_id'])),
        /row 0, column visits: expected an integer \(long\), got string "7\.5"/,
      );
      // DuckDB would read the second as visits_1, a column the file does not name.
      await writeFile(file, 'driver_id,visits,visits\n1,7,8\n');
      await assert.rejects(
        readPushFile(engine, file, fields),
        /rows\.csv: cannot be read as csv: its header line names column "visits" twice/,
      );
    });
  });

  it('reads JSON lines as push bodies are read: a decimal keeps every digit, a column a line lacks is null, a line that is no object is named', async () => {
    await withEngine(async (engine, dir) => {
      const fields: NestedField[] = [FIELDS[0]!, { id: 5, name: 'amount', required: false, type: 'decimal(38, 10)' }];
      const file = path.join(dir, 'rows.jsonl');
      await writeFile(file, `{"driver_id": ${BIG}, "amount": 12345678901234567890.0123456789}\n\n{"driver_id": 2}\n`);
      const checked = checkPushedRows('driver_push', await readPushFile(engine, file, fields), fields, new Set(['driver_id']));
      assert.deepEqual(
        checked.columns.map((column) => column.values),
        [
          [BIG, '2'],
          ['12345678901234567890.0123456789', null],
        ],
      );
      await writeFile(file, '{"driver_id": 1}\n[2]\n');
      await assert.rejects(readPushFile(engine, file, fields), /rows\.jsonl: line 2 is not a JSON object of column values/);
      await writeFile(file, '{"driver_id": 1}\n{"driver_id": 2,}\n');
      await assert.rejects(readPushFile(engine, file, fields), /rows\.jsonl: line 2 is not JSON: /);
    });
  });
});

// Timestamps inside nested values in the library's Arrow output (issue #54 item 6): a list, a map
// and a struct holding zoned and zoneless timestamps come out as Arrow timestamp[us] leaves with
// every microsecond (Arrow's own builders take milliseconds as JS numbers and would round or
// throw), nulls kept, through Arrow IPC too; decimals inside still make the column DuckDB's text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as arrow from 'apache-arrow';
import { queryToArrow } from '../../../../features/historical/arrow-io.js';
import { withConnection } from '../../../support/engine/duckdb.js';

const AT = 1_714_521_600_123_457n; // 2024-05-01T00:00:00.123457Z in microseconds: no whole millisecond

describe('nested timestamps in Arrow output', () => {
  it('are Arrow timestamp[us] leaves, exact to the microsecond', async () => {
    await withConnection(async (connection) => {
      const queried = await queryToArrow(
        connection,
        `SELECT * FROM (VALUES
          (1, [make_timestamptz(${AT}), NULL]::TIMESTAMPTZ[], MAP {'seen': make_timestamptz(${AT + 1n})}, {'at': make_timestamp(${AT + 2n}), 'n': 3}),
          (2, NULL, MAP {}::MAP(VARCHAR, TIMESTAMPTZ), NULL)
        ) AS t(id, times, by_name, record)
        ORDER BY id`,
      );
      // Through Arrow IPC (as the Flight server and Python clients read it), the same.
      const table = arrow.tableFromIPC(arrow.tableToIPC(queried));
      const times = table.getChild('times')!;
      assert.equal(String(times.type), 'List<Timestamp<MICROSECOND, UTC>>');
      assert.equal(String(table.getChild('by_name')!.type), 'Map<{key:Utf8, value:Timestamp<MICROSECOND, UTC>}>');
      const record = table.getChild('record')!;
      assert.ok(arrow.DataType.isStruct(record.type));
      assert.equal(String(record.type.children[0]!.type), 'Timestamp<MICROSECOND>');

      // The raw microseconds under the type, not a rounded millisecond.
      const rawMicros = (vector: arrow.Vector, index: number): bigint => (vector.data[0]!.values as BigInt64Array)[index]!;
      const list = times.data[0]!.children[0]!;
      assert.equal((list.values as BigInt64Array)[0], AT);
      assert.equal(list.nullCount, 1);
      assert.equal(times.get(1), null);
      const mapValues = table.getChild('by_name')!.data[0]!.children[0]!.children[1]!;
      assert.equal((mapValues.values as BigInt64Array)[0], AT + 1n);
      assert.equal(rawMicros(record.getChildAt(0)!, 0), AT + 2n);
      assert.equal(record.get(1), null);
      assert.equal(record.getChildAt(1)!.get(0), 3);
    });
  });

  it('a decimal inside keeps the column as DuckDB text, exact', async () => {
    await withConnection(async (connection) => {
      const table = await queryToArrow(connection, `SELECT [12345678901234567890.1234567891::DECIMAL(38, 10)] AS prices`);
      assert.equal(String(table.getChild('prices')!.type), 'Utf8');
      assert.equal(table.getChild('prices')!.get(0), '[12345678901234567890.1234567891]');
    });
  });
});

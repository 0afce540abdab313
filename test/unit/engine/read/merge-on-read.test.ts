import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readPlanSql } from '../../../../engine/read/read-plan.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID, POSITION_DELETE_POS_FIELD_ID } from '../../../../iceberg/spec/position-deletes.js';
import { quoteIdentifier, quoteLiteral } from '../../../../engine/sql.js';
import { bind } from '../../../../iceberg/expressions/bind.js';
import type { BoundExpression } from '../../../../iceberg/expressions/bound.js';
import { eq, gtEq, lt, notNull } from '../../../../iceberg/expressions/expression.js';
import type { DeleteFileRef, ScanTask } from '../../../../iceberg/scan/plan.js';
import { dataFileMetrics } from '../../../../iceberg/spec/metrics.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import type { DataFileMetrics } from '../../../../iceberg/spec/metrics.js';
import { sortedCanonical, tuples, withConnection } from '../../../support/engine/duckdb.js';
import { file, plan, schema, task } from '../../../support/engine/plans.js';

/**
 * Merge-on-read against a brute-force reference of the spec's rules ("Scan Planning"):
 * - a position delete removes (file_path, pos) from the data file at that ORIGINAL location when
 *   the delete's data sequence number ≥ the data file's;
 * - an equality delete removes rows null-safe equal on its equality columns when its data
 *   sequence number is strictly greater;
 * - both only within the same partition, unless the delete is unpartitioned (global);
 * and a row filter, which the reader drops for files whose metrics prove every row matches it.
 */

const tableSchema = schema(
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'k', required: false, type: 'string' },
  { id: 3, name: 'v', required: false, type: 'int' },
);

interface Row {
  readonly id: number;
  readonly k: string | null;
  readonly v: number | null;
}
interface DataSpec {
  readonly seq: number;
  readonly partition: number;
  readonly rows: readonly Omit<Row, 'id'>[];
}
interface PositionDeleteSpec {
  readonly seq: number;
  /** null: an unpartitioned (global) delete file. */
  readonly partition: number | null;
  /** Index of the data file named (one past the last names a file not in the scan), and the position. */
  readonly rows: readonly { readonly file: number; readonly pos: number }[];
  /** How its manifest entry says that every row names one data file (then they do), if it does. */
  readonly entryNames?: 'referenced-data-file' | 'equal-bounds' | null;
}
interface EqualityDeleteSpec {
  readonly seq: number;
  readonly partition: number | null;
  readonly equalityIds: readonly number[];
  readonly rows: readonly Omit<Row, 'id'>[];
}
/** A filter on v (SQL's meaning: a null v never matches): files whose metrics prove it are read without it. */
interface ValueFilter {
  readonly op: 'gtEq' | 'lt' | 'eq' | 'notNull';
  readonly value: number;
}
interface Scenario {
  readonly data: readonly DataSpec[];
  readonly positionDeletes: readonly PositionDeleteSpec[];
  readonly equalityDeletes: readonly EqualityDeleteSpec[];
  readonly filter?: ValueFilter | null;
}

const keyArb = fc.constantFrom<string | null>('a', 'b', "it's", null);
const valueArb = fc.option(fc.integer({ min: 0, max: 2 }), { nil: null });
const rowArb = fc.record({ k: keyArb, v: valueArb });
const seqArb = fc.integer({ min: 1, max: 4 });
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  data: fc.array(fc.record({ seq: seqArb, partition: fc.integer({ min: 0, max: 1 }), rows: fc.array(rowArb, { maxLength: 8 }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  positionDeletes: fc.array(
    fc
      .record({
        seq: seqArb,
        partition: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
        rows: fc.array(fc.record({ file: fc.integer({ min: 0, max: 4 }), pos: fc.integer({ min: 0, max: 8 }) }), { maxLength: 8 }),
        entryNames: fc.constantFrom(null, 'referenced-data-file' as const, 'equal-bounds' as const),
      })
      .map((del) => (del.entryNames === null ? del : { ...del, rows: del.rows.map((row) => ({ ...row, file: del.rows[0]!.file })) })),
    { maxLength: 3 },
  ),
  equalityDeletes: fc.array(
    fc.record({
      seq: seqArb,
      partition: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
      equalityIds: fc.constantFrom([2], [2, 3], [3]),
      rows: fc.array(rowArb, { maxLength: 4 }),
    }),
    { maxLength: 3 },
  ),
  filter: fc.option(
    fc.record({
      op: fc.constantFrom('gtEq' as const, 'lt' as const, 'eq' as const, 'notNull' as const),
      value: fc.integer({ min: 0, max: 2 }),
    }),
    {
      nil: null,
    },
  ),
});

function passes(filter: ValueFilter | null | undefined, v: number | null): boolean {
  if (!filter) return true;
  if (v === null) return false;
  if (filter.op === 'gtEq') return v >= filter.value;
  if (filter.op === 'lt') return v < filter.value;
  if (filter.op === 'eq') return v === filter.value;
  return true;
}

function boundFilter(filter: ValueFilter): BoundExpression {
  const expression =
    filter.op === 'notNull'
      ? notNull('v')
      : filter.op === 'gtEq'
        ? gtEq('v', filter.value)
        : filter.op === 'lt'
          ? lt('v', filter.value)
          : eq('v', filter.value);
  return bind(expression, tableSchema);
}

/** What a writer records of v: counts and bounds, so the reader may prove the filter for a whole file. */
function valueMetrics(rows: readonly Omit<Row, 'id'>[]): DataFileMetrics {
  const values = rows.map((row) => row.v).filter((v): v is number => v !== null);
  return dataFileMetrics(
    tableSchema,
    [
      {
        fieldId: 3,
        valueCount: rows.length,
        nullCount: rows.length - values.length,
        nanCount: 0,
        ...(values.length > 0 ? { min: Math.min(...values), max: Math.max(...values) } : {}),
      },
    ],
    {},
  );
}

function scopeMatches(dataPartition: number, deletePartition: number | null): boolean {
  return deletePartition === null || deletePartition === dataPartition;
}

/** The rows a correct reader returns, computed row by row from the spec's rules. */
function reference(scenario: Scenario, location: (index: number) => string): Row[] {
  const result: Row[] = [];
  let id = 0;
  scenario.data.forEach((data, fileIndex) => {
    data.rows.forEach((row, pos) => {
      const full = { id: id++, ...row };
      const positionDeleted = scenario.positionDeletes.some(
        (del) =>
          del.seq >= data.seq &&
          scopeMatches(data.partition, del.partition) &&
          del.rows.some((target) => location(target.file) === location(fileIndex) && target.pos === pos),
      );
      const equalityDeleted = scenario.equalityDeletes.some(
        (del) =>
          del.seq > data.seq &&
          scopeMatches(data.partition, del.partition) &&
          del.rows.some((target) => del.equalityIds.every((fieldId) => (fieldId === 2 ? target.k === full.k : target.v === full.v))),
      );
      if (!positionDeleted && !equalityDeleted && passes(scenario.filter, full.v)) result.push(full);
    });
  });
  return result;
}

function sqlValue(value: string | number | null): string {
  return value === null ? 'NULL' : typeof value === 'string' ? quoteLiteral(value) : String(value);
}

async function copy(
  connection: DuckDBConnection,
  path: string,
  columns: string,
  rows: string[],
  types: string,
  fieldIds: string,
): Promise<void> {
  const body = rows.length === 0 ? `SELECT ${types} WHERE false` : `SELECT * FROM (VALUES ${rows.join(', ')}) t(${columns})`;
  // Cast through the declared types so empty files and all-null columns keep the right Parquet types.
  await connection.run(
    `COPY (SELECT ${types.replace(/NULL::(\w+) AS (\w+)/g, 'CAST($2 AS $1) AS $2')} FROM (${body})) TO ${quoteLiteral(path)} (FORMAT parquet, FIELD_IDS ${fieldIds})`,
  );
}

/** What a position delete file's manifest entry records of the one data file its rows name. */
function entryNaming(del: PositionDeleteSpec, location: (index: number) => string): Partial<DataFile> {
  const named = del.rows[0];
  if (!del.entryNames || named === undefined) return {};
  if (del.entryNames === 'referenced-data-file') return { referencedDataFile: location(named.file) };
  const bound = new Map([[POSITION_DELETE_FILE_PATH_FIELD_ID, new TextEncoder().encode(location(named.file))]]);
  return { lowerBounds: bound, upperBounds: bound };
}

/** Writes the scenario's files and builds the plan a spec-following planner would produce. */
async function materialize(connection: DuckDBConnection, dir: string, scenario: Scenario) {
  await mkdir(dir, { recursive: true });
  const location = (index: number) => `s3://bucket/t/data/file-${index}.parquet`;
  const localPath = (fileLocation: string) =>
    join(dir, fileLocation.replace('s3://bucket/t/data/', '').replace('s3://bucket/t/deletes/', 'del-'));
  let id = 0;
  for (const [index, data] of scenario.data.entries()) {
    const rows = data.rows.map((row) => `(${id++}, ${sqlValue(row.k)}, ${sqlValue(row.v)})`);
    await copy(
      connection,
      localPath(location(index)),
      'id, k, v',
      rows,
      'NULL::BIGINT AS id, NULL::VARCHAR AS k, NULL::INTEGER AS v',
      '{id: 1, k: 2, v: 3}',
    );
  }
  const positionRefs: { ref: DeleteFileRef; partition: number | null }[] = [];
  for (const [index, del] of scenario.positionDeletes.entries()) {
    const deleteLocation = `s3://bucket/t/deletes/pos-${index}.parquet`;
    const rows = del.rows.map((row) => `(${quoteLiteral(location(row.file))}, ${row.pos})`);
    await copy(
      connection,
      localPath(deleteLocation),
      'file_path, pos',
      rows,
      'NULL::VARCHAR AS file_path, NULL::BIGINT AS pos',
      `{file_path: ${POSITION_DELETE_FILE_PATH_FIELD_ID}, pos: ${POSITION_DELETE_POS_FIELD_ID}}`,
    );
    positionRefs.push({
      ref: { file: { ...file(deleteLocation, 'position-deletes'), ...entryNaming(del, location) }, dataSequenceNumber: del.seq },
      partition: del.partition,
    });
  }
  const equalityRefs: { ref: DeleteFileRef; partition: number | null }[] = [];
  for (const [index, del] of scenario.equalityDeletes.entries()) {
    const deleteLocation = `s3://bucket/t/deletes/eq-${index}.parquet`;
    // Delete files carry all columns here; only the equality ids may count.
    const rows = del.rows.map((row) => `(${id++ + 1000}, ${sqlValue(row.k)}, ${sqlValue(row.v)})`);
    await copy(
      connection,
      localPath(deleteLocation),
      'id, k, v',
      rows,
      'NULL::BIGINT AS id, NULL::VARCHAR AS k, NULL::INTEGER AS v',
      '{id: 1, k: 2, v: 3}',
    );
    equalityRefs.push({
      ref: { file: file(deleteLocation, 'equality-deletes', del.equalityIds), dataSequenceNumber: del.seq },
      partition: del.partition,
    });
  }
  const tasks: ScanTask[] = scenario.data.map((data, index) =>
    task({ ...file(location(index)), recordCount: data.rows.length, ...valueMetrics(data.rows) }, data.seq, {
      position: positionRefs
        .filter(({ ref, partition }) => ref.dataSequenceNumber >= data.seq && scopeMatches(data.partition, partition))
        .map(({ ref }) => ref),
      equality: equalityRefs
        .filter(({ ref, partition }) => ref.dataSequenceNumber > data.seq && scopeMatches(data.partition, partition))
        .map(({ ref }) => ref),
    }),
  );
  const filter = scenario.filter ? { filter: boundFilter(scenario.filter) } : {};
  return { scanPlan: { ...plan(tableSchema, tasks), ...filter }, localPath, location };
}

async function readRows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await tuples(connection, sql)).map(([id, k, v]) => ({ id: Number(id), k: k as string | null, v: v as number | null }));
}

describe('readPlanSql: merge-on-read', () => {
  it('equals a brute-force application of the spec’s delete rules (property)', async () => {
    await withConnection(async (connection, dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          const { scanPlan, localPath, location } = await materialize(connection, join(dir, `run-${run++}`), scenario);
          const actual = await readRows(connection, readPlanSql(scanPlan, { localPath }));
          assert.deepEqual(sortedCanonical(actual), sortedCanonical(reference(scenario, location)));
        }),
        { numRuns: 120 },
      );
    });
  });

  it('applies a position delete with an equal sequence number, not an equality delete with one', async () => {
    await withConnection(async (connection, dir) => {
      const scenario: Scenario = {
        data: [
          {
            seq: 3,
            partition: 0,
            rows: [
              { k: 'a', v: 1 },
              { k: 'b', v: 2 },
              { k: 'c', v: 3 },
            ],
          },
        ],
        positionDeletes: [{ seq: 3, partition: null, rows: [{ file: 0, pos: 0 }] }],
        equalityDeletes: [
          { seq: 3, partition: null, equalityIds: [2], rows: [{ k: 'b', v: null }] },
          { seq: 4, partition: null, equalityIds: [2], rows: [{ k: 'c', v: null }] },
        ],
      };
      const { scanPlan, localPath } = await materialize(connection, dir, scenario);
      assert.deepEqual(await readRows(connection, readPlanSql(scanPlan, { localPath })), [{ id: 1, k: 'b', v: 2 }]);
    });
  });

  it('matches nulls in equality deletes null-safely, and position deletes by the original location only', async () => {
    await withConnection(async (connection, dir) => {
      const scenario: Scenario = {
        data: [
          {
            seq: 1,
            partition: 0,
            rows: [
              { k: null, v: 1 },
              { k: 'a', v: null },
              { k: 'a', v: 2 },
            ],
          },
          { seq: 1, partition: 0, rows: [{ k: 'z', v: 9 }] },
        ],
        // Position 0 of file 1 by location; the local path of file 0 never appears in a delete file.
        positionDeletes: [{ seq: 1, partition: null, rows: [{ file: 1, pos: 0 }] }],
        equalityDeletes: [
          {
            seq: 2,
            partition: null,
            equalityIds: [2, 3],
            rows: [
              { k: null, v: 1 },
              { k: 'a', v: null },
            ],
          },
        ],
      };
      const { scanPlan, localPath } = await materialize(connection, dir, scenario);
      assert.deepEqual(await readRows(connection, readPlanSql(scanPlan, { localPath })), [{ id: 2, k: 'a', v: 2 }]);
    });
  });

  it('scopes partitioned deletes to the data files the plan applies them to', async () => {
    await withConnection(async (connection, dir) => {
      const scenario: Scenario = {
        data: [
          { seq: 1, partition: 0, rows: [{ k: 'a', v: 1 }] },
          { seq: 1, partition: 1, rows: [{ k: 'a', v: 1 }] },
        ],
        positionDeletes: [],
        equalityDeletes: [{ seq: 2, partition: 1, equalityIds: [2], rows: [{ k: 'a', v: null }] }],
      };
      const { scanPlan, localPath } = await materialize(connection, dir, scenario);
      assert.deepEqual(await readRows(connection, readPlanSql(scanPlan, { localPath })), [{ id: 0, k: 'a', v: 1 }]);
    });
  });

  it('reads equality-delete columns the projection leaves out, given the table schema', async () => {
    await withConnection(async (connection, dir) => {
      const scenario: Scenario = {
        data: [
          {
            seq: 1,
            partition: 0,
            rows: [
              { k: 'a', v: 1 },
              { k: 'b', v: 2 },
            ],
          },
        ],
        positionDeletes: [],
        equalityDeletes: [{ seq: 2, partition: null, equalityIds: [2], rows: [{ k: 'a', v: null }] }],
      };
      const { scanPlan, localPath } = await materialize(connection, dir, scenario);
      const projected = { ...scanPlan, schema: schema({ id: 3, name: 'v', required: false, type: 'int' }) };
      assert.throws(() => readPlanSql(projected, { localPath }), /field id 2 is not in the plan's schema/);
      assert.deepEqual(await tuples(connection, readPlanSql(projected, { localPath, tableSchema })), [[2]]);
    });
  });

  it('takes hostile column names through the delete anti-joins and the row filter', async () => {
    await withConnection(async (connection, dir) => {
      const scenario: Scenario = {
        data: [
          {
            seq: 1,
            partition: 0,
            rows: [
              { k: 'a', v: 1 },
              { k: 'b', v: 2 },
              { k: 'c', v: 0 },
            ],
          },
        ],
        positionDeletes: [{ seq: 1, partition: null, rows: [{ file: 0, pos: 2 }] }],
        equalityDeletes: [{ seq: 2, partition: null, equalityIds: [2], rows: [{ k: 'a', v: null }] }],
      };
      const { scanPlan, localPath } = await materialize(connection, dir, scenario);
      const names = ['file_row_number', `k"; DROP TABLE x; --`, 'ünïcødé 🚀'];
      const hostile = { ...scanPlan, schema: schema(...scanPlan.schema.fields.map((field, index) => ({ ...field, name: names[index]! }))) };
      const rowFilter = `${quoteIdentifier(names[2]!)} >= 0 AND ${quoteIdentifier(names[1]!)} <> ${quoteLiteral("'")}`;
      assert.deepEqual(await tuples(connection, readPlanSql(hostile, { localPath, rowFilter })), [[1n, 'b', 2]]);
    });
  });

  it('refuses a plan that applies a delete against the sequence-number rules', () => {
    const del = { file: file('s3://b/t/eq.parquet', 'equality-deletes', [2]), dataSequenceNumber: 2 };
    const bad = plan(tableSchema, [task(file('s3://b/t/a.parquet'), 2, { equality: [del] })]);
    assert.throws(() => readPlanSql(bad, { localPath: (path) => path }), /spec forbids/);
  });
});

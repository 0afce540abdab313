/**
 * Pruning through the whole planner, on random tables written with Floe's Avro writers: random
 * rows, partitioned under one to three random specs (spec evolution), split into files whose
 * metrics come from their values under a random metrics mode, with position and equality deletes,
 * then random filters (literals in every form a caller may write them). Checked against the
 * independent row oracle:
 *   - no false negatives: every row that matches the filter (SQL or Java null semantics) is in a
 *     file the planner keeps;
 *   - a kept data file keeps every delete file that applies to it without the filter;
 *   - pruning happens: for eq on an identity partition and for ranges on a column with full
 *     metrics, exactly the files that cannot match are skipped.
 */
import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import fc from 'fast-check';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { describe } from '../../../../iceberg/expressions/expression.js';
import type { Expression, FilterLiteral, PredicateOp } from '../../../../iceberg/expressions/expression.js';
import type { ScanPlan } from '../../../../iceberg/scan/plan.js';
import { planScan } from '../../../../iceberg/scan/planner.js';
import type { DataFile, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import type { PartitionSpec, PartitionValues } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { parseTransform } from '../../../../iceberg/spec/transforms.js';
import type { PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { formatDecimal } from '../../../../iceberg/spec/value-json.js';
import { matchesEither } from '../../../support/iceberg/row-oracle.js';
import type { OracleFilter, Row } from '../../../support/iceberg/row-oracle.js';
import { fileWithValues, loadedTable, MemoryFileIO, writeManifestFile, writeSnapshot } from '../../../support/iceberg/table-builder.js';
import { microsToIso } from '../../../support/iso-micros.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'score', required: false, type: 'double' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'qty', required: false, type: 'int' },
    { id: 6, name: 'price', required: false, type: 'decimal(9, 2)' },
  ],
};
const COLUMNS = ['id', 'name', 'score', 'ts', 'qty', 'price'] as const;
type Column = (typeof COLUMNS)[number];
const FIELD_ID: Readonly<Record<Column, number>> = { id: 1, name: 2, score: 3, ts: 4, qty: 5, price: 6 };

const HOUR_US = 3_600_000_000n;
const BASE_TS = 1_706_659_200_000_000n; // 2024-01-31T00:00:00Z

const values: Readonly<Record<Column, fc.Arbitrary<PrimitiveValue>>> = {
  id: fc.bigInt({ min: -20n, max: 60n }),
  name: fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀'), maxLength: 3 }),
  score: fc.oneof(
    fc.integer({ min: -4, max: 4 }).map((n) => n / 2),
    fc.constantFrom(-0, Number.NaN, Infinity),
  ),
  ts: fc.oneof(
    fc.bigInt({ min: -60n, max: 60n }).map((h) => BASE_TS + h * HOUR_US + 17n),
    fc.bigInt({ min: -30n, max: 30n }).map((h) => h * HOUR_US * 24n - 1n),
  ),
  qty: fc.integer({ min: -12, max: 12 }),
  price: fc.bigInt({ min: -500n, max: 500n }),
};
const literals: Readonly<Record<Column, fc.Arbitrary<PrimitiveValue>>> = {
  ...values,
  score: fc.oneof(
    fc.integer({ min: -4, max: 4 }).map((n) => n / 2),
    fc.constantFrom(-0, Infinity, -Infinity),
  ),
  ts: fc.oneof(
    values.ts,
    fc.bigInt({ min: -60n, max: 60n }).map((h) => BASE_TS + h * HOUR_US),
  ),
};

const SPEC_POOL: readonly (readonly [Column, string][])[] = [
  [],
  [['name', 'identity']],
  [['id', 'bucket[3]']],
  [['ts', 'day']],
  [
    ['name', 'truncate[1]'],
    ['qty', 'bucket[2]'],
  ],
  [
    ['ts', 'month'],
    ['qty', 'identity'],
  ],
  [['ts', 'year']],
  [['ts', 'hour']],
  [['qty', 'truncate[5]']],
  [['score', 'identity']],
  [['name', 'void']],
  [['price', 'truncate[100]']],
  [['ts', 'bucket[3]']],
  [
    ['id', 'identity'],
    ['ts', 'day'],
  ],
];

const METRICS_MODES: readonly Record<string, string>[] = [
  {},
  { 'write.metadata.metrics.default': 'full' },
  { 'write.metadata.metrics.default': 'truncate(1)' },
  { 'write.metadata.metrics.default': 'counts' },
  { 'write.metadata.metrics.column.name': 'none', 'write.metadata.metrics.column.ts': 'counts' },
];

type TableRow = Row & { readonly id: bigint };

const rowArbitrary: fc.Arbitrary<TableRow> = fc.record({
  id: values.id as fc.Arbitrary<bigint>,
  name: fc.option(values.name, { nil: null, freq: 5 }),
  score: fc.option(values.score, { nil: null, freq: 5 }),
  ts: fc.option(values.ts, { nil: null, freq: 5 }),
  qty: fc.option(values.qty, { nil: null, freq: 5 }),
  price: fc.option(values.price, { nil: null, freq: 5 }),
});

interface TableCase {
  readonly specIndexes: readonly number[];
  /** Each row with the index (into the table's specs) it was written under, and a seed that splits a partition into files. */
  readonly rows: readonly { row: TableRow; spec: number; split: number }[];
  readonly metricsMode: number;
  readonly manifestPerPartition: boolean;
  readonly deletes: readonly { position: boolean; equality: boolean; rows: readonly TableRow[] }[];
  readonly globalDelete: boolean;
}

const tableCase: fc.Arbitrary<TableCase> = fc
  .uniqueArray(fc.integer({ min: 0, max: SPEC_POOL.length - 1 }), { minLength: 1, maxLength: 3 })
  .chain((specIndexes) =>
    fc.record({
      specIndexes: fc.constant(specIndexes),
      rows: fc.array(
        fc.record({ row: rowArbitrary, spec: fc.integer({ min: 0, max: specIndexes.length - 1 }), split: fc.integer({ min: 0, max: 2 }) }),
        { minLength: 1, maxLength: 30 },
      ),
      metricsMode: fc.integer({ min: 0, max: METRICS_MODES.length - 1 }),
      manifestPerPartition: fc.boolean(),
      deletes: fc.array(
        fc.record({ position: fc.boolean(), equality: fc.boolean(), rows: fc.array(rowArbitrary, { minLength: 1, maxLength: 2 }) }),
        { maxLength: 8 },
      ),
      globalDelete: fc.boolean(),
    }),
  );

interface BuiltTable {
  readonly plan: (filter?: Expression) => Promise<ScanPlan>;
  /** Which file each row was written to. */
  readonly fileOfRow: readonly string[];
  readonly dataFiles: readonly DataFile[];
  readonly manifests: number;
}

const columnsOf = (rows: readonly TableRow[]): Record<number, (PrimitiveValue | null)[]> =>
  Object.fromEntries(COLUMNS.map((column) => [FIELD_ID[column], rows.map((row) => row[column] ?? null)]));

const keyOf = (specId: number, tuple: PartitionValues): string =>
  `${specId}:${JSON.stringify(tuple, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v))}`;

async function buildTable(input: TableCase): Promise<BuiltTable> {
  const io = new MemoryFileIO();
  const specs: PartitionSpec[] = input.specIndexes.map((poolIndex, specId) => ({
    specId,
    fields: SPEC_POOL[poolIndex]!.map(([column, transform], i) => ({
      sourceId: FIELD_ID[column],
      fieldId: 1000 + i,
      name: `${column}_${i}`,
      transform,
    })),
  }));
  const partitionOf = (spec: PartitionSpec, row: TableRow): PartitionValues =>
    spec.fields.map((field) =>
      parseTransform(field.transform)
        .bind(schema.fields.find((f) => f.id === field.sourceId)!.type)
        .apply(row[COLUMNS[field.sourceId - 1]!] ?? null),
    );
  const properties = METRICS_MODES[input.metricsMode]!;

  // Rows → files: by spec, partition tuple and split seed.
  const groups = new Map<string, { spec: PartitionSpec; partition: PartitionValues; rows: TableRow[]; indexes: number[] }>();
  input.rows.forEach(({ row, spec: specIndex, split }, index) => {
    const spec = specs[specIndex]!;
    const partition = partitionOf(spec, row);
    const key = `${keyOf(spec.specId, partition)}#${split}`;
    const group = groups.get(key) ?? { spec, partition, rows: [], indexes: [] };
    group.rows.push(row);
    group.indexes.push(index);
    groups.set(key, group);
  });
  const fileOfRow: string[] = [];
  const dataFiles: { spec: PartitionSpec; file: DataFile; partitionKey: string }[] = [];
  [...groups.values()].forEach((group, n) => {
    const file = fileWithValues(schema, `mem://t/data/${n}.parquet`, group.partition, columnsOf(group.rows), { properties });
    for (const index of group.indexes) fileOfRow[index] = file.filePath;
    dataFiles.push({ spec: group.spec, file, partitionKey: keyOf(group.spec.specId, group.partition) });
  });

  // Delete files in partitions that hold data, with column values unrelated to those rows.
  const partitions = [...new Map(dataFiles.map((d) => [d.partitionKey, d])).values()];
  const deleteFiles: { spec: PartitionSpec; file: DataFile }[] = [];
  input.deletes.forEach((spec, n) => {
    const target = partitions[n % Math.max(1, partitions.length)];
    if (!target) return;
    if (spec.position)
      deleteFiles.push({
        spec: target.spec,
        file: fileWithValues(schema, `mem://t/data/pd-${n}.parquet`, target.file.partition, columnsOf(spec.rows), {
          content: 'position-deletes',
        }),
      });
    if (spec.equality)
      deleteFiles.push({
        spec: target.spec,
        file: fileWithValues(schema, `mem://t/data/ed-${n}.parquet`, target.file.partition, columnsOf(spec.rows), {
          content: 'equality-deletes',
        }),
      });
  });
  const unpartitioned = specs.find((spec) => spec.fields.length === 0);
  if (input.globalDelete && unpartitioned) {
    deleteFiles.push({
      spec: unpartitioned,
      file: fileWithValues(schema, 'mem://t/data/global.parquet', [], columnsOf(input.deletes[0]?.rows ?? [input.rows[0]!.row]), {
        content: 'equality-deletes',
      }),
    });
  }

  // Manifests: per spec (and per partition when asked); data at sequence number 1, deletes at 2.
  const manifests: ManifestFile[] = [];
  let count = 0;
  for (const spec of specs) {
    const ofSpec = dataFiles.filter((d) => d.spec === spec);
    const byPartition = new Map<string, typeof ofSpec>();
    for (const d of ofSpec) byPartition.set(d.partitionKey, [...(byPartition.get(d.partitionKey) ?? []), d]);
    const batches = input.manifestPerPartition ? [...byPartition.values()] : [ofSpec];
    for (const batch of batches.filter((b) => b.length > 0)) {
      manifests.push(
        await writeManifestFile(io, {
          path: `mem://t/metadata/m${count++}.avro`,
          content: 'data',
          spec,
          schema,
          files: batch.map((d) => d.file),
          snapshotId: 1n,
          sequenceNumber: 1,
        }),
      );
    }
    const deletes = deleteFiles.filter((d) => d.spec === spec).map((d) => d.file);
    if (deletes.length > 0) {
      manifests.push(
        await writeManifestFile(io, {
          path: `mem://t/metadata/d${count++}.avro`,
          content: 'deletes',
          spec,
          schema,
          files: deletes,
          snapshotId: 2n,
          sequenceNumber: 2,
        }),
      );
    }
  }
  const snapshot = await writeSnapshot(io, {
    snapshotId: 2n,
    parentSnapshotId: null,
    sequenceNumber: 2,
    schemaId: 0,
    manifests,
    manifestListPath: 'mem://t/metadata/snap.avro',
  });
  const table = loadedTable(io, { location: 'mem://t', schemas: [schema], currentSchemaId: 0, specs, snapshots: [snapshot] });
  return {
    plan: (filter) => planScan(table, filter ? { filter } : {}),
    fileOfRow,
    dataFiles: dataFiles.map((d) => d.file),
    manifests: manifests.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Filters, and the many ways a caller may write a literal

const OPS_BY_COLUMN: Readonly<Record<Column, readonly PredicateOp[]>> = {
  id: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull'],
  name: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull', 'startsWith', 'notStartsWith'],
  score: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull', 'isNaN', 'notNaN'],
  ts: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull'],
  qty: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull'],
  price: ['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'in', 'notIn', 'isNull', 'notNull'],
};

const leafArbitrary: fc.Arbitrary<OracleFilter> = fc.constantFrom(...COLUMNS).chain((column) =>
  fc
    .record({
      op: fc.constantFrom(...OPS_BY_COLUMN[column]),
      value: literals[column],
      values: fc.array(literals[column], { maxLength: 3 }),
    })
    .map(({ op, value, values: list }): OracleFilter => {
      if (op === 'in' || op === 'notIn') return { op, column, values: list };
      if (op === 'isNull' || op === 'notNull' || op === 'isNaN' || op === 'notNaN') return { op, column };
      return { op, column, value };
    }),
);

const filterArbitrary: fc.Arbitrary<OracleFilter> = fc.letrec<{ node: OracleFilter }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArbitrary,
    leafArbitrary,
    fc.record({ op: fc.constant('not' as const), arg: tie('node') }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
  ),
})).node;

/** The literal as a caller might write it; `form` picks among the forms bind accepts. */
function callerLiteral(column: string, value: PrimitiveValue, form: number): FilterLiteral {
  switch (column) {
    case 'id':
      return form % 2 === 0 ? value : Number(value);
    case 'ts': {
      const micros = value as bigint;
      if (form % 3 === 1) return microsToIso(micros);
      if (form % 3 === 2 && micros % 1000n === 0n) return new Date(Number(micros / 1000n));
      return micros;
    }
    case 'price':
      return form % 2 === 0 ? formatDecimal(value as bigint, 2) : value === 0n ? 0 : Number(formatDecimal(value as bigint, 2));
    default:
      return value;
  }
}

function toExpression(filter: OracleFilter, form: number): Expression {
  switch (filter.op) {
    case 'true':
    case 'false':
      return { op: filter.op };
    case 'and':
    case 'or':
      return { op: filter.op, args: filter.args.map((arg, i) => toExpression(arg, form + i)) };
    case 'not':
      return { op: 'not', arg: toExpression(filter.arg, form + 1) };
    default:
      if (filter.values)
        return {
          op: filter.op as 'in',
          column: filter.column,
          values: filter.values.map((v, i) => callerLiteral(filter.column, v, form + i)),
        };
      if (filter.value !== undefined)
        return { op: filter.op as 'eq', column: filter.column, value: callerLiteral(filter.column, filter.value, form) };
      return { op: filter.op as 'isNull', column: filter.column };
  }
}

const taskDeletes = (plan: ScanPlan): Map<string, string[]> =>
  new Map(
    plan.tasks.map((task) => [
      task.dataFile.filePath,
      [...task.positionDeletes, ...task.equalityDeletes].map((ref) => ref.file.filePath).sort(),
    ]),
  );

suite('planner pruning (property)', () => {
  it('never loses a matching row or a delete that applies to a kept file, across random specs, metrics and filters', async () => {
    let runsThatPruned = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(tableCase, filterArbitrary, fc.nat(5), async (input, filter, form) => {
        runs += 1;
        const table = await buildTable(input);
        const expression = toExpression(filter, form);
        const full = await table.plan();
        const pruned = await table.plan(expression);
        const context = `filter ${describe(expression)}`;

        const kept = new Set(pruned.tasks.map((task) => task.dataFile.filePath));
        input.rows.forEach(({ row }, index) => {
          if (matchesEither(filter, row))
            assert.ok(
              kept.has(table.fileOfRow[index]!),
              `${context} lost the row ${JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`,
            );
        });

        const allDeletes = taskDeletes(full);
        for (const [path, deletes] of taskDeletes(pruned)) {
          assert.ok(allDeletes.has(path), `${context} kept ${path}, which the unfiltered plan does not have`);
          assert.deepEqual(deletes, allDeletes.get(path), `${context} changed the deletes of ${path}`);
        }

        assert.deepEqual(pruned.filter, bind(expression, schema));
        assert.equal(pruned.summary.manifestsRead + pruned.summary.manifestsSkipped, table.manifests);
        assert.ok(pruned.summary.dataFiles + pruned.summary.dataFilesSkipped <= full.summary.dataFiles);
        if (pruned.summary.manifestsSkipped === 0)
          assert.equal(pruned.summary.dataFiles + pruned.summary.dataFilesSkipped, full.summary.dataFiles);
        if (pruned.summary.dataFiles < full.summary.dataFiles) runsThatPruned += 1;
      }),
      { numRuns: 120 },
    );
    assert.ok(runsThatPruned > runs / 5, `only ${runsThatPruned} of ${runs} random filters pruned any file`);
  });

  it('eq on an identity partition skips exactly the other partitions, manifests included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 6 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 5 }),
        async (quantities, wanted) => {
          const specIndex = SPEC_POOL.findIndex((fields) => fields.length === 2 && fields[1]![0] === 'qty' && fields[1]![1] === 'identity');
          const rows = quantities.map((qty, i) => ({
            row: { id: BigInt(i), name: null, score: null, ts: null, qty, price: null },
            spec: 0,
            split: 0,
          }));
          const table = await buildTable({
            specIndexes: [specIndex],
            rows,
            metricsMode: 0,
            manifestPerPartition: true,
            deletes: [],
            globalDelete: false,
          });
          const plan = await table.plan({ op: 'eq', column: 'qty', value: wanted });
          const expected = table.dataFiles.filter((file) => file.partition[1] === wanted).map((file) => file.filePath);
          assert.deepEqual(plan.tasks.map((task) => task.dataFile.filePath).sort(), expected.sort());
          // One manifest per partition: only those of the wanted quantity are read.
          const partitionsOfWanted = new Set(
            table.dataFiles.filter((file) => file.partition[1] === wanted).map((file) => keyOf(0, file.partition)),
          ).size;
          assert.equal(plan.summary.manifestsRead, partitionsOfWanted);
          assert.equal(plan.summary.manifestsSkipped, table.manifests - partitionsOfWanted);
          assert.equal(plan.summary.dataFilesSkipped, 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ranges and eq on a column with full metrics skip exactly the files whose bounds exclude them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.bigInt({ min: -50n, max: 50n }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('lt', 'ltEq', 'gt', 'gtEq', 'eq') as fc.Arbitrary<'lt' | 'ltEq' | 'gt' | 'gtEq' | 'eq'>,
        fc.bigInt({ min: -60n, max: 60n }),
        async (fileIds, op, literal) => {
          const unpartitionedIndex = SPEC_POOL.findIndex((fields) => fields.length === 0);
          // One file per list of ids (the split seed keeps rows of one list together, apart from the others).
          const rows = fileIds.flatMap((ids, n) =>
            ids.map((id) => ({ row: { id, name: null, score: null, ts: null, qty: null, price: null }, spec: 0, split: n })),
          );
          const table = await buildTable({
            specIndexes: [unpartitionedIndex],
            rows,
            metricsMode: 1,
            manifestPerPartition: false,
            deletes: [],
            globalDelete: false,
          });
          assert.equal(table.dataFiles.length, fileIds.length);
          const plan = await table.plan({ op, column: 'id', value: literal });
          const mayHold = (ids: readonly bigint[]): boolean => {
            const [min, max] = [ids.reduce((a, b) => (a < b ? a : b)), ids.reduce((a, b) => (a > b ? a : b))];
            switch (op) {
              case 'lt':
                return min < literal;
              case 'ltEq':
                return min <= literal;
              case 'gt':
                return max > literal;
              case 'gtEq':
                return max >= literal;
              case 'eq':
                return min <= literal && literal <= max;
            }
          };
          const expected = table.dataFiles.filter((file) =>
            mayHold(rows.filter((_, index) => table.fileOfRow[index] === file.filePath).map(({ row }) => row.id)),
          );
          assert.deepEqual(plan.tasks.map((task) => task.dataFile.filePath).sort(), expected.map((file) => file.filePath).sort());
          assert.equal(plan.summary.dataFilesSkipped, table.dataFiles.length - expected.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

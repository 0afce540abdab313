/**
 * Scan planning with a row filter on a table whose partitioning evolved: three specs over three
 * snapshots, a renamed column and an added one, position and equality deletes; manifests and
 * manifest lists written by Floe's Avro writers into a temporary folder read through LocalFileIO.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { and, eq, gtEq, isIn, isNull, lt, notNull, or } from '../../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../../iceberg/expressions/expression.js';
import { LocalFileIO } from '../../../../iceberg/io/local-file-io.js';
import type { LoadedTable } from '../../../../iceberg/catalog/catalog.js';
import type { ScanPlan } from '../../../../iceberg/scan/plan.js';
import { planScan } from '../../../../iceberg/scan/planner.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { parseTransform } from '../../../../iceberg/spec/transforms.js';
import { fileWithValues, loadedTable, writeManifestFile, writeSnapshot } from '../../../support/iceberg/table-builder.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const schemaV0: Schema = {
  schemaId: 0,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'category', required: false, type: 'string' },
    { id: 3, name: 'ts', required: false, type: 'timestamptz' },
  ],
};
// Schema 1 renames category to kind and adds region.
const schemaV1: Schema = {
  schemaId: 1,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'kind', required: false, type: 'string' },
    { id: 3, name: 'ts', required: false, type: 'timestamptz' },
    { id: 4, name: 'region', required: false, type: 'string' },
  ],
};
const unpartitioned: PartitionSpec = { specId: 0, fields: [] };
const byCategory: PartitionSpec = { specId: 1, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] };
const byDayAndBucket: PartitionSpec = {
  specId: 2,
  fields: [
    { sourceId: 3, fieldId: 1001, name: 'ts_day', transform: 'day' },
    { sourceId: 1, fieldId: 1002, name: 'id_bucket', transform: 'bucket[4]' },
  ],
};

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
const bucket = parseTransform('bucket[4]').bind('long');
const range = (from: number, to: number): bigint[] => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));

/** LocalFileIO that remembers what was read, to show skipped manifests are never opened. */
class RecordingFileIO extends LocalFileIO {
  readonly reads: string[] = [];
  override async read(location: string): Promise<Uint8Array> {
    this.reads.push(location);
    return super.read(location);
  }
}

const root = scratchFolder('planner-filter');
let table: LoadedTable;
let io: RecordingFileIO;
const [S1, S2, S3] = [1001n, 1002n, 1003n];

before(async () => {
  io = new RecordingFileIO();
  const path = (name: string): string => join(root, name);

  // Snapshot 1, unpartitioned: A and B, both in January.
  const A = fileWithValues(schemaV0, path('data/a.parquet'), [], {
    1: range(1, 10),
    2: ['a', 'b'],
    3: [us('2024-01-05T00:00:00Z'), us('2024-01-06T00:00:00Z')],
  });
  const B = fileWithValues(schemaV0, path('data/b.parquet'), [], { 1: range(11, 20), 2: ['c', 'd'], 3: [us('2024-01-07T00:00:00Z')] });
  const m0 = await writeManifestFile(io, {
    path: path('metadata/m0.avro'),
    content: 'data',
    spec: unpartitioned,
    schema: schemaV0,
    files: [A, B],
    snapshotId: S1,
    sequenceNumber: 1,
  });
  const snapshot1 = await writeSnapshot(io, {
    snapshotId: S1,
    parentSnapshotId: null,
    sequenceNumber: 1,
    schemaId: 0,
    manifests: [m0],
    manifestListPath: path('metadata/snap-1.avro'),
  });

  // Snapshot 2, by category: C (x) and D (y), and a position delete in partition x.
  const C = fileWithValues(schemaV0, path('data/category=x/c.parquet'), ['x'], {
    1: range(21, 25),
    2: ['x'],
    3: [us('2024-01-10T00:00:00Z')],
  });
  const D = fileWithValues(schemaV0, path('data/category=y/d.parquet'), ['y'], {
    1: range(26, 30),
    2: ['y'],
    3: [us('2024-01-11T00:00:00Z')],
  });
  const PD = fileWithValues(schemaV0, path('data/category=x/pd.parquet'), ['x'], {}, { content: 'position-deletes', recordCount: 1 });
  const m1 = await writeManifestFile(io, {
    path: path('metadata/m1.avro'),
    content: 'data',
    spec: byCategory,
    schema: schemaV0,
    files: [C, D],
    snapshotId: S2,
    sequenceNumber: 2,
  });
  const d1 = await writeManifestFile(io, {
    path: path('metadata/d1.avro'),
    content: 'deletes',
    spec: byCategory,
    schema: schemaV0,
    files: [PD],
    snapshotId: S2,
    sequenceNumber: 2,
  });
  const snapshot2 = await writeSnapshot(io, {
    snapshotId: S2,
    parentSnapshotId: S1,
    sequenceNumber: 2,
    schemaId: 0,
    manifests: [m0, m1, d1],
    manifestListPath: path('metadata/snap-2.avro'),
  });

  // Snapshot 3, by day and bucket, with schema 1: E (Feb 1) and F (Feb 3), and a global equality delete.
  const eIds = range(31, 35);
  const fIds = range(36, 40).filter((id) => bucket.apply(id) === bucket.apply(36n));
  const E = fileWithValues(schemaV1, path('data/e.parquet'), [day('2024-02-01'), bucket.apply(eIds[0]!)], {
    1: [eIds[0]!],
    2: ['x', 'z'],
    3: [us('2024-02-01T12:00:00Z')],
    4: ['north', null],
  });
  const F = fileWithValues(schemaV1, path('data/f.parquet'), [day('2024-02-03'), bucket.apply(36n)], {
    1: fIds,
    2: [null, null],
    3: [us('2024-02-03T08:00:00Z')],
    4: [null, null],
  });
  const ED = fileWithValues(schemaV1, path('data/ed.parquet'), [], { 1: [3n] }, { content: 'equality-deletes' });
  const m2 = await writeManifestFile(io, {
    path: path('metadata/m2.avro'),
    content: 'data',
    spec: byDayAndBucket,
    schema: schemaV1,
    files: [E, F],
    snapshotId: S3,
    sequenceNumber: 3,
  });
  const d2 = await writeManifestFile(io, {
    path: path('metadata/d2.avro'),
    content: 'deletes',
    spec: unpartitioned,
    schema: schemaV1,
    files: [ED],
    snapshotId: S3,
    sequenceNumber: 3,
  });
  const snapshot3 = await writeSnapshot(io, {
    snapshotId: S3,
    parentSnapshotId: S2,
    sequenceNumber: 3,
    schemaId: 1,
    manifests: [m0, m1, d1, m2, d2],
    manifestListPath: path('metadata/snap-3.avro'),
  });

  table = loadedTable(io, {
    location: root,
    schemas: [schemaV0, schemaV1],
    currentSchemaId: 1,
    specs: [unpartitioned, byCategory, byDayAndBucket],
    snapshots: [snapshot1, snapshot2, snapshot3],
  });
});

const name = (location: string): string => location.slice(location.lastIndexOf('/') + 1);
/** Each kept data file with the delete files applied to it, by file name. */
function tasksOf(plan: ScanPlan): Record<string, string[]> {
  return Object.fromEntries(
    plan.tasks.map((task) => [
      name(task.dataFile.filePath),
      [...task.positionDeletes, ...task.equalityDeletes].map((ref) => name(ref.file.filePath)).sort(),
    ]),
  );
}
const counts = (plan: ScanPlan) => ({
  manifestsRead: plan.summary.manifestsRead,
  manifestsSkipped: plan.summary.manifestsSkipped,
  dataFilesSkipped: plan.summary.dataFilesSkipped,
});

describe('planScan with a filter, across partition specs', () => {
  it('without a filter reads everything, with every delete where it applies', async () => {
    const plan = await planScan(table);
    assert.deepEqual(tasksOf(plan), {
      'a.parquet': ['ed.parquet'],
      'b.parquet': ['ed.parquet'],
      'c.parquet': ['ed.parquet', 'pd.parquet'],
      'd.parquet': ['ed.parquet'],
      'e.parquet': [],
      'f.parquet': [],
    });
    assert.deepEqual(counts(plan), { manifestsRead: 5, manifestsSkipped: 0, dataFilesSkipped: 0 });
    assert.equal(plan.filter, undefined);
  });

  it('a renamed partition column prunes by field id in every spec: partition values, metrics and null-only files', async () => {
    const filter = eq('kind', 'x');
    const plan = await planScan(table, { filter });
    // A and B by their category bounds, D by its partition, F because its kind is always null.
    assert.deepEqual(tasksOf(plan), { 'c.parquet': ['ed.parquet', 'pd.parquet'], 'e.parquet': [] });
    assert.deepEqual(counts(plan), { manifestsRead: 5, manifestsSkipped: 0, dataFilesSkipped: 4 });
    assert.equal(plan.mode, 'merge-on-read');
    assert.deepEqual(plan.filter, bind(filter, schemaV1));
    assert.equal(plan.summary.positionDeleteFiles, 1);
    assert.equal(plan.summary.equalityDeleteFiles, 1);
  });

  it('delete files are judged by partition only: their column metrics describe the deleted rows', async () => {
    // The equality delete removes id 3; its id bounds [3, 3] say nothing about the rows it applies to.
    const plan = await planScan(table, { filter: gtEq('id', 21n) });
    assert.deepEqual(tasksOf(plan), {
      'c.parquet': ['ed.parquet', 'pd.parquet'],
      'd.parquet': ['ed.parquet'],
      'e.parquet': [],
      'f.parquet': [],
    });
    assert.deepEqual(counts(plan), { manifestsRead: 5, manifestsSkipped: 0, dataFilesSkipped: 2 });
  });

  it('manifests whose partition summaries rule the filter out are not read at all', async () => {
    // A FileIO of its own: the manifests earlier tests read are cached on theirs.
    const fresh = new RecordingFileIO();
    const plan = await planScan({ ...table, io: fresh }, { filter: eq('kind', 'q') });
    assert.deepEqual(tasksOf(plan), {});
    // m1 (categories x…y) and the delete manifest d1 (x) are skipped; m0, m2 and d2 cannot be judged by partition.
    assert.deepEqual(counts(plan), { manifestsRead: 3, manifestsSkipped: 2, dataFilesSkipped: 4 });
    assert.deepEqual(fresh.reads.map(name).sort(), ['d2.avro', 'm0.avro', 'm2.avro', 'snap-3.avro']);
  });

  it('a time range prunes the day-partitioned manifest by its summary and older files by their metrics', async () => {
    const plan = await planScan(table, { filter: gtEq('ts', '2024-02-02T00:00:00Z') });
    // E by its day partition, A–D by their ts bounds; no delete applies to F (same sequence number as ED).
    assert.deepEqual(tasksOf(plan), { 'f.parquet': [] });
    assert.deepEqual(counts(plan), { manifestsRead: 5, manifestsSkipped: 0, dataFilesSkipped: 5 });
    assert.equal(plan.mode, 'copy-on-write');

    const before = await planScan(table, { filter: lt('ts', '2024-01-01T00:00:00Z') });
    assert.deepEqual(tasksOf(before), {});
    assert.deepEqual(counts(before), { manifestsRead: 4, manifestsSkipped: 1, dataFilesSkipped: 4 });
  });

  it('bucket[N] prunes eq and in on the bucketed column', async () => {
    const other = range(31, 60).find((id) => bucket.apply(id) !== bucket.apply(31n) && bucket.apply(id) !== bucket.apply(36n))!;
    const plan = await planScan(table, { filter: or(eq('id', other), gtEq('ts', '2024-03-01T00:00:00Z')) });
    assert.deepEqual(tasksOf(plan), {}); // ids of A–D are ≤ 30, E and F are in other buckets
    assert.deepEqual(counts(plan).manifestsSkipped, 1); // m2: no bucket in the summary holds `other`, no day after March 1
    const hit = await planScan(table, { filter: isIn('id', [31n, other]) });
    assert.deepEqual(Object.keys(tasksOf(hit)), ['e.parquet']);
  });

  it('a column added later is null in older files: isNull keeps them, notNull keeps them too (no metrics there)', async () => {
    const nulls = await planScan(table, { filter: isNull('region') });
    assert.deepEqual(Object.keys(tasksOf(nulls)).sort(), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet', 'e.parquet', 'f.parquet']);
    const present = await planScan(table, { filter: notNull('region') });
    assert.deepEqual(Object.keys(tasksOf(present)).sort(), ['a.parquet', 'b.parquet', 'c.parquet', 'd.parquet', 'e.parquet']);
  });

  it('a filter that folds to false reads no manifest', async () => {
    const plan = await planScan(table, { filter: and(eq('kind', 'x'), isNull('id')) });
    assert.deepEqual(tasksOf(plan), {});
    assert.deepEqual(counts(plan), { manifestsRead: 0, manifestsSkipped: 5, dataFilesSkipped: 0 });
    assert.deepEqual(plan.filter, { op: 'false' });
  });

  it('time travel binds the filter to that snapshot’s schema', async () => {
    const plan = await planScan(table, { snapshotId: S2, filter: eq('category', 'x') });
    assert.deepEqual(tasksOf(plan), { 'c.parquet': ['pd.parquet'] });
    assert.deepEqual(counts(plan), { manifestsRead: 3, manifestsSkipped: 0, dataFilesSkipped: 3 });
    await assert.rejects(planScan(table, { snapshotId: S2, filter: eq('kind', 'x') }), (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'));
      assert.match(error.message, /Filter column "kind" does not exist in table db\.events; its columns are id, category, ts/);
      return true;
    });
  });

  it('the filter may name columns the scan does not select; the plan keeps it bound to the full schema', async () => {
    const filter: Expression = eq('kind', 'x');
    const plan = await planScan(table, { columns: ['id'], filter });
    assert.deepEqual(
      plan.schema.fields.map((field) => field.name),
      ['id'],
    );
    assert.deepEqual(plan.filter, bind(filter, schemaV1));
    assert.deepEqual(Object.keys(tasksOf(plan)), ['c.parquet', 'e.parquet']);
  });

  it('a bad literal fails with the column and expected type, before any file is read', async () => {
    await assert.rejects(
      planScan(table, { filter: gtEq('ts', 'yesterday') }),
      /column "ts" of type timestamptz expects an ISO timestamp with a zone offset/,
    );
  });
});

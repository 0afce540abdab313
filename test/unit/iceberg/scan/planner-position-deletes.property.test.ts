/**
 * Which position delete files the planner attaches to each data file, on random tables, against
 * the spec's rule ("Scan Planning") written out by brute force: a position delete file applies to
 * a data file of the same spec and partition whose data sequence number is not above its own, and
 * only to the file its `referenced_data_file` names, or, without one, to files whose path lies
 * within its `file_path` bounds. The delete files are scoped every way writers scope them: by
 * `referenced_data_file`, by equal bounds (one file, named or not among the data files), by a
 * range of paths, or not at all.
 */
import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import fc from 'fast-check';
import { planScan } from '../../../../iceberg/scan/planner.js';
import type { DataFile, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import { POSITION_DELETE_FILE_PATH_FIELD_ID } from '../../../../iceberg/spec/position-deletes.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { compareUnsignedBytes } from '../../../../iceberg/spec/value-order.js';
import { fileWithValues, loadedTable, MemoryFileIO, writeManifestFile, writeSnapshot } from '../../../support/iceberg/table-builder.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'part', required: true, type: 'int' },
  ],
};
/** Spec 0 by `part`, spec 1 unpartitioned: a delete of one spec never applies to the other's files. */
const specs: PartitionSpec[] = [
  { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'part', transform: 'identity' }] },
  { specId: 1, fields: [] },
];

type Scope =
  | { readonly kind: 'referenced'; readonly target: number }
  | { readonly kind: 'equal-bounds'; readonly target: number }
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | { readonly kind: 'unbounded' };

interface Placed {
  readonly spec: number;
  readonly part: number;
  readonly sequenceNumber: number;
}

const placed = fc.record({
  spec: fc.constantFrom(0, 1),
  part: fc.integer({ min: 0, max: 1 }),
  sequenceNumber: fc.integer({ min: 1, max: 4 }),
});
/** Targets past the data files name a path no data file has. */
const target = fc.integer({ min: 0, max: 7 });
const scope: fc.Arbitrary<Scope> = fc.oneof(
  target.map((index) => ({ kind: 'referenced' as const, target: index })),
  target.map((index) => ({ kind: 'equal-bounds' as const, target: index })),
  fc.tuple(target, target).map(([a, b]) => ({ kind: 'range' as const, from: Math.min(a, b), to: Math.max(a, b) })),
  fc.constant({ kind: 'unbounded' as const }),
);
const tableCase = fc.record({
  data: fc.array(placed, { minLength: 1, maxLength: 6 }),
  deletes: fc.array(fc.record({ placed, scope }), { maxLength: 8 }),
});

const dataPath = (index: number): string => `mem://t/data/d${index}.parquet`;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const partitionOf = (where: Placed) => (where.spec === 0 ? [where.part] : []);

function deleteFile(path: string, where: Placed, scoped: Scope): DataFile {
  const file = fileWithValues(schema, path, partitionOf(where), {}, { content: 'position-deletes', recordCount: 1 });
  const bounds = (from: string, to: string) => ({
    lowerBounds: new Map([[POSITION_DELETE_FILE_PATH_FIELD_ID, bytes(from)]]),
    upperBounds: new Map([[POSITION_DELETE_FILE_PATH_FIELD_ID, bytes(to)]]),
  });
  switch (scoped.kind) {
    case 'referenced':
      return { ...file, referencedDataFile: dataPath(scoped.target) };
    case 'equal-bounds':
      return { ...file, ...bounds(dataPath(scoped.target), dataPath(scoped.target)) };
    case 'range':
      return { ...file, ...bounds(dataPath(scoped.from), dataPath(scoped.to)) };
    case 'unbounded':
      return file;
  }
}

/** The spec's rule, one pair at a time. */
function applies(data: Placed, dataIndex: number, deleted: Placed, scoped: Scope): boolean {
  if (data.spec !== deleted.spec || (data.spec === 0 && data.part !== deleted.part)) return false;
  if (deleted.sequenceNumber < data.sequenceNumber) return false;
  const path = bytes(dataPath(dataIndex));
  switch (scoped.kind) {
    case 'referenced':
    case 'equal-bounds':
      return scoped.target === dataIndex;
    case 'range':
      return compareUnsignedBytes(bytes(dataPath(scoped.from)), path) <= 0 && compareUnsignedBytes(path, bytes(dataPath(scoped.to))) <= 0;
    case 'unbounded':
      return true;
  }
}

suite('planner: position deletes (property)', () => {
  it('attaches exactly the position delete files the spec applies to each data file', async () => {
    await fc.assert(
      fc.asyncProperty(tableCase, async (input) => {
        const io = new MemoryFileIO();
        const manifests: ManifestFile[] = [];
        // One manifest per file: each entry inherits its own sequence number.
        const add = async (file: DataFile, where: Placed, content: 'data' | 'deletes') => {
          manifests.push(
            await writeManifestFile(io, {
              path: `mem://t/metadata/m${manifests.length}.avro`,
              content,
              spec: specs[where.spec]!,
              schema,
              files: [file],
              snapshotId: BigInt(where.sequenceNumber),
              sequenceNumber: where.sequenceNumber,
            }),
          );
        };
        for (const [index, where] of input.data.entries()) {
          await add(fileWithValues(schema, dataPath(index), partitionOf(where), {}, { recordCount: 1 }), where, 'data');
        }
        for (const [index, { placed: where, scope: scoped }] of input.deletes.entries()) {
          await add(deleteFile(`mem://t/data/pd${index}.parquet`, where, scoped), where, 'deletes');
        }
        const snapshot = await writeSnapshot(io, {
          snapshotId: 9n,
          parentSnapshotId: null,
          sequenceNumber: 5,
          schemaId: 0,
          manifests,
          manifestListPath: 'mem://t/metadata/snap.avro',
        });
        const table = loadedTable(io, { location: 'mem://t', schemas: [schema], currentSchemaId: 0, specs, snapshots: [snapshot] });

        const plan = await planScan(table);
        assert.equal(plan.tasks.length, input.data.length);
        for (const task of plan.tasks) {
          const dataIndex = Number(/d(\d+)\.parquet$/.exec(task.dataFile.filePath)![1]);
          const expected = input.deletes
            .flatMap(({ placed: where, scope: scoped }, index) =>
              applies(input.data[dataIndex]!, dataIndex, where, scoped) ? [`mem://t/data/pd${index}.parquet`] : [],
            )
            .sort();
          const attached = task.positionDeletes.map((ref) => ref.file.filePath).sort();
          assert.deepEqual(attached, expected, `position deletes of ${task.dataFile.filePath}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

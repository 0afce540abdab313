/**
 * planScan's incremental append scan (`appendedAfter`): only the data files the appends after a
 * snapshot added, found by opening only the manifests those appends wrote, also past a replace
 * that rewrote them; it refuses a range holding an overwrite or delete, and a start that is not an
 * ancestor.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { lt } from '../../../../iceberg/expressions/expression.js';
import type { LoadedTable } from '../../../../iceberg/catalog/catalog.js';
import { planScan } from '../../../../iceberg/scan/planner.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { ManifestFile } from '../../../../iceberg/spec/manifest.js';
import type { Snapshot } from '../../../../iceberg/spec/snapshot.js';
import { fileWithValues, loadedTable, MemoryFileIO, writeManifestFile, writeSnapshot } from '../../../support/iceberg/table-builder.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
  ],
};
const unpartitioned: PartitionSpec = { specId: 0, fields: [] };
const root = 'mem://warehouse/db/events';
const hour = (n: number): bigint => BigInt(n) * 3_600_000_000n;

let io: MemoryFileIO;
let snapshots: Snapshot[];
let manifests: ManifestFile[];
let table: LoadedTable;

/** Three appends (hours 0–1, 5–6, 2–3), each writing its own manifest, as a fast append does. */
before(async () => {
  io = new MemoryFileIO();
  snapshots = [];
  manifests = [];
  const hours = [
    [0, 1],
    [5, 6],
    [2, 3],
  ];
  for (const [index, [from, to]] of hours.entries()) {
    const id = BigInt(index + 1);
    const file = fileWithValues(schema, `${root}/data/f${id}.parquet`, [], { 1: [id, id + 10n], 2: [hour(from!), hour(to!)] });
    manifests.push(
      await writeManifestFile(io, {
        path: `${root}/metadata/m${id}.avro`,
        content: 'data',
        spec: unpartitioned,
        schema,
        files: [file],
        snapshotId: id,
        sequenceNumber: index + 1,
      }),
    );
    snapshots.push(
      await writeSnapshot(io, {
        snapshotId: id,
        parentSnapshotId: index === 0 ? null : BigInt(index),
        sequenceNumber: index + 1,
        schemaId: 0,
        manifests: [...manifests].reverse(),
        manifestListPath: `${root}/metadata/snap-${id}.avro`,
      }),
    );
  }
  table = loadedTable(io, { location: root, schemas: [schema], currentSchemaId: 0, specs: [unpartitioned], snapshots });
});

const paths = (plan: Awaited<ReturnType<typeof planScan>>): string[] =>
  plan.tasks.map((task) => task.dataFile.filePath.replace(`${root}/data/`, '')).sort();

describe('incremental append scan', () => {
  it('reads only the files appended after the given snapshot, opening only their manifests', async () => {
    // A FileIO of its own, whose reads no other plan has cached.
    const fresh = io.copy();
    const plan = await planScan({ ...table, io: fresh }, { appendedAfter: { snapshotId: 1n } });
    assert.deepEqual(paths(plan), ['f2.parquet', 'f3.parquet']);
    assert.equal(plan.snapshotId, 3n);
    assert.ok(!fresh.reads.includes(`${root}/metadata/m1.avro`), 'the older manifest is never opened');
    assert.deepEqual(paths(await planScan(table, { snapshotId: 2n, appendedAfter: { snapshotId: 1n } })), ['f2.parquet']);
    assert.deepEqual(paths(await planScan(table, { appendedAfter: { snapshotId: 3n } })), []);
  });

  it('null reads every append from the first snapshot on', async () => {
    assert.deepEqual(paths(await planScan(table, { appendedAfter: { snapshotId: null } })), ['f1.parquet', 'f2.parquet', 'f3.parquet']);
  });

  it('a filter prunes the appended files by their stats', async () => {
    const plan = await planScan(table, { appendedAfter: { snapshotId: 1n }, filter: lt('ts', hour(4)) });
    assert.deepEqual(paths(plan), ['f3.parquet']);
    assert.equal(plan.summary.dataFilesSkipped, 1);
  });

  it('past a replace that rewrote the appended files, reads them from the appends that added them', async () => {
    // Snapshot 4 compacts f2 and f3 into f23: its manifest list holds m1 and the new manifest only.
    const merged = fileWithValues(schema, `${root}/data/f23.parquet`, [], { 1: [2n, 13n], 2: [hour(2), hour(6)] });
    const m4 = await writeManifestFile(io, {
      path: `${root}/metadata/m4.avro`,
      content: 'data',
      spec: unpartitioned,
      schema,
      files: [merged],
      snapshotId: 4n,
      sequenceNumber: 4,
    });
    const replace = await writeSnapshot(io, {
      snapshotId: 4n,
      parentSnapshotId: 3n,
      sequenceNumber: 4,
      schemaId: 0,
      manifests: [m4, manifests[0]!],
      manifestListPath: `${root}/metadata/snap-4.avro`,
    });
    const compacted = loadedTable(io, {
      location: root,
      schemas: [schema],
      currentSchemaId: 0,
      specs: [unpartitioned],
      snapshots: [...snapshots, { ...replace, summary: { operation: 'replace' } }],
    });
    assert.deepEqual(paths(await planScan(compacted, { appendedAfter: { snapshotId: 1n } })), ['f2.parquet', 'f3.parquet']);
    assert.deepEqual(paths(await planScan(compacted, { appendedAfter: { snapshotId: 3n } })), []);
    assert.deepEqual(paths(await planScan(compacted, {})), ['f1.parquet', 'f23.parquet'], 'a plain scan reads the compacted file');
  });

  it('refuses a range with a snapshot that is not an append, and a start that is not an ancestor', async () => {
    const rewritten = loadedTable(io, {
      location: root,
      schemas: [schema],
      currentSchemaId: 0,
      specs: [unpartitioned],
      snapshots: [snapshots[0]!, { ...snapshots[1]!, summary: { operation: 'overwrite' } }, snapshots[2]!],
    });
    await assert.rejects(
      planScan(rewritten, { appendedAfter: { snapshotId: 1n } }),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') && /snapshot 2 is neither \(its operation is overwrite\)/.test(error.message),
    );
    await assert.rejects(
      planScan(table, { appendedAfter: { snapshotId: 99n } }),
      (error: unknown) => FloeError.is(error, 'not-found') && /snapshot 99: it is not an ancestor of snapshot 3/.test(error.message),
    );
    const expired = loadedTable(io, {
      location: root,
      schemas: [schema],
      currentSchemaId: 0,
      specs: [unpartitioned],
      snapshots: snapshots.slice(1),
    });
    await assert.rejects(
      planScan(expired, { appendedAfter: { snapshotId: null } }),
      (error: unknown) => FloeError.is(error, 'not-found') && /the first snapshot/.test(error.message),
    );
  });
});

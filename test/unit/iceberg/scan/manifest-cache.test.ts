/**
 * planScan keeps the manifest lists and manifests it decodes per FileIO: planning the same
 * snapshot again reads no file, concurrent plans share one read of a manifest, and a read that
 * failed is tried again rather than remembered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedTable } from '../../../../iceberg/catalog/catalog.js';
import { FloeError } from '../../../../core/errors.js';
import { planScan } from '../../../../iceberg/scan/planner.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { fileWithValues, loadedTable, MemoryFileIO, writeManifestFile, writeSnapshot } from '../../../support/iceberg/table-builder.js';

const schema: Schema = { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const unpartitioned: PartitionSpec = { specId: 0, fields: [] };
const root = 'mem://warehouse/db/cached';
const manifestPaths = [`${root}/metadata/m1.avro`, `${root}/metadata/m2.avro`];

/** One snapshot listing two manifests of one data file each. */
async function twoManifestTable(): Promise<{ io: MemoryFileIO; table: LoadedTable }> {
  const io = new MemoryFileIO();
  const manifests = [];
  for (const [index, path] of manifestPaths.entries()) {
    const file = fileWithValues(schema, `${root}/data/f${index}.parquet`, [], { 1: [BigInt(index)] });
    manifests.push(
      await writeManifestFile(io, { path, content: 'data', spec: unpartitioned, schema, files: [file], snapshotId: 1n, sequenceNumber: 1 }),
    );
  }
  const snapshot = await writeSnapshot(io, {
    snapshotId: 1n,
    parentSnapshotId: null,
    sequenceNumber: 1,
    schemaId: 0,
    manifests,
    manifestListPath: `${root}/metadata/snap-1.avro`,
  });
  return {
    io,
    table: loadedTable(io, { location: root, schemas: [schema], currentSchemaId: 0, specs: [unpartitioned], snapshots: [snapshot] }),
  };
}

const manifestReads = (io: MemoryFileIO): string[] => io.reads.filter((location) => manifestPaths.includes(location));
const files = (plan: Awaited<ReturnType<typeof planScan>>): string[] => plan.tasks.map((task) => task.dataFile.filePath).sort();

describe('manifest cache', () => {
  it('plans the same snapshot again from the manifest list and manifests it decoded, reading no file', async () => {
    const { io, table } = await twoManifestTable();
    const first = await planScan(table);
    assert.deepEqual(manifestReads(io), manifestPaths);
    assert.ok(io.reads.includes(`${root}/metadata/snap-1.avro`));
    io.reads.length = 0;
    const again = await planScan(table);
    assert.deepEqual(files(again), files(first));
    assert.deepEqual(io.reads, []);
  });

  it('shares one read of a manifest between plans running at once', async () => {
    const { io, table } = await twoManifestTable();
    const plans = await Promise.all([planScan(table), planScan(table), planScan(table)]);
    assert.deepEqual(new Set(plans.map((plan) => files(plan).join())).size, 1);
    assert.deepEqual(manifestReads(io).sort(), manifestPaths);
  });

  it('keeps no failed read: the next plan reads the manifest again', async () => {
    const { io, table } = await twoManifestTable();
    const bytes = io.files.get(manifestPaths[1]!)!;
    io.files.delete(manifestPaths[1]!);
    await assert.rejects(planScan(table), (error: unknown) => error instanceof FloeError && error.message.includes('m2.avro'));
    io.files.set(manifestPaths[1]!, bytes);
    assert.equal(files(await planScan(table)).length, 2);
  });

  it('does not share decoded manifests between FileIOs', async () => {
    const { io, table } = await twoManifestTable();
    await planScan(table);
    const other = io.copy();
    await planScan({ ...table, io: other });
    assert.deepEqual(manifestReads(other), manifestPaths);
  });
});

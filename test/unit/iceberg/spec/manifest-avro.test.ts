import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import type { DataFile, ManifestEntry, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import { inheritFromManifestFile, inheritManifestEntries, readManifest, writeManifest } from '../../../../iceberg/spec/manifest-avro.js';
import { readManifestList, writeManifestList } from '../../../../iceberg/spec/manifest-list-avro.js';
import type { FormatVersion } from '../../../../iceberg/spec/metadata.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { toBinary } from '../../../../iceberg/spec/values.js';

const schema: Schema = {
  schemaId: 3,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 5, name: 'key', required: false, type: 'uuid' },
    { id: 6, name: 'blob', required: false, type: 'binary' },
    {
      id: 7,
      name: 'tags',
      required: false,
      type: { type: 'map', keyId: 8, key: 'string', valueId: 9, value: 'double', valueRequired: false },
    },
  ],
};
const spec: PartitionSpec = {
  specId: 2,
  fields: [
    { sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' },
    { sourceId: 2, fieldId: 1001, name: 'ts_day', transform: 'day' },
    { sourceId: 3, fieldId: 1002, name: 'name-trunc', transform: 'truncate[2]' },
    { sourceId: 4, fieldId: 1003, name: 'price', transform: 'identity' },
    { sourceId: 5, fieldId: 1004, name: 'key', transform: 'identity' },
    { sourceId: 6, fieldId: 1005, name: 'blob', transform: 'identity' },
    { sourceId: 2, fieldId: 1006, name: 'ts_hour', transform: 'hour' },
  ],
};

const BIG_SNAPSHOT = 2n ** 62n + 12345n; // far above 2^53

function dataFile(path: string, partition: DataFile['partition'], extra: Partial<DataFile> = {}): DataFile {
  return {
    content: 'data',
    filePath: path,
    fileFormat: 'PARQUET',
    partition,
    recordCount: 10,
    fileSizeInBytes: 1234,
    columnSizes: new Map([
      [1, 80],
      [3, 40],
    ]),
    valueCounts: new Map([
      [1, 10],
      [3, 10],
    ]),
    nullValueCounts: new Map([
      [1, 0],
      [3, 2],
    ]),
    nanValueCounts: new Map(),
    lowerBounds: new Map([
      [1, toBinary('long', 1n)],
      [3, toBinary('string', 'aa')],
    ]),
    upperBounds: new Map([
      [1, toBinary('long', 99n)],
      [3, toBinary('string', 'zz')],
    ]),
    keyMetadata: null,
    splitOffsets: [4],
    equalityIds: null,
    sortOrderId: 0,
    firstRowId: null,
    referencedDataFile: null,
    contentOffset: null,
    contentSizeInBytes: null,
    ...extra,
  };
}

const fullPartition = [3, 19723, 'ab', 1050n, 'f79c3e09-677c-4bbd-a479-3f349cb785e7', Uint8Array.of(0, 255), 19723 * 24 + 5] as const;
const nullPartition = [null, null, null, null, null, null, null] as const;

function entries(version: FormatVersion): ManifestEntry[] {
  return [
    {
      status: 'added',
      snapshotId: version === 1 ? BIG_SNAPSHOT : null,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: dataFile('s3://b/t/data/a.parquet', [...fullPartition]),
    },
    {
      status: 'existing',
      snapshotId: BIG_SNAPSHOT - 1n,
      sequenceNumber: version === 1 ? null : 4,
      fileSequenceNumber: version === 1 ? null : 4,
      dataFile: dataFile('s3://b/t/data/b.parquet', [...nullPartition]),
    },
    {
      status: 'deleted',
      snapshotId: BIG_SNAPSHOT,
      sequenceNumber: version === 1 ? null : 2,
      fileSequenceNumber: version === 1 ? null : 3,
      dataFile: dataFile('s3://b/t/data/c.parquet', [
        7,
        19724,
        'zz',
        -5n,
        '00000000-0000-0000-0000-000000000001',
        new Uint8Array(0),
        19724 * 24,
      ]),
    },
  ];
}

const readOptions = { location: 'mem://manifest.avro', specs: [{ specId: 0, fields: [] }, spec], schemas: [schema] };

describe('manifests: write → read', () => {
  for (const version of [1, 2, 3] as const) {
    it(`v${version} data manifest round-trips, partitioned by several transforms, with nulls and 64-bit snapshot ids`, () => {
      const written = writeManifest(entries(version), {
        formatVersion: version,
        spec,
        schema,
        content: 'data',
        snapshotId: version === 1 ? BIG_SNAPSHOT : null,
      });
      const read = readManifest(written.bytes, readOptions);
      assert.equal(read.specId, 2);
      assert.equal(read.content, 'data');
      assert.equal(read.formatVersion, version);
      const expected = entries(version).map((entry) =>
        version === 1
          ? {
              ...entry,
              snapshotId: entry.snapshotId,
              dataFile: { ...entry.dataFile, equalityIds: null, referencedDataFile: null, firstRowId: null },
            }
          : entry,
      );
      assert.deepEqual(read.entries, expected);
      assert.equal(written.addedFilesCount, 1);
      assert.equal(written.existingFilesCount, 1);
      assert.equal(written.deletedFilesCount, 1);
      assert.equal(written.addedRowsCount, 10);
      assert.equal(written.minSequenceNumber, version === 1 ? null : 4);
      assert.equal(written.partitions.length, spec.fields.length);
      assert.deepEqual(written.partitions[0], {
        containsNull: true,
        containsNan: false,
        lowerBound: toBinary('int', 3),
        upperBound: toBinary('int', 7),
      });
      assert.deepEqual(written.partitions[3], {
        containsNull: true,
        containsNan: false,
        lowerBound: toBinary('decimal(9, 2)', -5n),
        upperBound: toBinary('decimal(9, 2)', 1050n),
      });
    });
  }

  it('v2 delete manifest round-trips position and equality deletes', () => {
    const deletes: ManifestEntry[] = [
      {
        status: 'added',
        snapshotId: null,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile: dataFile('s3://b/t/data/pos.parquet', [...fullPartition], {
          content: 'position-deletes',
          sortOrderId: null,
          referencedDataFile: 's3://b/t/data/a.parquet',
        }),
      },
      {
        status: 'added',
        snapshotId: null,
        sequenceNumber: 9,
        fileSequenceNumber: null,
        dataFile: dataFile('s3://b/t/data/eq.parquet', [...nullPartition], { content: 'equality-deletes', equalityIds: [1, 3] }),
      },
    ];
    const written = writeManifest(deletes, { formatVersion: 2, spec, schema, content: 'deletes', snapshotId: null });
    const read = readManifest(written.bytes, readOptions);
    assert.equal(read.content, 'deletes');
    assert.deepEqual(read.entries, deletes);
    assert.equal(written.minSequenceNumber, 9);
  });

  it('v3 keeps row lineage and deletion-vector fields', () => {
    const dv: ManifestEntry = {
      status: 'added',
      snapshotId: null,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: dataFile('s3://b/t/data/dv.puffin', [...nullPartition], {
        content: 'position-deletes',
        fileFormat: 'PUFFIN',
        referencedDataFile: 's3://b/t/data/a.parquet',
        contentOffset: 4,
        contentSizeInBytes: 40,
        sortOrderId: null,
      }),
    };
    const read = readManifest(
      writeManifest([dv], { formatVersion: 3, spec, schema, content: 'deletes', snapshotId: null }).bytes,
      readOptions,
    );
    assert.deepEqual(read.entries, [dv]);
  });

  it('refuses what the format forbids', () => {
    assert.throws(
      () => writeManifest([], { formatVersion: 1, spec, schema, content: 'deletes', snapshotId: 1n }),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
    const existingWithoutSequence: ManifestEntry = {
      status: 'existing',
      snapshotId: 1n,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: dataFile('x', [...nullPartition]),
    };
    assert.throws(
      () => writeManifest([existingWithoutSequence], { formatVersion: 2, spec, schema, content: 'data', snapshotId: null }),
      (e: unknown) => FloeError.is(e, 'invalid-input') && e.message.includes('x'),
    );
    const v1WithoutSnapshot: ManifestEntry = { ...existingWithoutSequence, status: 'added', snapshotId: null };
    assert.throws(
      () => writeManifest([v1WithoutSnapshot], { formatVersion: 1, spec, schema, content: 'data', snapshotId: null }),
      (e: unknown) => FloeError.is(e, 'invalid-input'),
    );
  });

  it('reports bad bytes as corrupt, naming the location', () => {
    assert.throws(
      () => readManifest(Uint8Array.of(1, 2, 3), readOptions),
      (e: unknown) => FloeError.is(e, 'corrupt') && e.message.includes('mem://manifest.avro'),
    );
    const good = writeManifest(entries(2), { formatVersion: 2, spec, schema, content: 'data', snapshotId: null }).bytes;
    const truncated = good.subarray(0, good.length - 30);
    assert.throws(
      () => readManifest(truncated, readOptions),
      (e: unknown) => FloeError.is(e, 'corrupt') && e.message.includes('mem://manifest.avro'),
    );
    const flipped = Uint8Array.from(good);
    flipped[flipped.length - 40] = flipped[flipped.length - 40]! ^ 0xff;
    assert.throws(
      () => readManifest(flipped, readOptions),
      (e: unknown) => FloeError.is(e, 'corrupt'),
    );
  });

  it('reads partitions whose source column was dropped from every schema, from the Avro types', () => {
    const evolvedSpec: PartitionSpec = {
      specId: 5,
      fields: [
        { sourceId: 3, fieldId: 1000, name: 'name_void', transform: 'void' },
        { sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: 'bucket[4]' },
      ],
    };
    const entry: ManifestEntry = {
      status: 'added',
      snapshotId: null,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: dataFile('s3://b/t/data/v.parquet', [null, 2]),
    };
    const bytes = writeManifest([entry], { formatVersion: 2, spec: evolvedSpec, schema, content: 'data', snapshotId: null }).bytes;
    const withoutColumns: Schema = { schemaId: 9, identifierFieldIds: [], fields: [schema.fields[1]!] };
    const read = readManifest(bytes, { location: 'mem://m.avro', specs: [evolvedSpec], schemas: [withoutColumns] });
    assert.deepEqual(read.entries[0]!.dataFile.partition, [null, 2]);
  });

  it('names the manifest list location when its bytes are bad', () => {
    assert.throws(
      () => readManifestList(Uint8Array.of(0x4f, 0x62, 0x6a, 0x01, 0xff), { location: 'mem://snap-1.avro', formatVersion: 2 }),
      (e: unknown) => FloeError.is(e, 'corrupt') && e.message.includes('mem://snap-1.avro'),
    );
  });

  it('writes the same bytes for the same entries (retries produce identical files)', () => {
    const a = writeManifest(entries(2), { formatVersion: 2, spec, schema, content: 'data', snapshotId: null }).bytes;
    const b = writeManifest(entries(2), { formatVersion: 2, spec, schema, content: 'data', snapshotId: null }).bytes;
    assert.deepEqual(a, b);
  });
});

const manifestFile = (extra: Partial<ManifestFile> = {}): ManifestFile => ({
  manifestPath: 's3://b/t/metadata/m0.avro',
  manifestLength: 4567,
  partitionSpecId: 2,
  content: 'data',
  sequenceNumber: 7,
  minSequenceNumber: 3,
  addedSnapshotId: BIG_SNAPSHOT,
  addedFilesCount: 1,
  existingFilesCount: 2,
  deletedFilesCount: 0,
  addedRowsCount: 10,
  existingRowsCount: 20,
  deletedRowsCount: 0,
  partitions: [{ containsNull: true, containsNan: false, lowerBound: toBinary('int', 1), upperBound: toBinary('int', 9) }],
  keyMetadata: null,
  firstRowId: null,
  ...extra,
});

describe('manifest lists: write → read', () => {
  it('v2 round-trips data and delete manifests and assigns unassigned sequence numbers', () => {
    const manifests = [
      manifestFile(),
      manifestFile({
        manifestPath: 's3://b/t/metadata/m1.avro',
        content: 'deletes',
        sequenceNumber: -1,
        minSequenceNumber: -1,
        partitions: null,
        keyMetadata: Uint8Array.of(1),
      }),
    ];
    const bytes = writeManifestList(manifests, {
      formatVersion: 2,
      snapshotId: BIG_SNAPSHOT,
      parentSnapshotId: BIG_SNAPSHOT - 1n,
      sequenceNumber: 8,
    });
    const read = readManifestList(bytes, { location: 'mem://snap.avro', formatVersion: 2 });
    assert.deepEqual(read, [manifests[0], { ...manifests[1], sequenceNumber: 8, minSequenceNumber: 8 }]);
  });

  it('v1 reads back with the spec defaults: sequence numbers 0, content data', () => {
    const bytes = writeManifestList([manifestFile()], {
      formatVersion: 1,
      snapshotId: BIG_SNAPSHOT,
      parentSnapshotId: null,
      sequenceNumber: 0,
    });
    const [read] = readManifestList(bytes, { location: 'mem://snap.avro', formatVersion: 1 });
    assert.deepEqual(read, { ...manifestFile(), sequenceNumber: 0, minSequenceNumber: 0 });
  });

  it('v3 assigns first row ids to data manifests without one', () => {
    const manifests = [manifestFile(), manifestFile({ firstRowId: 5n }), manifestFile({ content: 'deletes' }), manifestFile()];
    const bytes = writeManifestList(manifests, {
      formatVersion: 3,
      snapshotId: 1n,
      parentSnapshotId: null,
      sequenceNumber: 7,
      firstRowId: 100n,
    });
    const read = readManifestList(bytes, { location: 'mem://snap.avro', formatVersion: 3 });
    assert.deepEqual(
      read.map((m) => m.firstRowId),
      [100n, 5n, null, 130n],
    );
  });
});

describe('inheritance', () => {
  const stored: ManifestEntry = {
    status: 'added',
    snapshotId: null,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: dataFile('a', [...nullPartition]),
  };
  it('ADDED entries inherit snapshot id and sequence numbers from the manifest list entry', () => {
    assert.deepEqual(inheritFromManifestFile(stored, manifestFile()), {
      ...stored,
      snapshotId: BIG_SNAPSHOT,
      sequenceNumber: 7,
      fileSequenceNumber: 7,
    });
  });
  it('explicit values are kept; EXISTING entries of v2 manifests do not inherit sequence numbers', () => {
    const explicit = { ...stored, sequenceNumber: 2 };
    assert.equal(inheritFromManifestFile(explicit, manifestFile()).sequenceNumber, 2);
    assert.equal(inheritFromManifestFile({ ...stored, status: 'existing' }, manifestFile()).sequenceNumber, null);
  });
  it('entries of v1 manifests (sequence number 0) default to 0', () => {
    assert.equal(
      inheritFromManifestFile({ ...stored, status: 'existing', snapshotId: 5n }, manifestFile({ sequenceNumber: 0 })).sequenceNumber,
      0,
    );
  });
  it('v3 first row ids count the records of live data files without one', () => {
    const list = [
      stored,
      { ...stored, status: 'deleted' as const, sequenceNumber: 1, fileSequenceNumber: 1 },
      { ...stored, dataFile: { ...stored.dataFile, firstRowId: 3n } },
      stored,
    ];
    const inherited = inheritManifestEntries(list, manifestFile({ firstRowId: 1000n }));
    assert.deepEqual(
      inherited.map((e) => e.dataFile.firstRowId),
      [1000n, null, 3n, 1010n],
    );
  });
});

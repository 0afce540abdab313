// services: python
/**
 * Manifests and manifest lists written by Floe, read back by pyiceberg's own Avro reader
 * (pyiceberg_read_manifests.py, run with the oracle venv's Python).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DataFile, ManifestEntry, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import { inheritManifestEntries, writeManifest } from '../../../../iceberg/spec/manifest-avro.js';
import { writeManifestList } from '../../../../iceberg/spec/manifest-list-avro.js';
import type { FormatVersion } from '../../../../iceberg/spec/metadata.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { bindPartitionField } from '../../../../iceberg/spec/transforms.js';
import { toBinary } from '../../../../iceberg/spec/values.js';
import { expectedValue, normalizeEntry, normalizeManifestFile } from '../../../support/pyiceberg-json.js';
import { scratchFolder } from '../../../support/scratch-folder.js';
import { pythonOracle } from '../../../support/services.js';

const script = join(import.meta.dirname, 'pyiceberg_read_manifests.py');
const dir = scratchFolder('manifests');

const schema: Schema = {
  schemaId: 1,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamp' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 5, name: 'key', required: false, type: 'uuid' },
    { id: 6, name: 'd', required: false, type: 'date' },
  ],
};
const spec: PartitionSpec = {
  specId: 0,
  fields: [
    { sourceId: 1, fieldId: 1000, name: 'id_bucket', transform: 'bucket[16]' },
    { sourceId: 2, fieldId: 1001, name: 'ts_hour', transform: 'hour' },
    { sourceId: 3, fieldId: 1002, name: 'name trunc', transform: 'truncate[3]' },
    { sourceId: 4, fieldId: 1003, name: 'price', transform: 'identity' },
    { sourceId: 5, fieldId: 1004, name: 'key', transform: 'identity' },
    { sourceId: 6, fieldId: 1005, name: 'd_day', transform: 'day' },
    { sourceId: 6, fieldId: 1006, name: 'd_month', transform: 'month' },
  ],
};
const SNAPSHOT = 2n ** 62n + 99n;
const PARENT = 2n ** 60n + 1n;

const file = (path: string, partition: DataFile['partition'], content: DataFile['content'] = 'data'): DataFile => ({
  content,
  filePath: `s3://bucket/table/data/${path}`,
  fileFormat: 'PARQUET',
  partition,
  recordCount: 42,
  fileSizeInBytes: 4096,
  columnSizes: new Map([[1, 300]]),
  valueCounts: new Map([
    [1, 42],
    [3, 42],
  ]),
  nullValueCounts: new Map([
    [1, 0],
    [3, 5],
  ]),
  nanValueCounts: new Map(),
  lowerBounds: new Map([
    [1, toBinary('long', -(2n ** 62n))],
    [3, toBinary('string', 'ab')],
  ]),
  upperBounds: new Map([
    [1, toBinary('long', 2n ** 62n)],
    [3, toBinary('string', 'zz')],
  ]),
  splitOffsets: [4, 1000],
  sortOrderId: content === 'position-deletes' ? null : 0,
  ...(content === 'equality-deletes' ? { equalityIds: [1] } : {}),
});

const partition = [5, 474000, 'ice', 1050n, 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 19723, 648] as const;
const nulls = [null, null, null, null, null, null, null] as const;

function roundTrip(version: FormatVersion): void {
  const dataEntries: ManifestEntry[] = [
    {
      status: 'added',
      snapshotId: version === 1 ? SNAPSHOT : null,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile: file('a.parquet', [...partition]),
    },
    {
      status: 'existing',
      snapshotId: PARENT,
      sequenceNumber: version === 1 ? null : 3,
      fileSequenceNumber: version === 1 ? null : 3,
      dataFile: file('b.parquet', [...nulls]),
    },
    {
      status: 'deleted',
      snapshotId: SNAPSHOT,
      sequenceNumber: version === 1 ? null : 2,
      fileSequenceNumber: version === 1 ? null : 3,
      dataFile: file('c.parquet', [...partition]),
    },
  ];
  const written: { name: string; content: 'data' | 'deletes'; entries: ManifestEntry[] }[] = [
    { name: `v${version}-m0.avro`, content: 'data', entries: dataEntries },
  ];
  if (version >= 2) {
    written.push({
      name: `v${version}-m1.avro`,
      content: 'deletes',
      entries: [
        {
          status: 'added',
          snapshotId: null,
          sequenceNumber: null,
          fileSequenceNumber: null,
          dataFile: file('pos.parquet', [...partition], 'position-deletes'),
        },
        {
          status: 'added',
          snapshotId: null,
          sequenceNumber: null,
          fileSequenceNumber: null,
          dataFile: file('eq.parquet', [...nulls], 'equality-deletes'),
        },
      ],
    });
  }
  const manifests: ManifestFile[] = written.map(({ name, content, entries }) => {
    const result = writeManifest(entries, { formatVersion: version, spec, schema, content, snapshotId: SNAPSHOT });
    const path = join(dir, name);
    writeFileSync(path, result.bytes);
    return {
      manifestPath: path,
      manifestLength: result.bytes.length,
      partitionSpecId: spec.specId,
      content,
      sequenceNumber: version === 1 ? 0 : 7,
      minSequenceNumber: version === 1 ? 0 : (result.minSequenceNumber ?? 7),
      addedSnapshotId: SNAPSHOT,
      addedFilesCount: result.addedFilesCount,
      existingFilesCount: result.existingFilesCount,
      deletedFilesCount: result.deletedFilesCount,
      addedRowsCount: result.addedRowsCount,
      existingRowsCount: result.existingRowsCount,
      deletedRowsCount: result.deletedRowsCount,
      partitions: result.partitions,
      keyMetadata: null,
    };
  });
  const listPath = join(dir, `v${version}-snap.avro`);
  writeFileSync(
    listPath,
    writeManifestList(manifests, { formatVersion: version, snapshotId: SNAPSHOT, parentSnapshotId: PARENT, sequenceNumber: 7 }),
  );

  const output = execFileSync(pythonOracle().python, [script, listPath], { encoding: 'utf8' });
  const read = JSON.parse(output) as {
    listMeta: Record<string, string>;
    manifests: {
      file: Record<string, unknown>;
      meta: Record<string, string>;
      schemaFieldIds: number[];
      partitionFields: unknown[];
      entries: Record<string, unknown>[];
    }[];
  };

  assert.deepEqual(read.listMeta, {
    'avro.codec': 'deflate',
    'format-version': String(version),
    'snapshot-id': SNAPSHOT.toString(),
    'parent-snapshot-id': PARENT.toString(),
    ...(version >= 2 ? { 'sequence-number': '7' } : {}),
  });
  assert.equal(read.manifests.length, manifests.length);
  read.manifests.forEach((theirs, i) => {
    const ours = manifests[i]!;
    assert.deepEqual(theirs.file, normalizeManifestFile(ours));
    assert.deepEqual(theirs.meta, {
      'avro.codec': 'deflate',
      'format-version': String(version),
      'schema-id': '1',
      'partition-spec-id': '0',
      ...(version >= 2 ? { content: ours.content } : {}),
    });
    assert.deepEqual(theirs.schemaFieldIds, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(
      theirs.partitionFields,
      spec.fields.map((f) => [f.sourceId, f.fieldId, f.name, f.transform]),
    );
    const entries = inheritManifestEntries(written[i]!.entries, ours);
    assert.equal(theirs.entries.length, entries.length);
    theirs.entries.forEach((entry, j) => {
      const raw = (entry.dataFile as { partition: unknown[] }).partition;
      const expected = entries[j]!;
      expected.dataFile.partition.forEach((value, k) => {
        assert.deepEqual(
          expectedValue(bindPartitionField(spec, schema, k).resultType, raw[k] ?? null),
          value,
          `partition field ${k} of entry ${j}`,
        );
      });
      assert.deepEqual(entry, normalizeEntry(expected, raw));
    });
  });
}

describe('pyiceberg reads manifests written by Floe', () => {
  it('v2 data and delete manifests and their manifest list', () => roundTrip(2));
  it('v1 data manifest and manifest list', () => roundTrip(1));
});

// Metadata files are parsed once per content: a writer's own file, and one read again, come back as
// the metadata already in memory, which must be exactly what parsing the file would give; a file
// changed or damaged in place is parsed (and reported) again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { readMetadataFile, writeMetadataFile } from '../../../iceberg/catalog/metadata-files.js';
import { FloeError } from '../../../core/errors.js';
import { LocalFileIO } from '../../../iceberg/io/local-file-io.js';
import { parseTableMetadata, serializeTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import type { Snapshot } from '../../../iceberg/spec/snapshot.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import { applyUpdates } from '../../../iceberg/table-updates/apply-updates.js';
import { ProcessCaches } from '../../../iceberg/process-caches.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const NOW = 1_700_000_000_000;
const io = new LocalFileIO();
const root = scratchFolder('metadata-files');

const location = (): string => pathToFileURL(join(root, `00001-${randomUUID()}.metadata.json`)).href;

/** A table whose metadata went through each kind of update a commit makes. */
function evolved(): TableMetadata {
  const created = newTableMetadata({
    location: `file://${root}/t`,
    schema: { schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
    tableUuid: '00000000-0000-4000-8000-000000000001',
    nowMs: NOW - 10_000,
  });
  const snapshot = (snapshotId: bigint, parentSnapshotId: bigint | null, sequenceNumber: number): Snapshot => ({
    snapshotId,
    parentSnapshotId,
    sequenceNumber,
    timestampMs: NOW + sequenceNumber,
    manifestList: `file://${root}/t/metadata/snap-${snapshotId}.avro`,
    summary: { operation: 'append', 'added-records': '2', 'floe.idempotency-key': `k/${sequenceNumber}` },
    schemaId: 1,
  });
  return applyUpdates(
    created,
    [
      {
        action: 'add-schema',
        schema: {
          schemaId: 1,
          identifierFieldIds: [1],
          fields: [
            { id: 1, name: 'id', required: true, type: 'long' },
            { id: 2, name: 'value', required: false, type: 'decimal(12, 2)' },
            { id: 3, name: 'ts', required: false, type: 'timestamptz', doc: 'event time' },
          ],
        },
      },
      { action: 'set-current-schema', schemaId: -1 },
      { action: 'add-spec', spec: { specId: 1, fields: [{ sourceId: 3, fieldId: 1000, name: 'ts_day', transform: 'day' }] } },
      { action: 'set-default-spec', specId: -1 },
      {
        action: 'add-sort-order',
        sortOrder: { orderId: 1, fields: [{ sourceId: 1, transform: 'identity', direction: 'asc', nullOrder: 'nulls-first' }] },
      },
      { action: 'set-default-sort-order', sortOrderId: -1 },
      { action: 'add-snapshot', snapshot: snapshot(9_000_000_000_000_000_001n, null, 1) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: 9_000_000_000_000_000_001n, type: 'branch' },
      { action: 'add-snapshot', snapshot: snapshot(9_000_000_000_000_000_002n, 9_000_000_000_000_000_001n, 2) },
      { action: 'set-snapshot-ref', refName: 'main', snapshotId: 9_000_000_000_000_000_002n, type: 'branch' },
      { action: 'set-snapshot-ref', refName: 'v1', snapshotId: 9_000_000_000_000_000_001n, type: 'tag', maxRefAgeMs: 86_400_000 },
      { action: 'set-properties', updates: { 'write.parquet.compression-codec': 'snappy', 'floe.watermark': '2024-05-02T00:00:00Z' } },
      { action: 'remove-properties', removals: ['write.parquet.compression-codec'] },
    ],
    { nowMs: NOW, baseMetadataLocation: `file://${root}/t/metadata/00000-x.metadata.json` },
  );
}

describe('metadata files', () => {
  it('what a writer keeps in memory is exactly what parsing its file gives', () => {
    const metadata = evolved();
    assert.deepStrictEqual(parseTableMetadata(serializeTableMetadata(metadata), 'rewritten'), metadata);
  });

  it('a file written, then read, and read again is parsed once', async () => {
    const file = location();
    const metadata = evolved();
    const caches = new ProcessCaches();
    await writeMetadataFile(io, file, metadata, caches);
    assert.equal(await readMetadataFile(io, file, caches), metadata);
    assert.equal(await readMetadataFile(io, file, caches), metadata);
  });

  it('a file changed in place is parsed again, and a damaged one is reported', async () => {
    const file = location();
    const caches = new ProcessCaches();
    await writeMetadataFile(io, file, evolved(), caches);
    const changed = { ...evolved(), properties: { 'floe.watermark': '2024-05-03T00:00:00Z' } };
    await writeFile(new URL(file), serializeTableMetadata(changed));
    assert.deepStrictEqual(await readMetadataFile(io, file, caches), changed);
    await writeFile(new URL(file), serializeTableMetadata(changed).slice(0, -300));
    await assert.rejects(readMetadataFile(io, file, caches), (error: unknown) => FloeError.is(error, 'corrupt'));
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { parseTableMetadata } from '../../../iceberg/spec/metadata-json.js';
import {
  ancestorsOf,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  schemaById,
  snapshotAsOf,
  snapshotById,
  snapshotForRef,
  specById,
} from '../../../iceberg/spec/metadata.js';

const v3 = parseTableMetadata(readFileSync(new URL('../../fixtures/metadata/v3-row-lineage.metadata.json', import.meta.url), 'utf8'), 'v3');
const empty = parseTableMetadata(
  readFileSync(new URL('../../fixtures/metadata/v2-empty.metadata.json', import.meta.url), 'utf8'),
  'v2-empty',
);
const FIRST = 6055464433224185121n;
const SECOND = 8744736658442914487n;

describe('metadata helpers', () => {
  it('look up schemas and specs by id', () => {
    assert.equal(currentSchema(v3).schemaId, 1);
    assert.equal(schemaById(v3, 0)?.fields.length, 2);
    assert.equal(schemaById(v3, 9), undefined);
    assert.equal(defaultSpec(v3).specId, 0);
    assert.equal(specById(v3, 1), undefined);
  });

  it('find the current snapshot, a snapshot by id, and what a ref points at', () => {
    assert.equal(currentSnapshot(v3)?.snapshotId, SECOND);
    assert.equal(currentSnapshot(empty), null);
    assert.equal(snapshotById(v3, FIRST)?.sequenceNumber, 1);
    assert.equal(snapshotForRef(v3, 'v1.0')?.snapshotId, FIRST);
    assert.equal(snapshotForRef(v3, 'main')?.snapshotId, SECOND);
    assert.equal(snapshotForRef(v3, 'no-such-branch'), null);
    assert.equal(snapshotForRef(empty, 'main'), null);
  });

  it('walk ancestors newest first', () => {
    assert.deepEqual(
      [...ancestorsOf(v3, SECOND)].map((snapshot) => snapshot.snapshotId),
      [SECOND, FIRST],
    );
    assert.deepEqual([...ancestorsOf(v3, 123n)], []);
  });

  it('time travel by the snapshot log: the last snapshot current at or before the time', () => {
    assert.equal(snapshotAsOf(v3, 1733710953138).snapshotId, FIRST);
    assert.equal(snapshotAsOf(v3, 1733710954167).snapshotId, FIRST);
    assert.equal(snapshotAsOf(v3, 1733710954168).snapshotId, SECOND);
    assert.equal(snapshotAsOf(v3, Number.MAX_SAFE_INTEGER).snapshotId, SECOND);
    assert.throws(
      () => snapshotAsOf(v3, 1733710953137),
      (error: unknown) => FloeError.is(error, 'not-found') && /no snapshot as of 2024-12-09T02:22:33.137Z/.test(error.message),
    );
  });
});

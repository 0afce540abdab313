import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nessieServer, prefixAtCommit, sameLoad, withAncestry } from '../../../iceberg/catalog/nessie-rest.js';
import { ancestorsOf } from '../../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import { newTableMetadata } from '../../../iceberg/spec/new-table-metadata.js';
import type { Snapshot } from '../../../iceberg/spec/snapshot.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';

const snapshot = (id: bigint, sequenceNumber: number, key: string): Snapshot => ({
  snapshotId: id,
  parentSnapshotId: null,
  sequenceNumber,
  timestampMs: 1_700_000_000_000 + sequenceNumber,
  manifestList: `s3://b/t/metadata/snap-${id}.avro`,
  summary: { operation: 'append', 'floe.idempotency-key': key },
  schemaId: 0,
});

/** What Nessie serves: only the current snapshot, without its parent. */
function servedWith(head: Snapshot): TableMetadata {
  const base = newTableMetadata({ location: 's3://b/t', schema: EVENTS_SCHEMA, nowMs: 1_700_000_000_000 });
  return {
    ...base,
    currentSnapshotId: head.snapshotId,
    snapshots: [head],
    refs: { main: { snapshotId: head.snapshotId, type: 'branch' } },
  };
}

describe('Nessie beyond the spec', () => {
  it('is recognised from the config it sends, its ref and warehouse read from the url-encoded prefix', () => {
    const server = nessieServer({
      'nessie.is-nessie-catalog': 'true',
      'nessie.core-base-uri': 'http://127.0.0.1:19120/api/',
      prefix: 'main%7Cfloe',
    });
    assert.deepEqual(server, { coreBaseUri: 'http://127.0.0.1:19120/api/', ref: 'main', warehouse: 'floe' });
    assert.equal(prefixAtCommit(server!, 'abc123'), 'main%40abc123%7Cfloe');
    assert.equal(nessieServer({ prefix: 'main%7Cfloe' }), undefined, 'another server');
  });

  it('rebuilds the branch head’s ancestry from the states of the commit log, newest first', () => {
    const [a, b, c] = [snapshot(11n, 1, 'a'), snapshot(22n, 2, 'b'), snapshot(33n, 3, 'c')];
    // c is the head; a property change kept b (it repeats), and the first state had no snapshot.
    const metadata = withAncestry(servedWith(c), 33n, [c, b, b, a, undefined, snapshot(99n, 0, 'never')]);
    const line = [...ancestorsOf(metadata, 33n)];
    assert.deepEqual(
      line.map((each) => [each.snapshotId, each.parentSnapshotId]),
      [
        [33n, 22n],
        [22n, 11n],
        [11n, null],
      ],
    );
    assert.deepEqual(
      metadata.snapshots.map((each) => each.summary['floe.idempotency-key']),
      ['a', 'b', 'c'],
    );
    // A rollback to a snapshot seen before ends the walk.
    assert.equal([...ancestorsOf(withAncestry(servedWith(c), 33n, [c, b, c, a]), 33n)].length, 2);
  });

  it('a load that differs only in its remote-signer endpoint is the same load', () => {
    const load = (token: string): string =>
      `{"metadata-location":"s3://b/t/m.json","config":{"s3.signer.endpoint" : "v1/x/s3sign/${token}","s3.endpoint":"e"}}`;
    assert.equal(sameLoad(load('one'), load('two')), true);
    assert.equal(sameLoad(load('one'), load('one').replace('m.json', 'n.json')), false);
  });
});

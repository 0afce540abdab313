// The pure parts of time-safe windows and late rows: the clamp to now − delay, where a view's
// source cursor comes from (and what every commit carries forward), and how the source's history
// since the cursor is classified.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineFeatureView } from '../../../../features/definitions.js';
import { clampWindow } from '../../../../features/materialize/plan.js';
import {
  carriedSummary,
  SOURCE_CURSOR_PROPERTY,
  SOURCE_SNAPSHOT_PROPERTY,
  sourceCursorOf,
  WATERMARK_PROPERTY,
  WINDOW_END_PROPERTY,
} from '../../../../features/online-table/table-state.js';
import { classifySourceChanges, lowerBoundMicros, oldestAncestor } from '../../../../features/source-changes.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import type { TableMetadata } from '../../../../iceberg/spec/metadata.js';
import type { Snapshot, SnapshotOperation } from '../../../../iceberg/spec/snapshot.js';
import { toBinary } from '../../../../iceberg/spec/values.js';
import { defined } from '../../../../contracts/defined.js';

const view = (delay?: { minutes: number }) =>
  defineFeatureView({
    name: 'driver_stats',
    entities: ['driver'],
    source: 'rides',
    features: [{ name: 'trips', type: 'long' }],
    ...defined({ delay }),
  });
const at = (iso: string): Date => new Date(iso);

/** Metadata whose main branch is a chain of snapshots (oldest first), each with an operation and summary extras. */
function chain(
  snapshots: readonly { id: bigint; operation?: SnapshotOperation; summary?: Record<string, string> }[],
  options: { firstParent?: bigint } = {},
): TableMetadata {
  const built: Snapshot[] = snapshots.map((snapshot, index) => ({
    snapshotId: snapshot.id,
    parentSnapshotId: index === 0 ? (options.firstParent ?? null) : snapshots[index - 1]!.id,
    sequenceNumber: index + 1,
    timestampMs: 1_700_000_000_000 + index,
    manifestList: `s3://b/t/metadata/snap-${snapshot.id}.avro`,
    summary: { operation: snapshot.operation ?? 'append', ...snapshot.summary },
    schemaId: 0,
  }));
  const head = built.at(-1)?.snapshotId ?? null;
  return {
    formatVersion: 2,
    tableUuid: '00000000-0000-0000-0000-000000000000',
    location: 's3://b/t',
    lastSequenceNumber: built.length,
    lastUpdatedMs: 0,
    lastColumnId: 1,
    schemas: [{ schemaId: 0, identifierFieldIds: [], fields: [{ id: 1, name: 'ts', required: false, type: 'timestamptz' }] }],
    currentSchemaId: 0,
    partitionSpecs: [{ specId: 0, fields: [] }],
    defaultSpecId: 0,
    lastPartitionId: 999,
    properties: {},
    currentSnapshotId: head,
    snapshots: built,
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [{ orderId: 0, fields: [] }],
    defaultSortOrderId: 0,
    refs: head === null ? {} : { main: { snapshotId: head, type: 'branch' } },
    extra: {},
  };
}

const windowCommit = (sourceSnapshot: string | undefined, extra: Record<string, string> = {}): Record<string, string> => ({
  [WINDOW_END_PROPERTY]: '2024-05-02T00:00:00.000Z',
  ...defined({ [SOURCE_SNAPSHOT_PROPERTY]: sourceSnapshot }),
  ...extra,
});

describe('clampWindow: no window ends after now − delay', () => {
  const window = { start: at('2024-05-01T00:00:00Z'), end: at('2024-05-02T00:00:00Z') };

  it('leaves a window that ended in the past alone', () => {
    assert.deepEqual(clampWindow(view(), window, at('2024-05-03T00:00:00Z')), { window });
    assert.deepEqual(clampWindow(view(), window, at('2024-05-02T00:00:00Z')), { window });
  });

  it('cuts a window that reaches past now − delay at that instant', () => {
    assert.deepEqual(clampWindow(view(), window, at('2024-05-01T12:00:00Z')), {
      window: { start: window.start, end: at('2024-05-01T12:00:00Z') },
    });
    assert.deepEqual(clampWindow(view({ minutes: 30 }), window, at('2024-05-01T12:00:00Z')), {
      window: { start: window.start, end: at('2024-05-01T11:30:00Z') },
    });
  });

  it('skips a window wholly after now − delay, saying why in one line', () => {
    const result = clampWindow(view({ minutes: 30 }), window, at('2024-05-01T00:20:00Z'));
    assert.ok('skipped' in result);
    assert.equal(
      result.skipped,
      'driver_stats window [2024-05-01T00:00:00Z, 2024-05-02T00:00:00Z) ends after now − delay (2024-04-30T23:50:00Z): nothing to materialize yet',
    );
    assert.ok('skipped' in clampWindow(view(), window, window.start), 'a window starting exactly at now has nothing in the past');
  });
});

describe('sourceCursorOf: where the next incremental run reads from', () => {
  it('takes the newest recorded cursor, the empty-source cursor as null', () => {
    const metadata = chain([
      { id: 1n, summary: windowCommit('10', { [SOURCE_CURSOR_PROPERTY]: '10' }) },
      { id: 2n, summary: windowCommit('12', { [SOURCE_CURSOR_PROPERTY]: '12' }) },
      { id: 3n, operation: 'replace', summary: { [SOURCE_CURSOR_PROPERTY]: '12' } },
    ]);
    assert.deepEqual(sourceCursorOf(metadata), { kind: 'cursor', snapshotId: 12n });
    assert.deepEqual(sourceCursorOf(chain([{ id: 1n, summary: windowCommit(undefined, { [SOURCE_CURSOR_PROPERTY]: 'none' }) }])), {
      kind: 'cursor',
      snapshotId: null,
    });
  });

  it('without a cursor, lists the source snapshots committed windows read; a window of an empty source reads from the start', () => {
    assert.deepEqual(
      sourceCursorOf(
        chain([
          { id: 1n, summary: windowCommit('10') },
          { id: 2n, operation: 'replace' },
          { id: 3n, summary: windowCommit('14') },
        ]),
      ),
      { kind: 'windows', snapshotIds: [14n, 10n] },
    );
    assert.deepEqual(
      sourceCursorOf(
        chain([
          { id: 1n, summary: windowCommit(undefined) },
          { id: 2n, summary: windowCommit('14') },
        ]),
      ),
      { kind: 'cursor', snapshotId: null },
    );
    assert.deepEqual(sourceCursorOf(chain([])), { kind: 'none' });
    assert.deepEqual(sourceCursorOf(chain([{ id: 1n, operation: 'replace' }])), { kind: 'none' });
  });

  it('oldestAncestor picks the candidate deepest in the source history, or null when one is not in it', () => {
    const source = chain([{ id: 10n }, { id: 12n }, { id: 14n }, { id: 16n }]);
    assert.equal(oldestAncestor(source, 16n, [14n, 10n, 12n]), 10n);
    assert.equal(oldestAncestor(source, 16n, [14n]), 14n);
    assert.equal(oldestAncestor(source, 16n, [14n, 9n]), null);
    assert.equal(oldestAncestor(source, null, [14n]), null);
  });
});

describe('carriedSummary: what every online commit carries forward', () => {
  const base = chain([
    { id: 1n, summary: windowCommit('10', { [SOURCE_CURSOR_PROPERTY]: '10', [WATERMARK_PROPERTY]: '2024-05-02T00:00:00.000Z' }) },
  ]);

  it('advances the watermark, never back, and replaces the cursor only when told', () => {
    assert.deepEqual(carriedSummary(base, { windowEnd: at('2024-05-03T00:00:00Z'), sourceCursor: '14' }), {
      [WATERMARK_PROPERTY]: '2024-05-03T00:00:00.000Z',
      [SOURCE_CURSOR_PROPERTY]: '14',
    });
    assert.deepEqual(carriedSummary(base, { windowEnd: at('2024-05-01T00:00:00Z') }), {
      [WATERMARK_PROPERTY]: '2024-05-02T00:00:00.000Z',
      [SOURCE_CURSOR_PROPERTY]: '10',
    });
    assert.deepEqual(carriedSummary(base), { [WATERMARK_PROPERTY]: '2024-05-02T00:00:00.000Z', [SOURCE_CURSOR_PROPERTY]: '10' });
  });

  it('carries no cursor when there is none (old tables stay as they were)', () => {
    const old = chain([{ id: 1n, summary: windowCommit('10') }]);
    assert.deepEqual(carriedSummary(old), { [WATERMARK_PROPERTY]: '2024-05-02T00:00:00.000Z' });
    assert.deepEqual(carriedSummary(chain([])), {});
  });
});

describe('classifySourceChanges: appends are read incrementally, past replaces; overwrites and deletes are restated', () => {
  const source = chain([{ id: 10n }, { id: 12n }, { id: 14n, operation: 'overwrite' }, { id: 16n }, { id: 18n, operation: 'delete' }]);

  it('nothing new when the cursor is the snapshot read', () => {
    assert.deepEqual(classifySourceChanges(source, 12n, 12n), { kind: 'unchanged' });
    assert.deepEqual(classifySourceChanges(chain([]), null, null), { kind: 'unchanged' });
  });

  it('only appends since the cursor (null: since the first snapshot)', () => {
    const changes = classifySourceChanges(source, 12n, 10n);
    assert.equal(changes.kind, 'appends');
    assert.deepEqual('snapshots' in changes && changes.snapshots.map((snapshot) => snapshot.snapshotId), [12n]);
    const fromStart = classifySourceChanges(source, 12n, null);
    assert.deepEqual('snapshots' in fromStart && fromStart.snapshots.map((snapshot) => snapshot.snapshotId), [10n, 12n]);
  });

  it('a replace (compaction) since the cursor changes no row: still appends', () => {
    const compacted = chain([{ id: 10n }, { id: 12n, operation: 'replace' }, { id: 14n }, { id: 16n, operation: 'replace' }]);
    const changes = classifySourceChanges(compacted, 16n, 10n);
    assert.equal(changes.kind, 'appends');
    assert.deepEqual('snapshots' in changes && changes.snapshots.map((snapshot) => snapshot.snapshotId), [12n, 14n, 16n]);
    const rewritten = classifySourceChanges(
      chain([{ id: 10n }, { id: 12n, operation: 'replace' }, { id: 14n, operation: 'overwrite' }]),
      14n,
      10n,
    );
    assert.ok(rewritten.kind === 'rewritten');
    assert.equal(rewritten.first.snapshotId, 14n, 'the overwrite, not the replace before it, is named');
  });

  it('an overwrite or delete since the cursor is a rewrite, naming the first one', () => {
    const changes = classifySourceChanges(source, 18n, 12n);
    assert.equal(changes.kind, 'rewritten');
    assert.ok(changes.kind === 'rewritten');
    assert.equal(changes.first.snapshotId, 14n);
    assert.deepEqual(
      changes.snapshots.map((snapshot) => snapshot.snapshotId),
      [14n, 16n, 18n],
    );
    assert.equal(classifySourceChanges(source, 18n, 16n).kind, 'rewritten');
  });

  it('a cursor no longer in the history (expired, rolled back) is lost', () => {
    assert.deepEqual(classifySourceChanges(source, 18n, 7n), { kind: 'cursor-lost' });
    assert.deepEqual(classifySourceChanges(source, null, 12n), { kind: 'cursor-lost' });
    // The history was expired before its first snapshot: "since the start" cannot be known.
    assert.deepEqual(classifySourceChanges(chain([{ id: 20n }, { id: 22n }], { firstParent: 19n }), 22n, null), { kind: 'cursor-lost' });
  });
});

describe('lowerBoundMicros: a file event-time lower bound in µs', () => {
  const file = (fieldId: number, bound: Uint8Array | undefined): DataFile => ({
    content: 'data',
    filePath: 'f.parquet',
    fileFormat: 'PARQUET',
    partition: [],
    recordCount: 1,
    fileSizeInBytes: 1,
    ...(bound === undefined ? {} : { lowerBounds: new Map([[fieldId, bound]]) }),
  });

  it('reads timestamp, nanosecond and date bounds, flooring to the microsecond', () => {
    assert.equal(
      lowerBoundMicros(file(1, toBinary('timestamptz', 1_714_608_000_000_000n)), { fieldId: 1, type: 'timestamptz' }),
      1_714_608_000_000_000n,
    );
    assert.equal(lowerBoundMicros(file(1, toBinary('timestamp_ns', -1_500n)), { fieldId: 1, type: 'timestamp_ns' }), -2n);
    assert.equal(lowerBoundMicros(file(1, toBinary('date', 1)), { fieldId: 1, type: 'date' }), 86_400_000_000n);
  });

  it('is unknown without stats or for a column that is not a time', () => {
    assert.equal(lowerBoundMicros(file(1, undefined), { fieldId: 1, type: 'timestamptz' }), null);
    assert.equal(lowerBoundMicros(file(2, toBinary('timestamptz', 5n)), { fieldId: 1, type: 'timestamptz' }), null);
    assert.equal(lowerBoundMicros(file(1, toBinary('long', 5n)), { fieldId: 1, type: 'long' }), null);
  });
});

// services: none
/** The commit loop's failure handling, on a real SQL catalog with faults injected around its commit. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import type { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import type { TableChange } from '../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../core/errors.js';
import { emptySnapshotChange } from '../../support/iceberg/changes.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { scratchSqlCatalog, tableMaker } from '../../support/iceberg/scratch-tables.js';

const root = scratchFolder('commit-loop');
let catalog: SqlCatalog;

before(async () => {
  catalog = await scratchSqlCatalog(root, 'loop');
});
after(async () => {
  await catalog.close();
});
const newTable = tableMaker(() => catalog, ['db'], { schema: EVENTS_SCHEMA });

/** The real catalog, with `commitTable` wrapped: `fault(call, commit)` decides what each call does. */
function faulty(
  fault: (call: number, commit: () => ReturnType<Catalog['commitTable']>) => ReturnType<Catalog['commitTable']>,
): Catalog & { calls: number } {
  const wrapper = Object.create(catalog) as Catalog & { calls: number };
  wrapper.calls = 0;
  wrapper.commitTable = (identifier, requirements, updates) =>
    fault(++wrapper.calls, () => catalog.commitTable(identifier, requirements, updates));
  return wrapper;
}

const unknown = (): FloeError => new FloeError('commit-state-unknown', 'the server timed out after receiving the commit');
const recordSleeps = (): { sleeps: number[]; sleep: (ms: number) => Promise<void> } => {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
};

describe('commitChange failure handling', () => {
  it('a commit that landed but answered "state unknown" is found by its idempotency key, not applied twice', async () => {
    const identifier = await newTable();
    const wrapper = faulty(async (call, commit) => {
      const result = await commit();
      if (call === 1) throw unknown();
      return result;
    });
    const result = await commitChange(wrapper, identifier, emptySnapshotChange('once'), recordSleeps());
    assert.equal(result.alreadyCommitted, true);
    assert.equal(wrapper.calls, 1);
    const table = await catalog.loadTable(identifier);
    assert.equal(table.metadata.snapshots.length, 1);
    assert.equal(result.snapshotId, table.metadata.currentSnapshotId);
  });

  it('a commit that did not land after "state unknown" is retried and lands once', async () => {
    const identifier = await newTable();
    const wrapper = faulty(async (call, commit) => {
      if (call === 1) throw unknown();
      return commit();
    });
    const result = await commitChange(wrapper, identifier, emptySnapshotChange('retry-me'), recordSleeps());
    assert.equal(result.alreadyCommitted, false);
    assert.equal(result.attempts, 2);
    assert.equal(result.conflicts, 0, 'an unknown outcome is not a conflict');
    assert.equal((await catalog.loadTable(identifier)).metadata.snapshots.length, 1);
  });

  it('"state unknown" without an idempotency key is not retried: replaying could apply it twice', async () => {
    const identifier = await newTable();
    const wrapper = faulty(async () => {
      throw unknown();
    });
    await assert.rejects(commitChange(wrapper, identifier, emptySnapshotChange(), recordSleeps()), (error: unknown) =>
      FloeError.is(error, 'commit-state-unknown'),
    );
    assert.equal(wrapper.calls, 1);
  });

  it('gives up after commit.retry.num-retries with a retryable commit-conflict, backing off between attempts', async () => {
    const identifier = await newTable({
      properties: {
        'commit.retry.num-retries': '3',
        'commit.retry.min-wait-ms': '10',
        'commit.retry.max-wait-ms': '25',
      },
    });
    // Always stale: it asserts main is at a snapshot that never exists.
    const stale: TableChange = {
      description: 'always stale',
      async prepare(base) {
        const ready = await emptySnapshotChange().prepare(base);
        return { requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', snapshotId: 42n }], updates: ready.updates };
      },
    };
    const { sleeps, sleep } = recordSleeps();
    const retries: number[] = [];
    const wrapper = faulty((_, commit) => commit());
    await assert.rejects(
      commitChange(wrapper, identifier, stale, { sleep, onRetry: ({ attempt }) => retries.push(attempt) }),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
        assert.equal(error.retryable, true);
        assert.match(error.message, /gave up after 4 attempts and 3 retries \(commit.retry.num-retries\)/);
        return true;
      },
    );
    assert.equal(wrapper.calls, 4);
    assert.deepEqual(retries, [1, 2, 3]);
    assert.equal(sleeps.length, 3);
    // min 10 ms doubling, capped at 25, each between half and all of its step.
    [10, 20, 25].forEach((step, index) =>
      assert.ok((sleeps[index] as number) >= step / 2 && (sleeps[index] as number) <= step, `sleep ${index}: ${sleeps[index]}`),
    );
    assert.equal((await catalog.loadTable(identifier)).metadata.snapshots.length, 0);
  });

  it('stops when the next wait would pass commit.retry.total-timeout-ms', async () => {
    const identifier = await newTable({
      properties: {
        'commit.retry.total-timeout-ms': '1000',
        'commit.retry.min-wait-ms': '400',
        'commit.retry.num-retries': '100',
      },
    });
    let clock = 0;
    const { sleep } = { sleep: async (ms: number) => void (clock += ms) };
    const wrapper = faulty(async () => {
      throw new FloeError('commit-conflict', 'someone else won');
    });
    await assert.rejects(
      commitChange(wrapper, identifier, emptySnapshotChange('t'), { sleep, now: () => clock, random: () => 1 }),
      (error: unknown) => FloeError.is(error, 'commit-conflict') && /total-timeout-ms/.test(error.message),
    );
    assert.equal(wrapper.calls, 2, 'waits of 400 then 800 ms: the second would pass 1000 ms');
  });

  it('errors from prepare, and commit errors that are not conflicts, propagate at once', async () => {
    const identifier = await newTable();
    const wrapper = faulty((_, commit) => commit());
    const broken: TableChange = {
      description: 'rewrite of a file that is gone',
      async prepare() {
        throw new FloeError('not-found', 'data file s3://b/t/data/x.parquet is no longer in the table', { retryable: false });
      },
    };
    await assert.rejects(commitChange(wrapper, identifier, broken, recordSleeps()), (error: unknown) => FloeError.is(error, 'not-found'));
    assert.equal(wrapper.calls, 0);
    const invalid: TableChange = {
      description: 'invalid update',
      async prepare() {
        return { requirements: [], updates: [{ action: 'set-current-schema', schemaId: 99 }] };
      },
    };
    await assert.rejects(commitChange(wrapper, identifier, invalid, recordSleeps()), (error: unknown) =>
      FloeError.is(error, 'invalid-input'),
    );
    assert.equal(wrapper.calls, 1);
  });
});

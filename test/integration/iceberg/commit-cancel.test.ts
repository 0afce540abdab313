// services: none
/**
 * The commit loop cancelled by its signal (a worker shutting down mid-commit), on a real SQL
 * catalog: a commit the catalog holds ends at once with the signal's reason, and so does a wait
 * between conflicts; the cut-off attempt's manifest list stays (it may have landed), and a retry
 * under the same idempotency key lands the change once.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import type { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import { fastAppend } from '../../../iceberg/write/fast-append.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { scratchSqlCatalog, tableMaker } from '../../support/iceberg/scratch-tables.js';

const root = scratchFolder('commit-cancel');
let catalog: SqlCatalog;

before(async () => {
  catalog = await scratchSqlCatalog(root, 'cancel');
});
after(async () => {
  await catalog.close();
});
const newTable = tableMaker(() => catalog, ['db'], { schema: EVENTS_SCHEMA });

/** The real catalog, but its commits go through `commit`, which is given the call's signal. */
function withCommit(commit: (signal: AbortSignal | undefined) => ReturnType<Catalog['commitTable']>): Catalog {
  const wrapper = Object.create(catalog) as Catalog;
  wrapper.commitTable = (_identifier, _requirements, _updates, options) => commit(options?.signal);
  return wrapper;
}

async function manifestLists(identifier: TableIdentifier): Promise<string[]> {
  const table = await catalog.loadTable(identifier);
  return (await readdir(join(localPath(table.metadata.location), 'metadata'))).filter((file) => file.startsWith('snap-'));
}

describe('commit loop cancelled by its signal', () => {
  it('a commit the catalog holds ends at once with the reason, keeps its files, and a retry with the key lands once', async () => {
    const identifier = await newTable();
    let held = 0;
    // A jammed catalog: it takes the commit and never answers, until the caller gives up.
    const jammed = withCommit(
      (signal) =>
        new Promise((_resolve, reject) => {
          held += 1;
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    );
    const controller = new AbortController();
    const reason = new Error('the worker is shutting down');
    const cut = commitChange(jammed, identifier, fastAppend([], { idempotencyKey: 'window-1' }), { signal: controller.signal });
    while (held === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = performance.now();
    controller.abort(reason);
    await assert.rejects(cut, (error: unknown) => error === reason);
    assert.ok(performance.now() - started < 500, 'ended at once');
    assert.equal(held, 1, 'not retried after the cancellation');
    assert.equal((await manifestLists(identifier)).length, 1, 'the cut-off attempt’s manifest list stays: it may have landed');

    const retried = await commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'window-1' }));
    assert.equal(retried.alreadyCommitted, false);
    const table = await catalog.loadTable(identifier);
    assert.deepEqual(
      table.metadata.snapshots.map((snapshot) => snapshot.summary['floe.idempotency-key']),
      ['window-1'],
    );
    const again = await commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'window-1' }));
    assert.equal(again.alreadyCommitted, true, 'the key finds it');
  });

  it('a wait between conflicts ends at once with the reason', async () => {
    // Waits of 5 s at least between conflicts: only the signal can end one sooner.
    const identifier = await newTable({ properties: { 'commit.retry.min-wait-ms': '5000', 'commit.retry.max-wait-ms': '5000' } });
    let attempts = 0;
    const conflicting = withCommit(async () => {
      attempts += 1;
      throw new FloeError('commit-conflict', 'test: another writer got there first');
    });
    const reason = new Error('cancelled');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 300);
    const started = performance.now();
    await assert.rejects(
      commitChange(conflicting, identifier, fastAppend([], { idempotencyKey: 'window-2' }), { signal: controller.signal }),
      (error: unknown) => error === reason,
    );
    assert.ok(performance.now() - started < 2_000, `ended after ${Math.round(performance.now() - started)} ms, not after the 5 s wait`);
    assert.equal(attempts, 1);
  });
});

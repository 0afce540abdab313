// services: none
/**
 * The commit loop under catalog faults, on a real SQL catalog with a wrapped commit: an unknown
 * outcome is resolved by reloading and looking for the idempotency key within seconds (real
 * timers), and an attempt that can never land leaves none of its own files in the metadata folder.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import type { SqlDriver } from '../../../iceberg/catalog/sql-driver.js';
import { SqliteDriver } from '../../../iceberg/catalog/sqlite-driver.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import { fastAppend } from '../../../iceberg/write/fast-append.js';
import { removeProperties, setProperties } from '../../../iceberg/write/properties.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { scratchSqlCatalog, tableMaker } from '../../support/iceberg/scratch-tables.js';

const root = scratchFolder('commit-faults');
let catalog: SqlCatalog;

before(async () => {
  catalog = await scratchSqlCatalog(root, 'faults');
});
after(async () => {
  await catalog.close();
});
const newTable = tableMaker(() => catalog, ['db'], { schema: EVENTS_SCHEMA });

/** The real catalog with `commitTable` and `loadTable` wrapped. */
function faulty(
  commit: (call: number, real: () => ReturnType<Catalog['commitTable']>) => ReturnType<Catalog['commitTable']>,
  load: (call: number, real: () => ReturnType<Catalog['loadTable']>) => ReturnType<Catalog['loadTable']> = (_, real) => real(),
): Catalog & { commits: number; loads: number } {
  const wrapper = Object.create(catalog) as Catalog & { commits: number; loads: number };
  wrapper.commits = 0;
  wrapper.loads = 0;
  wrapper.commitTable = (identifier, requirements, updates) =>
    commit(++wrapper.commits, () => catalog.commitTable(identifier, requirements, updates));
  wrapper.loadTable = (identifier) => load(++wrapper.loads, () => catalog.loadTable(identifier));
  return wrapper;
}

/** What a REST catalog answers when its database is busy: HTTP 500 on a commit. */
const serverError = (): FloeError =>
  new FloeError('commit-state-unknown', 'Could not commit: HTTP 500 SQLITE_BUSY', { context: { status: 500 } });

async function metadataFiles(identifier: TableIdentifier): Promise<string[]> {
  const table = await catalog.loadTable(identifier);
  return (await readdir(join(localPath(table.metadata.location), 'metadata'))).sort();
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('commit loop under catalog faults', () => {
  it('an outcome unknown after the commit landed is resolved by reload + idempotency key within seconds, and no attempt file is left behind', async () => {
    const identifier = await newTable();
    const before = await metadataFiles(identifier);
    // The catalog is wedged for three calls (500s, nothing applied), then applies the fourth but
    // the answer is lost too: the loop must find the key on reload instead of committing again.
    const wrapper = faulty(async (call, real) => {
      if (call <= 3) throw serverError();
      await real();
      throw serverError();
    });
    const { result, ms } = await timed(() => commitChange(wrapper, identifier, fastAppend([], { idempotencyKey: 'window-1' })));
    assert.equal(result.alreadyCommitted, true);
    assert.equal(wrapper.commits, 4);
    assert.ok(ms < 10_000, `resolved in ${Math.round(ms)} ms`);
    const table = await catalog.loadTable(identifier);
    assert.equal(table.metadata.snapshots.length, 1);
    assert.equal(result.snapshotId, table.metadata.currentSnapshotId);
    // Left: the new metadata file and the landed snapshot's manifest list — not the three failed attempts' lists.
    const added = (await metadataFiles(identifier)).filter((file) => !before.includes(file));
    assert.equal(added.filter((file) => file.endsWith('.metadata.json')).length, 1, added.join(', '));
    assert.deepEqual(
      added.filter((file) => file.startsWith('snap-')),
      [table.metadata.snapshots[0]!.manifestList!.split('/').pop()],
    );
  });

  it('a reload that fails while an unknown outcome is chased is retried, not thrown to the activity', async () => {
    const identifier = await newTable();
    const wrapper = faulty(
      async (call, real) => {
        if (call === 1) throw serverError();
        return real();
      },
      // Loads 2 and 3 (the reloads after the unknown outcome) find the catalog down.
      async (call, real) => {
        if (call === 2 || call === 3)
          throw new FloeError('io', 'Could not load table db.t: the request to the REST catalog failed: connect ECONNREFUSED');
        return real();
      },
    );
    const { result, ms } = await timed(() => commitChange(wrapper, identifier, fastAppend([], { idempotencyKey: 'window-2' })));
    assert.equal(result.alreadyCommitted, false);
    assert.equal(result.attempts, 2);
    assert.ok(ms < 10_000, `resolved in ${Math.round(ms)} ms`);
    assert.equal((await catalog.loadTable(identifier)).metadata.snapshots.length, 1);
  });

  it('an outcome that stays unknown gives up after its budget with a retryable error naming the table', async () => {
    const identifier = await newTable();
    const wrapper = faulty(async () => {
      throw serverError();
    });
    let clock = 0;
    await assert.rejects(
      commitChange(wrapper, identifier, fastAppend([], { idempotencyKey: 'window-3' }), {
        now: () => clock,
        sleep: async (ms) => void (clock += ms),
        unknownOutcomeBudgetMs: 5_000,
      }),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'commit-state-unknown'), String(error));
        assert.equal(error.retryable, true);
        assert.match(error.message, /db\.t\d+: outcome unknown after \d+ attempts over 5 s/);
        return true;
      },
    );
    assert.ok(clock <= 5_000, `waited ${clock} ms of simulated time`);
    assert.ok(wrapper.commits >= 4, `${wrapper.commits} attempts in 5 s of 0.25–2 s waits`);
  });

  it('a property change whose outcome is unknown is looked for on reload: found when it landed, replayed when it did not', async () => {
    const identifier = await newTable();
    // Call 1 fails before applying, call 2 applies but its answer is lost.
    const wrapper = faulty(async (call, real) => {
      if (call === 2) await real();
      if (call <= 2) throw serverError();
      return real();
    });
    const landed = await commitChange(wrapper, identifier, setProperties({ owner: 'ml-platform' }), { sleep: async () => {} });
    assert.equal(landed.alreadyCommitted, true);
    assert.equal(wrapper.commits, 2);
    assert.equal((await catalog.loadTable(identifier)).metadata.properties['owner'], 'ml-platform');

    const lost = faulty(async (call, real) => (call === 1 ? Promise.reject(serverError()) : real()));
    const replayed = await commitChange(lost, identifier, removeProperties(['owner']), { sleep: async () => {} });
    assert.equal(replayed.alreadyCommitted, false);
    assert.equal(replayed.attempts, 2);
    assert.equal((await catalog.loadTable(identifier)).metadata.properties['owner'], undefined);
  });

  it('a commit attempt the catalog refuses leaves none of its files behind', async () => {
    const identifier = await newTable({ properties: { 'commit.retry.num-retries': '2', 'commit.retry.min-wait-ms': '1' } });
    const before = await metadataFiles(identifier);
    const refused = faulty(async () => {
      throw new FloeError('commit-conflict', 'someone else committed first');
    });
    await assert.rejects(commitChange(refused, identifier, fastAppend([], { idempotencyKey: 'refused' })), (error: unknown) =>
      FloeError.is(error, 'commit-conflict'),
    );
    assert.equal(refused.commits, 3);
    assert.deepEqual(await metadataFiles(identifier), before, 'three refused attempts, no manifest list left');

    // A real race on the SQL catalog: its metadata file and our manifest list both go.
    const raced = faulty(async (call, real) => {
      if (call === 1) await commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'winner' }));
      return real();
    });
    const result = await commitChange(raced, identifier, fastAppend([], { idempotencyKey: 'loser' }));
    assert.equal(result.attempts, 2);
    const table = await catalog.loadTable(identifier);
    const added = (await metadataFiles(identifier)).filter((file) => !before.includes(file));
    const lists = table.metadata.snapshots.map((snapshot) => snapshot.manifestList!.split('/').pop()!);
    assert.deepEqual(
      added.filter((file) => file.startsWith('snap-')).sort(),
      lists.sort(),
      'only the two landed snapshots’ manifest lists',
    );
    assert.equal(added.filter((file) => file.endsWith('.metadata.json')).length, 2, 'one metadata file per landed commit');
  });

  it('a SQL catalog whose connection breaks under the pointer swap: once an attempt lands, the others’ metadata files and manifest lists go', async () => {
    // The UPDATE that swaps the pointer fails twice as a reset connection does: outcome unknown.
    const sqlite = new SqliteDriver(join(root, 'swap.db'));
    let swaps = 0;
    const driver: SqlDriver = {
      query: (sql, params) => sqlite.query(sql, params),
      batch: (statements) => sqlite.batch(statements),
      close: () => sqlite.close(),
      classify: (error) => ((error as Error).message === 'connection reset' ? 'connection-lost' : sqlite.classify(error)),
      execute: async (sql, params) => {
        if (sql.trimStart().startsWith('UPDATE iceberg_tables SET metadata_location') && ++swaps <= 2) throw new Error('connection reset');
        return sqlite.execute(sql, params);
      },
    };
    const resetting = await SqlCatalog.open({ name: 'swap', uri: 'unused', driver, warehouse: pathToFileURL(join(root, 'swap')).href });
    try {
      await resetting.createNamespace(['db']);
      const identifier = { namespace: ['db'], name: 'swapped' };
      await resetting.createTable(identifier, { schema: EVENTS_SCHEMA });
      const folder = async (): Promise<string[]> =>
        (await readdir(join(localPath((await resetting.loadTable(identifier)).metadata.location), 'metadata'))).sort();
      const before = await folder();
      const result = await commitChange(resetting, identifier, fastAppend([], { idempotencyKey: 'swap' }));
      assert.deepEqual([result.attempts, result.alreadyCommitted], [3, false]);
      const table = await resetting.loadTable(identifier);
      assert.deepEqual(
        (await folder()).filter((file) => !before.includes(file)),
        [table.metadataLocation.split('/').pop(), table.metadata.snapshots[0]!.manifestList!.split('/').pop()].sort(),
        'the landed attempt’s metadata file and manifest list, nothing of the two that may have landed and did not',
      );
    } finally {
      await resetting.close();
    }
  });
});

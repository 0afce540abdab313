/**
 * What every Catalog must do, run against each backend (SQL on SQLite, the Java REST fixture), as
 * pyiceberg runs one catalog suite against all of its catalogs. Includes the commit loop, since a
 * catalog's commit is only useful if concurrent commits through it all land exactly once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Catalog, Namespace, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import type { CommitResult } from '../../../iceberg/commit/commit.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../../../iceberg/commit/table-change.js';
import { FloeError } from '../../../core/errors.js';
import { ancestorsOf, currentSchema } from '../../../iceberg/spec/metadata.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import { addColumnChange, barrier, emptySnapshotChange, propertyChange } from './changes.js';

export const EVENTS_SCHEMA: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'user_id', required: true, type: 'long' },
    { id: 2, name: 'event_ts', required: true, type: 'timestamptz' },
    { id: 3, name: 'clicks', required: false, type: 'int' },
  ],
};

export interface ContractOptions {
  /** Opens a catalog; the contract opens several to act as separate writers and closes them all. */
  readonly open: () => Promise<Catalog>;
  /** Where a table's metadata must land, to check the catalog wrote where it should. */
  readonly expectedLocationPrefix: string;
  /** The commit loop's retry settings for this backend (fast, since tests must not sleep for long). */
  readonly retry?: { minWaitMs: number; maxWaitMs: number; numRetries: number };
  /**
   * How the server records metadata files. `versioned` (Iceberg's own catalogs, the default): each
   * commit writes `<version>-<uuid>.metadata.json`, answers with that file and lists the one before in
   * metadata-log. `nessie`: each commit writes `00000-<uuid>.metadata.json`, answers with a URL of
   * Nessie's own for the new state (a load then names the file) and keeps no metadata-log.
   */
  readonly metadataFiles?: 'versioned' | 'nessie';
}

const noSleep = async (): Promise<void> => undefined;

export function catalogContract(label: string, options: ContractOptions): void {
  const fresh = (): Namespace => [`floe_${randomUUID().replaceAll('-', '').slice(0, 12)}`];
  const fastRetry = options.retry ?? { minWaitMs: 1, maxWaitMs: 5, numRetries: 20 };
  const versioned = (options.metadataFiles ?? 'versioned') === 'versioned';

  async function withCatalogs<T>(count: number, run: (catalogs: Catalog[]) => Promise<T>): Promise<T> {
    const catalogs = await Promise.all(Array.from({ length: count }, () => options.open()));
    try {
      return await run(catalogs);
    } finally {
      await Promise.all(catalogs.map((catalog) => catalog.close()));
    }
  }

  async function createTable(catalog: Catalog, namespace: Namespace, name = 'events'): Promise<TableIdentifier> {
    await catalog.createNamespace(namespace, { owner: 'floe-tests' });
    const identifier = { namespace, name };
    await catalog.createTable(identifier, { schema: EVENTS_SCHEMA, properties: { 'floe.test': label } });
    return identifier;
  }

  describe(`${label}: catalog contract`, () => {
    it('namespaces: create, exist, list, refuse duplicates, drop only when empty', async () => {
      await withCatalogs(1, async ([catalog]) => {
        assert.ok(catalog);
        const namespace = fresh();
        assert.equal(await catalog.namespaceExists(namespace), false);
        await catalog.createNamespace(namespace);
        assert.equal(await catalog.namespaceExists(namespace), true);
        assert.ok((await catalog.listNamespaces()).some((listed) => listed.join('.') === namespace.join('.')));
        await assert.rejects(catalog.createNamespace(namespace), (error: unknown) => FloeError.is(error, 'already-exists'));
        await catalog.createTable({ namespace, name: 't' }, { schema: EVENTS_SCHEMA });
        await assert.rejects(catalog.dropNamespace(namespace), (error: unknown) => FloeError.is(error) && error.kind !== 'internal');
        await catalog.dropTable({ namespace, name: 't' });
        await catalog.dropNamespace(namespace);
        assert.equal(await catalog.namespaceExists(namespace), false);
        await assert.rejects(catalog.dropNamespace(namespace), (error: unknown) => FloeError.is(error, 'not-found'));
      });
    });

    it('tables: create, load, exist, list, refuse duplicates, drop', async () => {
      await withCatalogs(1, async ([catalog]) => {
        assert.ok(catalog);
        const namespace = fresh();
        const identifier = await createTable(catalog, namespace);
        const loaded = await catalog.loadTable(identifier);
        assert.ok(
          loaded.metadataLocation.startsWith(options.expectedLocationPrefix),
          `${loaded.metadataLocation} is under ${options.expectedLocationPrefix}`,
        );
        assert.match(loaded.metadataLocation, /\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
        assert.deepEqual(currentSchema(loaded.metadata).fields, EVENTS_SCHEMA.fields);
        assert.equal(loaded.metadata.formatVersion, 2);
        assert.equal(loaded.metadata.properties['floe.test'], label);
        assert.equal(loaded.metadata.currentSnapshotId, null);
        assert.ok(await loaded.io.exists(loaded.metadataLocation), 'the metadata file exists in storage');
        assert.equal(await catalog.tableExists(identifier), true);
        assert.deepEqual(await catalog.listTables(namespace), [identifier]);
        await assert.rejects(catalog.createTable(identifier, { schema: EVENTS_SCHEMA }), (error: unknown) =>
          FloeError.is(error, 'already-exists'),
        );
        await catalog.dropTable(identifier);
        assert.equal(await catalog.tableExists(identifier), false);
        await assert.rejects(catalog.loadTable(identifier), (error: unknown) => FloeError.is(error, 'not-found'));
        await assert.rejects(catalog.loadTable({ namespace: fresh(), name: 'nope' }), (error: unknown) => FloeError.is(error, 'not-found'));
      });
    });

    it('a commit is accepted: a new metadata file, the change visible on reload', async () => {
      await withCatalogs(2, async ([writer, reader]) => {
        assert.ok(writer && reader);
        const identifier = await createTable(writer, fresh());
        const before = await writer.loadTable(identifier);
        const prepared = await addColumnChange('country').prepare(before);
        const after = await writer.commitTable(identifier, prepared.requirements, [
          ...prepared.updates,
          { action: 'set-properties', updates: { a: '1' } },
        ]);
        assert.notEqual(after.metadataLocation, before.metadataLocation);
        const reloaded = await reader.loadTable(identifier);
        assert.notEqual(reloaded.metadataLocation, before.metadataLocation);
        assert.deepEqual(reloaded.metadata, after.metadata, 'a load returns the state the commit answered with');
        if (versioned) {
          assert.match(after.metadataLocation, /\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);
          assert.equal(reloaded.metadataLocation, after.metadataLocation);
        } else {
          assert.match(reloaded.metadataLocation, /\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
          assert.ok(await reloaded.io.exists(reloaded.metadataLocation), 'the new metadata file exists in storage');
        }
        assert.deepEqual(
          currentSchema(reloaded.metadata).fields.map((field) => field.name),
          ['user_id', 'event_ts', 'clicks', 'country'],
        );
        assert.equal(reloaded.metadata.currentSchemaId, 1);
        assert.equal(reloaded.metadata.properties['a'], '1');
        assert.deepEqual(
          reloaded.metadata.metadataLog.map((entry) => entry.metadataFile),
          versioned ? [before.metadataLocation] : [],
        );
      });
    });

    it('a stale assert-ref-snapshot-id is rejected with commit-conflict and changes nothing', async () => {
      await withCatalogs(1, async ([catalog]) => {
        assert.ok(catalog);
        const identifier = await createTable(catalog, fresh());
        const base = await catalog.loadTable(identifier);
        const first = await emptySnapshotChange().prepare(base);
        const second = await emptySnapshotChange().prepare(base); // prepared on the same, soon stale, base
        await catalog.commitTable(identifier, first.requirements, first.updates);
        const committed = await catalog.loadTable(identifier);
        await assert.rejects(
          catalog.commitTable(identifier, second.requirements, second.updates),
          (error: unknown) => FloeError.is(error, 'commit-conflict') && error.retryable,
        );
        const after = await catalog.loadTable(identifier);
        assert.equal(after.metadataLocation, committed.metadataLocation);
        assert.equal(after.metadata.snapshots.length, 1);
      });
    });

    it('commit loop: concurrent empty-snapshot commits from separate writers all land, in one line of history', async () => {
      const writers = 4;
      const perWriter = 2;
      await withCatalogs(writers, async (catalogs) => {
        const identifier = await createTable(catalogs[0] as Catalog, fresh());
        // Every first attempt prepares on the same base, so all but one must conflict and retry.
        const arrive = barrier(writers * perWriter);
        const changes = catalogs.flatMap((_, writer) =>
          Array.from({ length: perWriter }, (__, index) => emptySnapshotChange(`w${writer}-${index}`, { onPrepare: arrive })),
        );
        const results = await Promise.all(
          changes.map((change, index) =>
            commitChange(catalogs[index % writers] as Catalog, identifier, change, { retry: fastRetry, sleep: noSleep }),
          ),
        );
        const table = await (catalogs[0] as Catalog).loadTable(identifier);
        const history = [...ancestorsOf(table.metadata, table.metadata.currentSnapshotId as bigint)];
        assert.equal(history.length, changes.length, 'every change is one snapshot on main');
        assert.deepEqual(
          new Set(history.map((snapshot) => snapshot.summary[IDEMPOTENCY_KEY_PROPERTY])),
          new Set(changes.map((change) => change.idempotencyKey)),
        );
        assert.deepEqual(new Set(results.map((result) => result.snapshotId)), new Set(history.map((snapshot) => snapshot.snapshotId)));
        assert.equal(table.metadata.lastSequenceNumber, changes.length);
        assert.ok(results.every((result) => !result.alreadyCommitted));
        assert.ok(
          results.some((result) => result.attempts > 1),
          'some commits conflicted and were retried',
        );
        assert.equal(
          results.reduce((sum, result) => sum + result.attempts, 0),
          changes.reduce((sum, change) => sum + change.prepared, 0),
        );
        // No fault but conflicts here: every attempt but the one that landed conflicted.
        assert.ok(results.every((result) => result.conflicts === result.attempts - 1));
      });
    });

    it('commit loop: concurrent property changes from separate writers all land', async () => {
      const writers = 3;
      await withCatalogs(writers, async (catalogs) => {
        const identifier = await createTable(catalogs[0] as Catalog, fresh());
        const arrive = barrier(writers * 2);
        const results = await Promise.all(
          Array.from({ length: writers * 2 }, (_, index) =>
            commitChange(
              catalogs[index % writers] as Catalog,
              identifier,
              propertyChange(`p${index}`, String(index), { onPrepare: arrive }),
              { retry: fastRetry, sleep: noSleep },
            ),
          ),
        );
        const table = await (catalogs[0] as Catalog).loadTable(identifier);
        for (let index = 0; index < writers * 2; index++) assert.equal(table.metadata.properties[`p${index}`], String(index));
        assert.ok(results.every((result) => result.snapshotId === undefined));
      });
    });

    it('commit loop: an idempotent retry returns the first snapshot instead of committing twice', async () => {
      await withCatalogs(2, async ([first, second]) => {
        assert.ok(first && second);
        const identifier = await createTable(first, fresh());
        const original: CommitResult = await commitChange(first, identifier, emptySnapshotChange('materialize/2024-01-01'), {
          sleep: noSleep,
        });
        assert.equal(original.alreadyCommitted, false);
        assert.equal(original.attempts, 1);
        await commitChange(first, identifier, emptySnapshotChange('materialize/2024-01-02'), { sleep: noSleep });
        // The "retried activity": same key, another writer, after more history landed on top.
        const replay = emptySnapshotChange('materialize/2024-01-01');
        const retried = await commitChange(second, identifier, replay, { sleep: noSleep });
        assert.equal(retried.alreadyCommitted, true);
        assert.equal(retried.snapshotId, original.snapshotId);
        assert.equal(retried.attempts, 0);
        assert.equal(replay.prepared, 0, 'nothing was prepared or written');
        assert.equal((await second.loadTable(identifier)).metadata.snapshots.length, 2);
      });
    });
  });
}

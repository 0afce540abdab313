// services: rest-catalog, python
/**
 * No litter of Floe's own, on the REST catalog fixture and MinIO: an attempt known not to have
 * landed leaves none of its files in the table's location — neither its manifest list, nor, when
 * the whole commit fails, the data files and manifest the caller wrote for it — and one that
 * landed keeps them all and is read once. What is left is compared with every file pyiceberg says
 * the table refers to (every snapshot's manifest list and manifests, every metadata file).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { writeTableFiles } from '../../../engine/write/table-writer.js';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { appendedFiles, writeAddedManifest } from '../../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../../iceberg/write/fast-append.js';
import { unreferencedFiles } from '../../support/compaction/referenced.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { startRestProxy } from '../../support/iceberg/rest-proxy.js';
import type { RestProxy } from '../../support/iceberg/rest-proxy.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { tableMaker } from '../../support/iceberg/scratch-tables.js';

const namespace = [`litter_${randomUUID().slice(0, 8)}`];
const workDirectory = scratchFolder('commit-litter');
let proxy: RestProxy;
let catalog: Catalog;
let engine: Engine;

before(async () => {
  proxy = await startRestProxy(floeRestCatalog().uri);
  catalog = await loadCatalog({ ...floeRestCatalog(), uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}` });
  await catalog.createNamespace(namespace);
  engine = await Engine.create({ threads: 1, setup: registerIcebergFunctions });
});
after(async () => {
  engine?.close();
  await catalog?.close();
  await proxy?.close();
});
const newTable = tableMaker(() => catalog, namespace, { schema: EVENTS_SCHEMA });

const rowOf = (userId: number): string =>
  `SELECT ${userId}::BIGINT AS user_id, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS event_ts, ${userId}::INTEGER AS clicks`;

/** Floe's append of one row (data file, manifest, commit), as every Floe writer makes one. */
const appendRow = (target: Catalog, identifier: TableIdentifier, userId: number, key: string) =>
  appendQuery({ catalog: target, engine, identifier, query: rowOf(userId), workDirectory, idempotencyKey: key });

/** Another writer's append (pyiceberg, on the catalog itself). */
const otherWriterAppends = (identifier: TableIdentifier, userId: number) =>
  runPyiceberg('append', {
    catalog: oracleRestCatalog(),
    identifier: formatTableIdentifier(identifier),
    rows: [{ user_id: userId, event_ts: '2024-05-01T00:00:00Z', clicks: userId }],
    columns: { user_id: 'long', event_ts: 'timestamptz', clicks: 'int' },
  });

/** The user ids pyiceberg reads, sorted. */
async function userIds(identifier: TableIdentifier): Promise<number[]> {
  const { rows } = await runPyiceberg<{ rows: { user_id: number }[] }>('read', {
    catalog: oracleRestCatalog(),
    identifier: formatTableIdentifier(identifier),
  });
  return rows.map((row) => Number(row.user_id)).sort((a, b) => a - b);
}

const litterOf = (identifier: TableIdentifier): Promise<string[]> => unreferencedFiles(catalog, oracleRestCatalog(), identifier);

/** The catalog with every commit of `writer`'s first `times` preceded by another writer's: a real 409 each time. */
function racedBy(identifier: TableIdentifier, times: number): Catalog & { commits: number } {
  const raced = Object.create(catalog) as Catalog & { commits: number };
  raced.commits = 0;
  raced.commitTable = async (id, requirements, updates) => {
    raced.commits += 1;
    if (raced.commits <= times) await otherWriterAppends(identifier, 100 + raced.commits);
    return catalog.commitTable(id, requirements, updates);
  };
  return raced;
}

describe('no litter of Floe’s own after a commit’s failed attempts', () => {
  it('an append that loses the race three times lands once, and its three manifest lists are gone', async () => {
    const identifier = await newTable({ properties: { 'commit.retry.min-wait-ms': '1', 'commit.retry.max-wait-ms': '10' } });
    const raced = racedBy(identifier, 3);
    const result = await appendRow(raced, identifier, 1, 'raced');
    assert.deepEqual([result.attempts, result.conflicts, result.alreadyCommitted], [4, 3, false]);
    assert.deepEqual(await userIds(identifier), [1, 101, 102, 103]);
    assert.deepEqual(await litterOf(identifier), []);
  });

  it('an append that keeps losing gives up, and its data file and manifest go with its manifest lists', async () => {
    const identifier = await newTable({ properties: { 'commit.retry.num-retries': '2', 'commit.retry.min-wait-ms': '1' } });
    const raced = racedBy(identifier, Number.POSITIVE_INFINITY);
    await assert.rejects(appendRow(raced, identifier, 1, 'outraced'), (error: unknown) => {
      assert.ok(FloeError.is(error, 'commit-conflict'), String(error));
      assert.match(error.message, /gave up after 3 attempts and 2 retries/);
      return true;
    });
    assert.deepEqual(await userIds(identifier), [101, 102, 103]);
    assert.deepEqual(await litterOf(identifier), []);
  });

  it('commits refused by a gateway without reaching the catalog (503): the attempt that lands keeps its files, the others’ go', async () => {
    const identifier = await newTable();
    proxy.refuseCommits(2);
    const result = await appendRow(catalog, identifier, 1, 'refused-twice');
    assert.deepEqual([result.attempts, result.alreadyCommitted], [3, false]);
    assert.deepEqual(await userIds(identifier), [1]);
    assert.deepEqual(await litterOf(identifier), []);
  });

  it('a commit that landed but whose answer was lost (502 after forwarding) keeps every file and is read once', async () => {
    const identifier = await newTable();
    proxy.loseCommitReplies(1);
    const result = await appendRow(catalog, identifier, 1, 'answer-lost');
    assert.deepEqual([result.attempts, result.alreadyCommitted], [1, true]);
    assert.deepEqual(await userIds(identifier), [1]);
    assert.deepEqual(await litterOf(identifier), []);
  });

  it('an append whose key an earlier run committed lands nothing, and the files it wrote for it go', async () => {
    const identifier = await newTable();
    await appendRow(catalog, identifier, 1, 'twice');
    const again = await appendRow(catalog, identifier, 1, 'twice');
    assert.deepEqual([again.attempts, again.alreadyCommitted], [0, true]);
    assert.deepEqual(await userIds(identifier), [1]);
    assert.deepEqual(await litterOf(identifier), []);
  });

  it('a commit that gives up not knowing keeps its files until the next commit moves the table past it, then they all go', async () => {
    const identifier = await newTable();
    const table = await catalog.loadTable(identifier);
    const name = `unknown-${randomUUID()}`;
    const dataFiles = await engine.withConnection((connection) =>
      writeTableFiles(connection, table, { query: rowOf(1), fileNamePrefix: name, localDirectory: join(workDirectory, name) }),
    );
    const manifest = await writeAddedManifest(table, dataFiles, name);
    proxy.refuseCommits(Number.POSITIVE_INFINITY);
    try {
      await assert.rejects(
        commitChange(catalog, identifier, fastAppend([manifest], { idempotencyKey: name }), {
          unknownOutcomeBudgetMs: 1_500,
          ownedFiles: appendedFiles(manifest, dataFiles),
        }),
        (error: unknown) => FloeError.is(error, 'commit-state-unknown'),
      );
    } finally {
      proxy.refuseCommits(0);
    }
    // Nothing proves yet that none of its attempts will land: everything it wrote stays.
    const waiting = await litterOf(identifier);
    const lists = waiting.filter((file) => /\/metadata\/snap-/.test(file));
    assert.ok(lists.length >= 2, `its attempts' manifest lists: ${waiting.join(', ')}`);
    for (const file of appendedFiles(manifest, dataFiles)) assert.ok(waiting.includes(file.replace(/^file:/, '')), file);

    await appendRow(catalog, identifier, 2, 'next');
    assert.deepEqual(await userIds(identifier), [2]);
    assert.deepEqual(await litterOf(identifier), [], 'the next commit moved the branch past every attempt: all of it went');
  });
});

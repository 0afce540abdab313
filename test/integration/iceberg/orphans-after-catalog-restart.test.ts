// services: rest-catalog, python
/**
 * A REST catalog that goes away in the middle of commits, as one killed and restarted mid-backfill
 * does (through a proxy in front of the real fixture, on MinIO): a commit that never reached it
 * leaves none of its files; one it received and never applied leaves its attempt's files only
 * until a later commit moves the table past it. What a dead process leaves is for `floe
 * maintenance remove-orphans`, which removes it once it is old enough, and nothing else.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { FloeError } from '../../../core/errors.js';
import { normalizeLocation } from '../../../iceberg/maintenance/remove-orphan-files.js';
import { fastAppend } from '../../../iceberg/write/fast-append.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { unreferencedFiles as unreferenced } from '../../support/compaction/referenced.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { floeCommand } from '../../support/cli-project.js';
import { EVENTS_SCHEMA } from '../../support/iceberg/catalog-contract.js';
import { startRestProxy } from '../../support/iceberg/rest-proxy.js';
import type { RestProxy } from '../../support/iceberg/rest-proxy.js';
import { scratchFolder } from '../../support/scratch-folder.js';

let proxy: RestProxy;
let catalog: Catalog;
let project: string;
const identifier: TableIdentifier = { namespace: [`orphans_${randomUUID().slice(0, 8)}`], name: 'events' };
const table = formatTableIdentifier(identifier);

before(async () => {
  proxy = await startRestProxy(floeRestCatalog().uri);
  catalog = await loadCatalog({ ...floeRestCatalog(), uri: proxy.uri, credential: `${proxy.clientId}:${proxy.clientSecret}` });
  await catalog.createNamespace(identifier.namespace);
  await catalog.createTable(identifier, { schema: EVENTS_SCHEMA });
  // A data file, so that pyiceberg's `files` has one to list.
  await runPyiceberg('append', {
    catalog: oracleRestCatalog(),
    identifier: table,
    rows: [{ user_id: 1, event_ts: '2024-05-01T00:00:00Z', clicks: 3 }],
    columns: { user_id: 'long', event_ts: 'timestamptz', clicks: 'int' },
  });
  project = scratchFolder('orphans');
  // YAML holds JSON: the project reaches the catalog directly, as an operator's would.
  await writeFile(path.join(project, 'floe.yaml'), JSON.stringify({ project: 'orphans', catalog: floeRestCatalog() }));
  const definitions = path.resolve(import.meta.dirname, '..', '..', '..', 'features', 'definitions.ts');
  await writeFile(path.join(project, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(project, 'features.ts'),
    `import { defineEntity } from ${JSON.stringify(definitions)};\nexport const user = defineEntity({ name: 'user', joinKeys: [{ name: 'user_id', type: 'long' }] });\n`,
  );
});
after(async () => {
  await catalog.close();
  await proxy.close();
});

const unreferencedFiles = (): Promise<string[]> => unreferenced(catalog, oracleRestCatalog(), identifier);

async function removeOrphans(...args: string[]): Promise<{ orphans: number; tooYoung: number; files: string[] }> {
  const result = await floeCommand(['maintenance', 'remove-orphans', '--table', table, '--project', project, '--json', ...args]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { orphans: number; tooYoung: number; files: string[] };
}

test('a commit the catalog never received leaves none of its files behind', async () => {
  const before = await unreferencedFiles();
  const loaded = await catalog.loadTable(identifier);
  await proxy.stop();
  try {
    await assert.rejects(
      commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'never-sent' }), { loaded }),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'io'), String(error));
        assert.match(error.message, /refused the connection, so the commit was not sent/);
        return true;
      },
    );
  } finally {
    await proxy.restart();
  }
  assert.deepEqual(await unreferencedFiles(), before, 'the attempt’s manifest list was deleted');
});

test('a commit the catalog received and lost: the retry lands once and deletes the attempt it abandoned', async () => {
  const before = await unreferencedFiles();
  const snapshotsBefore = (await catalog.loadTable(identifier)).metadata.snapshots.length;
  proxy.dieOnNextCommit();
  await assert.rejects(
    commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'lost' }), { unknownOutcomeBudgetMs: 1_000 }),
    (error: unknown) => FloeError.is(error, 'commit-state-unknown'),
  );
  await proxy.restart();
  const abandoned = (await unreferencedFiles()).filter((file) => !before.includes(file));
  assert.equal(abandoned.length, 1, 'while nothing has moved the table, the attempt may still land: its manifest list stays');
  // What the retried activity does: the same change, under the same key.
  const retried = await commitChange(catalog, identifier, fastAppend([], { idempotencyKey: 'lost' }));
  assert.equal(retried.alreadyCommitted, false);
  assert.equal((await catalog.loadTable(identifier)).metadata.snapshots.length, snapshotsBefore + 1, 'landed once');
  assert.deepEqual(await unreferencedFiles(), before, 'the landed retry moved the branch past the abandoned attempt, whose list went');
});

test('remove-orphans clears what a process that died mid-commit left, and refuses ages a commit in flight may need', async () => {
  const snapshotsBefore = (await catalog.loadTable(identifier)).metadata.snapshots.length;
  // A worker killed between writing an attempt's manifest list and learning its outcome leaves it
  // for nobody to settle: the orphan sweep's case.
  const loaded = await catalog.loadTable(identifier);
  await loaded.io.write(`${loaded.metadata.location}/metadata/snap-${randomUUID()}.avro`, new Uint8Array([1, 2, 3]));
  const litter = await unreferencedFiles();
  assert.equal(litter.length, 1);
  const safe = await removeOrphans();
  assert.deepEqual([safe.orphans, safe.tooYoung], [0, litter.length], 'the default age (3 days) spares files this young');
  // Younger than a commit may stay in flight: refused (exit 2) unless --force, and nothing deleted.
  for (const age of ['0s', '23h']) {
    const refused = await floeCommand(['maintenance', 'remove-orphans', '--table', table, '--project', project, '--older-than', age]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`--older-than ${age} is under 24h, the longest a file may wait for the commit still in flight`),
    );
    assert.match(refused.stderr, /add --force if nothing writes the table meanwhile/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
  }
  assert.deepEqual(await unreferencedFiles(), litter, 'a refused run deletes nothing');
  assert.deepEqual((await removeOrphans('--older-than', '1d')).tooYoung, litter.length, 'a day is accepted without --force');
  const dryRun = await removeOrphans('--older-than', '0s', '--force', '--dry-run');
  assert.deepEqual(dryRun.files.map(normalizeLocation).sort(), litter);
  assert.deepEqual(await unreferencedFiles(), litter, 'a dry run deletes nothing');

  const removed = await removeOrphans('--older-than', '0s', '--force');
  assert.equal(removed.orphans, litter.length);
  assert.deepEqual(await unreferencedFiles(), []);
  const rows = await catalog.loadTable(identifier);
  assert.equal(rows.metadata.snapshots.length, snapshotsBefore, 'every snapshot is still there to read');
});

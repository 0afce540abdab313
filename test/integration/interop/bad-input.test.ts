// services: python
/**
 * Bad input as a user meets it, end to end through catalog + scan + append: corrupt or truncated
 * metadata JSON and Avro, an unknown format version, a missing data file, an append whose rows do
 * not fit the schema — each a FloeError of a clear kind naming the object, and the table still at
 * its previous snapshot — and hostile column names (quotes, semicolons) that simply work, in Floe
 * and in pyiceberg.
 */
import assert from 'node:assert/strict';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { FloeError, type ErrorKind } from '../../../core/errors.js';
import { jsonRoot } from '../../../iceberg/spec/json.js';
import { readManifestList } from '../../../iceberg/spec/manifest-list-avro.js';
import { currentSnapshot } from '../../../iceberg/spec/metadata.js';
import { parseSchema } from '../../../iceberg/spec/schema-json.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { readFloeRows, sortOracleRows } from '../../support/oracle-rows.js';
import { sqliteCatalog, type OracleCatalog } from '../../support/pyiceberg.js';
import { py, type PyRows } from '../../support/interop/pyiceberg-interop.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('interop-bad');
let catalog: Catalog;
let engine: Engine;
let oracle: OracleCatalog;
const identifier: TableIdentifier = { namespace: ['bad'], name: 'events' };

const rows = (from: number, to: number): string =>
  `SELECT CAST(i AS BIGINT) AS id, 'n' || i AS name, TIMESTAMPTZ '2024-05-01 00:00:00+00' + to_hours(i) AS at FROM range(${from}, ${to}) AS t(i)`;

before(async () => {
  oracle = sqliteCatalog(dir);
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  engine = await Engine.create({ threads: 2, setup: registerIcebergFunctions });
  await catalog.createNamespace(['bad']);
  await catalog.createTable(identifier, {
    schema: parseSchema(
      {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'id', type: 'long', required: true },
          { id: 2, name: 'name', type: 'string', required: false },
          { id: 3, name: 'at', type: 'timestamptz', required: false },
        ],
      },
      jsonRoot('schema'),
    ),
  });
  await appendQuery({ catalog, engine, identifier, query: rows(0, 5), workDirectory: dir });
  await appendQuery({ catalog, engine, identifier, query: rows(5, 9), workDirectory: dir });
});
after(async () => {
  await catalog?.close();
  engine?.close();
});

/** Asserts a FloeError of `kind` whose message names `object`. */
function floeError(kind: ErrorKind, object: string | RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(FloeError.is(error), `expected a FloeError, got ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    if (typeof object === 'string') assert.ok(error.message.includes(object), `"${error.message}" does not name ${object}`);
    else assert.match(error.message, object);
    return true;
  };
}

/** Replaces a file's bytes for the duration of `fn`, then puts the original back. */
async function withFileReplaced(location: string, bytes: Uint8Array | string, fn: () => Promise<void>): Promise<void> {
  const path = localPath(location);
  const original = readFileSync(path);
  writeFileSync(path, bytes);
  try {
    await fn();
  } finally {
    writeFileSync(path, original);
  }
}

async function current(): Promise<{ table: LoadedTable; snapshotId: bigint }> {
  const table = await catalog.loadTable(identifier);
  return { table, snapshotId: currentSnapshot(table.metadata)!.snapshotId };
}

describe('bad input, end to end', () => {
  test('truncated metadata JSON: corrupt, naming the metadata file; an append fails the same way and the table stays put', async () => {
    const { table, snapshotId } = await current();
    const text = readFileSync(localPath(table.metadataLocation), 'utf8');
    await withFileReplaced(table.metadataLocation, text.slice(0, Math.floor(text.length / 2)), async () => {
      await assert.rejects(catalog.loadTable(identifier), floeError('corrupt', table.metadataLocation));
      await assert.rejects(
        appendQuery({ catalog, engine, identifier, query: rows(100, 101), workDirectory: dir }),
        floeError('corrupt', table.metadataLocation),
      );
    });
    assert.equal((await current()).snapshotId, snapshotId);
  });

  test('metadata JSON that is valid JSON but not table metadata: corrupt, naming the file and the field', async () => {
    const { table } = await current();
    const metadata = JSON.parse(readFileSync(localPath(table.metadataLocation), 'utf8')) as Record<string, unknown>;
    delete metadata.schemas;
    delete metadata.schema;
    await withFileReplaced(table.metadataLocation, JSON.stringify(metadata), async () => {
      await assert.rejects(catalog.loadTable(identifier), floeError('corrupt', table.metadataLocation));
      await assert.rejects(catalog.loadTable(identifier), /schema/);
    });
  });

  test('an unknown format version: unsupported, naming the version and the file', async () => {
    const { table } = await current();
    const text = readFileSync(localPath(table.metadataLocation), 'utf8').replace(/"format-version"\s*:\s*2/, '"format-version": 4');
    await withFileReplaced(table.metadataLocation, text, async () => {
      await assert.rejects(catalog.loadTable(identifier), (error: unknown) => {
        assert.ok(FloeError.is(error) && (error.kind === 'unsupported' || error.kind === 'corrupt'), String(error));
        assert.match(error.message, /format.version/i);
        assert.match(error.message, /4/);
        assert.ok(error.message.includes(table.metadataLocation), error.message);
        return true;
      });
    });
  });

  test('a truncated manifest list and a truncated manifest (Avro): corrupt, naming the file; appends refuse too', async () => {
    const { table, snapshotId } = await current();
    const snapshot = currentSnapshot(table.metadata)!;
    const listBytes = readFileSync(localPath(snapshot.manifestList!));
    await withFileReplaced(snapshot.manifestList!, listBytes.subarray(0, Math.floor(listBytes.length * 0.6)), async () => {
      await assert.rejects(readFloeRows(engine, table), floeError('corrupt', snapshot.manifestList!));
      await assert.rejects(
        appendQuery({ catalog, engine, identifier, query: rows(100, 101), workDirectory: dir }),
        floeError('corrupt', snapshot.manifestList!),
      );
    });
    const manifestPath = await manifestOf(table);
    const manifestBytes = readFileSync(localPath(manifestPath));
    await withFileReplaced(manifestPath, manifestBytes.subarray(0, 40), async () => {
      await assert.rejects(readFloeRows(engine, table), floeError('corrupt', manifestPath));
    });
    assert.equal((await current()).snapshotId, snapshotId);
  });

  test('a missing data file: not-found, naming the file', async () => {
    const { table, snapshotId } = await current();
    const plan = await planScan(table);
    const victim = plan.tasks[0]!.dataFile.filePath;
    const path = localPath(victim);
    const original = readFileSync(path);
    unlinkSync(path);
    try {
      await assert.rejects(readFloeRows(engine, table), floeError('not-found', victim));
    } finally {
      writeFileSync(path, original);
    }
    assert.equal((await current()).snapshotId, snapshotId);
  });

  test('an append whose rows do not fit the schema: invalid-input naming the table and column; no snapshot added', async () => {
    const { snapshotId } = await current();
    const cases: { query: string; names: RegExp }[] = [
      { query: `SELECT 'not a number' AS id, 'x' AS name, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS at`, names: /\bid\b/ },
      { query: `SELECT CAST(1 AS BIGINT) AS id, 'x' AS name`, names: /\bat\b/ },
      { query: `SELECT CAST(NULL AS BIGINT) AS id, 'x' AS name, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS at`, names: /\bid\b/ },
      {
        query: `SELECT CAST(1 AS BIGINT) AS id, 'x' AS name, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS at, 42 AS surprise`,
        names: /surprise/,
      },
    ];
    for (const { query, names } of cases) {
      await assert.rejects(appendQuery({ catalog, engine, identifier, query, workDirectory: dir }), (error: unknown) => {
        assert.ok(FloeError.is(error), `${query}: expected a FloeError, got ${String(error)}`);
        assert.equal(error.kind, 'invalid-input', `${query}: ${error.message}`);
        assert.match(error.message, names, `${query}: ${error.message}`);
        return true;
      });
    }
    assert.equal((await current()).snapshotId, snapshotId, 'no append landed');
    const { rows: read } = await readFloeRows(engine, (await current()).table);
    assert.equal(read.length, 9);
  });

  test('hostile column names (quotes, semicolons, spaces) work end to end: Floe writes and reads, pyiceberg reads the same', async () => {
    const hostile = { namespace: ['bad'], name: 'hostile' };
    const names = [`a"b`, `it's; DROP TABLE x; --`, 'with space', 'ünï'];
    await catalog.createTable(hostile, {
      schema: parseSchema(
        {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            ...names.map((name, index) => ({ id: index + 2, name, type: 'string', required: false })),
          ],
        },
        jsonRoot('hostile schema'),
      ),
    });
    const select = `SELECT CAST(i AS BIGINT) AS id, ${names.map((name) => `${quoteLiteral(name)} || i AS ${q(name)}`).join(', ')} FROM range(3) AS t(i)`;
    await appendQuery({ catalog, engine, identifier: hostile, query: select, workDirectory: dir });
    const expected = [0, 1, 2].map((i) => ({ id: String(i), ...Object.fromEntries(names.map((name) => [name, `${name}${i}`])) }));
    const floe = await readFloeRows(engine, await catalog.loadTable(hostile), {
      rowFilter: `${q(names[1]!)} <> ${quoteLiteral(`${names[1]!}1`)}`,
    });
    assert.deepEqual(
      sortOracleRows(floe.rows, ['id']),
      expected.filter((row) => row.id !== '1'),
    );
    const pyRead = await py<PyRows>({ command: 'read', catalog: oracle, identifier: 'bad.hostile' });
    assert.deepEqual(sortOracleRows(pyRead.rows, ['id']), expected);
  });
});

async function manifestOf(table: LoadedTable): Promise<string> {
  const snapshot = currentSnapshot(table.metadata)!;
  const manifests = readManifestList(await table.io.read(snapshot.manifestList!), {
    location: snapshot.manifestList!,
    formatVersion: table.metadata.formatVersion,
  });
  return manifests[0]!.manifestPath;
}

// services: temporal, minio, rest-catalog, python, postgres, redis
/**
 * The real services answer: Temporal (gRPC + Web UI, with Floe's search attributes), MinIO (an
 * object round trip), Iceberg's REST fixture (a table created through it has its metadata file in
 * MinIO), and the pyiceberg oracle (a table written and read back through SQLite and REST catalogs).
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Connection } from '@temporalio/client';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  runPyiceberg,
  runPyicebergBatch,
  sqliteCatalog,
  type OracleCatalog,
  type RowsReply,
  type TableStateReply,
  type MetadataReply,
} from '../../support/pyiceberg.js';
import { withPostgres } from '../../support/postgres.js';
import {
  postgresService,
  pythonOracle,
  redisUrl,
  restCatalogService,
  s3Service,
  temporalService,
  type S3Service,
} from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

function s3Client(s3: S3Service): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

async function getObjectText(s3: S3Service, bucket: string, key: string): Promise<string> {
  const client = s3Client(s3);
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
    return await object.Body.transformToString('utf8');
  } finally {
    client.destroy();
  }
}

function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match?.[1] || !match[2]) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: match[1], key: match[2] };
}

const scratchDir = (): string => scratchFolder('services-test');

describe('Temporal dev server', () => {
  test("answers gRPC and has Floe's search attributes registered", async () => {
    const temporal = temporalService();
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'GetSystemInfo returned no server version');
      const attributes = await connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
      const custom = attributes.customAttributes ?? {};
      // Enum values of temporal.api.enums.v1.IndexedValueType.
      assert.equal(custom.FloeFeatureView, 2, 'FloeFeatureView should be a Keyword search attribute');
      assert.equal(custom.FloeProgress, 1, 'FloeProgress should be a Text search attribute');
    } finally {
      await connection.close();
    }
  });

  test('serves the Web UI over HTTP', async () => {
    const { uiUrl } = temporalService();
    const response = await fetch(uiUrl);
    assert.equal(response.status, 200);
    const html = await response.text();
    assert.match(html, /<html/i);
  });
});

describe('MinIO', () => {
  test('stores an object and returns the same bytes', async () => {
    const s3 = s3Service();
    const key = `services-test/${randomUUID()}.bin`;
    const body = Buffer.from(`floe ${randomUUID()} \u00e9\u2603`, 'utf8');
    const client = s3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
      const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      assert.ok(object.Body);
      assert.deepEqual(Buffer.from(await object.Body.transformToByteArray()), body);
    } finally {
      client.destroy();
    }
  });
});

describe('Iceberg REST catalog fixture', () => {
  test('answers GET /v1/config', async () => {
    const { uri } = restCatalogService();
    const response = await fetch(`${uri}/v1/config`);
    assert.equal(response.status, 200);
    const config = (await response.json()) as { defaults?: unknown; overrides?: unknown };
    assert.equal(typeof config.defaults, 'object');
    assert.equal(typeof config.overrides, 'object');
  });

  test('a table created through it has its metadata file in MinIO', async () => {
    const rest = restCatalogService();
    const namespace = `services_${randomUUID().replaceAll('-', '')}`;
    const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`${rest.uri}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      assert.equal(response.status, 200, `POST ${path} answered ${response.status}: ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    await post('/v1/namespaces', { namespace: [namespace] });
    const created = await post(`/v1/namespaces/${namespace}/tables`, {
      name: 'events',
      schema: { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
    });
    const location = created['metadata-location'];
    assert.equal(typeof location, 'string');
    assert.ok(
      (location as string).startsWith(`${rest.warehouse}/${namespace}/events/metadata/`),
      `unexpected metadata location ${String(location)}`,
    );
    const { bucket, key } = parseS3Url(location as string);
    const stored = JSON.parse(await getObjectText(rest.s3, bucket, key)) as Record<string, unknown>;
    const metadata = created.metadata as Record<string, unknown>;
    assert.equal(stored['table-uuid'], metadata['table-uuid']);
    assert.equal(stored.location, `${rest.warehouse}/${namespace}/events`);
  });
});

describe('pyiceberg oracle', () => {
  const schema = {
    type: 'struct',
    'schema-id': 0,
    fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' },
      { id: 3, name: 'ts', required: false, type: 'timestamptz' },
    ],
  };
  const columns = { id: 'long', name: 'string', ts: 'timestamptz' };
  // 2^62 + 1 does not survive a JavaScript number: it must come back as an exact string.
  const rows = [
    { id: '4611686018427387905', name: 'big', ts: '2024-03-01T12:00:00.123456Z' },
    { id: '2', name: null, ts: '2024-03-01T00:00:00+02:00' },
    { id: '3', name: 'three', ts: null },
  ];
  const expected = [
    { id: '2', name: null, ts: '2024-02-29T22:00:00.000000Z' },
    { id: '3', name: 'three', ts: null },
    { id: '4611686018427387905', name: 'big', ts: '2024-03-01T12:00:00.123456Z' },
  ];
  const byId = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    BigInt(a.id as string) < BigInt(b.id as string) ? -1 : 1;

  async function roundTrip(catalog: OracleCatalog, identifier: string): Promise<void> {
    const created = await runPyiceberg<TableStateReply>('create_table', { catalog, identifier, schema, format_version: 2 });
    assert.equal(created.snapshot_id, null);
    const appended = await runPyiceberg<TableStateReply>('append', { catalog, identifier, columns, rows });
    assert.match(appended.snapshot_id ?? '', /^\d+$/);
    const read = await runPyiceberg<RowsReply>('read', { catalog, identifier });
    assert.deepEqual([...read.rows].sort(byId), expected);
    const metadata = await runPyiceberg<MetadataReply>('load_metadata', { catalog, identifier });
    assert.equal(metadata.metadata_location, appended.metadata_location);
    assert.equal(String(metadata.metadata['current-snapshot-id']), appended.snapshot_id);
    // The raw text carries the snapshot id digit for digit.
    assert.ok(
      metadata.metadata_json.includes(`"current-snapshot-id":${appended.snapshot_id}`) ||
        metadata.metadata_json.includes(`"current-snapshot-id" : ${appended.snapshot_id}`),
    );
  }

  test('creates, appends 3 rows to and reads back a table in a SQLite SqlCatalog', async () => {
    const dir = scratchDir();
    const catalog = sqliteCatalog(dir);
    await roundTrip(catalog, 'oracle.people');
    // The standard SqlCatalog tables, which Java's JdbcCatalog and Floe's SQL catalog share.
    const db = new Database(join(dir, 'catalog.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT table_namespace, table_name, metadata_location FROM iceberg_tables').get() as
        Record<string, string> | undefined;
      assert.deepEqual({ ns: row?.table_namespace, name: row?.table_name }, { ns: 'oracle', name: 'people' });
      assert.ok(
        row?.metadata_location?.startsWith(`file://${join(dir, 'warehouse')}`),
        `unexpected metadata location ${String(row?.metadata_location)}`,
      );
    } finally {
      db.close();
    }
  });

  test('deletes rows, evolves the schema, time-travels and inspects metadata tables (in one batch)', async () => {
    const catalog = sqliteCatalog(scratchDir());
    const identifier = 'oracle.evolving';
    const [, first, deleted] = (await runPyicebergBatch([
      { command: 'create_table', args: { catalog, identifier, schema, format_version: 2 } },
      { command: 'append', args: { catalog, identifier, columns, rows } },
      { command: 'delete', args: { catalog, identifier, filter: 'id = 3' } },
      { command: 'rename_column', args: { catalog, identifier, from: 'name', to: 'label' } },
      { command: 'add_column', args: { catalog, identifier, name: 'score', type: 'double' } },
      {
        command: 'append',
        args: {
          catalog,
          identifier,
          columns: { id: 'long', label: 'string', score: 'double' },
          rows: [{ id: 5, label: 'five', score: 0.5 }],
        },
      },
    ])) as TableStateReply[];
    assert.ok(first && deleted);
    assert.notEqual(deleted.snapshot_id, first.snapshot_id);

    const [now, filtered, past, snapshots, files] = (await runPyicebergBatch([
      { command: 'read', args: { catalog, identifier, columns: ['id', 'label', 'score'] } },
      { command: 'read', args: { catalog, identifier, row_filter: 'id > 2', columns: ['id'] } },
      { command: 'read', args: { catalog, identifier, snapshot_id: first.snapshot_id, columns: ['id'] } },
      { command: 'inspect', args: { catalog, identifier, what: 'snapshots' } },
      { command: 'inspect', args: { catalog, identifier, what: 'files' } },
    ])) as RowsReply[];
    assert.ok(now && filtered && past && snapshots && files);
    assert.deepEqual([...now.rows].sort(byId), [
      { id: '2', label: null, score: null },
      { id: '5', label: 'five', score: 0.5 },
      { id: '4611686018427387905', label: 'big', score: null },
    ]);
    assert.deepEqual(filtered.rows.map((row) => row.id).sort(), ['4611686018427387905', '5']);
    assert.deepEqual(past.rows.map((row) => row.id).sort(), ['2', '3', '4611686018427387905']);

    const ids = snapshots.rows.map((row) => row.snapshot_id);
    assert.ok(
      ids.includes(first.snapshot_id) && ids.includes(deleted.snapshot_id),
      `snapshots table lacks ${String(first.snapshot_id)} or ${String(deleted.snapshot_id)}: ${ids.join(', ')}`,
    );
    assert.ok(
      ids.every((id) => typeof id === 'string'),
      'snapshot ids must come back as strings',
    );
    const liveRecords = files.rows.filter((row) => row.content === 0).reduce((sum, row) => sum + Number(row.record_count), 0);
    assert.equal(liveRecords, 3);
  });

  test('does the same through the REST catalog, storing in MinIO', async () => {
    const rest = restCatalogService();
    const catalog: OracleCatalog = { type: 'rest', uri: rest.uri, s3: rest.s3 };
    await roundTrip(catalog, `oracle_${randomUUID().replaceAll('-', '')}.people`);
  });
});

describe('Postgres', () => {
  test('answers on loopback only, as a server that demands the password', async () => {
    const { url } = postgresService();
    const settings = await withPostgres(
      url,
      async (client) =>
        (
          await client.query(
            "SELECT current_setting('listen_addresses') AS listen, current_setting('server_version_num')::int AS version, current_database() AS db",
          )
        ).rows[0] as { listen: string; version: number; db: string },
    );
    assert.deepEqual({ listen: settings.listen, db: settings.db }, { listen: '127.0.0.1', db: 'floe_test' });
    assert.ok(settings.version >= 130000, `Postgres ${settings.version} is 13 or newer`);
    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await assert.rejects(
      withPostgres(wrong.href, async () => undefined),
      /password authentication failed/,
    );
  });
});

describe('Redis', () => {
  test("answers on loopback to the redis-py client Feast's Redis store uses, from the oracle venv", () => {
    const url = redisUrl();
    assert.match(url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const key = `floe-test-${randomUUID()}`;
    const script = 'import redis, sys; r = redis.Redis.from_url(sys.argv[1]); r.set(sys.argv[2], "v"); print(r.get(sys.argv[2]).decode())';
    const answer = execFileSync(pythonOracle().python, ['-c', script, url, key], { encoding: 'utf8' });
    assert.equal(answer.trim(), 'v');
  });
});

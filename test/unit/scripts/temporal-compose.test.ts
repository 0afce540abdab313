/**
 * temporal-compose.yml cannot be run here (no Docker engine, and the client has no compose
 * plugin), so this checks what a parser can: it is valid YAML, every dependency names a service,
 * and the worker, REST fixture and bucket set-up agree with each other and with the local scripts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../../scripts/services/paths.js';
import { FLOE_SEARCH_ATTRIBUTES } from '../../../scripts/services/temporal.js';
import { readProjectConfig } from '../../../features/config.js';

interface ComposeService {
  image?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  command?: string | string[];
  ports?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(repoRoot, 'temporal-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;

function service(name: string): ComposeService {
  const found = compose.services[name];
  assert.ok(found, `temporal-compose.yml has no service "${name}"`);
  return found;
}

function env(name: string): Record<string, string> {
  return service(name).environment ?? {};
}

describe('temporal-compose.yml', () => {
  test('has Temporal on Postgres, its UI, MinIO, the Iceberg REST fixture and a Floe worker', () => {
    assert.match(service('postgresql').image ?? '', /^postgres:/);
    assert.match(service('temporal').image ?? '', /^temporalio\/(auto-setup|server):/);
    assert.equal(env('temporal').DB, 'postgres12');
    assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:/);
    assert.match(service('minio').image ?? '', /^minio\/minio:/);
    assert.match(service('iceberg-rest').image ?? '', /^apache\/iceberg-rest-fixture:/);
    assert.equal(service('floe-worker').image, 'node:20');
  });

  test('every depends_on names a service of the file', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(definition.depends_on ?? {})) {
        assert.ok(dependency in compose.services, `${name} depends on missing service ${dependency}`);
      }
    }
  });

  test('the worker gets exactly the runtime variables Floe reads, pointing at the other services', () => {
    const worker = env('floe-worker');
    const expected = [
      'FLOE_TEMPORAL_ADDRESS',
      'FLOE_TEMPORAL_NAMESPACE',
      'FLOE_TASK_QUEUE',
      'FLOE_CATALOG_TYPE',
      'FLOE_CATALOG_URI',
      'FLOE_WAREHOUSE',
      'FLOE_S3_ENDPOINT',
      'FLOE_S3_REGION',
      'FLOE_S3_PATH_STYLE',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
    ];
    for (const key of expected) assert.ok(worker[key], `floe-worker lacks ${key}`);
    assert.equal(worker.FLOE_TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(worker.FLOE_CATALOG_TYPE, 'rest');
    assert.equal(worker.FLOE_CATALOG_URI, 'http://iceberg-rest:8181');
    assert.equal(worker.FLOE_S3_ENDPOINT, env('iceberg-rest').CATALOG_S3_ENDPOINT);
    assert.equal(worker.FLOE_WAREHOUSE, env('iceberg-rest').CATALOG_WAREHOUSE);
    assert.equal(worker.AWS_ACCESS_KEY_ID, env('minio').MINIO_ROOT_USER);
    assert.equal(worker.AWS_SECRET_ACCESS_KEY, env('minio').MINIO_ROOT_PASSWORD);
    assert.deepEqual(service('floe-worker').command, ['sh', '-c', 'npm ci && npm run worker']);
  });

  test('the REST fixture is configured like the local one and its bucket is created', () => {
    const rest = env('iceberg-rest');
    assert.equal(rest.CATALOG_IO__IMPL, 'org.apache.iceberg.aws.s3.S3FileIO');
    assert.equal(rest.CATALOG_S3_PATH__STYLE__ACCESS, 'true');
    assert.equal(rest.CATALOG_S3_ENDPOINT, 'http://minio:9000');
    const bucket = /^s3:\/\/([^/]+)\//.exec(rest.CATALOG_WAREHOUSE ?? '')?.[1];
    assert.ok(bucket, 'CATALOG_WAREHOUSE is an s3:// location');
    const setup = [service('minio-setup').command ?? ''].flat().join(' ');
    assert.ok(setup.includes(`mc mb --ignore-existing floe/${bucket}`), `minio-setup does not create bucket ${bucket}`);
  });

  test('registers the same search attributes as the local dev server', () => {
    const setup = [service('temporal-setup').command ?? ''].flat().join(' ');
    for (const [name, type] of Object.entries(FLOE_SEARCH_ATTRIBUTES)) {
      assert.ok(setup.includes(`--name ${name} --type ${type}`), `temporal-setup does not register ${name} as ${type}`);
    }
  });

  test('publishes ports on loopback only', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const port of definition.ports ?? []) assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} beyond loopback`);
    }
  });

  test("the worker's project reads the compose environment into a REST catalog on MinIO", async () => {
    const worker = env('floe-worker');
    assert.equal(worker.FLOE_PROJECT, '/app/examples/compose');
    const config = await readProjectConfig(join(repoRoot, 'examples', 'compose', 'floe.yaml'), worker);
    assert.equal(config.catalog.type, 'rest');
    assert.equal(config.catalog.uri, worker.FLOE_CATALOG_URI);
    assert.deepEqual(config.catalog.s3, {
      endpoint: worker.FLOE_S3_ENDPOINT,
      region: worker.FLOE_S3_REGION,
      pathStyle: true,
      accessKeyId: worker.AWS_ACCESS_KEY_ID,
      secretAccessKey: worker.AWS_SECRET_ACCESS_KEY,
    });
    assert.equal(config.temporal.address, worker.FLOE_TEMPORAL_ADDRESS);
    assert.equal(config.temporal.taskQueue, worker.FLOE_TASK_QUEUE);
  });
});

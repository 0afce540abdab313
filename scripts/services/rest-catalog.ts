/**
 * Apache Iceberg's own REST catalog fixture (org.apache.iceberg.rest.RESTCatalogServer), backed
 * by its JdbcCatalog on a SQLite file in the run's temp dir, storing tables in MinIO through
 * S3FileIO. The Java classpath is resolved once by Maven from scripts/rest-fixture/pom.xml.
 */
import { join } from 'node:path';
import { logFile, repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { httpGetOk, startProcess, waitUntilHealthy } from './process.js';
import { mavenClasspath } from './maven-classpath.js';
import type { RunningService } from './service.js';
import { TEST_BUCKET } from './minio.js';
import { javaBinary } from './java.js';

export const REST_FIXTURE_POM = join(repoRoot, 'scripts', 'rest-fixture', 'pom.xml');
export const REST_WAREHOUSE = `s3://${TEST_BUCKET}/rest-warehouse`;
const MAIN_CLASS = 'org.apache.iceberg.rest.RESTCatalogServer';

const restFixtureClasspath = mavenClasspath({
  name: 'rest-fixture',
  pom: REST_FIXTURE_POM,
  what: 'Iceberg REST fixture classpath',
  why: "catalog tests need Iceberg's own REST catalog server (Maven downloads its jars once into ~/.m2)",
});
export const restCatalogInstalled = restFixtureClasspath.installed;
export const installRestCatalog = restFixtureClasspath.install;

export interface RestCatalogStorage {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export async function startRestCatalog(runDir: string, storage: RestCatalogStorage): Promise<RunningService> {
  const classpath = await installRestCatalog();
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CATALOG_')));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    // CATALOG_* become catalog properties (RCKUtils.environmentCatalogConfig: `__` → `-`, `_` → `.`).
    CATALOG_REST_PORT: String(port),
    CATALOG_CATALOG__IMPL: 'org.apache.iceberg.jdbc.JdbcCatalog',
    CATALOG_URI: `jdbc:sqlite:${join(runDir, 'rest-catalog.db')}`,
    CATALOG_JDBC_SCHEMA__VERSION: 'V1',
    CATALOG_WAREHOUSE: REST_WAREHOUSE,
    CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
    CATALOG_S3_ENDPOINT: storage.endpoint,
    CATALOG_S3_PATH__STYLE__ACCESS: 'true',
    CATALOG_CLIENT_REGION: storage.region,
    AWS_REGION: storage.region,
    // Credentials go through the AWS SDK's environment provider, not CATALOG_*: the fixture logs
    // every catalog property at start, and secrets never appear in logs.
    AWS_ACCESS_KEY_ID: storage.accessKeyId,
    AWS_SECRET_ACCESS_KEY: storage.secretAccessKey,
  };
  const managed = startProcess({
    name: 'rest-catalog',
    command: javaBinary(),
    args: ['-Xmx1g', '-cp', classpath, MAIN_CLASS],
    env,
    cwd: runDir,
    log: logFile('rest-catalog'),
  });
  const uri = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(managed, `GET ${uri}/v1/config`, async () => void (await httpGetOk(`${uri}/v1/config`)), 120_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'rest-catalog',
    processes: [managed],
    env: { FLOE_TEST_REST_URI: uri, FLOE_TEST_REST_WAREHOUSE: REST_WAREHOUSE },
    summary: [`Iceberg REST   ${uri} (warehouse ${REST_WAREHOUSE}, JdbcCatalog on SQLite, S3FileIO on MinIO)`],
  };
}

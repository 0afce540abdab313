/**
 * The real services a test talks to, as `npm test` (or `npm run services -- start`) started them.
 * Each accessor reads the FLOE_TEST_* environment, falling back to .floe/services.env, and THROWS
 * when its service is absent: a test that needs a service fails without it, it never skips.
 */
import { readEnvFile } from '../../scripts/services/env-file.js';
import { servicesEnvFile } from '../../scripts/services/paths.js';
import type { ServiceName } from '../../scripts/services/service.js';

export interface TemporalService {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  uiUrl: string;
  /** Path of the `temporal` CLI binary that runs the server. */
  cli: string;
}

export interface S3Service {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** MinIO only serves path-style addressing here. */
  forcePathStyle: true;
}

export interface RestCatalogService {
  uri: string;
  warehouse: string;
  /** The S3 server where the catalog's tables live. */
  s3: S3Service;
}

export interface PythonOracle {
  /** The venv's python, with pyiceberg and feast installed. */
  python: string;
}

export interface JavaOracleService {
  /** The `java` binary the oracle was built and checked with. */
  java: string;
  /** Classpath of test/oracles/java (its jar first), as Maven resolved it into FLOE_CACHE_DIR. */
  classpath: string;
  /** The JVM class-data archive the install's self-check wrote (speeds up each JVM start). */
  archive: string;
}

const HOW_TO_START =
  "Declare it on the test file's first line (`// services: temporal, rest-catalog`): `npm test` starts only what its files declare. Or start the services with `npm run services -- start` in another terminal";

function lookup(name: string, service: ServiceName): (key: string) => string {
  // Set by `npm test` (scripts/test-declared-env.ts): the services this file's first line declares.
  const declared = process.env.FLOE_TEST_DECLARED_SERVICES;
  if (declared !== undefined && !declared.split(',').includes(service))
    return () => {
      throw new Error(
        `${name} is not declared for this test file: its first line declares ${declared}. Add ${service} to its \`// services:\` line; \`npm test\` starts only what its files declare.`,
      );
    };
  let fileEnv: Record<string, string> | undefined;
  return (key) => {
    const fromProcess = process.env[key];
    if (fromProcess !== undefined && fromProcess !== '') return fromProcess;
    // Under npm test the environment is the whole truth; alone, a file may use `npm run services -- start`'s.
    fileEnv ??= (declared === undefined ? readEnvFile(servicesEnvFile) : undefined) ?? {};
    const fromFile = fileEnv[key];
    if (fromFile !== undefined && fromFile !== '') return fromFile;
    throw new Error(
      `${name} is not running for this test: ${key} is not set in the environment nor in ${servicesEnvFile}. ${HOW_TO_START}.`,
    );
  };
}

export function temporalService(): TemporalService {
  const get = lookup('The Temporal dev server', 'temporal');
  return {
    address: get('FLOE_TEST_TEMPORAL_ADDRESS'),
    namespace: 'default',
    uiUrl: get('FLOE_TEST_TEMPORAL_UI_URL'),
    cli: get('FLOE_TEST_TEMPORAL_CLI'),
  };
}

export function s3Service(): S3Service {
  const get = lookup('The S3 server (MinIO)', 'minio');
  return {
    endpoint: get('FLOE_TEST_S3_ENDPOINT'),
    region: get('FLOE_TEST_S3_REGION'),
    bucket: get('FLOE_TEST_S3_BUCKET'),
    accessKeyId: get('FLOE_TEST_S3_ACCESS_KEY_ID'),
    secretAccessKey: get('FLOE_TEST_S3_SECRET_ACCESS_KEY'),
    forcePathStyle: true,
  };
}

export function restCatalogService(): RestCatalogService {
  const get = lookup('The Iceberg REST catalog fixture', 'rest-catalog');
  return { uri: get('FLOE_TEST_REST_URI'), warehouse: get('FLOE_TEST_REST_WAREHOUSE'), s3: s3Service() };
}

/** Project Nessie's Iceberg REST API (scripts/services/nessie.ts): a production catalog, on Postgres and MinIO. */
export interface NessieCatalogService extends RestCatalogService {
  /** Where the warehouse's tables go (`warehouse` is the name clients ask Nessie for). */
  location: string;
}

export function nessieCatalogService(): NessieCatalogService {
  const get = lookup('The Nessie catalog', 'nessie');
  return {
    uri: get('FLOE_TEST_NESSIE_REST_URI'),
    warehouse: get('FLOE_TEST_NESSIE_WAREHOUSE'),
    location: get('FLOE_TEST_NESSIE_LOCATION'),
    s3: s3Service(),
  };
}

export function pythonOracle(): PythonOracle {
  const get = lookup('The Python oracle venv', 'python');
  return { python: get('FLOE_TEST_PYTHON') };
}

/** The venv holding Feast 0.60's client, whose remote online store sends the request shape before 0.64. */
export function oldFeastPython(): string {
  return lookup('The Feast 0.60 client venv (scripts/python/requirements-feast-0.60.txt)', 'python')('FLOE_TEST_PYTHON_FEAST_OLD');
}

export function javaOracleService(): JavaOracleService {
  const get = lookup('The Java Iceberg oracle', 'java-oracle');
  return { java: get('FLOE_TEST_JAVA'), classpath: get('FLOE_TEST_JAVA_ORACLE_CLASSPATH'), archive: get('FLOE_TEST_JAVA_ORACLE_ARCHIVE') };
}

export interface PostgresService {
  /** `postgresql://user:password@127.0.0.1:port/floe_test` of a fresh cluster (test-only credentials). */
  url: string;
}

/** A throwaway Postgres cluster for the SQL catalog's Postgres tests (scripts/services/postgres.ts). */
export function postgresService(): PostgresService {
  return { url: lookup('Postgres (the postgres service)', 'postgres')('FLOE_TEST_POSTGRES_URL') };
}

/** Debian's nginx, which the Temporal TLS tests start in front of the Temporal dev server (test/support/tls-proxy.ts). */
export function nginxExecutable(): string {
  return lookup('nginx (the nginx service)', 'nginx')('FLOE_TEST_NGINX');
}

/** Debian's Chromium for the browser tests (test/e2e), launched through playwright-core. */
export function chromiumExecutable(): string {
  return lookup('Chromium (the chromium service)', 'chromium')('FLOE_TEST_CHROMIUM');
}

/** A throwaway Redis server for the online benchmark's Feast peer (scripts/services/redis.ts). */
export function redisUrl(): string {
  return lookup('Redis (the redis service)', 'redis')('FLOE_TEST_REDIS_URL');
}

/**
 * The Kafka broker (scripts/services/kafka.ts, single-node KRaft) as bootstrap brokers for
 * @platformatic/kafka's clients: `['127.0.0.1:<port>']`.
 */
export function kafkaBrokers(): string[] {
  return lookup('Kafka (the kafka service)', 'kafka')('FLOE_TEST_KAFKA_BROKERS').split(',');
}

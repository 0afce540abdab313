/**
 * Project Nessie 0.99.0, a production Iceberg REST catalog (its `/iceberg` API), for the tests that
 * check Floe against a catalog users run and not only against Iceberg's test fixture. Maven
 * resolves scripts/nessie/pom.xml (the server's `runner` uber-jar, nothing else) once into ~/.m2;
 * each start runs `java -jar` on it with a JDK of 21 or newer (the jar's classes are Java 21), on
 * 127.0.0.1 and two free ports (the API and Quarkus's management interface). Its version store is
 * JDBC on Postgres (a database of its own, created at start), its warehouse on MinIO. The settings
 * are a properties file in the instance's folder (Quarkus reads `config/application.properties`
 * from the working directory); the two secrets, Postgres's password and MinIO's key, reach the JVM
 * only as environment variables, never on its command line or in a file. A start on a folder an
 * earlier start used is a restart: the same ports, the same database.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { mavenClasspath } from './maven-classpath.js';
import { javaBinaryAtLeast } from './java.js';
import { TEST_BUCKET } from './minio.js';
import { logFile, repoRoot } from './paths.js';
import { freePorts } from './ports.js';
import { httpGetOk, startProcess, waitUntilHealthy } from './process.js';
import type { RunningService } from './service.js';

export const NESSIE_POM = join(repoRoot, 'scripts', 'nessie', 'pom.xml');
/** The warehouse's name, as clients ask for it (`warehouse` of GET /v1/config), and where its tables go. */
export const NESSIE_WAREHOUSE_NAME = 'floe';
export const NESSIE_WAREHOUSE = `s3://${TEST_BUCKET}/nessie-warehouse`;
/** The database the stack's Nessie keeps its version store in; a test's own Nessie names another. */
export const NESSIE_DATABASE = 'floe_nessie';
const NESSIE_JAVA = 21;

const nessieJar = mavenClasspath({
  name: 'nessie',
  pom: NESSIE_POM,
  what: 'Nessie server (nessie-quarkus runner jar)',
  why: 'catalog tests run against a production Iceberg REST catalog too (Maven downloads the 245 MB jar once into ~/.m2)',
});

function java(): string | undefined {
  return javaBinaryAtLeast(NESSIE_JAVA);
}

function missingJava(): Error {
  return new Error(
    `Nessie 0.99.0 needs Java ${NESSIE_JAVA} or newer, and neither JAVA_HOME nor /usr/lib/jvm holds one: install a JDK ${NESSIE_JAVA}+ (e.g. Temurin) there`,
  );
}

/** The jar's classpath file when the jar is in ~/.m2 and a new enough Java is there to run it. */
export function nessieInstalled(): string | undefined {
  return java() === undefined ? undefined : nessieJar.installed();
}

export async function installNessie(): Promise<string> {
  if (java() === undefined) throw missingJava();
  return nessieJar.install();
}

export interface NessieStorage {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface NessieOptions {
  storage: NessieStorage;
  /** `postgresql://user:password@host:port/<any database>`: the server Nessie keeps its version store on. */
  postgresUrl: string;
  /** The database on that server (created when missing); default NESSIE_DATABASE. */
  database?: string;
  /** Names the log file and the instance's folder; default `nessie`. */
  name?: string;
}

export async function startNessie(runDir: string, options: NessieOptions): Promise<RunningService> {
  const jar = await installNessie();
  const javaBinary = java();
  if (javaBinary === undefined) throw missingJava();
  const name = options.name ?? 'nessie';
  const database = options.database ?? NESSIE_DATABASE;
  if (!/^[a-z_][a-z0-9_]*$/.test(database))
    throw new Error(`Nessie's database name ${JSON.stringify(database)} must be a plain SQL identifier`);
  const postgres = new URL(options.postgresUrl);
  await createDatabase(options.postgresUrl, database);

  const home = join(runDir, name);
  const configFile = join(home, 'config', 'application.properties');
  // A folder an earlier start configured is a restart: same ports, same database.
  const [port, managementPort] = existsSync(configFile) ? portsOf(configFile) : ((await freePorts(2)) as [number, number]);
  mkdirSync(join(home, 'config'), { recursive: true });
  writeFileSync(
    configFile,
    propertiesText({
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': port,
      'quarkus.management.host': '127.0.0.1',
      'quarkus.management.port': managementPort,
      'nessie.version.store.type': 'JDBC2',
      'nessie.version.store.persist.jdbc.datasource': 'postgresql',
      // Nessie sizes its object cache at half the heap by default; the 2-core test machine is shared.
      'nessie.version.store.persist.cache-capacity-mb': 64,
      'quarkus.datasource.postgresql.active': true,
      'quarkus.datasource.postgresql.jdbc.url': `jdbc:postgresql://${postgres.host}/${database}`,
      'quarkus.datasource.postgresql.username': decodeURIComponent(postgres.username),
      'nessie.catalog.default-warehouse': NESSIE_WAREHOUSE_NAME,
      [`nessie.catalog.warehouses.${NESSIE_WAREHOUSE_NAME}.location`]: NESSIE_WAREHOUSE,
      'nessie.catalog.service.s3.default-options.endpoint': options.storage.endpoint,
      'nessie.catalog.service.s3.default-options.path-style-access': true,
      'nessie.catalog.service.s3.default-options.region': options.storage.region,
      // A secret reference: Nessie reads `floe.s3.name` and `floe.s3.secret`, given below as the
      // environment variables FLOE_S3_NAME and FLOE_S3_SECRET (Quarkus finds a property in the
      // environment by its name upper-cased, dots as underscores; a dash would not map back).
      'nessie.catalog.service.s3.default-options.access-key': 'urn:nessie-secret:quarkus:floe.s3',
    }),
  );
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('QUARKUS_') && !key.startsWith('NESSIE_')),
  );
  const managed = startProcess({
    name,
    command: javaBinary,
    // C1 only, serial GC: Nessie serves tests alone, and its start costs half the CPU (12 s → 6 s).
    args: [
      '-Xms128m',
      '-Xmx512m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-XX:+ExitOnOutOfMemoryError',
      '--enable-native-access=ALL-UNNAMED',
      '-jar',
      jar,
    ],
    env: {
      ...inherited,
      QUARKUS_DATASOURCE_POSTGRESQL_PASSWORD: decodeURIComponent(postgres.password),
      FLOE_S3_NAME: options.storage.accessKeyId,
      FLOE_S3_SECRET: options.storage.secretAccessKey,
    },
    cwd: home,
    log: logFile(name),
  });
  const uri = `http://127.0.0.1:${port}/iceberg`;
  try {
    await waitUntilHealthy(managed, `GET ${uri}/v1/config`, async () => void (await httpGetOk(`${uri}/v1/config`)), 180_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'nessie',
    processes: [managed],
    env: { FLOE_TEST_NESSIE_REST_URI: uri, FLOE_TEST_NESSIE_WAREHOUSE: NESSIE_WAREHOUSE_NAME, FLOE_TEST_NESSIE_LOCATION: NESSIE_WAREHOUSE },
    summary: [
      `Nessie         ${uri} (Iceberg REST; warehouse ${NESSIE_WAREHOUSE_NAME} at ${NESSIE_WAREHOUSE}, version store JDBC on Postgres database ${database})`,
    ],
  };
}

/** The ports an earlier start wrote into the instance's properties file. */
function portsOf(configFile: string): [number, number] {
  const text = readFileSync(configFile, 'utf8');
  const port = (key: string): number => {
    const value = new RegExp(`^${key.replaceAll('.', '\\.')}=(\\d+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`${configFile} has no ${key}`);
    return Number(value);
  };
  return [port('quarkus.http.port'), port('quarkus.management.port')];
}

function propertiesText(settings: Record<string, string | number | boolean>): string {
  // Values are URLs, paths, names and numbers: only a backslash would need escaping.
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
    .join('\n')}\n`;
}

/** Idempotent: a restart, or a database another start made, is fine. */
async function createDatabase(postgresUrl: string, database: string): Promise<void> {
  const admin = new URL(postgresUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.href, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== '42P04') throw error; // duplicate_database
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Apache Iceberg's own Kafka Connect sink (org.apache.iceberg:iceberg-kafka-connect 1.10.1, the
 * Iceberg release the REST fixture and the interop tests use) running in a Kafka Connect 4.2
 * worker: the peer that issue #43's streaming benchmark measures Floe's stream ingestion against,
 * on the same broker, the same REST catalog and the same MinIO in the same run. Iceberg ships the
 * connector's runtime as a zip that is not on Maven Central, so its classpath is resolved once by
 * Maven from scripts/kafka-connect/pom.xml (the connector's jars, Parquet, S3FileIO with its AWS
 * SDK slice, Hadoop's Configuration, Connect itself) and the worker is started with `java -cp`:
 * Connect standalone (ConnectStandalone), one worker and one connector per start, both configured
 * by .properties files written into the run dir, offsets in a file there, the REST API on a free
 * loopback port. The connector's name and its control topic are new on every start, so a start
 * never resumes another's consumer group or control-topic state. S3 credentials reach the JVM
 * only as AWS_* environment variables (the AWS SDK's environment provider), never in a
 * properties file or on the command line, both of which end up in logs. The worker is not part
 * of the service stack: the stack installs its classpath with Kafka's, and a benchmark or test
 * starts a sink for itself with startKafkaConnectSink.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { describeFailure } from './log-tail.js';
import { mavenClasspath } from './maven-classpath.js';
import { logFile, repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { startProcess, waitUntilHealthy } from './process.js';
import type { RunningService } from './service.js';
import { classpathArgfile, javaBinary, serviceJvmOptions } from './java.js';

export const KAFKA_CONNECT_POM = join(repoRoot, 'scripts', 'kafka-connect', 'pom.xml');
const LOG4J_CONFIG = join(repoRoot, 'scripts', 'kafka-connect', 'log4j2.properties');
const pomText = readFileSync(KAFKA_CONNECT_POM, 'utf8');
/** The versions scripts/kafka-connect/pom.xml names, for the summary line. */
export const KAFKA_CONNECT_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pomText)?.[1] ?? 'unknown';
export const ICEBERG_SINK_VERSION = /<iceberg\.version>([^<]+)<\/iceberg\.version>/.exec(pomText)?.[1] ?? 'unknown';
const MAIN_CLASS = 'org.apache.kafka.connect.cli.ConnectStandalone';
const CONNECTOR_CLASS = 'org.apache.iceberg.connect.IcebergSinkConnector';

const kafkaConnectClasspath = mavenClasspath({
  name: 'kafka-connect',
  pom: KAFKA_CONNECT_POM,
  what: 'Kafka Connect + Iceberg sink classpath',
  why: `the streaming benchmark compares Floe with Iceberg's own Kafka Connect sink ${ICEBERG_SINK_VERSION} (Maven downloads its jars once into ~/.m2)`,
});
export const kafkaConnectInstalled = kafkaConnectClasspath.installed;
export const installKafkaConnect = kafkaConnectClasspath.install;

export interface KafkaConnectStorage {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface KafkaConnectSinkOptions {
  /** Names the log file (.floe/logs/<name>.log), the files in the run dir and messages; default `kafka-connect`. */
  name?: string;
  brokers: readonly string[];
  /** The topic of JSON messages (no schema envelope) to write into the table. */
  topic: string;
  /** `namespace.table`; the table must exist (the sink does not create it here). */
  table: string;
  /** The Iceberg REST catalog, e.g. http://127.0.0.1:8181. */
  restUri: string;
  warehouse: string;
  /** The S3 server of the warehouse (MinIO: path-style requests). */
  storage: KafkaConnectStorage;
  /** How often the sink's coordinator commits to the table (iceberg.control.commit.interval-ms). */
  commitIntervalMs: number;
  /** tasks.max; default 1. */
  tasks?: number;
}

/** The running worker: a RunningService plus what a benchmark asks the Connect REST API or the broker about. */
export interface KafkaConnectSink extends RunningService {
  /** http://127.0.0.1:<port>, the Connect REST API. */
  restUrl: string;
  /** The connector's name, new on every start; its sink tasks' consumer group is `connect-<connector>`. */
  connector: string;
  /** The sink's control topic (one partition), new on every start. */
  controlTopic: string;
}

function propertiesText(settings: Record<string, string | number | boolean>): string {
  // Values here are plain paths, URLs and names: no characters that need .properties escaping but
  // the backslash (a Windows path), which is escaped anyway.
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value).replaceAll('\\', '\\\\')}`)
    .join('\n')}\n`;
}

/** The standalone worker's configuration: JSON values without a schema envelope, string keys. */
export function kafkaConnectWorkerProperties(options: {
  brokers: readonly string[];
  port: number;
  offsetsFile: string;
  commitIntervalMs: number;
}): string {
  return propertiesText({
    'bootstrap.servers': options.brokers.join(','),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': false,
    'offset.storage.file.filename': options.offsetsFile,
    // A sink task reads the Iceberg control topic (the coordinator's START_COMMIT) only inside
    // put(), and an idle task's consumer poll waits until the next offset flush, 60 s by default:
    // the last messages of a run then wait a minute (two with the 30 s commit timeout) for their
    // commit. Flushing every commit interval (at most 1 s) bounds that wait; the flush itself is
    // cheap, since the Iceberg sink commits its offsets through its own control transactions and
    // hands Connect none.
    'offset.flush.interval.ms': Math.max(100, Math.min(options.commitIntervalMs, 1_000)),
    listeners: `http://127.0.0.1:${options.port}`,
    'rest.advertised.host.name': '127.0.0.1',
    'rest.advertised.port': options.port,
    // Plugins are found through their META-INF/services files (the Iceberg jar and Kafka's
    // converters have them) instead of a reflective scan of every jar on the classpath.
    'plugin.discovery': 'service_load',
  });
}

/** The connector's configuration; holds no secret (the S3 keys come from the environment). */
export function icebergSinkProperties(
  options: Omit<KafkaConnectSinkOptions, 'storage' | 'name'> & {
    connector: string;
    controlTopic: string;
    region: string;
    endpoint: string;
  },
): string {
  return propertiesText({
    name: options.connector,
    'connector.class': CONNECTOR_CLASS,
    'tasks.max': options.tasks ?? 1,
    topics: options.topic,
    'iceberg.tables': options.table,
    // The table is made by the caller with the schema it wants compared.
    'iceberg.tables.auto-create-enabled': false,
    'iceberg.tables.evolve-schema-enabled': false,
    'iceberg.catalog.type': 'rest',
    'iceberg.catalog.uri': options.restUri,
    'iceberg.catalog.warehouse': options.warehouse,
    'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    'iceberg.catalog.s3.endpoint': options.endpoint,
    'iceberg.catalog.s3.path-style-access': true,
    'iceberg.catalog.client.region': options.region,
    'iceberg.control.topic': options.controlTopic,
    'iceberg.control.commit.interval-ms': options.commitIntervalMs,
    // The sink finds bootstrap.servers by re-reading the worker file named on the JVM's command
    // line; saying it here as well does not depend on that.
    'iceberg.kafka.bootstrap.servers': options.brokers.join(','),
  });
}

/**
 * Starts a Connect worker running one Iceberg sink from `options.topic` into `options.table`.
 * Healthy once GET /connectors/<connector>/status reports the connector and each of its tasks
 * RUNNING; a connector or task that FAILED fails the start at once, with its trace and the log.
 */
export async function startKafkaConnectSink(runDir: string, options: KafkaConnectSinkOptions): Promise<KafkaConnectSink> {
  const name = options.name ?? 'kafka-connect';
  const tasks = options.tasks ?? 1;
  const classpath = await installKafkaConnect();
  const port = await freePort();
  const runId = randomBytes(4).toString('hex');
  const connector = `floe-iceberg-sink-${runId}`;
  const controlTopic = `${connector}-control`;
  const dir = join(runDir, name);
  mkdirSync(dir, { recursive: true });
  await createControlTopic(options.brokers, controlTopic);

  const workerFile = join(dir, 'worker.properties');
  writeFileSync(
    workerFile,
    kafkaConnectWorkerProperties({
      brokers: options.brokers,
      port,
      offsetsFile: join(dir, 'connect.offsets'),
      commitIntervalMs: options.commitIntervalMs,
    }),
  );
  const connectorFile = join(dir, 'iceberg-sink.properties');
  writeFileSync(
    connectorFile,
    icebergSinkProperties({
      ...options,
      tasks,
      connector,
      controlTopic,
      region: options.storage.region,
      endpoint: options.storage.endpoint,
    }),
  );
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  const managed = startProcess({
    name,
    command: javaBinary(),
    args: [
      ...serviceJvmOptions({ maxHeap: '768m', log4jConfig: LOG4J_CONFIG }),
      classpathArgfile(join(dir, 'classpath.argfile'), classpath),
      MAIN_CLASS,
      workerFile,
      connectorFile,
    ],
    env: {
      ...inherited,
      AWS_REGION: options.storage.region,
      AWS_ACCESS_KEY_ID: options.storage.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.storage.secretAccessKey,
    },
    cwd: dir,
    log: logFile(name),
  });
  const restUrl = `http://127.0.0.1:${port}`;
  const statusUrl = `${restUrl}/connectors/${connector}/status`;
  let failed: string | undefined;
  try {
    await waitUntilHealthy(
      managed,
      `GET ${statusUrl} with the connector and ${tasks} task(s) RUNNING`,
      async () => {
        failed = await connectorRunning(statusUrl, tasks);
      },
      180_000,
    );
  } catch (error) {
    await managed.stop();
    throw error;
  }
  if (failed !== undefined) {
    await managed.stop();
    throw new Error(describeFailure(`${name} failed to start`, [managed.spec.command, ...managed.spec.args], managed.spec.log, failed));
  }
  return {
    name: 'kafka-connect',
    processes: [managed],
    env: {
      FLOE_TEST_KAFKA_CONNECT_URL: restUrl,
      FLOE_TEST_KAFKA_CONNECT_CONNECTOR: connector,
      FLOE_TEST_KAFKA_CONNECT_CONTROL_TOPIC: controlTopic,
    },
    summary: [
      `Kafka Connect  ${restUrl} (Connect ${KAFKA_CONNECT_VERSION} standalone, Iceberg ${ICEBERG_SINK_VERSION} sink ${connector}: ` +
        `${options.topic} → ${options.table}, ${tasks} task(s), commit every ${options.commitIntervalMs} ms, control topic ${controlTopic})`,
    ],
    restUrl,
    connector,
    controlTopic,
  };
}

/** The sink's control topic: one partition, one replica, made before the worker starts rather than left to auto-creation. */
async function createControlTopic(brokers: readonly string[], topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'floe-kafka-connect-setup', bootstrapBrokers: [...brokers] });
  try {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  } finally {
    await admin.close();
  }
}

interface ConnectorStatus {
  connector?: { state?: string; trace?: string };
  tasks?: { id: number; state?: string; trace?: string }[];
}

/**
 * Throws while the connector is not RUNNING yet (404 before the worker has created it); returns
 * a description when it or a task FAILED, which no amount of waiting repairs; undefined when all run.
 */
async function connectorRunning(statusUrl: string, tasks: number): Promise<string | undefined> {
  const response = await fetch(statusUrl, { signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${statusUrl} answered ${response.status}: ${body.slice(0, 200)}`);
  const status = JSON.parse(body) as ConnectorStatus;
  if (status.connector?.state === 'FAILED') return `the connector FAILED:\n${status.connector.trace ?? '(no trace)'}`;
  const failedTask = status.tasks?.find((task) => task.state === 'FAILED');
  if (failedTask !== undefined) return `task ${failedTask.id} FAILED:\n${failedTask.trace ?? '(no trace)'}`;
  const running = status.tasks?.filter((task) => task.state === 'RUNNING').length ?? 0;
  if (status.connector?.state !== 'RUNNING' || running < tasks)
    throw new Error(`the connector is ${status.connector?.state ?? 'unknown'}, ${running} of ${tasks} task(s) RUNNING`);
  return undefined;
}

/**
 * An Apache Kafka broker for the streaming tests and benchmarks (issue #43): Kafka 4.2 in KRaft
 * mode, one JVM that is both broker and controller, from the jars on Maven Central (there is no
 * release tarball here, so no shell scripts: the classpath is resolved once by Maven from
 * scripts/kafka/pom.xml, as for the REST fixture, and the JVM is started with `java -cp`). Each
 * start writes server.properties with fresh loopback ports; a data dir that holds no Kafka storage
 * yet is formatted first (kafka.tools.StorageTool, the class behind `kafka-storage.sh format`), so
 * a start on a data dir of an earlier start is a restart that keeps its topics and offsets.
 * Settings suit a 2-core test machine: a 512 MB heap, few threads, and internal topics with one
 * replica and one partition.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { describeFailure } from './log-tail.js';
import { logFile, repoRoot } from './paths.js';
import { freePorts } from './ports.js';
import { startProcess, waitUntilHealthy } from './process.js';
import { mavenClasspath } from './maven-classpath.js';
import type { RunningService } from './service.js';
import { classpathArgfile, javaBinary, serviceJvmOptions } from './java.js';

export const KAFKA_POM = join(repoRoot, 'scripts', 'kafka', 'pom.xml');
const LOG4J_CONFIG = join(repoRoot, 'scripts', 'kafka', 'log4j2.properties');
/** The version scripts/kafka/pom.xml names, for the summary line and messages. */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(KAFKA_POM, 'utf8'))?.[1] ?? 'unknown';
const SERVER_MAIN_CLASS = 'kafka.Kafka';
const STORAGE_TOOL_MAIN_CLASS = 'kafka.tools.StorageTool';
/** The one node: broker and controller in one JVM. */
const NODE_ID = 1;

const kafkaClasspath = mavenClasspath({
  name: 'kafka',
  pom: KAFKA_POM,
  what: 'Kafka broker classpath',
  why: `the streaming tests and benchmarks run a real Kafka ${KAFKA_VERSION} broker (Maven downloads its jars once into ~/.m2)`,
});
export const kafkaInstalled = kafkaClasspath.installed;
export const installKafka = kafkaClasspath.install;

export interface KafkaPorts {
  broker: number;
  controller: number;
}

/** server.properties of a single-node KRaft cluster on 127.0.0.1. */
export function kafkaServerProperties(dataDir: string, ports: KafkaPorts): string {
  const settings: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': NODE_ID,
    // A static quorum: the voter's address is configuration, not stored in the metadata log, so a
    // restart on the same data dir may take new ports.
    'controller.quorum.voters': `${NODE_ID}@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.broker}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(dataDir, 'logs'),
    // One broker: every topic, internal ones included, has one replica.
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // A test's consumer group starts consuming at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms': 0,
    // Two cores: fewer threads than the defaults (3 network, 8 I/O, 10 background).
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'auto.create.topics.enable': 'true',
  };
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** A cluster id as Kafka's Uuid.randomUuid makes them: 16 random bytes in URL-safe base64, never starting with '-'. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Formats `dataDir` for the node unless an earlier start already did (then this start is a restart).
 * The format runs before the broker, whose start would make the log's folder: on a fresh clone
 * there is no .floe/logs yet (issue #54).
 */
export async function formatStorage(classpathArgs: string[], dataDir: string, propertiesFile: string, log: string): Promise<void> {
  if (existsSync(join(dataDir, 'logs', 'meta.properties'))) return;
  mkdirSync(dirname(log), { recursive: true });
  const args = [
    ...serviceJvmOptions({ maxHeap: '512m', log4jConfig: LOG4J_CONFIG }),
    ...classpathArgs,
    STORAGE_TOOL_MAIN_CLASS,
    'format',
    '-t',
    newClusterId(),
    '-c',
    propertiesFile,
  ];
  try {
    const { stdout, stderr } = await promisify(execFile)(javaBinary(), args, { maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(log, `${stdout}${stderr}`);
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    writeFileSync(log, `${failure.stdout ?? ''}${failure.stderr ?? ''}`);
    throw new Error(describeFailure('kafka storage format failed', [javaBinary(), ...args], log, failure.message.split('\n')[0] ?? ''));
  }
}

export interface KafkaStartOptions {
  /** Names the log file (.floe/logs/<name>.log) and messages; a test's own broker takes its own. */
  name?: string;
}

/**
 * Starts the broker with its storage in `<runDir>/kafka` (formatted on the first start there).
 * Healthy once a client's metadata request lists this node as a live broker and names a controller.
 */
export async function startKafka(runDir: string, options: KafkaStartOptions = {}): Promise<RunningService> {
  const name = options.name ?? 'kafka';
  const classpath = await installKafka();
  const [broker, controller] = (await freePorts(2)) as [number, number];
  const dataDir = join(runDir, 'kafka');
  mkdirSync(dataDir, { recursive: true });
  const propertiesFile = join(dataDir, 'server.properties');
  writeFileSync(propertiesFile, kafkaServerProperties(dataDir, { broker, controller }));
  const classpathArgs = [classpathArgfile(join(dataDir, 'classpath.argfile'), classpath)];
  await formatStorage(classpathArgs, dataDir, propertiesFile, logFile(`${name}-format`));
  const managed = startProcess({
    name,
    command: javaBinary(),
    args: [...serviceJvmOptions({ maxHeap: '512m', log4jConfig: LOG4J_CONFIG }), ...classpathArgs, SERVER_MAIN_CLASS, propertiesFile],
    env: process.env,
    cwd: dataDir,
    log: logFile(name),
  });
  const brokers = `127.0.0.1:${broker}`;
  try {
    await waitUntilHealthy(managed, `a metadata request to ${brokers}`, () => brokerIsLive(brokers), 120_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'kafka',
    processes: [managed],
    env: { FLOE_TEST_KAFKA_BROKERS: brokers },
    summary: [`Kafka          ${brokers} (Kafka ${KAFKA_VERSION}, KRaft broker+controller, data in ${dataDir})`],
  };
}

/** One metadata round trip with the client the tests use: the broker must list itself, unfenced, with a controller. */
async function brokerIsLive(brokers: string): Promise<void> {
  const admin = new Admin({ clientId: 'floe-services-health', bootstrapBrokers: [brokers], retries: 0, timeout: 2_000 });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    if (!metadata.brokers.has(NODE_ID))
      throw new Error(`the metadata lists brokers [${[...metadata.brokers.keys()].join(', ')}], not node ${NODE_ID}`);
    if (metadata.controllerId < 0) throw new Error('the metadata names no controller yet');
  } finally {
    await admin.close();
  }
}

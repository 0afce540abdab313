/**
 * Installs and starts a set of services together: builds first (the two Go builds one after the
 * other, since each wants both cores; the Maven builds one after the other, since Maven 3 does
 * not lock ~/.m2 against a second Maven; pip beside them), then starts what does not depend on
 * anything in parallel, then the REST catalog once MinIO has its bucket.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEnvFile } from './env-file.js';
import { installJavaOracle, startJavaOracle } from './java-oracle.js';
import { installKafka, startKafka } from './kafka.js';
import { installKafkaConnect } from './kafka-connect.js';
import { installMinio, startMinio } from './minio.js';
import { installNginx, startNginx } from './nginx.js';
import { addShutdownHook } from './process.js';
import { servicesEnvFile, servicesStateFile, stateDir } from './paths.js';
import { say, formatDuration } from './progress.js';
import { installChromium, startChromium } from './chromium.js';
import { installPostgres, startPostgres } from './postgres.js';
import { installPython, startPython } from './python.js';
import { installRedis, startRedis } from './redis.js';
import { installRestCatalog, startRestCatalog } from './rest-catalog.js';
import { SERVICE_NAMES, withDependencies, type RunningService, type ServiceName } from './service.js';
import { installTemporal, startTemporal } from './temporal.js';

/** The services a stack of `names` runs: those and what they need, or every service when none is named. */
function stackServices(names: readonly ServiceName[]): Set<ServiceName> {
  return new Set(withDependencies(names.length === 0 ? SERVICE_NAMES : names));
}

export async function installServices(names: readonly ServiceName[]): Promise<void> {
  const wanted = stackServices(names);
  const started = Date.now();
  const goLane = async (): Promise<void> => {
    // One after the other, but a failed Temporal build does not keep MinIO from being built.
    const temporal = wanted.has('temporal') ? await settle(installTemporal()) : undefined;
    const minio = wanted.has('minio') ? await settle(installMinio()) : undefined;
    const errors = [temporal, minio].filter((error) => error !== undefined);
    if (errors.length > 0) throw aggregate('building with Go failed', errors);
  };
  const mavenLane = async (): Promise<void> => {
    // One after the other (Maven 3 does not lock ~/.m2), but one failing does not stop the other.
    const rest = wanted.has('rest-catalog') ? await settle(installRestCatalog()) : undefined;
    const oracle = wanted.has('java-oracle') ? await settle(installJavaOracle()) : undefined;
    const kafka = wanted.has('kafka') ? await settle(installKafka()) : undefined;
    // Iceberg's Kafka Connect sink, the streaming benchmark's peer, runs beside the broker but is
    // started per benchmark or test, never here; its classpath is resolved with the broker's so
    // no benchmark resolves it in the middle of a measurement.
    const kafkaConnect = wanted.has('kafka') ? await settle(installKafkaConnect()) : undefined;
    const errors = [rest, oracle, kafka, kafkaConnect].filter((error) => error !== undefined);
    if (errors.length > 0) throw aggregate('building with Maven failed', errors);
  };
  const results = await Promise.allSettled([
    goLane(),
    mavenLane(),
    wanted.has('python') ? installPython() : Promise.resolve(),
    // apt: Chromium, Postgres, Redis and nginx one after the other, since dpkg takes one install at a time.
    (async () => {
      if (wanted.has('chromium')) await installChromium();
      if (wanted.has('postgres')) await installPostgres();
      if (wanted.has('redis')) await installRedis();
      if (wanted.has('nginx')) await installNginx();
    })(),
  ]);
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failures.length > 0)
    throw aggregate(
      'installing services failed',
      failures.map((failure) => failure.reason),
    );
  say(`installed ${[...wanted].join(', ')} (${formatDuration(Date.now() - started)})`);
}

export interface RunningStack {
  services: RunningService[];
  env: Record<string, string>;
  runDir: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Write .floe/services.env and .floe/services.json for other processes (`npm run services --
   * start`). The test runner hands the env to its child directly and leaves those files alone, so
   * it does not clobber a developer's separately started services.
   */
  persist: boolean;
}

export async function startServices(names: readonly ServiceName[], options: StartOptions): Promise<RunningStack> {
  const wanted = stackServices(names);
  await installServices([...wanted]);
  const runDir = mkdtempSync(join(tmpdir(), 'floe-services-'));
  const running: RunningService[] = [];
  const stopStarted = async (): Promise<void> => {
    await Promise.all(running.flatMap((service) => service.processes.map((managed) => managed.stop())));
    rmSync(runDir, { recursive: true, force: true });
  };
  const track = async (start: () => Promise<RunningService>): Promise<RunningService> => {
    const service = await retryOnPortClash(start);
    running.push(service);
    say(`${service.name} is up: ${service.summary.join('; ')}`);
    return service;
  };
  const started = Date.now();
  try {
    const minio = wanted.has('minio') ? track(() => startMinio(runDir)) : undefined;
    const rest =
      wanted.has('rest-catalog') && minio
        ? minio.then((service) =>
            track(() =>
              startRestCatalog(runDir, {
                endpoint: requireEnv(service, 'FLOE_TEST_S3_ENDPOINT'),
                region: requireEnv(service, 'FLOE_TEST_S3_REGION'),
                accessKeyId: requireEnv(service, 'FLOE_TEST_S3_ACCESS_KEY_ID'),
                secretAccessKey: requireEnv(service, 'FLOE_TEST_S3_SECRET_ACCESS_KEY'),
              }),
            ),
          )
        : undefined;
    const results = await Promise.allSettled([
      wanted.has('temporal') ? track(() => startTemporal(runDir)) : undefined,
      minio,
      rest,
      wanted.has('python') ? track(() => startPython()) : undefined,
      wanted.has('java-oracle') ? track(() => startJavaOracle()) : undefined,
      wanted.has('chromium') ? track(() => startChromium()) : undefined,
      wanted.has('postgres') ? track(() => startPostgres(runDir)) : undefined,
      wanted.has('redis') ? track(() => startRedis()) : undefined,
      wanted.has('nginx') ? track(() => startNginx()) : undefined,
      wanted.has('kafka') ? track(() => startKafka(runDir)) : undefined,
    ]);
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failures.length > 0)
      throw aggregate(
        'starting services failed',
        failures.map((failure) => failure.reason),
      );
  } catch (error) {
    await stopStarted();
    throw error;
  }
  say(`all services up in ${formatDuration(Date.now() - started)}`);
  const env = Object.assign({}, ...running.map((service) => service.env)) as Record<string, string>;
  if (options.persist) {
    writeEnvFile(servicesEnvFile, env);
    writeState(runDir, running);
  }
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (options.persist) {
        rmSync(servicesEnvFile, { force: true });
        rmSync(servicesStateFile, { force: true });
      }
      await stopStarted();
    })());
  addShutdownHook(stop);
  return { services: running, env, runDir, stop };
}

function requireEnv(service: RunningService, key: string): string {
  const value = service.env[key];
  if (value === undefined) throw new Error(`${service.name} did not report ${key}`);
  return value;
}

/** What `npm run services -- status|stop` reads to find services another process started. */
export interface StackState {
  runDir: string;
  ownerPid: number;
  services: { name: RunningService['name']; pids: number[]; commands: string[]; summary: string[] }[];
}

function writeState(runDir: string, running: readonly RunningService[]): void {
  const state: StackState = {
    runDir,
    ownerPid: process.pid,
    services: running.map((service) => ({
      name: service.name,
      pids: service.processes.map((managed) => managed.pid),
      commands: service.processes.map((managed) => managed.spec.command),
      summary: service.summary,
    })),
  };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(servicesStateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * A port the OS handed out can be taken by someone else before the service binds it; when the
 * failure says so, start once more on fresh ports.
 */
async function retryOnPortClash(start: () => Promise<RunningService>): Promise<RunningService> {
  try {
    return await start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!isPortClash(message)) throw error;
    say(`a port was taken before the service bound it; starting again on new ports:\n${message.split('\n')[0] ?? ''}`);
    return start();
  }
}

/** Whether a service failed because its port was taken: Go's and Node's wording, Java's exception, MinIO's own. */
export function isPortClash(message: string): boolean {
  return /address already in use|port is already in use|EADDRINUSE|BindException/i.test(message);
}

async function settle(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error ?? new Error('unknown failure');
  }
}

function aggregate(message: string, reasons: unknown[]): Error {
  const details = reasons.map((reason) => (reason instanceof Error ? reason.message : String(reason)));
  return new Error(`${message}:\n\n${details.join('\n\n')}`, { cause: reasons[0] });
}

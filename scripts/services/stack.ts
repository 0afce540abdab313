/**
 * Installs and starts a set of services together: each is built in its lane (the Go builds one
 * after the other, the Maven builds one after the other, apt's one at a time, pip beside them) and
 * started as soon as it is built, the REST catalog once MinIO has its bucket too, Nessie once MinIO
 * and Postgres are up.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEnvFile } from './env-file.js';
import { installJavaOracle, startJavaOracle } from './java-oracle.js';
import { installKafka, startKafka } from './kafka.js';
import { installKafkaConnect } from './kafka-connect.js';
import { installMinio, prefetchMinioModules, startMinio } from './minio.js';
import { installNginx, startNginx } from './nginx.js';
import { addShutdownHook } from './process.js';
import { servicesEnvFile, servicesStateFile, stateDir } from './paths.js';
import { say, formatDuration } from './progress.js';
import { installChromium, startChromium } from './chromium.js';
import { installPostgres, startPostgres } from './postgres.js';
import { installPython, startPython } from './python.js';
import { installRedis, startRedis } from './redis.js';
import { installNessie, startNessie } from './nessie.js';
import { installRestCatalog, startRestCatalog } from './rest-catalog.js';
import { SERVICE_NAMES, withDependencies, type RunningService, type ServiceName } from './service.js';
import { installTemporal, startTemporal } from './temporal.js';

/** The services a stack of `names` runs: those and what they need, or every service when none is named. */
function stackServices(names: readonly ServiceName[]): Set<ServiceName> {
  return new Set(withDependencies(names.length === 0 ? SERVICE_NAMES : names));
}

/**
 * Each wanted service's install, started in lanes: the two Go builds one after the other (each
 * wants both cores), the Maven builds one after the other (Maven 3 does not lock ~/.m2), apt's one
 * at a time (dpkg takes one install at a time), pip beside them. A step starts once the one before
 * it in its lane has settled, so one failure does not keep the rest from being built.
 */
function installEach(wanted: ReadonlySet<ServiceName>): Map<ServiceName, Promise<void>> {
  const installs = new Map<ServiceName, Promise<void>>();
  const lane = (steps: readonly [ServiceName, () => Promise<unknown>][]): void => {
    let previous: Promise<unknown> = Promise.resolve();
    for (const [name, install] of steps) {
      if (!wanted.has(name)) continue;
      const run = async (): Promise<void> => void (await install());
      const step = previous.then(run, run);
      installs.set(name, step);
      previous = step;
    }
  };
  // MinIO's modules download while the Temporal CLI compiles.
  if (wanted.has('minio')) prefetchMinioModules();
  lane([
    ['temporal', installTemporal],
    ['minio', installMinio],
  ]);
  // In each lane, what tests can use first comes first: the REST catalog waits for MinIO anyway,
  // and only the browser tests need Chromium.
  lane([
    ['java-oracle', installJavaOracle],
    ['rest-catalog', installRestCatalog],
    ['nessie', installNessie],
    // Iceberg's Kafka Connect sink, the streaming benchmark's peer, runs beside the broker but is
    // started per benchmark or test, never here; its classpath is resolved with the broker's so
    // no benchmark resolves it in the middle of a measurement.
    ['kafka', async () => throwAny('installing kafka failed', [await settle(installKafka()), await settle(installKafkaConnect())])],
  ]);
  lane([['python', installPython]]);
  lane([
    ['postgres', installPostgres],
    ['nginx', installNginx],
    ['redis', installRedis],
    ['chromium', installChromium],
  ]);
  return installs;
}

export async function installServices(names: readonly ServiceName[]): Promise<void> {
  const wanted = stackServices(names);
  const started = Date.now();
  const results = await Promise.all([...installEach(wanted).values()].map(settle));
  throwAny('installing services failed', results);
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
  /** Called as each service comes up, while others may still be building: `npm test` starts the files that need only those. */
  onUp?: (service: RunningService) => void;
}

export async function startServices(names: readonly ServiceName[], options: StartOptions): Promise<RunningStack> {
  const wanted = stackServices(names);
  const installs = installEach(wanted);
  const runDir = mkdtempSync(join(tmpdir(), 'floe-services-'));
  const running: RunningService[] = [];
  const stopStarted = async (): Promise<void> => {
    await Promise.all(running.flatMap((service) => service.processes.map((managed) => managed.stop())));
    rmSync(runDir, { recursive: true, force: true });
  };
  const started = Date.now();
  // Each service starts as soon as it is installed (and the REST catalog once MinIO has its bucket).
  const startWhenInstalled = (name: ServiceName, start: () => Promise<RunningService>): Promise<RunningService> | undefined => {
    const install = installs.get(name);
    if (install === undefined) return undefined;
    return install.then(async () => {
      const service = await retryOnPortClash(start);
      running.push(service);
      say(`${service.name} is up (${formatDuration(Date.now() - started)}): ${service.summary.join('; ')}`);
      options.onUp?.(service);
      return service;
    });
  };
  try {
    const minio = startWhenInstalled('minio', () => startMinio(runDir));
    const restInstall = installs.get('rest-catalog');
    // Both awaited, so neither one's failure goes unreported.
    const rest =
      minio &&
      restInstall &&
      Promise.all([minio, restInstall]).then(([service]) =>
        startWhenInstalled('rest-catalog', () =>
          startRestCatalog(runDir, {
            endpoint: requireEnv(service, 'FLOE_TEST_S3_ENDPOINT'),
            region: requireEnv(service, 'FLOE_TEST_S3_REGION'),
            accessKeyId: requireEnv(service, 'FLOE_TEST_S3_ACCESS_KEY_ID'),
            secretAccessKey: requireEnv(service, 'FLOE_TEST_S3_SECRET_ACCESS_KEY'),
          }),
        ),
      );
    const postgres = startWhenInstalled('postgres', () => startPostgres(runDir));
    const nessieInstall = installs.get('nessie');
    // Nessie keeps its tables in MinIO and its version store in Postgres: it starts once both are up.
    const nessie =
      minio &&
      postgres &&
      nessieInstall &&
      Promise.all([minio, postgres, nessieInstall]).then(([s3, database]) =>
        startWhenInstalled('nessie', () =>
          startNessie(runDir, {
            storage: {
              endpoint: requireEnv(s3, 'FLOE_TEST_S3_ENDPOINT'),
              region: requireEnv(s3, 'FLOE_TEST_S3_REGION'),
              accessKeyId: requireEnv(s3, 'FLOE_TEST_S3_ACCESS_KEY_ID'),
              secretAccessKey: requireEnv(s3, 'FLOE_TEST_S3_SECRET_ACCESS_KEY'),
            },
            postgresUrl: requireEnv(database, 'FLOE_TEST_POSTGRES_URL'),
          }),
        ),
      );
    const results = await Promise.all(
      [
        startWhenInstalled('temporal', () => startTemporal(runDir)),
        minio,
        rest,
        nessie,
        startWhenInstalled('python', () => startPython()),
        startWhenInstalled('java-oracle', () => startJavaOracle()),
        startWhenInstalled('chromium', () => startChromium()),
        postgres,
        startWhenInstalled('redis', () => startRedis()),
        startWhenInstalled('nginx', () => startNginx()),
        startWhenInstalled('kafka', () => startKafka(runDir)),
      ].map((start) => (start === undefined ? Promise.resolve(undefined) : settle(start))),
    );
    throwAny('starting services failed', results);
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

/** The error a piece of work failed with, or undefined when it succeeded. */
async function settle(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error ?? new Error('unknown failure');
  }
}

/** Throws one error listing every failure among `outcomes` (settle's results), if any. */
function throwAny(message: string, outcomes: readonly unknown[]): void {
  const reasons = outcomes.filter((outcome) => outcome !== undefined);
  if (reasons.length === 0) return;
  const details = reasons.map((reason) => (reason instanceof Error ? reason.message : String(reason)));
  throw new Error(`${message}:\n\n${details.join('\n\n')}`, { cause: reasons[0] });
}

/**
 * `npm run services -- <install|start|stop|status> [names…]`
 *   install  build/install without starting (CI warm-up)
 *   start    start in the foreground, write .floe/services.env, stop everything on Ctrl-C
 *   stop     stop services a `start` in another terminal left running
 *   status   what is installed and what is running
 * Names: temporal, minio, rest-catalog, nessie, python, java-oracle, chromium, postgres, redis, nginx, kafka (default: all).
 * `kafka` also installs the Kafka Connect worker with Iceberg's sink (scripts/services/kafka-connect.ts),
 * which benchmarks and tests start for themselves.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromiumInstalled } from './chromium.js';
import { javaOracleInstalled } from './java-oracle.js';
import { kafkaInstalled } from './kafka.js';
import { kafkaConnectInstalled } from './kafka-connect.js';
import { minioInstalled } from './minio.js';
import { nessieInstalled } from './nessie.js';
import { nginxInstalled } from './nginx.js';
import { servicesEnvFile, servicesStateFile } from './paths.js';
import { stopGroup } from './process.js';
import { postgresInstalled } from './postgres.js';
import { redisInstalled } from './redis.js';
import { pythonInstalled } from './python.js';
import { restCatalogInstalled } from './rest-catalog.js';
import { isServiceName, SERVICE_NAMES, type ServiceName } from './service.js';
import { installServices, startServices, type StackState } from './stack.js';
import { temporalInstalled } from './temporal.js';

const USAGE = `usage: npm run services -- <install|start|stop|status> [${SERVICE_NAMES.join('|')} …]`;

function parseNames(args: readonly string[]): ServiceName[] {
  for (const name of args) {
    if (!isServiceName(name)) throw new Error(`unknown service "${name}"; expected one of ${SERVICE_NAMES.join(', ')}\n${USAGE}`);
  }
  return args as ServiceName[];
}

async function start(names: ServiceName[]): Promise<void> {
  const stack = await startServices(names, { persist: true });
  const lines = [
    '',
    'Services are running:',
    ...stack.services.flatMap((service) => service.summary.map((line) => `  ${line}`)),
    '',
    `Test env written to ${servicesEnvFile}; run one test file with e.g.`,
    '  node --import tsx --test test/integration/services/reachable.test.ts',
    `Logs: .floe/logs/<service>.log. Press Ctrl-C to stop everything.`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  // Stay in the foreground; the SIGINT/SIGTERM hooks stop the services and exit.
  for (;;) await sleep(60_000);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(): StackState | undefined {
  return existsSync(servicesStateFile) ? (JSON.parse(readFileSync(servicesStateFile, 'utf8')) as StackState) : undefined;
}

async function stop(): Promise<void> {
  const state = readState();
  if (state === undefined) {
    process.stdout.write('No services recorded as running.\n');
    return;
  }
  if (processAlive(state.ownerPid) && state.ownerPid !== process.pid) {
    // The foreground `start` owns them: ask it to stop, so it cleans up as on Ctrl-C.
    process.kill(state.ownerPid, 'SIGTERM');
    for (let waited = 0; processAlive(state.ownerPid) && waited < 30_000; waited += 200) await sleep(200);
  }
  for (const service of state.services) {
    for (const pid of service.pids) await stopGroup(pid);
    process.stdout.write(`stopped ${service.name}\n`);
  }
  rmSync(state.runDir, { recursive: true, force: true });
  rmSync(servicesEnvFile, { force: true });
  rmSync(servicesStateFile, { force: true });
}

function status(): void {
  const installed: Record<ServiceName, string | undefined> = {
    temporal: temporalInstalled(),
    minio: minioInstalled(),
    'rest-catalog': restCatalogInstalled(),
    nessie: nessieInstalled(),
    python: pythonInstalled(),
    'java-oracle': javaOracleInstalled(),
    chromium: chromiumInstalled(),
    postgres: postgresInstalled(),
    redis: redisInstalled(),
    nginx: nginxInstalled(),
    kafka: kafkaInstalled(),
  };
  const state = readState();
  for (const name of SERVICE_NAMES) {
    const recorded = state?.services.find((service) => service.name === name);
    const running = recorded !== undefined && recorded.pids.every(processAlive);
    const runningText =
      recorded === undefined ? 'not running' : running ? `running: ${recorded.summary.join('; ')}` : 'recorded but its process is gone';
    process.stdout.write(`${name.padEnd(13)} installed: ${installed[name] ?? 'no'}\n${''.padEnd(13)} ${runningText}\n`);
  }
  // Installed with kafka, started only by the benchmark or test that needs it.
  process.stdout.write(
    `${'kafka-connect'.padEnd(13)} installed: ${kafkaConnectInstalled() ?? 'no'}\n${''.padEnd(13)} started per benchmark/test\n`,
  );
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  const names = parseNames(rest);
  switch (command) {
    case 'install':
      await installServices(names);
      return;
    case 'start':
      await start(names);
      return;
    case 'stop':
      await stop();
      return;
    case 'status':
      status();
      return;
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

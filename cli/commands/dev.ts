import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Project } from '../../features/project.js';
import type { RunningService } from '../../scripts/services/service.js';
import type { DevLock } from '../dev-lock.js';
import type { DevPorts } from '../dev-ports.js';
import type { DevSession } from '../dev-session.js';
import { DEFAULT_OFFLINE_PORT, DEFAULT_REGISTRY_PORT, integer, untilInterrupted } from './serve.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

interface DevOptions {
  readonly project: string;
  readonly port: string;
  readonly offlinePort?: string;
  readonly registryPort?: string;
  readonly serve: boolean;
  readonly apply?: boolean;
  readonly json?: boolean;
}

export function devCommand(program: Command, redactor: Redactor): void {
  program
    .command('dev')
    .description(
      "Everything for local development in one process: a Temporal dev server with its Web UI (at temporal.address and dev.uiPort; history kept in .floe/temporal.db), a worker, and the feature server with Floe's web UI under /ui",
    )
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--port <port>', 'the feature server port (0: any free port)', '6566')
    .option(
      '--offline-port <port>',
      "the port of the offline endpoint (Arrow Flight, for Feast's remote offline store); default 8815 (left off with a warning when taken), or any free port when --port is 0",
    )
    .option(
      '--registry-port <port>',
      "the port of the registry endpoint (gRPC, for Feast's remote registry); default 6570 (left off with a warning when taken), or any free port when --port is 0",
    )
    .option('--no-serve', 'do not start the feature server, the offline endpoint or the registry endpoint')
    .option('--apply', 'when the definitions change, apply them (as `floe apply`) without asking')
    .option('--json', 'print the addresses as JSON once ready, and each reload as a JSON line')
    .action(async (options: DevOptions) => runDev(options, redactor));
}

// Command implementations are imported when the command runs, so `floe --help` loads none of them.
async function runDev(options: DevOptions, redactor: Redactor): Promise<void> {
  const port = integer(options.port, '--port', 0, 65_535);
  const offlinePort = integer(options.offlinePort ?? (port === 0 ? '0' : String(DEFAULT_OFFLINE_PORT)), '--offline-port', 0, 65_535);
  const registryPort = integer(options.registryPort ?? (port === 0 ? '0' : String(DEFAULT_REGISTRY_PORT)), '--registry-port', 0, 65_535);
  const { installWorkerRuntime, workerMetricsAddress } = await import('../../workers/worker-runtime.js');
  const { loadWatchedProject } = await import('../dev-reload.js');
  const { project, files } = await loadWatchedProject(options.project, redactor);
  const stateDirectory = path.join(project.directory, '.floe');
  await mkdir(stateDirectory, { recursive: true });
  const { ports, lock } = await reserveDevPorts(project, stateDirectory);
  const metrics = workerMetricsAddress(project.config);
  installWorkerRuntime(redactor, { oneLine: true, ...defined({ metrics }) });
  if (!options.json) console.log('Starting a Temporal dev server (a first run may build the Temporal CLI, which takes minutes)…');
  const temporal = await startDevTemporal(stateDirectory, ports, lock);
  // Whatever fails below, the finally releases what was started, the detached Temporal server included.
  try {
    await runDevSession(
      { project, files, ports, lock, temporal },
      {
        ...options,
        featureServerPort: options.serve ? port : null,
        offline: options.serve ? { port: offlinePort, required: options.offlinePort !== undefined } : null,
        registry: options.serve ? { port: registryPort, required: options.registryPort !== undefined } : null,
      },
    );
  } finally {
    for (const managed of temporal.processes) await managed.stop();
    await lock.release();
  }
}

/** The project's dev lock and its Temporal ports, checked free; the lock is released if they are not. */
async function reserveDevPorts(project: Project, stateDirectory: string): Promise<{ ports: DevPorts; lock: DevLock }> {
  const { devPorts, requireFreePorts } = await import('../dev-ports.js');
  const { acquireDevLock } = await import('../dev-lock.js');
  const ports = devPorts(project.config);
  // Before the ports: a second dev of this project, on its ports or others, says where the first runs.
  const lock = await acquireDevLock(stateDirectory, {
    temporalAddress: `${ports.ip}:${ports.port}`,
    temporalUi: `http://${ports.ip}:${ports.uiPort}`,
  });
  await requireFreePorts(ports).catch(async (error: unknown) => {
    await lock.release();
    throw error;
  });
  return { ports, lock };
}

async function startDevTemporal(stateDirectory: string, ports: DevPorts, lock: DevLock): Promise<RunningService> {
  const { startTemporal } = await import('../../scripts/services/temporal.js');
  const { requireFreePorts } = await import('../dev-ports.js');
  try {
    // The history lives in .floe/temporal.db, so workflows run before a restart are still there after it.
    return await startTemporal(stateDirectory, {
      ...ports,
      dbFilename: path.join(stateDirectory, 'temporal.db'),
      log: path.join(stateDirectory, 'temporal.log'),
    });
  } catch (error) {
    await lock.release();
    // Taken between the check and the server's bind: said the same way. Anything else: the log tail says why.
    await requireFreePorts(ports);
    throw error;
  }
}

/** The worker and feature server on the dev Temporal server, reloaded on every edit, until Ctrl-C or the session stops. */
async function runDevSession(
  started: {
    readonly project: Project;
    readonly files: ReadonlySet<string>;
    readonly ports: DevPorts;
    readonly lock: DevLock;
    readonly temporal: RunningService;
  },
  options: DevOptions & {
    readonly featureServerPort: number | null;
    readonly offline: { readonly port: number; readonly required: boolean } | null;
    readonly registry: { readonly port: number; readonly required: boolean } | null;
  },
): Promise<void> {
  const { project, files, ports, lock, temporal } = started;
  const { redactor } = project;
  const { openRuntime } = await import('../../features/runtime.js');
  const { connectWorker, workflowBundleOnce } = await import('../../workers/worker.js');
  const { printResult } = await import('../output.js');
  const { DevSession: Session } = await import('../dev-session.js');
  const { createReloader } = await import('../dev-reload.js');
  const { watchProjectFiles } = await import('../dev-watch.js');
  const address = temporal.env.FLOE_TEST_TEMPORAL_ADDRESS!;
  const uiUrl = temporal.env.FLOE_TEST_TEMPORAL_UI_URL!;
  let connection: Awaited<ReturnType<typeof connectWorker>> | undefined;
  let session: DevSession | undefined;
  let watch: ReturnType<typeof watchProjectFiles> | undefined;
  try {
    connection = await connectWorker(address);
    // Built once: every reload restarts the worker, and the workflows do not depend on the definitions.
    const workflowBundle = await workflowBundleOnce();
    session = await Session.start(await openRuntime(project), {
      connection,
      workflowBundle,
      port: options.featureServerPort,
      offline: options.offline,
      temporalUi: uiUrl,
      registry: options.registry,
    });
    const featureServer = session.featureServer;
    const offlineEndpoint = session.offlineEndpoint;
    const registryEndpoint = session.registryEndpoint;
    const { namespace, taskQueue } = project.config.temporal;
    const ready = {
      temporalAddress: address,
      temporalUi: `${uiUrl}/namespaces/${namespace}/workflows`,
      taskQueue,
      featureServer,
      floeUi: featureServer === null ? null : `${featureServer}/ui/`,
      offlineEndpoint,
      registryEndpoint,
      project: project.config.project,
    };
    await lock.update({ temporalAddress: address, temporalUi: ready.temporalUi, featureServer });
    const applyMode = options.apply ? 'always' : process.stdin.isTTY && process.stdout.isTTY && !options.json ? 'ask' : 'never';
    const reloader: { onChange?: (files: readonly string[]) => void } = {};
    watch = watchProjectFiles((changed) => reloader.onChange?.(changed));
    watch.watchFiles(files);
    reloader.onChange = createReloader(
      { directory: project.directory, session, watch, apply: applyMode, ports, json: options.json === true },
      files,
    );
    printResult(redactor, ready, options, () =>
      [
        `Floe dev for project ${ready.project}:`,
        `  Temporal      ${address} (namespace ${namespace}, task queue ${taskQueue})`,
        `  Web UI        ${ready.temporalUi}`,
        `  Feature server ${featureServer ?? '(off)'}`,
        `  Floe UI       ${ready.floeUi ?? '(off)'} (catalog, lineage, freshness, runs)`,
        `  Offline       ${offlineEndpoint ?? '(off)'} (Arrow Flight: Feast's remote offline store)`,
        `  Registry      ${registryEndpoint ?? '(off)'} (gRPC: Feast's remote registry)`,
        '',
        `Watching ${[...files].map((file) => path.relative(project.directory, file) || file).join(', ')}: an edit reloads the worker and server${options.apply ? ' and applies it' : ''}.`,
        `In another terminal (this project's floe.yaml points there): npx floe materialize <view> --start … --end …`,
        'Ctrl-C stops everything.',
      ].join('\n'),
    );
    await Promise.race([untilInterrupted(), session.stopped]);
  } finally {
    watch?.close();
    await session?.close();
    await connection?.close();
  }
}

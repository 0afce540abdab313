import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DevSession } from '../dev-session.js';
import { integer, untilInterrupted } from './serve.js';

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'Everything for local development in one process: a Temporal dev server with its Web UI (at temporal.address and dev.uiPort; history kept in .floe/temporal.db), a worker, and the feature server',
    )
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--port <port>', 'the feature server port (0: any free port)', '6566')
    .option('--no-serve', 'do not start the feature server')
    .option('--apply', 'when the definitions change, apply them (as `floe apply`) without asking')
    .option('--json', 'print the addresses as JSON once ready, and each reload as a JSON line')
    .action(async (options: { project: string; port: string; serve: boolean; apply?: boolean; json?: boolean }) => {
      const port = integer(options.port, '--port', 0, 65_535);
      const { startTemporal } = await import('../../scripts/services/temporal.js');
      const { installWorkerRuntime, workerMetricsAddress } = await import('../../workers/worker-runtime.js');
      const { openRuntime } = await import('../../features/runtime.js');
      const { connectWorker, workflowBundleOnce } = await import('../../workers/worker.js');
      const { printResult } = await import('../output.js');
      const { devPorts, requireFreePorts } = await import('../dev-ports.js');
      const { acquireDevLock } = await import('../dev-lock.js');
      const { DevSession: Session } = await import('../dev-session.js');
      const { createReloader, loadWatchedProject } = await import('../dev-reload.js');
      const { watchProjectFiles } = await import('../dev-watch.js');
      const { project, files } = await loadWatchedProject(options.project);
      const ports = devPorts(project.config);
      const stateDirectory = path.join(project.directory, '.floe');
      await mkdir(stateDirectory, { recursive: true });
      // Before the ports: a second dev of this project, on its ports or others, says where the first runs.
      const lock = await acquireDevLock(stateDirectory, {
        temporalAddress: `${ports.ip}:${ports.port}`,
        temporalUi: `http://${ports.ip}:${ports.uiPort}`,
      });
      await requireFreePorts(ports).catch(async (error: unknown) => {
        await lock.release();
        throw error;
      });
      const metrics = workerMetricsAddress(project.config);
      installWorkerRuntime({ oneLine: true, ...(metrics === undefined ? {} : { metrics }) });
      if (!options.json) console.log('Starting a Temporal dev server (a first run may build the Temporal CLI, which takes minutes)…');
      let temporal;
      try {
        // The history lives in .floe/temporal.db, so workflows run before a restart are still there after it.
        temporal = await startTemporal(stateDirectory, {
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
      const address = temporal.env.FLOE_TEST_TEMPORAL_ADDRESS!;
      const uiUrl = temporal.env.FLOE_TEST_TEMPORAL_UI_URL!;
      // Whatever fails below, the finally releases what was started, the detached Temporal server included.
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
          port: options.serve ? port : null,
        });
        const featureServer = session.featureServer;
        const { namespace, taskQueue } = project.config.temporal;
        const ready = {
          temporalAddress: address,
          temporalUi: `${uiUrl}/namespaces/${namespace}/workflows`,
          taskQueue,
          featureServer,
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
        printResult(ready, options, () =>
          [
            `Floe dev for project ${ready.project}:`,
            `  Temporal      ${address} (namespace ${namespace}, task queue ${taskQueue})`,
            `  Web UI        ${ready.temporalUi}`,
            `  Feature server ${featureServer ?? '(off)'}`,
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
        for (const managed of temporal.processes) await managed.stop();
        await lock.release();
      }
    });
}

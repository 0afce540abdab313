import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
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
    .option('--json', 'print the addresses as JSON once ready')
    .action(async (options: { project: string; port: string; serve: boolean; json?: boolean }) => {
      const port = integer(options.port, '--port', 0, 65_535);
      const { OnlineStore } = await import('../../features/online/index.js');
      const { loadProject } = await import('../../features/project.js');
      const { startTemporal } = await import('../../scripts/services/temporal.js');
      const { createFeatureServer } = await import('../../server/feature-server.js');
      const { installWorkerLogger } = await import('../../workers/logger.js');
      const { openRuntime } = await import('../../features/runtime.js');
      const { connectWorker, createWorker } = await import('../../workers/worker.js');
      const { printResult } = await import('../output.js');
      const { devPorts, requireFreePorts } = await import('../dev-ports.js');
      const project = await loadProject(options.project);
      const ports = devPorts(project.config);
      await requireFreePorts(ports);
      const stateDirectory = path.join(project.directory, '.floe');
      await mkdir(stateDirectory, { recursive: true });
      installWorkerLogger({ oneLine: true });
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
        // Taken between the check and the server's bind: said the same way. Anything else: the log tail says why.
        await requireFreePorts(ports);
        throw error;
      }
      const address = temporal.env.FLOE_TEST_TEMPORAL_ADDRESS!;
      const uiUrl = temporal.env.FLOE_TEST_TEMPORAL_UI_URL!;
      // Whatever fails below, the finally releases what was started, the detached Temporal server included.
      let runtime: Awaited<ReturnType<typeof openRuntime>> | undefined;
      let connection: Awaited<ReturnType<typeof connectWorker>> | undefined;
      let server: ReturnType<typeof createFeatureServer> | undefined;
      let running: Promise<void> | undefined;
      let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
      try {
        runtime = await openRuntime(project);
        connection = await connectWorker(address);
        if (options.serve)
          server = createFeatureServer({
            maxEntityRows: project.config.server.maxEntityRows,
            store: new OnlineStore({ registry: project.registry, catalog: runtime.catalog, engine: runtime.engine }),
          });
        worker = await createWorker(runtime, { connection });
        running = worker.run();
        const featureServer = server ? await server.listen({ host: '127.0.0.1', port }) : null;
        const { namespace, taskQueue } = project.config.temporal;
        const ready = {
          temporalAddress: address,
          temporalUi: `${uiUrl}/namespaces/${namespace}/workflows`,
          taskQueue,
          featureServer,
          project: project.config.project,
        };
        printResult(ready, options, () =>
          [
            `Floe dev for project ${ready.project}:`,
            `  Temporal      ${address} (namespace ${namespace}, task queue ${taskQueue})`,
            `  Web UI        ${ready.temporalUi}`,
            `  Feature server ${featureServer ?? '(off)'}`,
            '',
            `In another terminal (this project's floe.yaml points there): floe materialize <view> --start … --end …`,
            'Ctrl-C stops everything.',
          ].join('\n'),
        );
        await Promise.race([untilInterrupted(), running]);
      } finally {
        // Ctrl-C reaches the worker too (the SDK drains it on SIGINT); shutting it down twice would throw.
        if (worker?.getState() === 'RUNNING') worker.shutdown();
        await running?.catch(() => undefined);
        await server?.close();
        await connection?.close();
        await runtime?.close();
        for (const managed of temporal.processes) await managed.stop();
      }
    });
}

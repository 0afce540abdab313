import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Project } from '../../features/project.js';
import { integer, untilInterrupted } from './serve.js';

export function devCommand(program: Command): void {
  program
    .command('dev')
    .description('Everything for local development in one process: a Temporal dev server with its Web UI, a worker, and the feature server')
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
      const { createRuntime } = await import('../../workers/runtime.js');
      const { connectWorker, createWorker } = await import('../../workers/worker.js');
      const { printResult } = await import('../output.js');
      const loaded = await loadProject(options.project);
      const runDirectory = path.join(loaded.directory, '.floe', 'dev');
      await mkdir(runDirectory, { recursive: true });
      installWorkerLogger();
      if (!options.json) console.log('Starting a Temporal dev server (a first run may build the Temporal CLI, which takes minutes)…');
      const temporal = await startTemporal(runDirectory);
      const address = temporal.env.FLOE_TEST_TEMPORAL_ADDRESS!;
      const uiUrl = temporal.env.FLOE_TEST_TEMPORAL_UI_URL!;
      // The worker and the commands the user runs next talk to this server, not floe.yaml's.
      const project: Project = { ...loaded, config: { ...loaded.config, temporal: { ...loaded.config.temporal, address } } };
      const runtime = await createRuntime(project);
      const connection = await connectWorker(address);
      const server = options.serve ? createFeatureServer({ maxEntityRows: project.config.server.maxEntityRows, store: new OnlineStore({ registry: project.registry, catalog: runtime.catalog, engine: runtime.engine }) }) : undefined;
      let running: Promise<void> | undefined;
      let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
      try {
        worker = await createWorker(runtime, { connection });
        running = worker.run();
        const featureServer = server ? await server.listen({ host: '127.0.0.1', port }) : null;
        const { namespace, taskQueue } = project.config.temporal;
        const ready = { temporalAddress: address, temporalUi: `${uiUrl}/namespaces/${namespace}/workflows`, taskQueue, featureServer, project: project.config.project };
        printResult(ready, options, () =>
          [
            `Floe dev for project ${ready.project}:`,
            `  Temporal      ${address} (namespace ${namespace}, task queue ${taskQueue})`,
            `  Web UI        ${ready.temporalUi}`,
            `  Feature server ${featureServer ?? '(off)'}`,
            '',
            `In another terminal: FLOE_TEMPORAL_ADDRESS=${address} floe materialize <view> --start … --end …`,
            'Ctrl-C stops everything.',
          ].join('\n'),
        );
        await Promise.race([untilInterrupted(), running]);
      } finally {
        worker?.shutdown();
        await running?.catch(() => undefined);
        await server?.close();
        await connection.close();
        await runtime.close();
        for (const managed of temporal.processes) await managed.stop();
      }
    });
}

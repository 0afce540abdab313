import type { Command } from 'commander';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

export function workerCommand(program: Command, redactor: Redactor): void {
  program
    .command('worker')
    .description("Run a Temporal worker for the project's workflows and activities until interrupted")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--metrics-port <port>', "serve Prometheus metrics on this port (overrides floe.yaml's worker.metricsPort)")
    .action(async (options: { project: string; metricsPort?: string }) => {
      const { integer } = await import('./serve.js');
      const metricsPort = options.metricsPort === undefined ? undefined : integer(options.metricsPort, '--metrics-port', 1, 65_535);
      const { loadProject } = await import('../../features/project.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { runWorker } = await import('../../workers/run.js');
      const { connectClient } = await import('../temporal-client.js');
      // Reach the server first: an unreachable one is reported, with its address, within seconds.
      const client = await connectClient(project.config);
      await client.connection.close();
      await runWorker(project, defined({ metricsPort }));
    });
}

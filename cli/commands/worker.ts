import type { Command } from 'commander';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description("Run a Temporal worker for the project's workflows and activities until interrupted")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .action(async (options: { project: string }) => {
      const { loadProject } = await import('../../features/project.js');
      const { runWorker } = await import('../../workers/run.js');
      const { connectClient } = await import('../temporal-client.js');
      const project = await loadProject(options.project);
      // Reach the server first: an unreachable one is reported, with its address, within seconds.
      const client = await connectClient(project.config);
      await client.connection.close();
      await runWorker(project);
    });
}

import type { Command } from 'commander';
import { loadProject } from '../../features/project.js';
import { runWorker } from '../../workers/run.js';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description("Run a Temporal worker for the project's workflows and activities until interrupted")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .action(async (options: { project: string }) => {
      await runWorker(await loadProject(options.project));
    });
}

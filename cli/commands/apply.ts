import type { Command } from 'commander';
import { describePlan } from './plan.js';
import type { Redactor } from '../../core/redaction.js';

export function applyCommand(program: Command, redactor: Redactor): void {
  program
    .command('apply')
    .description('Store the definitions as the next registry version and create or evolve the online tables')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (options: { project: string; json?: boolean }) => {
      const { loadProject } = await import('../../features/project.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { applyDefinitions } = await import('../../features/registry-store/apply.js');
      const { openProjectCatalog } = await import('../../features/project-catalog.js');
      const catalog = await openProjectCatalog(project);
      try {
        const result = await applyDefinitions({ config: project.config, registry: project.registry, catalog });
        printResult(
          redactor,
          result,
          options,
          () => describePlan(result) + (result.written ? `\nWrote ${result.written}` : '\nNothing to apply'),
        );
      } finally {
        await catalog.close();
      }
    });
}

import type { Command } from 'commander';
import type { MaterializeInput, MaterializeResult } from '../../workflows/materialize.js';

export function materializeCommand(program: Command): void {
  program
    .command('materialize')
    .description('Materialize a window [start, end) of a feature view into its online table, as a Temporal workflow')
    .argument('<feature-view>', 'the feature view to materialize')
    .requiredOption('--start <instant>', 'window start, ISO-8601 (inclusive)')
    .requiredOption('--end <instant>', "window end, ISO-8601 (exclusive); at most now − the view's delay")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--workflow-id <id>', 'run under this workflow id (default: derived from view and window, so a rerun of the same window commits nothing twice)')
    .option('--no-wait', 'start the workflow and return its id without waiting for the result')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string, options: { start: string; end: string; project: string; workflowId?: string; wait: boolean; json?: boolean }) => {
      const { loadProject } = await import('../../features/project.js');
      const { materializeWorkflowId } = await import('../../workflows/ids.js');
      const { checkWindowEnded, checkWindowOrder, instant } = await import('../arguments.js');
      const { describeMaterializeResult } = await import('../materialize-result.js');
      const { printResult } = await import('../output.js');
      const { connectClient } = await import('../temporal-client.js');
      const project = await loadProject(options.project);
      const view = project.registry.featureView(featureView);
      const window = { start: instant(options.start, '--start'), end: instant(options.end, '--end') };
      checkWindowOrder(window.start, window.end);
      checkWindowEnded(view, window.end, new Date());
      const input: MaterializeInput = { featureView, ...window };
      const client = await connectClient(project.config);
      try {
        const handle = await client.workflow.start('materialize', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId: options.workflowId ?? materializeWorkflowId(featureView, window.start, window.end),
          args: [input],
        });
        if (!options.wait) {
          printResult({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, options, () => `Started workflow ${handle.workflowId}`);
          return;
        }
        const result: MaterializeResult = await handle.result();
        printResult(result, options, () => describeMaterializeResult(result));
      } finally {
        await client.connection.close();
      }
    });
}

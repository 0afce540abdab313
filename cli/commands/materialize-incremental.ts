import type { Command } from 'commander';
import { FloeError } from '../../iceberg/errors.js';
import type { MaterializeInput, MaterializeResult } from '../../workflows/materialize.js';

export function materializeIncrementalCommand(program: Command): void {
  program
    .command('materialize-incremental')
    .description("Materialize a feature view from its watermark (where the last committed window ended) up to --end, as a Temporal workflow")
    .argument('<feature-view>', 'the feature view to materialize')
    .option('--end <instant>', "window end, ISO-8601 (exclusive); default and at most: now − the view's delay")
    .option('--lookback <duration>', 'window length when the view has no watermark yet, e.g. 1d or 6h')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string, options: { end?: string; lookback?: string; project: string; json?: boolean }) => {
      const { loadProject } = await import('../../features/project.js');
      const { latestWindowEnd } = await import('../../features/time-bounds.js');
      const { incrementalWorkflowId } = await import('../../workflows/ids.js');
      const { parseDurationSeconds } = await import('../../workflows/windows.js');
      const { checkWindowEnded, instant } = await import('../arguments.js');
      const { describeMaterializeResult } = await import('../materialize-result.js');
      const { printResult } = await import('../output.js');
      const { connectClient } = await import('../temporal-client.js');
      const project = await loadProject(options.project);
      const view = project.registry.featureView(featureView);
      const now = new Date();
      const end = options.end === undefined ? latestWindowEnd(view, now).toISOString() : instant(options.end, '--end');
      checkWindowEnded(view, end, now);
      const lookbackSeconds = options.lookback === undefined ? undefined : parseDurationSeconds(options.lookback);
      if (options.lookback !== undefined && lookbackSeconds === undefined) {
        throw new FloeError('invalid-input', `--lookback ${JSON.stringify(options.lookback)} is not a duration such as 1d, 6h or PT30M`, { context: { field: '--lookback' } });
      }
      const input: MaterializeInput = { featureView, end, ...(lookbackSeconds === undefined ? {} : { lookbackSeconds }) };
      const client = await connectClient(project.config);
      try {
        const result: MaterializeResult = await client.workflow.execute('materialize', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId: incrementalWorkflowId(featureView, end),
          args: [input],
        });
        printResult(result, options, () => describeMaterializeResult(result));
      } finally {
        await client.connection.close();
      }
    });
}

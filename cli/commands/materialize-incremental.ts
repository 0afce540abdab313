import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import type { MaterializeInput, MaterializeResult } from '../../contracts/materialize.js';
import type { materialize } from '../../workflows/materialize.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

export function materializeIncrementalCommand(program: Command, redactor: Redactor): void {
  program
    .command('materialize-incremental')
    .description(
      'Materialize a feature view (or every view with an online table) from its watermark (where the last committed window ended) up to --end, as a Temporal workflow',
    )
    .argument(
      '[feature-view]',
      'the feature view to materialize (default: every view with online.enabled, as feast materialize-incremental does)',
    )
    .option('--end <instant>', "window end, ISO-8601 (exclusive); default and at most: now − the view's delay")
    .option('--lookback <duration>', 'window length when the view has no watermark yet, e.g. 1d or 6h')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string | undefined, options: { end?: string; lookback?: string; project: string; json?: boolean }) => {
      const { loadProject } = await import('../../features/project.js');
      const { latestWindowEnd } = await import('../../features/time-bounds.js');
      const { incrementalWorkflowId } = await import('../../contracts/ids.js');
      const { parseDurationSeconds } = await import('../../contracts/windows.js');
      const { checkWindowEnded, instant } = await import('../arguments.js');
      const { describeMaterializeResult, printedMaterializeResult } = await import('../materialize-result.js');
      const { printResult } = await import('../output.js');
      const { printAllResults, viewsToMaterialize } = await import('../materialize-views.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { connectClient } = await import('../temporal-client.js');
      const views = viewsToMaterialize(project.registry, featureView);
      const now = new Date();
      const given = options.end === undefined ? undefined : instant(options.end, '--end');
      // Each view ends at its own now − delay unless --end says where.
      const ends = views.map((view) => given ?? latestWindowEnd(view, now).toISOString());
      views.forEach((view, index) => checkWindowEnded(view, ends[index]!, now));
      const lookbackSeconds = options.lookback === undefined ? undefined : parseDurationSeconds(options.lookback);
      if (options.lookback !== undefined && lookbackSeconds === undefined) {
        throw new FloeError('invalid-input', `--lookback ${JSON.stringify(options.lookback)} is not a duration such as 1d, 6h or PT30M`, {
          context: { field: '--lookback' },
        });
      }
      const client = await connectClient(project.config);
      try {
        const runs = views.map((view, index) => {
          const input: MaterializeInput = {
            featureView: view.name,
            end: ends[index]!,
            ...defined({ lookbackSeconds }),
          };
          return client.workflow.execute<typeof materialize>('materialize', {
            taskQueue: project.config.temporal.taskQueue,
            workflowId: incrementalWorkflowId(view.name, input.end!),
            args: [input],
          }) as Promise<MaterializeResult>;
        });
        await printAllResults(
          runs.map((run) => run.then(printedMaterializeResult)),
          featureView !== undefined,
          (shown, human) => printResult(redactor, shown, options, human),
          describeMaterializeResult,
        );
      } finally {
        await client.connection.close();
      }
    });
}

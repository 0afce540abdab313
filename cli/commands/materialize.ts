import type { Command } from 'commander';
import { AGAIN_HELP, runWorkflowId } from '../again-option.js';
import { FloeError } from '../../core/errors.js';
import type { MaterializeInput, MaterializeResult } from '../../contracts/materialize.js';
import type { materialize } from '../../workflows/materialize.js';
import type { Redactor } from '../../core/redaction.js';

export function materializeCommand(program: Command, redactor: Redactor): void {
  program
    .command('materialize')
    .description(
      'Materialize a window [start, end) of a feature view (or of every view with an online table) into its online table, as a Temporal workflow',
    )
    .argument('[feature-view]', 'the feature view to materialize (default: every view with online.enabled, as feast materialize does)')
    .requiredOption('--start <instant>', 'window start, ISO-8601 (inclusive)')
    .requiredOption('--end <instant>', "window end, ISO-8601 (exclusive); at most now − the view's delay")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option(
      '--workflow-id <id>',
      'run under this workflow id (default: derived from view and window, so a rerun of the same window commits nothing twice)',
    )
    .option('--again', AGAIN_HELP)
    .option('--no-wait', 'start the workflow and return its id without waiting for the result')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        featureView: string | undefined,
        options: { start: string; end: string; project: string; workflowId?: string; again?: boolean; wait: boolean; json?: boolean },
      ) => {
        const { loadProject } = await import('../../features/project.js');
        const { materializeWorkflowId } = await import('../../contracts/ids.js');
        const { checkWindowEnded, checkWindowOrder, instant } = await import('../arguments.js');
        const { describeMaterializeResult, printedMaterializeResult } = await import('../materialize-result.js');
        const { printResult } = await import('../output.js');
        const { EXIT_INTERRUPTED, detachedMessage, unlessInterrupted, workflowWhereabouts } = await import('../follow.js');
        const { printAllResults, viewsToMaterialize } = await import('../materialize-views.js');
        const project = await loadProject(options.project, process.env, { redactor });
        const { connectClient, startOrFollow } = await import('../temporal-client.js');
        if (featureView === undefined && options.workflowId !== undefined) {
          throw new FloeError('invalid-input', '--workflow-id names one run: give the feature view it materializes', {
            context: { field: '--workflow-id' },
          });
        }
        const views = viewsToMaterialize(project.registry, featureView);
        const window = { start: instant(options.start, '--start'), end: instant(options.end, '--end') };
        checkWindowOrder(window.start, window.end);
        const now = new Date();
        for (const view of views) checkWindowEnded(view, window.end, now);
        const client = await connectClient(project.config);
        try {
          const starts = views.map((view) => {
            const input: MaterializeInput = { featureView: view.name, ...window };
            return {
              taskQueue: project.config.temporal.taskQueue,
              workflowId: runWorkflowId(options, materializeWorkflowId(view.name, window.start, window.end), now),
              args: [input] as [MaterializeInput],
            };
          });
          if (!options.wait) {
            const started: { workflowId: string; runId: string }[] = [];
            for (const start of starts) {
              const handle = await client.workflow.start<typeof materialize>('materialize', start);
              started.push({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
            }
            printResult(redactor, featureView === undefined ? started : started[0], options, () =>
              started.map((run) => `Started workflow ${run.workflowId}`).join('\n'),
            );
            return;
          }
          // Ctrl-C stops waiting, not the workflows: they say where they go on. Listening starts before the
          // first start request, so no moment of the command is left to Node's default (death by SIGINT).
          const runs: Promise<MaterializeResult>[] = [];
          const startedThenRan = async (): Promise<unknown> => {
            // A run already going under the id is followed: the command line Ctrl-C prints comes back to it.
            for (const start of starts) {
              const { handle, alreadyRunning } = await startOrFollow<typeof materialize>(client, 'materialize', start);
              if (alreadyRunning && !options.json)
                console.error(
                  `A materialize ${handle.workflowId} is already running; waiting for it (Ctrl-C stops waiting, not the workflow)`,
                );
              runs.push(handle.result());
            }
            return Promise.allSettled(runs);
          };
          if ((await unlessInterrupted(startedThenRan())).detached) {
            const workflowIds = starts.map((start) => start.workflowId);
            console.error(detachedMessage('materialize', workflowIds, await workflowWhereabouts(project)));
            process.exitCode = EXIT_INTERRUPTED;
            return;
          }
          await printAllResults(
            runs.map((run) => run.then(printedMaterializeResult)),
            featureView !== undefined,
            (shown, human) => printResult(redactor, shown, options, human),
            describeMaterializeResult,
          );
        } finally {
          await client.connection.close();
        }
      },
    );
}

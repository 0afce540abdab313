import type { Command } from 'commander';
import { AGAIN_HELP, runWorkflowId } from '../again-option.js';
import type { BackfillInput, BackfillProgress, BackfillResult } from '../../contracts/backfill.js';
import type { backfill } from '../../workflows/backfill.js';
import type { ProgressView } from '../follow.js';
import type { Redactor } from '../../core/redaction.js';

/** At most this many chunks per backfill unless `--max-chunks` says otherwise. */
export const DEFAULT_MAX_CHUNKS = 100_000;

interface BackfillOptions {
  start: string;
  end: string;
  chunk: string;
  parallelism: string;
  windowsPerActivity?: string;
  maxChunks: string;
  project: string;
  workflowId?: string;
  again?: boolean;
  wait: boolean;
  json?: boolean;
}

export function backfillCommand(program: Command, redactor: Redactor): void {
  program
    .command('backfill')
    .description('Materialize feature views over a past range, chunk by chunk, as a durable Temporal workflow with a progress bar')
    .argument('<feature-views...>', 'the feature views to backfill')
    .requiredOption('--start <instant>', 'range start, ISO-8601 (inclusive)')
    .requiredOption('--end <instant>', "range end, ISO-8601 (exclusive); at most now − each view's delay")
    .option('--chunk <duration>', 'chunk length: 1d, 6h, PT30M…', '1d')
    .option('--parallelism <n>', 'chunks materialized at once', '2')
    .option('--windows-per-activity <n>', 'run up to n chunks in one activity instead of a child workflow per chunk (for small chunks)')
    .option('--max-chunks <n>', 'refuse a backfill of more chunks than this (views × chunk windows)', String(DEFAULT_MAX_CHUNKS))
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option(
      '--workflow-id <id>',
      'run under this workflow id (default: derived from views, range and chunk, so running the same backfill again resumes it)',
    )
    .option('--again', AGAIN_HELP)
    .option('--no-wait', 'start the backfill and return its workflow id')
    .option('--json', 'print the result as JSON (and no progress bar)')
    .action(async (featureViews: string[], options: BackfillOptions) => {
      const { loadProject } = await import('../../features/project.js');
      const { backfillWorkflowId } = await import('../../contracts/ids.js');
      const { EXIT_INTERRUPTED, followWorkflow, workflowWhereabouts } = await import('../follow.js');
      const { printResult } = await import('../output.js');
      const { atMost, checkChunkCount, checkWindowEnded, checkWindowOrder, instant, positiveInteger } = await import('../arguments.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { connectClient, startOrFollow } = await import('../temporal-client.js');
      const views = featureViews.map((view) => project.registry.featureView(view));
      const window = { start: instant(options.start, '--start'), end: instant(options.end, '--end') };
      checkWindowOrder(window.start, window.end);
      const parallelism = positiveInteger(options.parallelism, '--parallelism');
      checkChunkCount(window, options.chunk, featureViews.length, positiveInteger(options.maxChunks, '--max-chunks'));
      const now = new Date();
      for (const view of views) checkWindowEnded(view, window.end, now);
      const batching =
        options.windowsPerActivity === undefined
          ? {}
          : {
              windowsPerActivity: atMost(
                positiveInteger(options.windowsPerActivity, '--windows-per-activity'),
                1000,
                '--windows-per-activity',
              ),
            };
      const input: BackfillInput = { featureViews, ...window, chunk: options.chunk, parallelism, ...batching };
      const workflowId = runWorkflowId(options, backfillWorkflowId(featureViews, input.start, input.end, options.chunk), now);
      const client = await connectClient(project.config);
      try {
        const { handle } = await startOrFollow<typeof backfill>(client, 'backfill', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId,
          args: [input],
        });
        if (!options.wait) {
          printResult(redactor, { workflowId }, options, () => `Started backfill ${workflowId}`);
          return;
        }
        const followed = await followWorkflow<BackfillResult, BackfillProgress>(handle, {
          what: 'backfill',
          showProgress: !options.json,
          barFormat: 'backfill |{bar}| {count} | {rows} rows | {detail}',
          initialFields: { rows: 0, detail: 'starting' },
          view: progressView,
          where: await workflowWhereabouts(project),
        });
        if (followed.detached) {
          process.exitCode = EXIT_INTERRUPTED;
          return;
        }
        const { printedInstant } = await import('../../contracts/instants.js');
        const result = { ...followed.result, start: printedInstant(followed.result.start), end: printedInstant(followed.result.end) };
        printResult(
          redactor,
          result,
          options,
          () =>
            `Backfilled ${result.featureViews.join(', ')} over [${result.start}, ${result.end}): ${result.chunks} chunk(s), ${result.rows} entity row(s), ${result.runs} run(s) of workflow ${workflowId}`,
        );
      } finally {
        await client.connection.close();
      }
    });
}

function progressView(progress: BackfillProgress): ProgressView {
  const shown = detail(progress);
  return {
    total: progress.chunksTotal,
    done: progress.chunksDone,
    fields: { rows: progress.rows, detail: shown },
    line: `${progress.rows} rows, ${shown}`,
  };
}

function detail(progress: BackfillProgress): string {
  if (progress.paused) return 'paused';
  const current = progress.current[0];
  return current
    ? `${current.featureView} ${current.start.slice(0, 16)}…${progress.current.length > 1 ? ` (+${progress.current.length - 1})` : ''}`
    : progress.state;
}

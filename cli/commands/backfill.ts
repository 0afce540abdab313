import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadProject } from '../../features/project.js';
import { FloeError } from '../../iceberg/errors.js';
import type { backfill, BackfillInput, BackfillProgress, BackfillResult } from '../../workflows/backfill.js';
import { backfillWorkflowId } from '../../workflows/ids.js';
import { parseDurationSeconds } from '../../workflows/windows.js';
import { printResult } from '../output.js';
import { connectClient } from '../temporal-client.js';
import { instant } from './materialize.js';

interface BackfillOptions {
  start: string;
  end: string;
  chunk: string;
  parallelism: string;
  project: string;
  workflowId?: string;
  wait: boolean;
  json?: boolean;
}

export function backfillCommand(program: Command): void {
  program
    .command('backfill')
    .description('Materialize feature views over a past range, chunk by chunk, as a durable Temporal workflow with a progress bar')
    .argument('<feature-views...>', 'the feature views to backfill')
    .requiredOption('--start <instant>', 'range start, ISO-8601 (inclusive)')
    .requiredOption('--end <instant>', 'range end, ISO-8601 (exclusive)')
    .option('--chunk <duration>', 'chunk length: 1d, 6h, PT30M…', '1d')
    .option('--parallelism <n>', 'chunks materialized at once', '2')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--workflow-id <id>', 'run under this workflow id (default: derived from views, range and chunk, so running the same backfill again resumes it)')
    .option('--no-wait', 'start the backfill and return its workflow id')
    .option('--json', 'print the result as JSON (and no progress bar)')
    .action(async (featureViews: string[], options: BackfillOptions) => {
      const project = await loadProject(options.project);
      for (const view of featureViews) project.registry.featureView(view);
      if (parseDurationSeconds(options.chunk) === undefined) throw new FloeError('invalid-input', `--chunk ${JSON.stringify(options.chunk)} is not a duration such as 1d, 6h or PT30M`, { context: { field: '--chunk' } });
      const parallelism = Number(options.parallelism);
      if (!Number.isInteger(parallelism) || parallelism < 1) throw new FloeError('invalid-input', `--parallelism must be a positive integer, got ${options.parallelism}`, { context: { field: '--parallelism' } });
      const input: BackfillInput = { featureViews, start: instant(options.start, '--start'), end: instant(options.end, '--end'), chunk: options.chunk, parallelism };
      const workflowId = options.workflowId ?? backfillWorkflowId(featureViews, input.start, input.end, options.chunk);
      const client = await connectClient(project.config);
      try {
        let handle: WorkflowHandle<typeof backfill>;
        try {
          handle = await client.workflow.start<typeof backfill>('backfill', { taskQueue: project.config.temporal.taskQueue, workflowId, args: [input] });
        } catch (error) {
          // Already running under this id: follow that run instead of starting another.
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
          handle = client.workflow.getHandle<typeof backfill>(workflowId);
        }
        if (!options.wait) {
          printResult({ workflowId }, options, () => `Started backfill ${workflowId}`);
          return;
        }
        const result = await followWithProgress(handle, !options.json && process.stderr.isTTY === true);
        printResult(result, options, () => `Backfilled ${result.featureViews.join(', ')} over [${result.start}, ${result.end}): ${result.chunks} chunk(s), ${result.rows} entity row(s), ${result.runs} run(s) of workflow ${workflowId}`);
      } finally {
        await client.connection.close();
      }
    });
}

/** Waits for the result while a progress bar (on a terminal) shows what the `progress` query says. */
async function followWithProgress(handle: WorkflowHandle<typeof backfill>, showBar: boolean): Promise<BackfillResult> {
  const result = handle.result();
  if (!showBar) return result;
  const bar = new cliProgress.SingleBar(
    { format: 'backfill |{bar}| {value}/{total} chunks | {rows} rows | {detail}', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  bar.start(1, 0, { rows: 0, detail: 'starting' });
  try {
    while (!finished) {
      const progress = await handle.query<BackfillProgress>('progress').catch(() => undefined);
      if (progress) {
        bar.setTotal(progress.chunksTotal);
        bar.update(progress.chunksDone, { rows: progress.rows, detail: detail(progress) });
      }
      await Promise.race([sleep(1_000), result.catch(() => undefined)]);
    }
    return await result;
  } finally {
    bar.stop();
  }
}

function detail(progress: BackfillProgress): string {
  if (progress.paused) return 'paused';
  const current = progress.current[0];
  return current ? `${current.featureView} ${current.start.slice(0, 16)}…${progress.current.length > 1 ? ` (+${progress.current.length - 1})` : ''}` : progress.state;
}

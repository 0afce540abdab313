import type { Command } from 'commander';
import type { CompactOptions, CompactResult, CompactTarget } from '../../contracts/compact.js';
import type { compact } from '../../workflows/compact.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

interface CompactCommandOptions {
  table?: string;
  minFiles?: string;
  retention?: string;
  retainLast?: string;
  skipCleanup?: boolean;
  force?: boolean;
  project: string;
  workflowId?: string;
  wait: boolean;
  json?: boolean;
}

export function compactCommand(program: Command, redactor: Redactor): void {
  program
    .command('compact')
    .description(
      "Compact a feature view's online table (or, with --table, any table's merge-on-read deletes), expire old snapshots and remove orphan files, as a Temporal workflow",
    )
    .argument('[feature-view]', 'the feature view whose online table to compact')
    .option('--table <namespace.table>', 'compact this table instead (a source table: its deletes are folded into its data files)')
    .option('--min-files <n>', 'rewrite partitions with more than this many data files (source tables: small ones) (default 8)')
    .option('--retention <duration>', 'keep snapshots and unreferenced files younger than this, e.g. 72h or 3d (default 3 days)')
    .option('--retain-last <n>', "keep at least this many snapshots (default the table's history.expire.min-snapshots-to-keep)")
    .option('--skip-cleanup', 'rewrite only: no snapshot expiry, no orphan removal')
    .option('--force', 'accept a --retention under 1d: only when nothing writes the table meanwhile')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option(
      '--workflow-id <id>',
      'run under this workflow id (default: one per view or table, so a second start joins the running compaction)',
    )
    .option('--no-wait', 'start the workflow and return its id without waiting for the result')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string | undefined, options: CompactCommandOptions) => {
      const { describeKeptGroups } = await import('../../features/compaction/index.js');
      const { loadProject } = await import('../../features/project.js');
      const { parseTableIdentifier } = await import('../../iceberg/catalog/identifier.js');
      const { compactWorkflowId } = await import('../../contracts/ids.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { connectClient, startOrFollow } = await import('../temporal-client.js');
      const { viewOrTable } = await import('../arguments.js');
      const target: CompactTarget = viewOrTable('compact', featureView, options.table);
      if ('featureView' in target) project.registry.featureView(target.featureView);
      else parseTableIdentifier(target.table);
      const compactOptions = await optionsOf(options);
      const workflowId = options.workflowId ?? compactWorkflowId(target);
      const client = await connectClient(project.config);
      try {
        const { handle, alreadyRunning } = await startOrFollow<typeof compact>(client, 'compact', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId,
          args: [target, compactOptions],
        });
        if (alreadyRunning && !options.json) console.error(`A compaction ${workflowId} is already running; waiting for it`);
        if (!options.wait) {
          printResult(redactor, { workflowId: handle.workflowId }, options, () => `Started workflow ${handle.workflowId}`);
          return;
        }
        const result = (await handle.result()) as CompactResult;
        const { kept: planned, ...summary } = result;
        const kept = result.snapshotId === null ? planned : undefined;
        const reason = kept === undefined ? undefined : describeKeptGroups(kept);
        printResult(redactor, kept === undefined ? summary : { ...summary, nothingRewritten: { ...kept, reason } }, options, () =>
          describe(result, reason),
        );
      } finally {
        await client.connection.close();
      }
    });
}

async function optionsOf(options: CompactCommandOptions): Promise<CompactOptions> {
  const { checkInFlightAge, durationSeconds, integerAtLeast } = await import('../arguments.js');
  const minFiles = integerAtLeast(options.minFiles, '--min-files', 0);
  const retainLast = integerAtLeast(options.retainLast, '--retain-last', 1);
  let retentionSeconds: number | undefined;
  if (options.retention !== undefined) {
    retentionSeconds = durationSeconds(options.retention, '--retention');
    const removes = 'compaction removes the unreferenced files older than its retention, and ';
    if (!options.skipCleanup) checkInFlightAge(retentionSeconds, options.retention, '--retention', options.force, removes);
  }
  return {
    ...defined({ minFiles, retainLast, retentionSeconds }),
    ...(options.skipCleanup ? { skipCleanup: true } : {}),
  };
}

/** `keptReason`: why nothing was rewritten, when nothing was (describeKeptGroups). */
function describe(result: CompactResult, keptReason: string | undefined): string {
  const what = result.featureView === null ? `table ${result.table}` : `${result.featureView} (${result.table})`;
  const rewrite =
    result.snapshotId === null
      ? `  nothing to rewrite${keptReason === undefined ? '' : `: ${keptReason}`}`
      : `  ${result.partitionsRewritten} ${result.kind === 'online' ? 'partition(s)' : 'data file(s) with deletes'} rewritten: ${result.rowsBefore} row(s) → ${result.rowsAfter}; data files ${result.dataFilesBefore} → ${result.dataFilesAfter}, ${result.deleteFilesRemoved} delete file(s) dropped` +
        (result.alreadyCommitted ? `; already committed as snapshot ${result.snapshotId}` : `; committed snapshot ${result.snapshotId}`);
  return [
    `Compacted ${what}`,
    rewrite,
    `  ${result.snapshotsExpired} snapshot(s) expired (${result.expiredFilesDeleted} file(s) deleted), ${result.orphansRemoved} orphan file(s) removed`,
  ].join('\n');
}

import type { Command } from 'commander';
import type { ConsistencyInput, ConsistencyResult } from '../../contracts/consistency.js';
import type { Project } from '../../features/project.js';
import type { consistency } from '../../workflows/consistency.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

interface ConsistencyCommandOptions {
  sample?: string;
  seed?: string;
  examples?: string;
  reportTable?: string;
  local?: boolean;
  project: string;
  workflowId?: string;
  json?: boolean;
}

/** Exit code when the check found mismatches: the command worked, and what it measured is a bug to look at. */
const EXIT_MISMATCHES = 1;

export function consistencyCommand(program: Command, redactor: Redactor): void {
  program
    .command('consistency')
    .description(
      "Check that a feature view's online values equal the offline (training) values at the instant they are exact for: sample entities, compare per feature, append the report to an Iceberg table. Runs the consistency workflow on Temporal and follows it (or, with --local, in this process). Exits 0 when nothing differs, 1 when some value does",
    )
    .argument('<feature-view>', 'the feature view to check')
    .option('--sample <n>', 'entities to sample from the online table (default 1000)')
    .option('--seed <n>', 'chooses the sample: the same seed and table give the same entities (default 0)')
    .option('--examples <n>', 'mismatching entities to name per feature (default 10)')
    .option('--report-table <namespace.table>', "append the report here instead of floe.yaml's monitoring.consistencyTable")
    .option('--local', 'run the check in this process instead of as a Temporal workflow')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--workflow-id <id>', 'run under this workflow id (default consistency-<view>, so a second start follows the running check)')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string, options: ConsistencyCommandOptions) => {
      const { loadProject } = await import('../../features/project.js');
      const { printResult } = await import('../output.js');
      const { integerAtLeast } = await import('../arguments.js');
      const project = await loadProject(options.project, process.env, { redactor });
      project.registry.featureView(featureView);
      const input: ConsistencyInput = {
        featureView,
        seed: integerAtLeast(options.seed, '--seed', 0) ?? 0,
        ...defined({ sample: integerAtLeast(options.sample, '--sample', 1), examples: integerAtLeast(options.examples, '--examples', 1) }),
        reportTable: options.reportTable ?? project.config.monitoring.consistencyTable,
      };
      const result = options.local ? await runLocally(project, input) : await runWorkflow(project, input, options);
      printResult(redactor, result, options, () => describe(result));
      if (result.mismatches > 0) process.exitCode = EXIT_MISMATCHES;
    });
}

async function runLocally(project: Project, input: ConsistencyInput): Promise<ConsistencyResult> {
  const { appendConsistencyReport, checkConsistency } = await import('../../features/consistency/index.js');
  const { openRuntime } = await import('../../features/runtime.js');
  const runtime = await openRuntime(project);
  try {
    const report = await checkConsistency(runtime, input.featureView, {
      ...defined({ seed: input.seed, sample: input.sample, examples: input.examples }),
    });
    const appended = await appendConsistencyReport(runtime, input.reportTable!, report);
    return { ...report, reportTable: appended.table, reportSnapshotId: appended.snapshotId };
  } finally {
    await runtime.close();
  }
}

async function runWorkflow(project: Project, input: ConsistencyInput, options: ConsistencyCommandOptions): Promise<ConsistencyResult> {
  const { consistencyWorkflowId } = await import('../../contracts/ids.js');
  const { connectClient, startOrFollow } = await import('../temporal-client.js');
  const workflowId = options.workflowId ?? consistencyWorkflowId(input.featureView);
  const client = await connectClient(project.config);
  try {
    const { handle, alreadyRunning } = await startOrFollow<typeof consistency>(client, 'consistency', {
      taskQueue: project.config.temporal.taskQueue,
      workflowId,
      args: [input],
    });
    if (alreadyRunning && !options.json) console.error(`A consistency check ${workflowId} is already running; waiting for it`);
    return (await handle.result()) as ConsistencyResult;
  } finally {
    await client.connection.close();
  }
}

function describe(result: ConsistencyResult): string {
  const lines = [
    `${result.featureView}: ${result.mismatches === 0 ? 'online and offline agree' : `${result.mismatches} mismatching value(s)`} for ${result.sampled} of ${result.population} entities (seed ${result.seed}), exact as of ${result.exactAsOf}`,
  ];
  for (const feature of result.features) {
    lines.push(`  ${feature.feature}: ${feature.mismatches} mismatch(es), rate ${feature.mismatchRate}`);
    for (const example of feature.examples) lines.push(`    ${example.entity}: online ${example.online}, offline ${example.offline}`);
  }
  lines.push(
    `  report appended to ${result.reportTable}${result.reportSnapshotId === null ? '' : ` (snapshot ${result.reportSnapshotId})`}`,
  );
  return lines.join('\n');
}

import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { VIEW_SCHEDULES } from '../../contracts/ids.js';
import type { ViewSchedule } from '../../contracts/ids.js';
import { FloeError } from '../../core/errors.js';
import type { Redactor } from '../../core/redaction.js';

interface CommonOptions {
  project: string;
  json?: boolean;
}

export function scheduleCommand(program: Command, redactor: Redactor): void {
  const schedule = program
    .command('schedule')
    .description('Temporal Schedules that materialize feature views (one per view with a `schedule` section, id floe-materialize-<view>)');

  schedule
    .command('apply')
    .description("Create or update every schedule the feature views and sources define; a schedule's paused state is kept")
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (options: CommonOptions) => {
      const { loadProject } = await import('../../features/project.js');
      const { schedulePlans } = await import('../../client/schedule-plan.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { applySchedules } = await import('../../client/schedules.js');
      const plans = schedulePlans(project.registry, { taskQueue: project.config.temporal.taskQueue });
      if (plans.length === 0)
        throw new FloeError(
          'invalid-input',
          'No feature view in this project defines a schedule; add `schedule: { every: { hours: 1 } }` to one',
          { context: { project: project.config.project } },
        );
      await withClient(options.project, redactor, async (client) => {
        const applied = await applySchedules(client, plans);
        printResult(redactor, applied, options, () => applied.map((one) => `${one.outcome} ${one.scheduleId}`).join('\n'));
      });
    });

  schedule
    .command('list')
    .description('List Floe materialize schedules with their state, next and recent runs')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (options: CommonOptions) => {
      const { listSchedules } = await import('../../client/schedules.js');
      const { printResult } = await import('../output.js');
      await withClient(options.project, redactor, async (client) => {
        const schedules = await listSchedules(client);
        printResult(redactor, schedules, options, () =>
          schedules.length === 0
            ? 'No Floe schedules; run `floe schedule apply`'
            : schedules
                .map((one) =>
                  [
                    `${one.scheduleId}  ${one.paused ? 'PAUSED' : 'active'}  ${one.spec}`,
                    `  next: ${one.nextRuns.join(', ') || '(none)'}`,
                    one.recentRuns.length === 0 ? '  recent runs: (none yet)' : '  recent runs:',
                    ...one.recentRuns.map((run) => `    ${run.scheduledAt}  ${run.status.padEnd(10)}  ${run.workflowId}`),
                    ...(one.note ? [`  note: ${one.note}`] : []),
                  ].join('\n'),
                )
                .join('\n'),
        );
      });
    });

  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedule
      .command(name)
      .description(
        paused
          ? "Pause a feature view's schedule (or with --source, a source's compaction schedule): no run starts until it is resumed"
          : "Resume a paused schedule: the next run starts at the view's watermark, so nothing is skipped",
      )
      .argument('[feature-view]', 'the feature view')
      .option('--schedule <which>', `which of the view's schedules: ${VIEW_SCHEDULES.join(', ')} (default: materialize)`)
      .option('--source <name>', "a source's compaction schedule instead of a view's schedule")
      .option('--note <text>', 'why, shown in the Temporal UI')
      .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
      .option('--json', 'print the result as JSON')
      .action(async (featureView: string | undefined, options: CommonOptions & { note?: string; source?: string; schedule?: string }) => {
        const { loadProject } = await import('../../features/project.js');
        const { printResult } = await import('../output.js');
        const project = await loadProject(options.project, process.env, { redactor });
        const { setSchedulePaused } = await import('../../client/schedules.js');
        const subject = pausedSubject(featureView, options);
        if ('featureView' in subject) project.registry.featureView(subject.featureView);
        else project.registry.source(subject.source);
        const name =
          'featureView' in subject
            ? `the ${subject.schedule} schedule of ${subject.featureView}`
            : `the compaction schedule of source ${subject.source}`;
        await withClient(options.project, redactor, async (client) => {
          await setSchedulePaused(client, subject, paused, options.note);
          printResult(redactor, { ...subject, paused }, options, () => `${paused ? 'Paused' : 'Resumed'} ${name}`);
        });
      });
  }
}

/** One of a view's schedules (the argument, --schedule) or a source's compaction schedule (--source): exactly one. */
function pausedSubject(
  featureView: string | undefined,
  options: { source?: string; schedule?: string },
): { featureView: string; schedule: ViewSchedule } | { source: string } {
  const { source, schedule = source === undefined ? 'materialize' : 'compaction' } = options;
  if ((featureView === undefined) === (source === undefined))
    throw new FloeError('invalid-input', 'Name a feature view, or a source with --source (not both)', {
      context: { field: source === undefined ? 'feature-view' : '--source' },
    });
  if (!(VIEW_SCHEDULES as readonly string[]).includes(schedule))
    throw new FloeError('invalid-input', `--schedule must be one of ${VIEW_SCHEDULES.join(', ')}, got ${JSON.stringify(schedule)}`, {
      context: { field: '--schedule' },
    });
  if (source !== undefined) {
    if (schedule !== 'compaction')
      throw new FloeError('invalid-input', `A source has only a compaction schedule, not a ${schedule} schedule`, {
        context: { field: '--schedule' },
      });
    return { source };
  }
  return { featureView: featureView!, schedule: schedule as ViewSchedule };
}

async function withClient(projectDirectory: string, redactor: Redactor, body: (client: Client) => Promise<void>): Promise<void> {
  const { loadProject } = await import('../../features/project.js');
  const project = await loadProject(projectDirectory, process.env, { redactor });
  const { connectClient } = await import('../temporal-client.js');
  const client = await connectClient(project.config);
  try {
    await body(client);
  } finally {
    await client.connection.close();
  }
}

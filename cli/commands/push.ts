import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import { PUSH_TARGETS } from '../../features/push/push-rows.js';
import type { PushTarget } from '../../features/push/push-rows.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

export function pushCommand(program: Command, redactor: Redactor): void {
  program
    .command('push')
    .description(
      "Push a file's rows to a push source, as Feast's push: online into the feature views it feeds, and with --to offline into its batch source's table",
    )
    .argument('<push-source>', 'the push source, as defined with definePushSource')
    .requiredOption('--file <path>', 'the rows: a .parquet, .csv or .jsonl file with the batch source table’s column names')
    .option('--to <where>', `where the rows go: ${PUSH_TARGETS.join(', ')}`, 'online')
    .option('--request-id <id>', 'an id for this push: run again with the same id, it writes nothing twice')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (pushSource: string, options: { file: string; to: string; requestId?: string; project: string; json?: boolean }) => {
      if (!(PUSH_TARGETS as readonly string[]).includes(options.to))
        throw new FloeError('invalid-input', `--to must be one of ${PUSH_TARGETS.join(', ')}, got ${JSON.stringify(options.to)}`, {
          context: { field: '--to' },
        });
      const { loadProject } = await import('../../features/project.js');
      const { readPushFile } = await import('../../features/push/push-file.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { openRuntime } = await import('../../features/runtime.js');
      const { Pusher } = await import('../../features/push/pusher.js');
      const runtime = await openRuntime(project);
      try {
        project.registry.pushSource(pushSource);
        // One request, committed at once: a bad row refuses the whole file.
        const pusher = new Pusher(runtime, { ...project.config.push, maxDelayMs: 0 });
        const df = await readPushFile(runtime.engine, options.file, await pusher.columnsOf(pushSource));
        const answer = await pusher.push({
          pushSourceName: pushSource,
          df,
          to: options.to as PushTarget,
          ...defined({ requestId: options.requestId }),
        });
        printResult(redactor, answer, options, () =>
          [
            `Pushed ${answer.rows} row(s) of ${options.file} to ${pushSource}`,
            ...answer.commits.map((commit) => `  ${commit.table}: snapshot ${commit.snapshotId}`),
          ].join('\n'),
        );
      } finally {
        await runtime.close();
      }
    });
}

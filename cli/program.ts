import { Command } from 'commander';
import { Redactor } from '../core/redaction.js';
import { applyCommand } from './commands/apply.js';
import { backfillCommand } from './commands/backfill.js';
import { compactCommand } from './commands/compact.js';
import { consistencyCommand } from './commands/consistency.js';
import { devCommand } from './commands/dev.js';
import { getOnlineCommand } from './commands/get-online.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { maintenanceCommand } from './commands/maintenance.js';
import { materializeCommand } from './commands/materialize.js';
import { materializeIncrementalCommand } from './commands/materialize-incremental.js';
import { planCommand } from './commands/plan.js';
import { pushCommand } from './commands/push.js';
import { streamCommand } from './commands/stream.js';
import { scheduleCommand } from './commands/schedule.js';
import { serveCommand } from './commands/serve.js';
import { tableCommand } from './commands/table.js';
import { trainingSetCommand } from './commands/training-set.js';
import { workerCommand } from './commands/worker.js';
import { floeVersion } from './version.js';

/**
 * The `floe` command with every subcommand registered; `cli/main.ts` runs it. Command modules load
 * their implementations inside their actions, so `--help` and `--version` load none of them.
 * `redactor` is the process's: every command loads its project with it and prints through it.
 */
export function createProgram(redactor: Redactor = new Redactor()): Command {
  const program = new Command('floe')
    .description('Durable ML features from Apache Iceberg tables')
    .version(floeVersion(), '-V, --version', "print Floe's version")
    .showHelpAfterError()
    .exitOverride()
    // Every command that takes --workflow-id checks it before it connects to anything.
    .hook('preAction', async (_program, command) => {
      const { workflowId } = command.opts<{ workflowId?: unknown }>();
      if (typeof workflowId !== 'string') return;
      const { checkWorkflowIdOption } = await import('./arguments.js');
      checkWorkflowIdOption(workflowId);
    });
  initCommand(program, redactor);
  materializeCommand(program, redactor);
  planCommand(program, redactor);
  applyCommand(program, redactor);
  materializeIncrementalCommand(program, redactor);
  compactCommand(program, redactor);
  maintenanceCommand(program, redactor);
  consistencyCommand(program, redactor);
  backfillCommand(program, redactor);
  scheduleCommand(program, redactor);
  workerCommand(program, redactor);
  devCommand(program, redactor);
  getOnlineCommand(program, redactor);
  serveCommand(program, redactor);
  pushCommand(program, redactor);
  streamCommand(program, redactor);
  tableCommand(program, redactor);
  trainingSetCommand(program, redactor);
  importCommand(program, redactor);
  return program;
}

import { Command, CommanderError } from 'commander';
import { backfillCommand } from './commands/backfill.js';
import { materializeCommand } from './commands/materialize.js';
import { materializeIncrementalCommand } from './commands/materialize-incremental.js';
import { scheduleCommand } from './commands/schedule.js';
import { workerCommand } from './commands/worker.js';
import { EXIT_BAD_INPUT, reportError } from './output.js';

const program = new Command('floe')
  .description('Durable ML features from Apache Iceberg tables')
  .showHelpAfterError()
  .exitOverride();

materializeCommand(program);
materializeIncrementalCommand(program);
backfillCommand(program);
scheduleCommand(program);
workerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  else process.exitCode = reportError(error);
}

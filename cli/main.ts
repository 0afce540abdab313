import { Command, CommanderError } from 'commander';
import { applyCommand } from './commands/apply.js';
import { materializeCommand } from './commands/materialize.js';
import { planCommand } from './commands/plan.js';
import { workerCommand } from './commands/worker.js';
import { EXIT_BAD_INPUT, reportError } from './output.js';

const program = new Command('floe')
  .description('Durable ML features from Apache Iceberg tables')
  .showHelpAfterError()
  .exitOverride();

materializeCommand(program);
planCommand(program);
applyCommand(program);
workerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  else process.exitCode = reportError(error);
}

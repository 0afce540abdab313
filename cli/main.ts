import { CommanderError } from 'commander';
import { EXIT_BAD_INPUT, reportError } from './output.js';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  else process.exitCode = reportError(error);
}

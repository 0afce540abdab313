import { CommanderError } from 'commander';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  // Loaded only on failure: reporting knows Temporal's failure types, which --help and --version never need.
  const { EXIT_BAD_INPUT, reportError } = await import('./output.js');
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  else process.exitCode = reportError(error);
}

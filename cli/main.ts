import { CommanderError } from 'commander';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  // --help and --version end here too, as a CommanderError with exit code 0.
  if (error instanceof CommanderError && error.exitCode === 0) process.exitCode = 0;
  else {
    // Loaded only on failure: reporting knows Temporal's failure types, which a start-up need not load.
    const { EXIT_BAD_INPUT, reportError } = await import('./output.js');
    process.exitCode = error instanceof CommanderError ? EXIT_BAD_INPUT : reportError(error);
  }
}

import { CommanderError } from 'commander';
import { Redactor } from '../core/redaction.js';
import { createProgram } from './program.js';

// The process's redaction step: the project a command loads registers floe.yaml's secrets on it,
// and everything the command prints, its error included, goes through it.
const redactor = new Redactor();
try {
  await createProgram(redactor).parseAsync(process.argv);
} catch (error) {
  // --help and --version end here too, as a CommanderError with exit code 0.
  if (error instanceof CommanderError && error.exitCode === 0) process.exitCode = 0;
  else {
    // Loaded only on failure: reporting knows Temporal's failure types, which a start-up need not load.
    const { EXIT_BAD_INPUT, reportError } = await import('./output.js');
    process.exitCode = error instanceof CommanderError ? EXIT_BAD_INPUT : reportError(error, redactor);
  }
}

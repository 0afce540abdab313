/** The last lines of a log file: what a failure message shows so nobody has to go looking. */
import { existsSync, readFileSync } from 'node:fs';

export function tailLines(file: string, count = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  const lines = readFileSync(file, 'utf8').replace(/\n+$/, '').split('\n');
  return lines.slice(-count).join('\n');
}

export function describeFailure(what: string, command: readonly string[], log: string, reason: string): string {
  return [
    `${what}: ${reason}`,
    `  command: ${command.join(' ')}`,
    `  log: ${log}`,
    `  last 30 lines of the log:`,
    tailLines(log, 30)
      .split('\n')
      .map((line) => `    | ${line}`)
      .join('\n'),
  ].join('\n');
}

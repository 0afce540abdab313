import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import type { Redactor } from '../../core/redaction.js';

export function importCommand(program: Command, redactor: Redactor): void {
  const importing = program.command('import').description('Turn another feature store’s repository into Floe definitions');
  importing
    .command('feast')
    .description(
      'Write features.ts from a Feast repository: entities, Iceberg sources, feature views, services, push sources and on-demand view stubs; exits 1 if anything was left out',
    )
    .argument(
      '<registry-dump>',
      'the JSON `feast registry-dump` prints in the Feast repository (Feast’s registry.db must be dumped with it first)',
    )
    .option('--out <file>', 'the definitions file to write', 'features.ts')
    .option(
      '--table <source=namespace.table>',
      'the Iceberg table holding a Feast file or table source’s rows; repeat per source',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--force', 'overwrite --out if it exists')
    .option('--json', 'print the result as JSON')
    .action(async (dumpFile: string, options: { out: string; table: string[]; force?: boolean; json?: boolean }) => {
      const { readFile, writeFile } = await import('node:fs/promises');
      const { importFeastRegistry, parseRegistryDump } = await import('../../features/import/feast-registry.js');
      const { EXIT_FAILURE, printResult } = await import('../output.js');
      const tables = new Map(options.table.map(parseTableOption));
      let text: string;
      try {
        text = await readFile(dumpFile, 'utf8');
      } catch {
        throw new FloeError('invalid-input', `cannot read ${dumpFile}: expected a file holding \`feast registry-dump\`'s output`, {
          context: { file: dumpFile },
        });
      }
      const imported = importFeastRegistry(parseRegistryDump(text, dumpFile), { tables });
      try {
        await writeFile(options.out, imported.definitions, { flag: options.force ? 'w' : 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw new FloeError('invalid-input', `${options.out} exists; give another --out, or --force to overwrite it`, {
            context: { file: options.out },
          });
        throw new FloeError('io', `cannot write ${options.out}: ${(error as Error).message}`, { context: { file: options.out } });
      }
      const result = { out: options.out, refusals: imported.refusals, todos: imported.todos };
      printResult(redactor, result, options, () =>
        [
          `Wrote ${options.out}`,
          ...(imported.refusals.length === 0 ? [] : ['Left out:', ...imported.refusals.map((note) => `  ${note.object}: ${note.reason}`)]),
          ...(imported.todos.length === 0 ? [] : ['To finish:', ...imported.todos.map((note) => `  ${note.object}: ${note.reason}`)]),
        ].join('\n'),
      );
      if (imported.refusals.length > 0) process.exitCode = EXIT_FAILURE;
    });
}

function parseTableOption(option: string): [string, string] {
  const at = option.indexOf('=');
  if (at <= 0 || at === option.length - 1)
    throw new FloeError('invalid-input', `--table ${option}: expected <feast source name>=<namespace.table>`, {
      context: { field: '--table' },
    });
  return [option.slice(0, at), option.slice(at + 1)];
}

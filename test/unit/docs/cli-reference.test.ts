// docs/reference/cli.md against the real `floe` program: every command (and subcommand) has a section,
// and every option its --help lists is in that section (its heading, table or text) — save
// `--project` and `--json`, which the page documents once for every command.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createProgram } from '../../../cli/program.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const page = readFileSync(path.join(root, 'docs', 'reference', 'cli.md'), 'utf8');

/** Options the page documents once, for every command, in its opening paragraphs. */
const EVERY_COMMAND = ['--project', '--json'];

interface Section {
  /** The heading's code spans as words, placeholders and `|` left out: `schedule apply | list` → [schedule, apply, list]. */
  readonly names: readonly (readonly string[])[];
  /** The heading and everything up to the next heading. */
  readonly text: string;
}

function sections(markdown: string): Section[] {
  const found: { names: string[][]; text: string }[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3}\s+(.*)$/.exec(line);
    if (heading !== null)
      found.push({
        names: [...heading[1]!.matchAll(/`([^`]+)`/g)].map((span) =>
          span[1]!.split(/\s+/).filter((word) => word !== '|' && !/^[<[-]/.test(word)),
        ),
        text: '',
      });
    if (found.length > 0) found.at(-1)!.text += `${line}\n`;
  }
  return found;
}

/** Each command the program runs, as its words (`schedule apply`), beside its commander object. */
function commands(program: Command): { words: string[]; command: Command }[] {
  return program.commands.flatMap((command) =>
    command.commands.length === 0
      ? [{ words: [command.name()], command }]
      : command.commands.filter((sub) => sub.name() !== 'help').map((sub) => ({ words: [command.name(), sub.name()], command: sub })),
  );
}

/** `command --option` for each option --help lists that the command's section does not; `command (no section)` for a command without one. */
function undocumented(program: Command, markdown: string): string[] {
  const all = sections(markdown);
  return commands(program).flatMap(({ words, command }) => {
    const [name, sub] = words;
    const section = all.find((candidate) =>
      candidate.names.some((span) => span[0] === name && (sub === undefined || span.slice(1).includes(sub))),
    );
    if (section === undefined) return [`${words.join(' ')} (no section)`];
    return command.options
      .map((option) => option.long ?? option.short!)
      .filter((flag) => !EVERY_COMMAND.includes(flag) && !new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(section.text))
      .map((flag) => `${words.join(' ')} ${flag}`);
  });
}

test('the page says --project and --json are options of every command', () => {
  const opening = page.slice(0, page.indexOf('\n## Project'));
  assert.match(opening, /Options every command has: `--project <dir>`[\s\S]*`--json`/);
});

test('every command has a section, listing every option its --help lists', () => {
  assert.deepEqual(undocumented(createProgram(), page), []);
});

test('an option or a command the page leaves out is found (the check can fail)', () => {
  const program = createProgram();
  program.commands.find((command) => command.name() === 'materialize')!.option('--planted <n>', 'not on the page');
  program.command('planted-command').option('--anything');
  assert.deepEqual(undocumented(program, page), ['materialize --planted', 'planted-command (no section)']);
  const withoutCsv = page.replace(/^\| `--entities-csv <file>`.*\n/m, '');
  assert.deepEqual(undocumented(createProgram(), withoutCsv), ['training-set --entities-csv']);
});

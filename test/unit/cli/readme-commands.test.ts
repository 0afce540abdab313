// Every `npx floe …` line the README shows must be a command line the real `floe` program accepts:
// the command exists and takes those arguments and options. (The integration tests run each
// command against real services; this keeps the README from drifting away from them.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createProgram } from '../../../cli/program.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The README's `npx floe` lines, comments dropped, `a | b <view>` alternatives expanded, placeholders filled. */
function readmeCommands(): string[][] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const lines = readme.split('\n').filter((line) => line.startsWith('npx floe '));
  return lines.flatMap((line) => {
    const text = line
      .replace(/\s+#.*$/, '')
      .slice('npx floe '.length)
      .trim();
    const [first, ...alternatives] = text.split(' | ');
    const command = first!.split(' ')[0]!;
    const variants = [first!, ...alternatives.map((alternative) => `${command} ${alternative}`)];
    return variants.map((variant) => variant.replace(/<view>/g, 'driver_hourly_stats').split(/\s+/));
  });
}

/** Parses argv with every action replaced by one that records which command ran. */
async function parse(argv: readonly string[]): Promise<string> {
  const program = createProgram();
  let ran = '';
  const silence = (command: Command): void => {
    command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    for (const sub of command.commands) {
      sub.action(() => {
        ran = fullName(sub);
      });
      silence(sub);
    }
  };
  silence(program);
  await program.parseAsync(['node', 'floe', ...argv]);
  return ran;
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

describe('the README’s floe commands', () => {
  const commands = readmeCommands();

  test('the README shows every floe command', () => {
    const shown = new Set(commands.map((argv) => argv[0]));
    const defined = createProgram().commands.map((command) => command.name());
    assert.deepEqual(
      defined.filter((name) => !shown.has(name)),
      [],
      'commands the README does not show',
    );
  });

  for (const argv of commands) {
    test(`floe ${argv.join(' ')}`, async () => {
      const ran = await parse(argv);
      assert.ok(argv.join(' ').startsWith(ran) && ran !== '', `ran "${ran}"`);
    });
  }

  test('a line the program would refuse fails here (the check can fail)', async () => {
    await assert.rejects(parse(['compact', 'driver_hourly_stats', '--no-such-option']), /unknown option/);
    await assert.rejects(parse(['materialize', 'driver_hourly_stats', '--end', '2024-05-03T00:00:00Z']), /required option '--start/);
    await assert.rejects(parse(['no-such-command']), /unknown command/);
  });
});

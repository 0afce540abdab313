// Every fenced code block of README.md and docs/**/*.md is checked against the real thing, so the
// documentation cannot drift from the code:
// - ```ts: compiles alone, strictly, against the package's public entry points (`floe`,
//   `floe/worker`, `floe/server` resolve through package.json's exports with the `floe-source`
//   condition, so to public/*.ts of this checkout, as a user's imports resolve to dist/);
// - ```yaml: a floe.yaml, or some of its sections, valid against floe.yaml's schema;
// - ```sh: each `npx floe …` command parses with the real commander program (its actions replaced,
//   so nothing runs), and no line runs a bare `floe`, which a project's shell does not find;
// - ```json: parses.
// A block that cannot be checked says why on the line before it: `<!-- not-compiled: why -->`
// (or ```sh no-check). Keep those rare.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { createProgram } from '../../../cli/program.js';
import { projectConfigSchema } from '../../../features/config.js';
import {
  bareFloeCommands,
  type CodeBlock,
  codeBlocks,
  documentationFiles,
  floeCommands,
  headingAnchors,
  notCheckedMarkers,
  relativeLinks,
} from '../../support/markdown-blocks.js';
import { typeCheck } from '../../support/type-check-blocks.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const files = documentationFiles(root);
const blocks = files.flatMap((file) => codeBlocks(root, file));
const checked = blocks.filter((block) => block.notChecked === undefined);
const where = (block: CodeBlock): string => `${block.file} line ${block.line}`;
const blockName = (block: CodeBlock): string => `${block.file.replace(/[^\w]/g, '-')}-line-${block.line}`;

describe('the documentation’s code blocks', () => {
  test('the pages are found, and each unchecked block says why', () => {
    assert.ok(files.includes('docs/tutorial.md') && files.includes('docs/reference/cli.md'), files.join(', '));
    for (const file of files) {
      const unchecked = blocks.filter((block) => block.file === file && block.notChecked !== undefined);
      assert.equal(notCheckedMarkers(root, file) + unchecked.filter((block) => block.notChecked === '').length, unchecked.length, file);
      for (const block of unchecked)
        if (block.language === 'ts') assert.notEqual(block.notChecked, '', `${where(block)}: say why it is not compiled`);
    }
    const share = (blocks.length - checked.length) / blocks.length;
    assert.ok(share < 0.1, `${blocks.length - checked.length} of ${blocks.length} blocks are not checked`);
  });

  test('every block names its language', () => {
    const bare = blocks.filter((block) => block.language === '' && block.notChecked === undefined);
    // Plain ``` blocks are program output and diagrams: text, nothing to check.
    for (const block of bare) assert.doesNotMatch(block.code, /^\s*npx floe /m, `${where(block)}: a command block should be \`\`\`sh`);
  });
});

describe('links between the pages', () => {
  test('every relative link names a file of the checkout, and a heading of it', () => {
    const broken = files.flatMap((file) =>
      relativeLinks(root, file).flatMap((link) => {
        const at = `${link.file} line ${link.line}: ${link.target}${link.anchor === undefined ? '' : `#${link.anchor}`}`;
        if (!existsSync(path.join(root, link.target))) return [`${at} (no such file)`];
        if (link.anchor !== undefined && link.target.endsWith('.md') && !headingAnchors(root, link.target).has(link.anchor))
          return [`${at} (no such heading)`];
        return [];
      }),
    );
    assert.deepEqual(broken, []);
  });

  test('a heading’s anchor is GitHub’s', () => {
    const anchors = headingAnchors(root, 'docs/pipelines.md');
    assert.ok(anchors.has('time-no-window-runs-ahead-late-rows-still-land'), [...anchors].join(' '));
    assert.ok(anchors.has('onlineoffline-consistency'));
  });
});

describe('TypeScript blocks compile against floe’s exports', () => {
  const typescript = checked.filter((block) => block.language === 'ts');
  // Planted beside the documentation's blocks, in the same program, so every run proves the check can fail.
  const planted = [
    { name: 'planted-type-error', code: "import { defineEntity } from 'floe';\ndefineEntity({ name: 'driver', joinKeys: 'driver_id' });" },
    { name: 'planted-missing-import', code: "export const driver = defineEntity({ name: 'driver', joinKeys: [] });" },
    { name: 'planted-internal-path', code: "import { FeatureStore } from 'floe/features/feature-store.js';\nexport { FeatureStore };" },
    { name: 'planted-fine', code: "import { FeatureStore } from 'floe';\nexport const store = await FeatureStore.open('.');" },
  ];
  const results = typeCheck([...typescript.map((block) => ({ name: blockName(block), code: block.code })), ...planted]);

  test('README and docs have TypeScript blocks', () => {
    assert.ok(typescript.filter((block) => block.file === 'README.md').length >= 3);
    assert.ok(typescript.filter((block) => block.file.startsWith('docs/')).length >= 10);
  });

  for (const block of typescript) {
    test(`${where(block)}`, () => {
      assert.deepEqual(results.get(blockName(block)), []);
    });
  }

  test('a planted type error, a missing import or an internal path fails the check', () => {
    assert.match(results.get('planted-type-error')!.join('\n'), /line 2: Type 'string' is not assignable/);
    assert.match(results.get('planted-missing-import')!.join('\n'), /Cannot find name 'defineEntity'/);
    assert.match(results.get('planted-internal-path')!.join('\n'), /Cannot find module 'floe\/features\/feature-store.js'/);
    assert.deepEqual(results.get('planted-fine'), []);
  });
});

describe('YAML blocks are floe.yaml', () => {
  const yamlBlocks = checked.filter((block) => block.language === 'yaml');

  test('there are YAML blocks to check', () => {
    assert.ok(yamlBlocks.length >= 4, `only ${yamlBlocks.length}`);
  });

  for (const block of yamlBlocks) {
    test(`${where(block)}`, () => {
      assert.deepEqual(floeYamlProblems(block.code), []);
    });
  }

  test('an unknown setting, a wrong type or a missing catalog type fails the check', () => {
    assert.match(floeYamlProblems('server:\n  maxEntityRow: 10').join(), /server: Unrecognized key: "maxEntityRow"/);
    assert.match(floeYamlProblems('push:\n  maxDelayMs: soon').join(), /push.maxDelayMs/);
    assert.match(floeYamlProblems('catalog:\n  uri: .floe/catalog.db').join(), /catalog.type/);
    assert.deepEqual(floeYamlProblems('temporal:\n  address: ${FLOE_TEMPORAL_ADDRESS:-127.0.0.1:7233}'), []);
  });
});

describe('shell blocks: each `npx floe` command is one the program accepts', () => {
  const shell = checked.filter((block) => block.language === 'sh');
  const commands = shell.flatMap((block) => floeCommands(block.code).map((argv) => ({ block, argv })));

  test('every floe command is shown somewhere, and no line runs a bare `floe`', () => {
    const shown = new Set(commands.flatMap(({ argv }) => [argv[0], argv.slice(0, 2).join(' ')]));
    const defined = createProgram().commands.flatMap((command) =>
      command.commands.length === 0
        ? [command.name()]
        : command.commands.filter((sub) => sub.name() !== 'help').map((sub) => `${command.name()} ${sub.name()}`),
    );
    const missing = defined.filter((name) => !shown.has(name));
    assert.deepEqual(missing, [], 'commands no page shows');
    for (const block of shell) assert.deepEqual(bareFloeCommands(block.code), [], `${where(block)}: write npx floe`);
  });

  for (const { block, argv } of commands) {
    test(`${where(block)}: floe ${argv.join(' ')}`, async () => {
      const ran = await parseCommand(argv);
      assert.ok(ran !== '' && argv.join(' ').startsWith(ran), `ran "${ran}"`);
    });
  }

  test('a line the program would refuse fails here (the check can fail)', async () => {
    await assert.rejects(parseCommand(['compact', 'driver_hourly_stats', '--no-such-option']), /unknown option/);
    await assert.rejects(parseCommand(['materialize', 'driver_hourly_stats', '--end', '2024-05-03T00:00:00Z']), /required option '--start/);
    await assert.rejects(parseCommand(['no-such-command']), /unknown command/);
    assert.deepEqual(floeCommands('npx floe apply --project "my features"   # a comment'), [['apply', '--project', 'my features']]);
    assert.deepEqual(bareFloeCommands('cd x && floe apply'), ['floe apply']);
  });
});

describe('JSON blocks parse', () => {
  for (const block of checked.filter((block) => block.language === 'json')) {
    test(`${where(block)}`, () => {
      assert.doesNotThrow(() => JSON.parse(block.code) as unknown);
    });
  }
});

/**
 * Problems of a floe.yaml block against the schema: a block without `project` is some sections of
 * one, checked beside a minimal project and catalog. `${VAR:-default}` takes its default, and a
 * bare `${VAR}` a placeholder value, as an environment that sets it would.
 */
function floeYamlProblems(text: string): string[] {
  const parsed = parseYaml(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return ['not a mapping'];
  const sections = interpolate(parsed) as Record<string, unknown>;
  const whole = 'project' in sections ? sections : { project: 'docs', catalog: { type: 'sql', uri: 'catalog.db' }, ...sections };
  const result = projectConfigSchema.safeParse(whole);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

function interpolate(value: unknown): unknown {
  if (typeof value === 'string')
    return value.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
      (_match, variable: string, fallback: string | undefined) => fallback ?? `set-${variable}`,
    );
  if (Array.isArray(value)) return value.map(interpolate);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item)]));
  return value;
}

/** Parses argv with every action replaced by one that records which command ran. */
async function parseCommand(argv: readonly string[]): Promise<string> {
  const program = createProgram();
  let ran = '';
  const silence = (command: Command): void => {
    command.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    command.exitOverride();
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

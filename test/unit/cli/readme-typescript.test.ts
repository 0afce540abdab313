// Every ```ts block of the README must compile on its own, strictly, against the package's public
// entry points: `floe`, `floe/worker` and `floe/server` resolve through package.json's exports with
// the `floe-source` condition, so to public/*.ts of this checkout, as a user's imports resolve to
// dist/. A block that is not meant to compile alone says so on the line before it:
// `<!-- not-compiled: why -->`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** Blocks become virtual files here, inside the checkout, so `floe` resolves to this package itself. */
const blockDirectory = path.join(root, '.readme-blocks');

interface CodeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** The reason of a `<!-- not-compiled: … -->` marker right before the block. */
  readonly notCompiled?: string;
}

const NOT_COMPILED = /^<!--\s*not-compiled:\s*(.*?)\s*-->$/;

function typescriptBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)```(\w*)\s*$/.exec(lines[index]!);
    if (fence === null) continue;
    const end = lines.findIndex((line, at) => at > index && line.trim() === '```');
    if (end === -1) throw new Error(`README line ${index + 1}: a code block is never closed`);
    if (fence[2] === 'ts' || fence[2] === 'typescript') {
      let before = index - 1;
      while (before >= 0 && lines[before]!.trim() === '') before--;
      const marker = before >= 0 ? NOT_COMPILED.exec(lines[before]!.trim()) : null;
      blocks.push({
        line: index + 1,
        code: lines.slice(index + 1, end).join('\n'),
        ...(marker === null ? {} : { notCompiled: marker[1]! }),
      });
    }
    index = end;
  }
  return blocks;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, customConditions: ['floe-source'] };
}

/** Type-checks each block as its own module; the messages per block (empty when it compiles). */
function typeCheck(blocks: readonly { readonly name: string; readonly code: string }[]): Map<string, string[]> {
  const files = new Map(blocks.map((block) => [path.join(blockDirectory, `${block.name}.ts`), block]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => files.get(file)?.code ?? readFile.call(host, file);
  host.directoryExists = (directory) => directory === blockDirectory || (directoryExists?.call(host, directory) ?? true);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const block = files.get(file);
    return block === undefined
      ? getSourceFile.call(host, file, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(file, block.code, languageVersion, true);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const results = new Map<string, string[]>();
  for (const [file, block] of files) {
    const source = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    results.set(
      block.name,
      diagnostics.map((diagnostic) => {
        const at = diagnostic.start === undefined ? '' : `line ${source.getLineAndCharacterOfPosition(diagnostic.start).line + 1}: `;
        return `${at}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      }),
    );
  }
  return results;
}

describe('the README’s TypeScript blocks', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = typescriptBlocks(readme);
  const compiled = blocks.filter((block) => block.notCompiled === undefined);
  // Planted beside the README's blocks, in the same program, so every run proves the check can fail.
  const planted = [
    { name: 'planted-type-error', code: "import { defineEntity } from 'floe';\ndefineEntity({ name: 'driver', joinKeys: 'driver_id' });" },
    { name: 'planted-missing-import', code: "export const driver = defineEntity({ name: 'driver', joinKeys: [] });" },
    { name: 'planted-internal-path', code: "import { FeatureStore } from 'floe/features/feature-store.js';\nexport { FeatureStore };" },
    { name: 'planted-fine', code: "import { FeatureStore } from 'floe';\nexport const store = await FeatureStore.open('.');" },
  ];
  const results = typeCheck([...compiled.map((block) => ({ name: `README-line-${block.line}`, code: block.code })), ...planted]);

  test('the README has TypeScript blocks, and a reason for each one not compiled', () => {
    assert.ok(compiled.length >= 3, `only ${compiled.length} blocks compiled`);
    for (const block of blocks) {
      if (block.notCompiled !== undefined) assert.notEqual(block.notCompiled, '', `README line ${block.line}: say why it is not compiled`);
    }
  });

  test('no not-compiled marker is left without a TypeScript block after it', () => {
    const markers = readme.split('\n').filter((line) => NOT_COMPILED.test(line.trim())).length;
    assert.equal(markers, blocks.filter((block) => block.notCompiled !== undefined).length);
  });

  for (const block of compiled) {
    test(`README line ${block.line}: compiles alone against floe's exports`, () => {
      assert.deepEqual(results.get(`README-line-${block.line}`), []);
    });
  }

  test('a planted type error, a missing import or an internal path fails the check', () => {
    assert.match(results.get('planted-type-error')!.join('\n'), /line 2: Type 'string' is not assignable/);
    assert.match(results.get('planted-missing-import')!.join('\n'), /Cannot find name 'defineEntity'/);
    assert.match(results.get('planted-internal-path')!.join('\n'), /Cannot find module 'floe\/features\/feature-store.js'/);
    assert.deepEqual(results.get('planted-fine'), []);
  });
});

// The tutorial's edits of features.ts, applied as a reader follows them: each TypeScript block marked
// `<!-- not-compiled: added to features.ts … -->` goes at the end of the file, after the names its
// paragraph says to add to the file's `import { … } from 'floe'` line are added there. Nothing else
// is merged: a block that repeats an import the file has shows as the reader's compile error.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type CodeBlock, codeBlocks } from './markdown-blocks.js';

export interface DefinitionsEdit {
  readonly block: CodeBlock;
  /** The names the paragraph before the block says to add to the `import { … } from 'floe'` line. */
  readonly imports: readonly string[];
}

const ADDED_TO_FEATURES = /^added to features\.ts\b/;

/** The page's edits of features.ts, in order. */
export function definitionsEdits(root: string, file: string): DefinitionsEdit[] {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  return codeBlocks(root, file)
    .filter((block) => block.language === 'ts' && ADDED_TO_FEATURES.test(block.notChecked ?? ''))
    .map((block) => {
      // The paragraph before the block's marker: `block.line` is the fence's 1-based line.
      let at = block.line - 2;
      while (at >= 0 && (lines[at]!.trim() === '' || lines[at]!.trim().startsWith('<!--'))) at--;
      const paragraph: string[] = [];
      for (; at >= 0 && lines[at]!.trim() !== ''; at--) paragraph.unshift(lines[at]!);
      const asked = /add ((?:`\w+`(?:,\s*|\s+and\s+)?)+) to the `import \{ … \} from 'floe'` line/i.exec(paragraph.join(' '));
      return { block, imports: asked === null ? [] : [...asked[1]!.matchAll(/`(\w+)`/g)].map((match) => match[1]!) };
    });
}

/** features.ts after one edit: the names added to its `floe` import (after those it has), the block appended. */
export function applyDefinitionsEdit(text: string, edit: DefinitionsEdit): string {
  let edited = text;
  if (edit.imports.length > 0) {
    const line = /^import \{([^}]*)\} from 'floe';$/m.exec(text);
    if (line === null) throw new Error(`features.ts has no import { … } from 'floe' line to add ${edit.imports.join(', ')} to`);
    const names = [...line[1]!.split(',').map((name) => name.trim()), ...edit.imports].filter((name) => name !== '');
    edited = text.replace(line[0], `import { ${names.join(', ')} } from 'floe';`);
  }
  return `${edited.trimEnd()}\n\n${edit.block.code}\n`;
}

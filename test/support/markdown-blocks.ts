// The fenced code blocks of the user documentation (README.md and docs/**/*.md), for the tests that
// check each block against the real program, schema or types.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defined } from '../../contracts/defined.js';

export interface CodeBlock {
  /** The Markdown file, relative to the checkout. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's language: `ts`, `sh`, `yaml`, … (`typescript` is `ts`, `bash` is `sh`). */
  readonly language: string;
  readonly code: string;
  /**
   * Why the block is not checked: a `<!-- not-compiled: why -->` line right before it, or a
   * `no-check` word after the language (`` ```sh no-check ``), then with an empty reason.
   */
  readonly notChecked?: string;
}

export const NOT_CHECKED_MARKER = /^<!--\s*not-compiled:\s*(.*?)\s*-->$/;

const LANGUAGE_ALIASES: Readonly<Record<string, string>> = { typescript: 'ts', bash: 'sh', shell: 'sh', yml: 'yaml' };

/** README.md, then every page under docs/, in a stable order. */
export function documentationFiles(root: string): string[] {
  const pages = readdirSync(path.join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name).split(path.sep).join('/'))
    .sort();
  return ['README.md', ...pages];
}

export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = /^(\s*)```(\w*)((?:\s+[\w-]+)*)\s*$/.exec(lines[index]!);
    if (fence === null) continue;
    const end = lines.findIndex((line, at) => at > index && line.trim() === '```');
    if (end === -1) throw new Error(`${file} line ${index + 1}: a code block is never closed`);
    let before = index - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? NOT_CHECKED_MARKER.exec(lines[before]!.trim()) : null;
    const words = fence[3]!.trim().split(/\s+/);
    const language = LANGUAGE_ALIASES[fence[2]!] ?? fence[2]!;
    const notChecked = marker !== null ? marker[1]! : words.includes('no-check') ? '' : undefined;
    blocks.push({
      file,
      line: index + 1,
      language,
      code: lines.slice(index + 1, end).join('\n'),
      ...defined({ notChecked }),
    });
    index = end;
  }
  return blocks;
}

/** How many `<!-- not-compiled: … -->` markers a file has (each must stand before a block). */
export function notCheckedMarkers(root: string, file: string): number {
  return readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .filter((line) => NOT_CHECKED_MARKER.test(line.trim())).length;
}

/**
 * The `npx floe …` command lines of a shell block, as argv after `floe`: `\` continuations joined,
 * comments dropped, commands after `&&` or `;` included, and the README's shorthand
 * `schedule apply | list | pause <view>` expanded into one line per alternative. Placeholders are
 * filled: `<view>` → driver_hourly_stats, `<source>` → driver_stats, `<table>` → rides.driver_stats.
 */
export function floeCommands(code: string): string[][] {
  const joined = code.replace(/\\\n/g, ' ');
  return joined.split('\n').flatMap((line) =>
    withoutComment(line)
      .split(/\s*(?:&&|;)\s*/)
      .map((part) => part.trim())
      .filter((part) => part.startsWith('npx floe ') || part === 'npx floe')
      .flatMap((part) => {
        const text = part.slice('npx floe'.length).trim();
        const [first, ...alternatives] = text.split(' | ');
        const command = first!.split(' ')[0]!;
        return [first!, ...alternatives.map((alternative) => `${command} ${alternative}`)].map((variant) =>
          shellWords(fillPlaceholders(variant)),
        );
      }),
  );
}

/** Lines of a shell block that run `floe` without `npx`, which a project's shell does not find. */
export function bareFloeCommands(code: string): string[] {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .flatMap((line) => withoutComment(line).split(/\s*(?:&&|;|\|)\s*/))
    .map((part) => part.trim())
    .filter((part) => /^floe(\s|$)/.test(part));
}

function fillPlaceholders(text: string): string {
  return text
    .replace(/<view>/g, 'driver_hourly_stats')
    .replace(/<source>/g, 'driver_stats')
    .replace(/<table>/g, 'rides.driver_stats');
}

/** The line up to a `#` that starts a comment (outside quotes). */
function withoutComment(line: string): string {
  let quote: string | null = null;
  for (let at = 0; at < line.length; at++) {
    const char = line[at]!;
    if (quote !== null) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (at === 0 || /\s/.test(line[at - 1]!))) return line.slice(0, at);
  }
  return line;
}

/** Splits a command line into words as a POSIX shell would, for quotes (no expansions); a trailing comment dropped. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const char of withoutComment(text)) {
    if (quote !== null) {
      if (char === quote) quote = null;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + char;
  }
  if (word !== null) words.push(word);
  return words;
}

export interface MarkdownLink {
  readonly file: string;
  readonly line: number;
  /** The linked file, relative to the checkout (the linking file itself for `#anchor`). */
  readonly target: string;
  readonly anchor?: string;
}

/** Relative links of a page, outside code blocks: `[text](path)`, `[text](path#anchor)`, `[text](#anchor)`. */
export function relativeLinks(root: string, file: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fenced = false;
  readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (/^\s*```/.test(text)) fenced = !fenced;
      if (fenced) return;
      for (const match of text.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
        const href = match[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
        const [target, anchor] = href.split('#') as [string, string | undefined];
        const resolved = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
        links.push({ file, line: index + 1, target: resolved, ...defined({ anchor }) });
      }
    });
  return links;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`. */
export function headingAnchors(root: string, file: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const text of readFileSync(path.join(root, file), 'utf8').split('\n')) {
    if (/^\s*```/.test(text)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading === null) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    let anchor = base;
    for (let suffix = 1; anchors.has(anchor); suffix++) anchor = `${base}-${suffix}`;
    anchors.add(anchor);
  }
  return anchors;
}

/**
 * Floe's side of `floe import feast`: the generated features.ts, one exported definition per
 * imported object, formatted as Floe's own sources are (single quotes, one field per line).
 */
import { IDENTIFIER_PATTERN } from '../names.js';

export type DefinitionKind = 'entity' | 'source' | 'pushSource' | 'requestSource' | 'featureView' | 'onDemandView' | 'featureService';

interface Block {
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly code: () => string;
}

export class DefinitionsWriter {
  private readonly blocks: Block[] = [];
  private readonly used = new Set<string>();

  /** Adds a definition, exported under a variable named after `name`; `code` is called when the file is rendered. */
  add(kind: DefinitionKind, name: string, code: () => string): void {
    this.blocks.push({ kind, name, code });
  }

  /** The file: the header comment lines, the import of the define functions used, and each definition. */
  render(header: readonly string[], floeModule: string): string {
    const functions = [...new Set(this.blocks.map((block) => FUNCTIONS[block.kind]))].sort();
    const lines = [...header, ...(functions.length === 0 ? [] : [`import { ${functions.join(', ')} } from ${quote(floeModule)};`])];
    for (const block of this.blocks) {
      const variable = this.variableName(block.name, block.kind);
      lines.push('', `export const ${variable} = ${block.code()};`);
    }
    return `${lines.join('\n')}\n`;
  }

  private variableName(name: string, kind: string): string {
    const camel = name.replace(/_+([A-Za-z0-9])/g, (_, letter: string) => letter.toUpperCase()).replace(/^_+/, '');
    let candidate = /^[A-Za-z]/.test(camel) && !RESERVED.has(camel) ? camel : `${kind}${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
    if (this.used.has(candidate)) candidate = `${candidate}${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
    for (let suffix = 2; this.used.has(candidate); suffix++) candidate = `${candidate}${suffix}`;
    this.used.add(candidate);
    return candidate;
  }
}

const FUNCTIONS: Readonly<Record<DefinitionKind, string>> = {
  entity: 'defineEntity',
  source: 'defineIcebergSource',
  pushSource: 'definePushSource',
  requestSource: 'defineRequestSource',
  featureView: 'defineFeatureView',
  onDemandView: 'defineOnDemandView',
  featureService: 'defineFeatureService',
};

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

/** `fn({...})` with the object's defined fields as TypeScript, one per line, as Floe's own sources are formatted. */
export function call(fn: string, fields: Record<string, unknown>): string {
  const body = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const short = `  ${key}: ${literal(value)},`;
      // A long list of objects (features, fields), one item per line.
      if (short.length <= 100 || !Array.isArray(value)) return short;
      return [`  ${key}: [`, ...value.map((item) => `    ${literal(item)},`), '  ],'].join('\n');
    });
  return `${fn}({\n${body.join('\n')}\n})`;
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{ ${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${IDENTIFIER_PATTERN.test(key) ? key : quote(key)}: ${literal(item)}`)
      .join(', ')} }`;
  return typeof value === 'string' ? quote(value) : JSON.stringify(value);
}

/** A single-quoted TypeScript string literal (the project's style), escaped as JSON escapes. */
export function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")}'`;
}

import { z } from 'zod';
import type { IcebergType } from '../iceberg/spec/types.js';
import { typeText } from '../iceberg/spec/types.js';

// A feature's declared type, as a definition spells it, and the Iceberg type of its column. The one
// grammar (docs/reference/definitions.md, "Feature types"):
//
//   type   := primitive | 'json' | 'list<' type '>' | 'map<string,' type '>' | 'struct<' field (',' field)* '>'
//   field  := name ':' type
//
// Spaces around the punctuation are allowed; a definition keeps the canonical spelling, without
// them (`map<string,long>`). `json` is a whole feature only: its column is an Iceberg string holding
// JSON text (Iceberg has no JSON type; Feast's Json is the same), and the definition's `json` is
// what tells readers and writers to treat the text as JSON.

/** The primitive types a feature (or a join key) may have. */
export const PRIMITIVE_FEATURE_TYPES = [
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'timestamp',
  'timestamptz',
  'string',
  'binary',
  'uuid',
] as const;
export type PrimitiveFeatureType = (typeof PRIMITIVE_FEATURE_TYPES)[number];

/** A feature type in its canonical spelling. */
export type FeatureType = PrimitiveFeatureType | 'json' | `list<${string}>` | `map<string,${string}>` | `struct<${string}>`;

/** A feature's `type` in a definition: checked by parseFeatureType, kept in its canonical spelling. */
export const featureTypeSchema = z.string().transform((text, context): FeatureType => {
  try {
    return parseFeatureType(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const PRIMITIVES: ReadonlySet<string> = new Set(PRIMITIVE_FEATURE_TYPES);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The Iceberg type a feature's column has (a JSON feature's is string), nested field ids all 0: give them with withFreshIds. */
export function featureColumnType(type: FeatureType): IcebergType {
  // Online reads ask this per feature per request: a primitive is its own column type, no parse.
  if (PRIMITIVES.has(type)) return type as PrimitiveFeatureType;
  return type === 'json' ? 'string' : parseNested(type);
}

/** The Iceberg type of the column holding `view`'s feature `name`, which the view must have. */
export function viewFeatureColumnType(
  view: { readonly features: readonly { readonly name: string; readonly type: FeatureType }[] },
  name: string,
): IcebergType {
  return featureColumnType(view.features.find((feature) => feature.name === name)!.type);
}

export function isJsonFeature(type: FeatureType): boolean {
  return type === 'json';
}

/** Whether the feature's column is a list, map or struct. */
export function isNestedFeature(type: FeatureType): boolean {
  return typeof featureColumnType(type) !== 'string';
}

/**
 * The canonical spelling of a feature type written by a user, or an Error saying where it goes
 * wrong and what the grammar allows.
 */
export function parseFeatureType(text: string): FeatureType {
  if (text.trim() === 'json') return 'json';
  return typeText(parseNested(text)) as FeatureType;
}

function parseNested(text: string): IcebergType {
  const parser = new TypeParser(text);
  const type = parser.type();
  parser.end();
  return type;
}

class TypeParser {
  private position = 0;

  constructor(private readonly text: string) {}

  type(): IcebergType {
    const word = this.word();
    if (PRIMITIVES.has(word)) return word as PrimitiveFeatureType;
    switch (word) {
      case 'list': {
        this.expect('<');
        const element = this.type();
        this.expect('>');
        return { type: 'list', elementId: 0, element, elementRequired: false };
      }
      case 'map': {
        this.expect('<');
        const at = this.position;
        const key = this.word();
        if (key !== 'string')
          this.fail(`a map's key type must be string (Feast's Map and JSON objects have string keys), not ${JSON.stringify(key)}`, at);
        this.expect(',');
        const value = this.type();
        this.expect('>');
        return { type: 'map', keyId: 0, key: 'string', valueId: 0, value, valueRequired: false };
      }
      case 'struct': {
        this.expect('<');
        const fields: { id: number; name: string; required: boolean; type: IcebergType }[] = [];
        do {
          const at = this.position;
          const name = this.word();
          if (!NAME.test(name)) this.fail(`expected a struct field name (letters, digits, _), found ${this.found(at)}`, at);
          if (fields.some((field) => field.name === name)) this.fail(`struct field ${name} appears twice`, at);
          this.expect(':');
          fields.push({ id: 0, name, required: false, type: this.type() });
        } while (this.take(','));
        this.expect('>');
        return { type: 'struct', fields };
      }
      case 'json':
        return this.fail('json is a whole feature’s type; inside a list, map or struct use string', this.position - word.length);
      default:
        return this.fail(
          `expected a type (${PRIMITIVE_FEATURE_TYPES.join(', ')}, json, list<…>, map<string,…>, struct<name:type,…>), found ${this.found(this.position - word.length)}`,
          this.position - word.length,
        );
    }
  }

  end(): void {
    this.skipSpaces();
    if (this.position < this.text.length) this.fail(`unexpected ${this.found(this.position)} after the type`, this.position);
  }

  private word(): string {
    this.skipSpaces();
    const match = /^[A-Za-z0-9_]*/.exec(this.text.slice(this.position))![0];
    this.position += match.length;
    return match;
  }

  private take(symbol: string): boolean {
    this.skipSpaces();
    if (this.text[this.position] !== symbol) return false;
    this.position += 1;
    return true;
  }

  private expect(symbol: string): void {
    if (!this.take(symbol)) this.fail(`expected "${symbol}", found ${this.found(this.position)}`, this.position);
  }

  private skipSpaces(): void {
    while (this.text[this.position] === ' ') this.position += 1;
  }

  private found(at: number): string {
    return at >= this.text.length ? 'the end' : JSON.stringify(this.text.slice(at, at + 12));
  }

  private fail(message: string, at: number): never {
    throw new Error(`${message} (at character ${at + 1} of ${JSON.stringify(this.text)})`);
  }
}

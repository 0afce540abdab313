import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { FeatureViewDefinition } from './definitions.js';
import { invalid, parse } from './definitions.js';
import { identifierSchema } from './names.js';
import { defined } from '../contracts/defined.js';

/**
 * On-demand feature views, as Feast's: features computed when they are read, by a pure function of
 * one row of inputs — features of other views, and request fields the caller sends with each
 * entity row (declared by a request source). The same function runs online (per entity row, after
 * the inputs are fetched) and offline (over the point-in-time joined rows), so both agree.
 */

const name = identifierSchema;

/** The scalars a request field or an on-demand feature may be: the ones JavaScript holds exactly both online and offline. */
export const ON_DEMAND_TYPES = ['boolean', 'int', 'long', 'float', 'double', 'string'] as const;
export type OnDemandType = (typeof ON_DEMAND_TYPES)[number];

/** Types a request field or an on-demand feature may have: those scalars, and a list of one (an embedding, say). */
export const ON_DEMAND_FEATURE_TYPES = [...ON_DEMAND_TYPES, ...ON_DEMAND_TYPES.map((type) => `list<${type}>` as const)] as const;
export type OnDemandFeatureType = (typeof ON_DEMAND_FEATURE_TYPES)[number];
const onDemandType = z.enum(ON_DEMAND_FEATURE_TYPES);

const LIST_ELEMENTS: ReadonlyMap<string, OnDemandType> = new Map(ON_DEMAND_TYPES.map((type) => [`list<${type}>`, type]));

/** The item type of a list field or feature; undefined for a scalar. */
export function onDemandListElement(type: OnDemandFeatureType): OnDemandType | undefined {
  return LIST_ELEMENTS.get(type);
}

const requestSourceSchema = z
  .object({
    name,
    fields: z.array(z.object({ name, type: onDemandType }).strict()).min(1),
    description: z.string().optional(),
  })
  .strict();

export type RequestSourceDefinition = z.infer<typeof requestSourceSchema> & { readonly kind: 'requestSource' };

/** A source of an on-demand view: a feature view (some or all of its features) or a request source, by name. */
export interface OnDemandSourceReference {
  readonly name: string;
  /** For a feature view: the features passed to compute; all of them when absent. */
  readonly features?: readonly string[];
}

/**
 * A value as compute receives it, the same online and offline: numbers (a long too, exact up to
 * 2^53), strings, booleans, dates as `YYYY-MM-DD`, timestamps as Date, binary as Uint8Array, a
 * `json` feature as its JSON text, a list as an array, a map or struct as an object (by key or field
 * name), their items so too; null for a missing, expired or null input.
 */
export type OnDemandValue =
  number | string | boolean | Date | Uint8Array | null | readonly OnDemandValue[] | { readonly [key: string]: OnDemandValue };
/** compute's argument: per source name (view or request source), its fields' values. */
export type OnDemandInputs = Readonly<Record<string, Readonly<Record<string, OnDemandValue>>>>;
type OnDemandOutputScalar = number | bigint | string | boolean | null | undefined;
/** compute's result: a value per feature of the view (a missing one reads as null), an array for a list feature. */
export type OnDemandOutputs = Readonly<Record<string, OnDemandOutputScalar | readonly OnDemandOutputScalar[]>>;
export type OnDemandCompute = (inputs: OnDemandInputs) => OnDemandOutputs;

const onDemandFeatureSchema = z.object({ name, type: onDemandType, description: z.string().optional() }).strict();
export type OnDemandFeatureDefinition = z.infer<typeof onDemandFeatureSchema>;

const sourceReferenceSchema = z.union([
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be "view", "view:feature" or a request source name'),
  z.object({ name, features: z.array(name).min(1).optional() }).strict(),
]);

const onDemandViewSchema = z
  .object({
    name,
    sources: z.array(sourceReferenceSchema).min(1),
    features: z.array(onDemandFeatureSchema).min(1),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** What the registry document stores of an on-demand view: everything but the function, which it knows by hash. */
export interface StoredOnDemandView {
  readonly kind: 'onDemandView';
  readonly name: string;
  readonly sources: readonly OnDemandSourceReference[];
  readonly features: readonly OnDemandFeatureDefinition[];
  /** sha256 of `compute.toString()`: a changed function shows as a change in `floe plan`. */
  readonly computeHash: string;
  readonly description?: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface OnDemandViewDefinition extends StoredOnDemandView {
  readonly compute: OnDemandCompute;
}

export type OnDemandViewInput = Omit<z.input<typeof onDemandViewSchema>, 'sources'> & {
  readonly sources: readonly (z.input<typeof sourceReferenceSchema> | FeatureViewDefinition | RequestSourceDefinition)[];
  readonly compute: OnDemandCompute;
};

export function defineRequestSource(input: z.input<typeof requestSourceSchema>): RequestSourceDefinition {
  const parsed = parse(requestSourceSchema, input, 'request source');
  const duplicate = parsed.fields.find((field, index) => parsed.fields.findIndex((other) => other.name === field.name) !== index);
  if (duplicate)
    throw invalid(`Request source ${parsed.name}: field ${JSON.stringify(duplicate.name)} is declared twice`, parsed.name, 'fields');
  return { kind: 'requestSource', ...parsed };
}

/**
 * An on-demand view. `sources` takes feature view and request source definitions, their names, or
 * `"view:feature"` / `{ name, features }` for some of a view's features; which name is a view and
 * which a request source is checked by the Registry. `compute` must be pure: it runs once per row,
 * online and offline, in every process that loads the definitions.
 */
export function defineOnDemandView(input: OnDemandViewInput): OnDemandViewDefinition {
  const { compute, ...rest } = input;
  if (typeof compute !== 'function')
    throw invalid(`On-demand view ${String(input.name)}: compute must be a function of the inputs`, String(input.name), 'compute');
  const plain = {
    ...rest,
    sources: input.sources.map((source) => (typeof source === 'object' && 'kind' in source ? source.name : source)),
  };
  const parsed = parse(onDemandViewSchema, plain, 'on-demand view');
  const sources = new Map<string, string[] | undefined>();
  for (const reference of parsed.sources) {
    const [sourceName, feature] = typeof reference === 'string' ? (reference.split(':') as [string, string | undefined]) : [reference.name];
    const features = typeof reference === 'string' ? (feature === undefined ? undefined : [feature]) : reference.features;
    const known = sources.get(sourceName);
    // A whole view wins over a subset of it, as in feature services.
    if (!sources.has(sourceName)) sources.set(sourceName, features === undefined ? undefined : [...features]);
    else sources.set(sourceName, known === undefined || features === undefined ? undefined : [...new Set([...known, ...features])]);
  }
  const seen = new Set<string>();
  for (const feature of parsed.features) {
    if (seen.has(feature.name))
      throw invalid(
        `On-demand view ${parsed.name}: feature ${JSON.stringify(feature.name)} is defined twice`,
        parsed.name,
        `features.${feature.name}`,
      );
    seen.add(feature.name);
  }
  return {
    kind: 'onDemandView',
    name: parsed.name,
    sources: [...sources].map(([sourceName, features]) => (features === undefined ? { name: sourceName } : { name: sourceName, features })),
    features: parsed.features,
    computeHash: createHash('sha256').update(compute.toString()).digest('hex'),
    ...defined({ description: parsed.description }),
    tags: parsed.tags,
    compute,
  };
}

/** The view as the registry document holds it (no function). */
export function storedOnDemandView(view: StoredOnDemandView): StoredOnDemandView {
  return {
    kind: view.kind,
    name: view.name,
    sources: view.sources,
    features: view.features,
    computeHash: view.computeHash,
    ...defined({ description: view.description }),
    tags: view.tags,
  };
}

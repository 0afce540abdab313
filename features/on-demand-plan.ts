import { FloeError } from '../core/errors.js';
import { mapPrimitives } from '../iceberg/spec/nested-values.js';
import type { IcebergType, IcebergValue, PrimitiveType, PrimitiveValue } from '../iceberg/spec/types.js';
import type { FeatureViewDefinition } from './definitions.js';
import { onDemandListElement } from './on-demand.js';
import type { OnDemandFeatureType, OnDemandType, OnDemandValue, OnDemandViewDefinition, RequestSourceDefinition } from './on-demand.js';
import type { Registry, ResolvedProjection } from './registry.js';

/**
 * How a read with on-demand features runs, the same online and offline: which ordinary views to
 * fetch (those asked for, plus the inputs of the on-demand views asked for), which request fields
 * each entity row must carry, and how values cross into and out of `compute`.
 */

export interface OnDemandProjection {
  readonly view: OnDemandViewDefinition;
  readonly features: readonly string[];
}

export interface RequestField {
  readonly name: string;
  readonly type: OnDemandFeatureType;
  readonly source: string;
  /** The on-demand views that need it, for error messages. */
  readonly views: readonly string[];
}

export interface FeaturePlan {
  /** What was asked of ordinary views, in order. */
  readonly requested: readonly ResolvedProjection[];
  /** Ordinary views to read: the requested ones with every on-demand input added. */
  readonly fetched: readonly ResolvedProjection[];
  readonly onDemand: readonly OnDemandProjection[];
  readonly requestFields: readonly RequestField[];
}

export type PlannedSelection = { readonly features: readonly string[] } | { readonly featureService: string };

/**
 * Splits a selection into ordinary and on-demand features. `resolveOrdinary` resolves the ordinary
 * references as the caller always has (so their errors stay as they were).
 */
export function planFeatures(
  registry: Registry,
  selection: PlannedSelection,
  resolveOrdinary: (references: readonly string[]) => readonly ResolvedProjection[],
): FeaturePlan {
  let requested: readonly ResolvedProjection[];
  const onDemand: OnDemandProjection[] = [];
  if ('featureService' in selection) {
    const service = registry.featureService(selection.featureService);
    const ordinary: ResolvedProjection[] = [];
    for (const projection of service.features) {
      const where = `Feature service ${service.name}`;
      if (registry.onDemandViews.has(projection.featureView))
        onDemand.push(registry.resolveOnDemandProjection(projection, where, { object: service.name }));
      else ordinary.push(registry.resolveProjection(projection, where, { object: service.name }));
    }
    requested = ordinary;
  } else {
    const ordinary: string[] = [];
    const byView = new Map<string, { all: boolean; names: string[] }>();
    for (const reference of selection.features) {
      const [viewName, feature] = typeof reference === 'string' ? (reference.split(':') as [string, string | undefined]) : [''];
      if (!registry.onDemandViews.has(viewName)) {
        ordinary.push(reference);
        continue;
      }
      const entry = byView.get(viewName) ?? { all: false, names: [] };
      if (feature === undefined) entry.all = true;
      else if (!entry.names.includes(feature)) entry.names.push(feature);
      byView.set(viewName, entry);
    }
    for (const [featureView, entry] of byView)
      onDemand.push(
        registry.resolveOnDemandProjection(entry.all ? { featureView } : { featureView, features: entry.names }, 'Feature reference', {
          field: 'features',
        }),
      );
    requested = ordinary.length === 0 && onDemand.length > 0 ? [] : resolveOrdinary(ordinary);
  }
  return { requested, onDemand, ...onDemandInputs(registry, requested, onDemand) };
}

function onDemandInputs(
  registry: Registry,
  requested: readonly ResolvedProjection[],
  onDemand: readonly OnDemandProjection[],
): { fetched: ResolvedProjection[]; requestFields: RequestField[] } {
  const fetched: { view: FeatureViewDefinition; features: string[]; name?: string }[] = requested.map((projection) => ({
    ...projection,
    features: [...projection.features],
  }));
  const fields = new Map<string, RequestField & { views: string[] }>();
  for (const { view } of onDemand) {
    const sources = registry.onDemandSourcesOf(view);
    for (const input of sources.views) {
      // An on-demand view reads the view by its own name: an aliased projection of it is another read.
      const known = fetched.find((projection) => projection.view.name === input.view.name && projection.name === undefined);
      if (known === undefined) fetched.push({ view: input.view, features: [...input.features] });
      else for (const feature of input.features) if (!known.features.includes(feature)) known.features.push(feature);
    }
    for (const field of sources.requestSources.flatMap(requestFieldsOf)) {
      const known = fields.get(field.name);
      if (known === undefined) fields.set(field.name, { ...field, views: [view.name] });
      else if (known.type !== field.type)
        throw new FloeError(
          'invalid-input',
          `Request field ${field.name} is a ${known.type} in request source ${known.source} but a ${field.type} in ${field.source}`,
          { context: { field: field.name } },
        );
      else if (!known.views.includes(view.name)) known.views.push(view.name);
    }
  }
  return { fetched, requestFields: [...fields.values()] };
}

function requestFieldsOf(source: RequestSourceDefinition): Omit<RequestField, 'views'>[] {
  return source.fields.map((field) => ({ name: field.name, type: field.type, source: source.name }));
}

/**
 * A feature's value (as Floe holds it: long and timestamps as bigint, dates as days, lists as arrays,
 * maps and structs as objects) as compute receives it.
 */
export function onDemandInputValue(type: IcebergType, value: IcebergValue | null | undefined): OnDemandValue {
  return mapPrimitives(type, value, primitiveInputValue);
}

function primitiveInputValue(type: PrimitiveType, value: PrimitiveValue): OnDemandValue {
  switch (type) {
    case 'long':
      return Number(value as bigint | number);
    case 'timestamp':
    case 'timestamptz': {
      const micros = BigInt(value as bigint | number);
      const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
      return new Date(Number(millis));
    }
    case 'date':
      return new Date((value as number) * 86_400_000).toISOString().slice(0, 10);
    default:
      return value as OnDemandValue;
  }
}

/** A request field's value as an online caller sent it, checked against its declared type. */
export function requestFieldValue(field: RequestField, value: unknown, row: number): OnDemandValue {
  if (value === undefined) {
    throw new FloeError(
      'invalid-input',
      `Entity row ${row} has no request field ${JSON.stringify(field.name)} (a ${field.type} of request source ${field.source}, needed by on-demand view ${field.views.join(', ')})`,
      { context: { row, field: field.name } },
    );
  }
  if (value === null) return null;
  const element = onDemandListElement(field.type);
  const typed = element === undefined ? requestFieldTyped(field.type as OnDemandType, value) : requestListTyped(element, value);
  if (typed !== undefined) return typed;
  throw new FloeError(
    'invalid-input',
    `Entity row ${row}: request field ${field.name} must be a ${field.type}, got ${typeof value === 'bigint' ? `"${value}"` : valueText(value)}`,
    { context: { row, field: field.name } },
  );
}

/**
 * The value in the field's type, or undefined when it is not one. Text that spells a number or a
 * boolean exactly counts (the CLI's `--entity lat=52.1` sends text), as join keys' numeric text does.
 */
function requestFieldTyped(type: OnDemandType, value: unknown): OnDemandValue | undefined {
  switch (type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'double':
    case 'float': {
      const number = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : undefined;
      return number === undefined ? undefined : type === 'float' ? Math.fround(number) : number;
    }
    case 'int':
    case 'long': {
      if (typeof value === 'bigint') return type === 'long' || (value >= -(2n ** 31n) && value < 2n ** 31n) ? Number(value) : undefined;
      const number =
        typeof value === 'number' ? value : typeof value === 'string' && /^-?[0-9]{1,19}$/.test(value) ? Number(value) : undefined;
      if (number === undefined || !Number.isInteger(number)) return undefined;
      return type === 'long' || (number >= -(2 ** 31) && number < 2 ** 31) ? number : undefined;
    }
  }
}

/** A list field's items typed, nulls kept: from an array, or from text holding a JSON array (the CLI sends text). */
function requestListTyped(element: OnDemandType, value: unknown): OnDemandValue[] | undefined {
  let items = value;
  if (typeof value === 'string' && value.trimStart().startsWith('['))
    try {
      items = JSON.parse(value);
    } catch {
      return undefined;
    }
  if (!Array.isArray(items)) return undefined;
  return typedItems(items, (item) => (item === null ? null : requestFieldTyped(element, item)));
}

/** Each item in its type (null kept, as `typeItem` gives it); undefined when one is not of it. */
function typedItems<T>(items: readonly unknown[], typeItem: (item: unknown) => T | undefined): T[] | undefined {
  const typed: T[] = [];
  for (const item of items) {
    const value = typeItem(item);
    if (value === undefined) return undefined;
    typed.push(value);
  }
  return typed;
}

const NUMBER_TEXT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/**
 * A computed value in its declared type (long as bigint, float rounded to 32 bits; a list's items
 * so, or null); anything else is the definition's mistake.
 */
export function onDemandOutputValue(
  view: OnDemandViewDefinition,
  feature: string,
  type: OnDemandFeatureType,
  value: unknown,
): IcebergValue | null {
  if (value === null || value === undefined) return null;
  const element = onDemandListElement(type);
  const typed =
    element === undefined
      ? outputTyped(type as OnDemandType, value)
      : Array.isArray(value)
        ? typedItems(value, (item) => (item === null || item === undefined ? null : outputTyped(element, item)))
        : undefined;
  if (typed !== undefined) return typed;
  throw new FloeError(
    'invalid-input',
    `On-demand view ${view.name}: compute returned ${valueText(value)} for feature ${feature}, which is a ${type}`,
    { context: { featureView: view.name, feature } },
  );
}

/** A value for a message: bigints with their `n`, arrays item by item. */
function valueText(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? `[${value.map(valueText).join(',')}]` : (JSON.stringify(value) ?? String(value));
}

function outputTyped(type: OnDemandType, value: unknown): PrimitiveValue | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'double':
      return typeof value === 'number' ? value : undefined;
    case 'float':
      return typeof value === 'number' ? Math.fround(value) : undefined;
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31 ? value : undefined;
    case 'long':
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
  }
}

/** Runs compute for one row: every declared feature's value, typed. */
export function computeOnDemandRow(
  view: OnDemandViewDefinition,
  inputs: Readonly<Record<string, Readonly<Record<string, OnDemandValue>>>>,
): (IcebergValue | null)[] {
  let outputs: Readonly<Record<string, unknown>>;
  try {
    outputs = view.compute(inputs);
  } catch (error) {
    throw new FloeError('invalid-input', `On-demand view ${view.name}: compute failed: ${(error as Error).message}`, {
      context: { featureView: view.name },
      cause: error,
    });
  }
  if (outputs === null || typeof outputs !== 'object')
    throw new FloeError('invalid-input', `On-demand view ${view.name}: compute must return an object of feature values`, {
      context: { featureView: view.name },
    });
  return view.features.map((feature) =>
    onDemandOutputValue(view, feature.name, feature.type, Object.hasOwn(outputs, feature.name) ? outputs[feature.name] : null),
  );
}

import { FloeError } from '../../core/errors.js';
import type { EntityDefinition, FeatureServiceDefinition, FeatureViewDefinition, IcebergSourceDefinition } from '../definitions.js';
import type { OnDemandViewDefinition, RequestSourceDefinition, StoredOnDemandView } from '../on-demand.js';
import { storedOnDemandView } from '../on-demand.js';
import type { PushSourceDefinition } from '../push-source.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import type { Definition, Registry } from '../registry.js';

/**
 * The registry as `floe apply` stores it: one JSON document per version, holding every definition
 * as validated (plain data, so it round-trips exactly). Readers take the highest version.
 */
export interface RegistryDocument {
  readonly format: typeof REGISTRY_FORMAT;
  readonly formatVersion: 1;
  readonly version: number;
  readonly project: string;
  readonly appliedAt: string;
  readonly entities: readonly EntityDefinition[];
  readonly sources: readonly IcebergSourceDefinition[];
  readonly featureViews: readonly FeatureViewDefinition[];
  readonly featureServices: readonly FeatureServiceDefinition[];
  /** Absent in documents written before on-demand views. Their functions come from the loaded definitions. */
  readonly requestSources?: readonly RequestSourceDefinition[];
  readonly onDemandViews?: readonly StoredOnDemandView[];
  /** Absent in documents written before push sources existed. */
  readonly pushSources?: readonly PushSourceDefinition[];
  /** Absent in documents written before stream sources existed. */
  readonly streamSources?: readonly StreamSourceDefinition[];
}

export const REGISTRY_FORMAT = 'floe-registry';

export function registryDocument(registry: Registry, options: { project: string; version: number; appliedAt: Date }): RegistryDocument {
  const sorted = <T extends { name: string }>(items: Iterable<T>): T[] =>
    [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    format: REGISTRY_FORMAT,
    formatVersion: 1,
    version: options.version,
    project: options.project,
    appliedAt: options.appliedAt.toISOString(),
    entities: sorted(registry.entities.values()),
    sources: sorted(registry.sources.values()),
    featureViews: sorted(registry.featureViews.values()),
    featureServices: sorted(registry.featureServices.values()),
    requestSources: sorted(registry.requestSources.values()),
    onDemandViews: sorted(registry.onDemandViews.values()).map(storedOnDemandView),
    ...(registry.pushSources.size === 0 ? {} : { pushSources: sorted(registry.pushSources.values()) }),
    ...(registry.streamSources.size === 0 ? {} : { streamSources: sorted(registry.streamSources.values()) }),
  };
}

/** Every definition of a registry as its document stores them (on-demand views by their function's hash): what apply and dev compare. */
export function storedDefinitions(registry: Registry): Definition[] {
  return [
    ...registry.entities.values(),
    ...registry.sources.values(),
    ...registry.pushSources.values(),
    ...registry.streamSources.values(),
    ...registry.featureViews.values(),
    ...registry.featureServices.values(),
    ...registry.requestSources.values(),
    ...[...registry.onDemandViews.values()].map((view) => storedOnDemandView(view) as OnDemandViewDefinition),
  ];
}

/** Every definition of a document, as the Registry takes them (on-demand views without their function: for comparing only). */
export function documentDefinitions(document: RegistryDocument): Definition[] {
  return [
    ...document.entities,
    ...document.sources,
    ...(document.pushSources ?? []),
    ...(document.streamSources ?? []),
    ...document.featureViews,
    ...document.featureServices,
    ...(document.requestSources ?? []),
    ...((document.onDemandViews ?? []) as OnDemandViewDefinition[]),
  ];
}

export function encodeRegistryDocument(document: RegistryDocument): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(document, null, 2)}\n`);
}

export function decodeRegistryDocument(bytes: Uint8Array, location: string): RegistryDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new FloeError('corrupt', `Registry document ${location} is not JSON: ${(error as Error).message}`, {
      context: { location },
      cause: error,
    });
  }
  const document = parsed as Partial<RegistryDocument> | null;
  if (!document || document.format !== REGISTRY_FORMAT || document.formatVersion !== 1 || !Number.isSafeInteger(document.version)) {
    throw new FloeError('corrupt', `${location} is not a Floe registry document of format version 1`, { context: { location } });
  }
  for (const field of ['entities', 'sources', 'featureViews', 'featureServices'] as const) {
    if (!Array.isArray(document[field]))
      throw new FloeError('corrupt', `Registry document ${location} has no ${field} list`, { context: { location, field } });
  }
  return document as RegistryDocument;
}

import { FloeError } from '../../core/errors.js';
import type { FeatureViewDefinition } from '../definitions.js';
import type { Registry } from '../registry.js';

/** Some features of one view, every name checked against the view, in the order asked for. */
export interface ViewProjection {
  readonly view: FeatureViewDefinition;
  readonly features: readonly string[];
}

/** What an online read asks for: Feast-style references, a feature service, or projections resolved elsewhere. */
export type FeatureSelection =
  { readonly features: readonly string[] } | { readonly featureService: string } | { readonly projections: readonly ViewProjection[] };

/**
 * `view:feature` references (or `view` for all of a view's features), grouped by view in the order
 * first named; the same feature twice is kept once.
 */
export function resolveFeatureRefs(registry: Registry, references: readonly string[]): ViewProjection[] {
  if (references.length === 0)
    throw new FloeError('invalid-input', 'Ask for at least one feature, as "view:feature" or "view"', { context: { field: 'features' } });
  const byView = new Map<string, { all: boolean; names: string[] }>();
  for (const reference of references) {
    const match = typeof reference === 'string' ? /^([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?$/.exec(reference) : null;
    if (!match)
      throw new FloeError('invalid-input', `Feature reference ${JSON.stringify(reference)} must be "view:feature" or "view"`, {
        context: { field: 'features' },
      });
    const viewName = match[1]!;
    const entry = byView.get(viewName) ?? { all: false, names: [] };
    if (match[2] === undefined) entry.all = true;
    else if (!entry.names.includes(match[2])) entry.names.push(match[2]);
    byView.set(viewName, entry);
  }
  return [...byView].map(([viewName, entry]) => project(registry, viewName, entry.all ? undefined : entry.names));
}

/** The projections of a feature service defined in the registry; an unknown service is not-found. */
export function resolveFeatureService(registry: Registry, name: string): ViewProjection[] {
  return registry.featureServiceProjections(name).map((projection) => ({ view: projection.view, features: [...projection.features] }));
}

export function resolveSelection(registry: Registry, selection: FeatureSelection): ViewProjection[] {
  if ('projections' in selection)
    return selection.projections.map((projection) => project(registry, projection.view.name, projection.features));
  if ('featureService' in selection) return resolveFeatureService(registry, selection.featureService);
  return resolveFeatureRefs(registry, selection.features);
}

function project(registry: Registry, viewName: string, names: readonly string[] | undefined): ViewProjection {
  const view = registry.featureViews.get(viewName);
  if (!view) {
    const known = [...registry.featureViews.keys()].sort().join(', ') || 'none';
    throw new FloeError('not-found', `No feature view named ${JSON.stringify(viewName)}; defined: ${known}`, {
      context: { featureView: viewName },
    });
  }
  const features = names ?? view.features.map((feature) => feature.name);
  for (const feature of features) {
    if (!view.features.some((candidate) => candidate.name === feature)) {
      throw new FloeError(
        'not-found',
        `Feature view ${view.name} has no feature ${JSON.stringify(feature)}; it has: ${view.features.map((candidate) => candidate.name).join(', ')}`,
        {
          context: { featureView: view.name, feature },
        },
      );
    }
  }
  return { view, features };
}

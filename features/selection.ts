/**
 * What a read asks for, resolved against the registry: feature references, a feature service or
 * projections become the views and features to read, with the on-demand features split off into
 * their plan (on-demand-plan.ts). Online reads resolve here, and historical retrievals and training
 * sets (whose errors differ: they grew apart as each path was built).
 */
import { FloeError } from '../core/errors.js';
import type { FeatureViewDefinition } from './definitions.js';
import type { FeaturePlan } from './on-demand-plan.js';
import { planFeatures } from './on-demand-plan.js';
import type { Registry, ResolvedProjection } from './registry.js';

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

/** An online read's plan: the projections to fetch and, with on-demand views asked for, their inputs and request fields. */
export function planOnlineSelection(registry: Registry, selection: FeatureSelection): FeaturePlan {
  if ('projections' in selection || registry.onDemandViews.size === 0) {
    const projections = resolveSelection(registry, selection);
    return { requested: projections, fetched: projections, onDemand: [], requestFields: [] };
  }
  return planFeatures(registry, selection, (references) => resolveFeatureRefs(registry, references));
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

/** What a historical retrieval asks for: feature references (`view`, `view:feature`, on-demand views too) or a feature service. */
export interface HistoricalFeatureSelection {
  readonly features?: readonly string[] | undefined;
  readonly featureService?: string | undefined;
  /**
   * Other names for feature views, alias → view: a reference `alias:feature` reads the view and
   * names its features by the alias (`alias__feature` with full feature names), so one view can be
   * asked for twice under two names. With `features` only.
   */
  readonly viewAliases?: Readonly<Record<string, string>> | undefined;
}

export interface ResolvedHistoricalFeatures {
  /** The ordinary views read (with on-demand features, their inputs too). */
  readonly projections: readonly ResolvedProjection[];
  /** Set when on-demand features are asked for: they are computed over the joined rows. */
  readonly onDemandPlan?: FeaturePlan | undefined;
}

/**
 * The one resolution of a historical selection, shared by getHistoricalFeatures, the training set
 * (library and workflow) and `floe training-set`: exactly one of features or a feature service,
 * every reference known, on-demand views split from the ordinary ones they read.
 */
export function resolveHistoricalFeatures(registry: Registry, selection: HistoricalFeatureSelection): ResolvedHistoricalFeatures {
  if ((selection.features === undefined) === (selection.featureService === undefined)) {
    throw new FloeError('invalid-input', 'Ask for features or a featureService (exactly one of them)', {
      context: { field: selection.features === undefined ? 'features' : 'featureService' },
    });
  }
  const aliases = viewAliases(registry, selection);
  if (registry.onDemandViews.size > 0) {
    const plan = planFeatures(
      registry,
      selection.featureService !== undefined ? { featureService: selection.featureService } : { features: selection.features ?? [] },
      (references) => registry.resolveFeatureReferences(references, aliases),
    );
    if (plan.onDemand.length > 0) return { projections: plan.fetched, onDemandPlan: plan };
  }
  return {
    projections:
      selection.featureService !== undefined
        ? registry.featureServiceProjections(selection.featureService)
        : registry.resolveFeatureReferences(selection.features ?? [], aliases),
  };
}

/** The selection's aliases, checked: each names a defined view and is no name of a view itself; none with a feature service. */
function viewAliases(registry: Registry, selection: HistoricalFeatureSelection): ReadonlyMap<string, string> | undefined {
  const entries = Object.entries(selection.viewAliases ?? {});
  if (entries.length === 0) return undefined;
  if (selection.featureService !== undefined)
    throw new FloeError('invalid-input', 'viewAliases go with feature references (features), not with a featureService', {
      context: { field: 'viewAliases' },
    });
  for (const [alias, view] of entries) {
    if (!registry.featureViews.has(view)) {
      const known = [...registry.featureViews.keys()].sort().join(', ') || 'none';
      throw new FloeError(
        'not-found',
        `viewAliases: alias ${JSON.stringify(alias)} names feature view ${JSON.stringify(view)}, which is not defined; defined: ${known}`,
        {
          context: { field: 'viewAliases', featureView: view },
        },
      );
    }
    if (alias !== view && (registry.featureViews.has(alias) || registry.onDemandViews.has(alias)))
      throw new FloeError(
        'invalid-input',
        `viewAliases: alias ${JSON.stringify(alias)} is the name of a view itself; choose another alias`,
        {
          context: { field: 'viewAliases', featureView: alias },
        },
      );
  }
  return new Map(entries);
}

import { FloeError } from '../../core/errors.js';
import type { FeaturePlan } from '../on-demand-plan.js';
import { planFeatures } from '../on-demand-plan.js';
import type { Registry, ResolvedProjection } from '../registry.js';

/** What a historical retrieval asks for: feature references (`view`, `view:feature`, on-demand views too) or a feature service. */
export interface HistoricalFeatureSelection {
  readonly features?: readonly string[] | undefined;
  readonly featureService?: string | undefined;
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
  if (registry.onDemandViews.size > 0) {
    const plan = planFeatures(
      registry,
      selection.featureService !== undefined ? { featureService: selection.featureService } : { features: selection.features ?? [] },
      (references) => registry.resolveFeatureReferences(references),
    );
    if (plan.onDemand.length > 0) return { projections: plan.fetched, onDemandPlan: plan };
  }
  return {
    projections:
      selection.featureService !== undefined
        ? registry.featureServiceProjections(selection.featureService)
        : registry.resolveFeatureReferences(selection.features ?? []),
  };
}

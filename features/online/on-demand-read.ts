import type { IcebergValue } from '../../iceberg/spec/types.js';
import { featureColumnType, viewFeatureColumnType } from '../feature-types.js';
import type { OnDemandValue } from '../on-demand.js';
import type { FeaturePlan } from '../on-demand-plan.js';
import { computeOnDemandRow, onDemandInputValue, requestFieldValue } from '../on-demand-plan.js';
import type { Registry } from '../registry.js';
import { presentValue } from './response.js';
import type { FeatureVector } from './response.js';

/** On-demand features online: compute runs per entity row once the inputs are fetched; request fields come in the entity rows. */
/** Per request field, its value in each entity row; a missing field or a mistyped value is invalid-input naming the row and field. */
export function requestFieldValues(plan: FeaturePlan, rows: readonly Readonly<Record<string, unknown>>[]): Map<string, OnDemandValue[]> {
  const values = new Map<string, OnDemandValue[]>();
  for (const field of plan.requestFields)
    values.set(
      field.name,
      rows.map((row, index) =>
        requestFieldValue(
          field,
          row !== null && typeof row === 'object' && Object.hasOwn(row, field.name) ? row[field.name] : undefined,
          index,
        ),
      ),
    );
  return values;
}

/**
 * The on-demand features asked for, one vector each. `inputs` holds each fetched input feature's
 * values by `view:feature` (null when not found or expired), as Floe holds them.
 */
export function onDemandVectors(
  registry: Registry,
  plan: FeaturePlan,
  rowCount: number,
  inputs: ReadonlyMap<string, readonly (IcebergValue | null)[]>,
  requestValues: ReadonlyMap<string, readonly OnDemandValue[]>,
): FeatureVector[] {
  const vectors: FeatureVector[] = [];
  for (const { view, features } of plan.onDemand) {
    const sources = registry.onDemandSourcesOf(view);
    const viewInputs = sources.views.map((input) => ({
      name: input.view.name,
      features: input.features.map((feature) => ({
        name: feature,
        type: viewFeatureColumnType(input.view, feature),
        values: inputs.get(`${input.view.name}:${feature}`),
      })),
    }));
    const computed = Array.from({ length: rowCount }, (_, row) => {
      const argument: Record<string, Record<string, OnDemandValue>> = {};
      for (const input of viewInputs) {
        const values: Record<string, OnDemandValue> = {};
        for (const feature of input.features) values[feature.name] = onDemandInputValue(feature.type, feature.values?.[row]);
        argument[input.name] = values;
      }
      for (const source of sources.requestSources) {
        const values: Record<string, OnDemandValue> = {};
        for (const field of source.fields) values[field.name] = requestValues.get(field.name)?.[row] ?? null;
        argument[source.name] = values;
      }
      return computeOnDemandRow(view, argument);
    });
    for (const feature of features) {
      const position = view.features.findIndex((candidate) => candidate.name === feature);
      const type = featureColumnType(view.features[position]!.type);
      const values = computed.map((row) => presentValue(type, row[position] ?? null));
      vectors.push({
        ref: `${view.name}:${feature}`,
        featureView: view.name,
        feature,
        type,
        values,
        statuses: values.map((value) => (value === null ? 'NOT_FOUND' : 'PRESENT')),
        eventTimestamps: values.map(() => null),
      });
    }
  }
  return vectors;
}

import { z } from 'zod';
import type { OnlineFeaturesRequest } from '../features/online/index.js';
import { FloeError } from '../iceberg/errors.js';

/**
 * Feast's `POST /get-online-features` body: `features` (`view:feature`) or `feature_service`, and
 * `entities` as columns of join key values (`{"driver_id": [1001, 1002]}`).
 */
const bodySchema = z
  .object({
    features: z.array(z.string()).optional(),
    feature_service: z.string().min(1).optional(),
    entities: z.record(z.string(), z.array(z.unknown())),
    full_feature_names: z.boolean().default(false),
  })
  .strict();

export interface FeastRequest {
  readonly request: OnlineFeaturesRequest;
  readonly fullFeatureNames: boolean;
}

export function parseFeastRequest(body: unknown): FeastRequest {
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    throw new FloeError('invalid-input', `Invalid request body: ${problems}. Expected {"features": ["view:feature"], "entities": {"key": [values]}}`, { context: { field: result.error.issues[0]?.path.join('.') } });
  }
  const { features, feature_service: featureService, entities, full_feature_names: fullFeatureNames } = result.data;
  if ((features === undefined || features.length === 0) === (featureService === undefined)) {
    throw new FloeError('invalid-input', 'Give either "features" (a non-empty list of "view:feature") or "feature_service", not both', { context: { field: 'features' } });
  }
  const columns = Object.entries(entities);
  if (columns.length === 0) throw new FloeError('invalid-input', '"entities" must name at least one join key column', { context: { field: 'entities' } });
  const length = columns[0]![1].length;
  const uneven = columns.find(([, values]) => values.length !== length);
  if (uneven) {
    throw new FloeError('invalid-input', `Every entities column must have the same length: ${columns[0]![0]} has ${length} values, ${uneven[0]} has ${uneven[1].length}`, { context: { field: `entities.${uneven[0]}` } });
  }
  const entityRows = Array.from({ length }, (_, index) => Object.fromEntries(columns.map(([name, values]) => [name, values[index]])));
  const request: OnlineFeaturesRequest = featureService !== undefined ? { featureService, entityRows } : { features: features!, entityRows };
  return { request, fullFeatureNames };
}

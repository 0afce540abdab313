import { z } from 'zod';
import type { OnlineFeaturesRequest } from '../features/online/index.js';
import { FloeError } from '../core/errors.js';
import { isRecord } from '../core/is-record.js';

/**
 * Feast's `POST /get-online-features` body: `features` (`view:feature`) or `feature_service`, and
 * `entities` as columns of join key values (`{"driver_id": [1001, 1002]}`). Feast's remote online
 * store sends `include_feature_view_version_metadata` since 0.64 (Floe's views have no versions:
 * accepted, nothing to add); other unknown keys are refused.
 */
const bodySchema = z
  .object({
    features: z.array(z.string()).optional(),
    feature_service: z.string().min(1).optional(),
    entities: z.record(z.string(), z.array(z.unknown())),
    full_feature_names: z.boolean().default(false),
    include_feature_view_version_metadata: z.boolean().optional(),
  })
  .strict();

export interface FeastRequest {
  readonly request: OnlineFeaturesRequest;
  readonly fullFeatureNames: boolean;
}

/** Names that reach an object's prototype when used as a key: refused wherever a request names a column, view or feature. */
export const REFUSED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** More entity rows than `server.maxEntityRows`: the server answers 413. */
export class EntityRowLimitError extends FloeError {
  constructor(
    readonly rows: number,
    readonly limit: number,
  ) {
    super(
      'invalid-input',
      `The request asks for ${rows} entity rows; the feature server answers at most ${limit} per request (server.maxEntityRows in floe.yaml). Send the rows in batches of at most ${limit}`,
      {
        context: { field: 'entities', limit },
      },
    );
  }
}

export interface FeastRequestLimits {
  readonly maxEntityRows: number;
}

/**
 * The checks that come before reading the body's values: no refused name anywhere, no more entity
 * rows than the limit. Returns the number of entity rows asked for (the longest column). Before the
 * schema, which would read 1.6M values only for the count to be refused, and which drops a
 * `__proto__` key silently instead of refusing it.
 */
export function screenFeastRequest(body: unknown, limits: FeastRequestLimits): number {
  checkNames(body);
  return checkEntityRows(body, limits.maxEntityRows);
}

export function parseFeastRequest(body: unknown, limits: FeastRequestLimits): FeastRequest {
  screenFeastRequest(body, limits);
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    throw new FloeError(
      'invalid-input',
      `Invalid request body: ${problems}. Expected {"features": ["view:feature"], "entities": {"key": [values]}}`,
      { context: { field: result.error.issues[0]?.path.join('.') } },
    );
  }
  const { features, feature_service: featureService, entities, full_feature_names: fullFeatureNames } = result.data;
  if ((features === undefined || features.length === 0) === (featureService === undefined)) {
    throw new FloeError('invalid-input', 'Give either "features" (a non-empty list of "view:feature") or "feature_service", not both', {
      context: { field: 'features' },
    });
  }
  const columns = Object.entries(entities);
  if (columns.length === 0)
    throw new FloeError('invalid-input', '"entities" must name at least one join key column', { context: { field: 'entities' } });
  const length = columns[0]![1].length;
  const uneven = columns.find(([, values]) => values.length !== length);
  if (uneven) {
    throw new FloeError(
      'invalid-input',
      `Every entities column must have the same length: ${columns[0]![0]} has ${length} values, ${uneven[0]} has ${uneven[1].length}`,
      { context: { field: `entities.${uneven[0]}` } },
    );
  }
  // Rows without a prototype: a key that is not a column reads as missing, never as Object's members.
  const entityRows = Array.from({ length }, (_, index) => {
    const row = Object.create(null) as Record<string, unknown>;
    for (const [name, values] of columns) row[name] = values[index];
    return row;
  });
  const request: OnlineFeaturesRequest =
    featureService !== undefined ? { featureService, entityRows } : { features: features!, entityRows };
  return { request, fullFeatureNames };
}

function checkNames(body: unknown): void {
  if (!isRecord(body)) return;
  const refuse = (field: string, name: string): never => {
    throw new FloeError(
      'invalid-input',
      `Invalid request body: ${field}: ${JSON.stringify(name)} cannot be a name (${[...REFUSED_NAMES].join(', ')} are refused)`,
      { context: { field } },
    );
  };
  for (const key of Object.keys(body)) if (REFUSED_NAMES.has(key)) refuse(key, key);
  const entities = ownValue(body, 'entities');
  const features = ownValue(body, 'features');
  const featureService = ownValue(body, 'feature_service');
  if (isRecord(entities)) for (const name of Object.keys(entities)) if (REFUSED_NAMES.has(name)) refuse(`entities.${name}`, name);
  if (Array.isArray(features)) {
    features.forEach((reference: unknown, index) => {
      if (typeof reference !== 'string') return;
      const refused = reference.split(':').find((part) => REFUSED_NAMES.has(part));
      if (refused !== undefined) refuse(`features.${index}`, refused);
    });
  }
  if (typeof featureService === 'string' && REFUSED_NAMES.has(featureService)) refuse('feature_service', featureService);
}

function checkEntityRows(body: unknown, limit: number): number {
  const entities = isRecord(body) ? ownValue(body, 'entities') : undefined;
  if (!isRecord(entities)) return 0;
  let rows = 0;
  for (const values of Object.values(entities)) if (Array.isArray(values)) rows = Math.max(rows, values.length);
  if (rows > limit) throw new EntityRowLimitError(rows, limit);
  return rows;
}

function ownValue(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

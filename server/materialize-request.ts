import { z } from 'zod';
import { parseRequestBody } from './request-body.js';
import { defined } from '../contracts/defined.js';

/**
 * Feast's `POST /materialize` body: `start_ts`, `end_ts`, optional `feature_views`. Feast's
 * `full_feature_names` has no effect on a materialization; `disable_event_timestamp` and `version`
 * are Feast features Floe does not have, accepted only as their defaults.
 */
const materializeSchema = z
  .object({
    start_ts: z.string().min(1),
    end_ts: z.string().min(1),
    // Feast 0.67's client sends null for every view (materialize_incremental without feature_views).
    feature_views: z.array(z.string().min(1)).min(1).nullable().optional(),
    full_feature_names: z.boolean().optional(),
    disable_event_timestamp: z.literal(false).optional(),
    version: z.null().optional(),
  })
  .strict();

/** Feast's `POST /materialize-incremental` body: `end_ts` (optional here: default now − each view's delay), optional `feature_views`. */
const incrementalSchema = z
  .object({
    end_ts: z.string().min(1).optional(),
    // Feast 0.67's client sends null for every view (materialize_incremental without feature_views).
    feature_views: z.array(z.string().min(1)).min(1).nullable().optional(),
    full_feature_names: z.boolean().optional(),
    version: z.null().optional(),
  })
  .strict();

export interface MaterializeBody {
  readonly featureViews?: readonly string[];
  readonly start: string;
  readonly end: string;
}

export interface IncrementalBody {
  readonly featureViews?: readonly string[];
  readonly end?: string;
}

export function parseMaterializeRequest(body: unknown): MaterializeBody {
  const parsed = parseRequestBody(
    materializeSchema,
    body,
    'materialize',
    '{"start_ts": "2024-05-01T00:00:00Z", "end_ts": "…", "feature_views": ["view"]}',
  );
  return {
    start: parsed.start_ts,
    end: parsed.end_ts,
    ...defined({ featureViews: parsed.feature_views ?? undefined }),
  };
}

export function parseIncrementalRequest(body: unknown): IncrementalBody {
  const parsed = parseRequestBody(
    incrementalSchema,
    body ?? {},
    'materialize-incremental',
    '{"end_ts": "2024-05-02T00:00:00Z", "feature_views": ["view"]}',
  );
  return {
    ...defined({ end: parsed.end_ts, featureViews: parsed.feature_views ?? undefined }),
  };
}

import { z } from 'zod';
import type { OnlineWriteAnswer, OnlineWriteRequest, PushAnswer, PushRequest } from '../features/push/pusher.js';
import { PUSH_TARGETS } from '../features/push/push-rows.js';
import { FloeError } from '../core/errors.js';
import { REFUSED_NAMES } from './feast-request.js';
import { parseRequestBody } from './request-body.js';
import { defined } from '../contracts/defined.js';
import { isRecord } from '../core/is-record.js';

/** Pushed rows arrive in larger bodies than lookups: up to this many bytes. */
export const PUSH_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * Feast's `POST /push` body: `push_source_name`, `df` as columns of values, `to` (default
 * `online`), and Floe's optional `request_id` (a resend with the same id writes nothing again).
 * Feast's `allow_registry_cache` and `transform_on_write` are accepted and have no effect.
 */
const bodySchema = z
  .object({
    push_source_name: z.string().min(1),
    df: z.record(z.string(), z.array(z.unknown())),
    to: z.enum(PUSH_TARGETS).default('online'),
    request_id: z.string().min(1).max(200).optional(),
    allow_registry_cache: z.boolean().optional(),
    transform_on_write: z.boolean().optional(),
  })
  .strict();

/**
 * Feast's `POST /write-to-online-store` body (what its remote online store sends):
 * `feature_view_name`, `df` as columns (join keys, features, `event_timestamp`, `created`), and
 * Floe's optional `request_id`. `allow_registry_cache` and `transform_on_write` have no effect.
 */
const writeBodySchema = z
  .object({
    feature_view_name: z.string().min(1),
    df: z.record(z.string(), z.array(z.unknown())),
    request_id: z.string().min(1).max(200).optional(),
    allow_registry_cache: z.boolean().optional(),
    transform_on_write: z.boolean().optional(),
  })
  .strict();

export function parsePushRequest(body: unknown): PushRequest {
  const {
    push_source_name: pushSourceName,
    df,
    to,
    request_id: requestId,
  } = parseBody(
    bodySchema,
    body,
    'push',
    '{"push_source_name": "…", "df": {"column": [values]}, "to": "online" | "offline" | "online_and_offline"}',
  );
  return { pushSourceName, df, to, ...defined({ requestId }) };
}

export function parseOnlineWriteRequest(body: unknown): OnlineWriteRequest {
  const {
    feature_view_name: featureViewName,
    df,
    request_id: requestId,
  } = parseBody(
    writeBodySchema,
    body,
    'write-to-online-store',
    '{"feature_view_name": "…", "df": {"column": [values], "event_timestamp": [times]}}',
  );
  return { featureViewName, df, ...defined({ requestId }) };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string, expected: string): T {
  if (isRecord(body)) {
    const df = Object.hasOwn(body, 'df') ? body['df'] : undefined;
    const names = [...Object.keys(body), ...(df !== null && typeof df === 'object' ? Object.keys(df) : [])];
    const refused = names.find((name) => REFUSED_NAMES.has(name));
    if (refused !== undefined)
      throw new FloeError('invalid-input', `Invalid ${what} body: ${JSON.stringify(refused)} cannot be a name`, {
        context: { field: refused },
      });
  }
  return parseRequestBody(schema, body, what, expected);
}

export function toPushResponse(answer: PushAnswer): Record<string, unknown> {
  return {
    push_source_name: answer.pushSourceName,
    ...defined({ request_id: answer.requestId }),
    rows: answer.rows,
    commits: answer.commits.map((commit) => ({ table: commit.table, snapshot_id: commit.snapshotId })),
  };
}

export function toOnlineWriteResponse(answer: OnlineWriteAnswer): Record<string, unknown> {
  return {
    feature_view_name: answer.featureViewName,
    ...defined({ request_id: answer.requestId }),
    rows: answer.rows,
    commits: answer.commits.map((commit) => ({ table: commit.table, snapshot_id: commit.snapshotId })),
  };
}

import { instantMillis } from '../../contracts/instants.js';
import { ancestorsOf, snapshotForRef } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { Snapshot } from '../../iceberg/spec/snapshot.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { carriedStreamOffsets } from './stream-offsets.js';
import { defined } from '../../contracts/defined.js';
import { isRecord } from '../../core/is-record.js';

// What the snapshots of an online table carry in their summaries, besides the rows: the window a
// materialization committed, the view's watermark and source cursor (carried forward by every
// commit, whoever makes it), and the request ids of the pushes it holds. Written and read only here,
// but for the stream offsets it carries (features/online-table/stream-offsets.ts).

/** Summary properties a materialization commit writes into the online table's snapshot. */
export const WINDOW_START_PROPERTY = 'floe.window-start';
export const WINDOW_END_PROPERTY = 'floe.window-end';
export const FEATURE_VIEW_PROPERTY = 'floe.feature-view';
export const SOURCE_SNAPSHOT_PROPERTY = 'floe.source-snapshot-id';
/**
 * The view's watermark as of this snapshot: the greatest window end of it and its ancestors.
 * Carried forward by every materialization commit, so the watermark survives the expiry of the
 * snapshot whose window ended last.
 */
export const WATERMARK_PROPERTY = 'floe.watermark';

/**
 * The view's source cursor as of this snapshot: the source snapshot the last incremental run read
 * (`none` when the source was empty then). Rows committed to the source after it are what the next
 * incremental run reads whatever their event time. Carried forward like the watermark.
 */
export const SOURCE_CURSOR_PROPERTY = 'floe.source-cursor';
const EMPTY_SOURCE_CURSOR = 'none';

/** Summary properties of a push commit: the push source, and `{request_id: rows}` of the requests it holds. */
export const PUSH_SOURCE_PROPERTY = 'floe.push-source';
export const PUSH_REQUESTS_PROPERTY = 'floe.push-requests';
/** `{request_id: rowsDigest}` of the requests a push commit holds (commits before it was added have none). */
export const PUSH_REQUEST_DIGESTS_PROPERTY = 'floe.push-request-digests';

/**
 * How far back a resent request_id is recognized: the snapshots of the last day (that are not
 * expired). Checked against the table as committed, so it holds across restarts and replicas.
 */
export const REQUEST_ID_WINDOW_MS = 24 * 3_600_000;

/** The summary of a materialization commit: the view, its window and the source snapshot it read (none for an empty source). */
export function windowSummary(options: {
  readonly featureView: string;
  readonly window: { readonly start: Date; readonly end: Date };
  readonly sourceSnapshotId: string | null;
}): Record<string, string> {
  const summary: Record<string, string> = {
    [FEATURE_VIEW_PROPERTY]: options.featureView,
    [WINDOW_START_PROPERTY]: options.window.start.toISOString(),
    [WINDOW_END_PROPERTY]: options.window.end.toISOString(),
  };
  if (options.sourceSnapshotId !== null) summary[SOURCE_SNAPSHOT_PROPERTY] = options.sourceSnapshotId;
  return summary;
}

/** The source cursor an incremental run records: the source snapshot it read, or that the source was empty. */
export function sourceCursorText(sourceSnapshotId: string | null): string {
  return sourceSnapshotId ?? EMPTY_SOURCE_CURSOR;
}

/** What the online table's main branch records about the view's source cursor. */
export type RecordedCursor =
  | { readonly kind: 'cursor'; readonly snapshotId: bigint | null }
  /** No cursor yet, but committed windows, each read at one of these source snapshots (newest commit first). */
  | { readonly kind: 'windows'; readonly snapshotIds: readonly bigint[] }
  | { readonly kind: 'none' };

/**
 * The cursor carried by the newest snapshot that has one. Without one (only explicit windows were
 * committed so far) the conservative cursor is the oldest source snapshot a committed window read:
 * the caller picks it from these; a window of an empty source means "from the first snapshot".
 */
export function sourceCursorOf(metadata: TableMetadata): RecordedCursor {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return { kind: 'none' };
  const read: bigint[] = [];
  let sawEmptySource = false;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    const cursor = snapshot.summary[SOURCE_CURSOR_PROPERTY];
    if (cursor !== undefined) return { kind: 'cursor', snapshotId: parseCursor(cursor) };
    if (snapshot.summary[WINDOW_END_PROPERTY] === undefined) continue;
    const sourceSnapshot = snapshot.summary[SOURCE_SNAPSHOT_PROPERTY];
    if (sourceSnapshot === undefined) sawEmptySource = true;
    else read.push(BigInt(sourceSnapshot));
  }
  if (sawEmptySource) return { kind: 'cursor', snapshotId: null };
  return read.length === 0 ? { kind: 'none' } : { kind: 'windows', snapshotIds: read };
}

function parseCursor(text: string): bigint | null {
  return text === EMPTY_SOURCE_CURSOR ? null : BigInt(text);
}

/**
 * The view's watermark: the greatest `floe.window-end` among the online table's committed
 * snapshots (the main branch and its ancestors), or null when nothing was materialized yet. It is
 * written by the commit that lands the window's rows, so it advances atomically with the data.
 */
export async function readWatermark(
  context: Pick<FeatureContext, 'registry' | 'catalog' | 'signal'>,
  viewName: string,
): Promise<Date | null> {
  const view = context.registry.featureView(viewName);
  const identifier = context.registry.onlineTableOf(view);
  if (!(await context.catalog.tableExists(identifier, signalOf(context)))) return null;
  const table = await context.catalog.loadTable(identifier, signalOf(context));
  const millis = watermarkOf(table.metadata);
  return millis === null ? null : new Date(millis);
}

/** The watermark (epoch ms) of a table's main branch, from its snapshots' summaries. */
export function watermarkOf(metadata: TableMetadata): number | null {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return null;
  let greatest: number | null = null;
  const consider = (text: string | undefined): void => {
    if (text === undefined) return;
    const millis = instantMillis(text);
    if (!Number.isNaN(millis) && (greatest === null || millis > greatest)) greatest = millis;
  };
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    consider(snapshot.summary[WINDOW_END_PROPERTY]);
    const carried = snapshot.summary[WATERMARK_PROPERTY];
    consider(carried);
    // A carried watermark already accounts for every older snapshot.
    if (carried !== undefined) break;
  }
  return greatest;
}

/**
 * Each materialization commit of the main branch (a snapshot with a window), oldest first, with the
 * view's watermark as of it: the greatest window end (or carried watermark) of it and its ancestors.
 */
export function materializationWatermarks(metadata: TableMetadata): { readonly snapshot: Snapshot; readonly watermarkMs: number }[] {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return [];
  const history = [...ancestorsOf(metadata, head.snapshotId)].reverse();
  const commits: { snapshot: Snapshot; watermarkMs: number }[] = [];
  let greatest: number | null = null;
  for (const snapshot of history) {
    for (const text of [snapshot.summary[WINDOW_END_PROPERTY], snapshot.summary[WATERMARK_PROPERTY]]) {
      const millis = text === undefined ? Number.NaN : instantMillis(text);
      if (!Number.isNaN(millis) && (greatest === null || millis > greatest)) greatest = millis;
    }
    if (snapshot.summary[WINDOW_END_PROPERTY] !== undefined && greatest !== null) commits.push({ snapshot, watermarkMs: greatest });
  }
  return commits;
}

/**
 * The summary properties every commit to an online table carries forward from the base it commits
 * on, so they survive the expiry of the snapshots that set them: the watermark (advanced to
 * `windowEnd`, when given), the source cursor (replaced by `sourceCursor`, when given) and each
 * stream source's offsets (features/online-table/stream-offsets.ts).
 */
export function carriedSummary(base: TableMetadata, advance: { windowEnd?: Date; sourceCursor?: string } = {}): Record<string, string> {
  const carried: Record<string, string> = carriedStreamOffsets(base);
  const previous = watermarkOf(base);
  const candidates = [previous, advance.windowEnd?.getTime()].filter((value): value is number => value !== undefined && value !== null);
  if (candidates.length > 0) carried[WATERMARK_PROPERTY] = new Date(Math.max(...candidates)).toISOString();
  if (advance.sourceCursor !== undefined) carried[SOURCE_CURSOR_PROPERTY] = advance.sourceCursor;
  else {
    const recorded = sourceCursorOf(base);
    if (recorded.kind === 'cursor') carried[SOURCE_CURSOR_PROPERTY] = recorded.snapshotId?.toString() ?? EMPTY_SOURCE_CURSOR;
  }
  return carried;
}

/** The summary of a push commit: its push source, and per request_id its rows and their digest. */
export function pushSummary(options: {
  readonly pushSource: string;
  readonly rows: Readonly<Record<string, number>>;
  readonly digests: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    [PUSH_SOURCE_PROPERTY]: options.pushSource,
    [PUSH_REQUESTS_PROPERTY]: JSON.stringify(options.rows),
    [PUSH_REQUEST_DIGESTS_PROPERTY]: JSON.stringify(options.digests),
  };
}

/** A request_id a snapshot holds, and the digest of its rows when the commit recorded one. */
export interface HeldRequest {
  readonly snapshotId: bigint;
  readonly digest?: string;
}

/** The request ids one push commit holds, each with its rows' digest when recorded. */
export type SnapshotRequests = readonly (readonly [requestId: string, digest: string | undefined])[];

/** The request ids a snapshot's summary holds (none for a snapshot that is not a push commit). */
export function pushRequestsOf(snapshot: Snapshot): SnapshotRequests {
  const digests = jsonObjectOf(snapshot.summary[PUSH_REQUEST_DIGESTS_PROPERTY]);
  return Object.keys(jsonObjectOf(snapshot.summary[PUSH_REQUESTS_PROPERTY])).map((id) => {
    const digest = Object.hasOwn(digests, id) ? digests[id] : undefined;
    return [id, typeof digest === 'string' ? digest : undefined] as const;
  });
}

/**
 * request_id → snapshot (and digest), over the main branch's snapshots of the last
 * REQUEST_ID_WINDOW_MS; `requestsOf` reads one snapshot's (a caller may remember them).
 */
export function recentRequestIds(
  metadata: TableMetadata,
  requestsOf: (snapshot: Snapshot) => SnapshotRequests = pushRequestsOf,
): Map<string, HeldRequest> {
  const found = new Map<string, HeldRequest>();
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  if (head === null) return found;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    if (snapshot.timestampMs < head.timestampMs - REQUEST_ID_WINDOW_MS) break;
    for (const [id, digest] of requestsOf(snapshot))
      if (!found.has(id)) found.set(id, { snapshotId: snapshot.snapshotId, ...defined({ digest }) });
  }
  return found;
}

/** A summary property holding a JSON object; one that is absent or not such JSON (written by hand) holds nothing. */
function jsonObjectOf(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

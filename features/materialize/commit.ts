import { commitChange } from '../../iceberg/commit/commit.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { describeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { fastAppend } from '../../iceberg/write/fast-append.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { carriedSummary, sourceCursorText, windowSummary } from '../online-table/table-state.js';
import type { Window } from './source-rows.js';
import { defined } from '../../contracts/defined.js';

/**
 * Step 4: one atomic append of the window's manifest (or, for an empty window, of nothing: the
 * snapshot still records that the window was done), retried on conflicts, exactly once per key.
 * The context's signal cuts the commit off wherever it is; whether it landed is then unknown until
 * a retry with the same key looks.
 */
export async function commitOnlineWindow(
  context: FeatureContext,
  viewName: string,
  options: {
    window: Window;
    manifest: string | null;
    idempotencyKey: string;
    sourceSnapshotId: string | null;
    staging?: string | null;
    incremental?: boolean;
  },
): Promise<{ snapshotId: bigint | null; alreadyCommitted: boolean; attempts: number; conflicts: number; rows: number }> {
  const view = context.registry.featureView(viewName);
  const identifier = context.registry.onlineTableOf(view);
  const table = await context.catalog.loadTable(identifier, signalOf(context));
  const manifests = options.manifest === null ? [] : [await describeAddedManifest(table, options.manifest)];
  const summary = windowSummary({ featureView: view.name, window: options.window, sourceSnapshotId: options.sourceSnapshotId });
  // An incremental run moves the cursor to the snapshot it read; an explicit window leaves it be.
  const sourceCursor = options.incremental ? sourceCursorText(options.sourceSnapshotId) : undefined;
  const change = appendCarryingForward(
    manifests,
    { windowEnd: options.window.end, ...defined({ sourceCursor }) },
    { idempotencyKey: options.idempotencyKey, summary },
  );
  const result = await commitChange(context.catalog, identifier, change, { loaded: table, ...signalOf(context) });
  // The staged rows are in the committed files now; a failed delete only leaves an orphan.
  if (options.staging) await table.io.delete(options.staging).catch(() => undefined);
  return {
    snapshotId: result.snapshotId ?? null,
    alreadyCommitted: result.alreadyCommitted,
    attempts: result.attempts,
    conflicts: result.conflicts,
    rows: manifests.reduce((sum, manifest) => sum + manifest.addedRowsCount, 0),
  };
}

/** A fast append whose summary also carries the watermark and source cursor forward (see carriedSummary). */
function appendCarryingForward(
  manifests: Parameters<typeof fastAppend>[0],
  advance: { windowEnd: Date; sourceCursor?: string },
  options: { idempotencyKey: string; summary: Record<string, string> },
): TableChange {
  const description = fastAppend(manifests, options).description;
  return {
    description,
    idempotencyKey: options.idempotencyKey,
    async prepare(base) {
      // Restated on every attempt: a conflicting commit may have moved the base's watermark.
      return fastAppend(manifests, { ...options, summary: { ...options.summary, ...carriedSummary(base.metadata, advance) } }).prepare(
        base,
      );
    },
  };
}

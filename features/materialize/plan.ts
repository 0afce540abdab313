import type { LatePlan, ScanSummary } from '../../contracts/materialize.js';
import { FloeError } from '../../core/errors.js';
import { isoMillis } from '../../contracts/instants.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { FeatureContext } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { durationSeconds } from '../definitions.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import { latestWindowEnd } from '../time-bounds.js';
import { planLateRows } from './late-rows.js';
import { eventTimeFilter, filterOption, loadSource, withViewContext } from './source-rows.js';
import type { Window } from './source-rows.js';
import { defined } from '../../contracts/defined.js';

export interface SourcePlan {
  readonly sourceSnapshotId: bigint | null;
  readonly scan: ScanSummary;
  /** The window to materialize: the asked one, its end clamped to now − delay, and for incremental runs its start moved back (lateness, restatement). */
  readonly window: Window;
  /** Set when the whole window lies after now − delay: nothing was planned. */
  readonly skipped?: string;
  readonly late?: LatePlan;
}

export interface PlanOptions {
  /** A scheduled or incremental run: also reads what was committed to the source since the view's cursor. */
  readonly incremental?: boolean;
  /** The present, for clamping the window (default: the clock). */
  readonly now?: Date;
}

/**
 * Step 1: which snapshot of the source to read, over which window, and what reading it involves.
 * Checks an existing online table's layout, but does not create one: that waits until the source
 * has been read (prepareOnlineFiles), so a failed first run leaves no empty online table. Fails
 * (for good) when the source table or one of the view's columns does not exist.
 */
export async function planSourceScan(
  context: FeatureContext,
  viewName: string,
  window: Window,
  options: PlanOptions = {},
): Promise<SourcePlan> {
  const view = context.registry.featureView(viewName);
  checkWindow(window, view);
  const clamped = clampWindow(view, window, options.now ?? new Date());
  if ('skipped' in clamped) return { sourceSnapshotId: null, scan: EMPTY_SCAN, window, skipped: clamped.skipped };
  const source = await loadSource(context, view);
  const layout = onlineTableLayout(context.registry, view);
  const online = (await context.catalog.tableExists(layout.identifier)) ? await ensureOnlineTable(context.catalog, layout) : null;
  const headSnapshotId = source.table.metadata.currentSnapshotId;
  let effective = clamped.window;
  let late: LatePlan | undefined;
  if (options.incremental) {
    const lateness = durationSeconds(view.lateness);
    if (lateness !== null) effective = { start: new Date(effective.start.getTime() - lateness * 1000), end: effective.end };
    // Without an online table nothing was committed yet: no cursor, so no late rows.
    const planned =
      online === null
        ? { window: effective, late: { sinceSnapshotId: null, files: 0, rows: 0 } }
        : await withViewContext(view, source.identifier, () => planLateRows(view, source, online.metadata, headSnapshotId, effective));
    effective = planned.window;
    late = planned.late;
  }
  const finalWindow = effective;
  const plan = await withViewContext(view, source.identifier, () =>
    planScan(source.table, { columns: source.columns, ...filterOption(eventTimeFilter(source, finalWindow)) }),
  );
  return {
    sourceSnapshotId: plan.snapshotId,
    scan: { mode: plan.mode, ...pick(plan.summary, ['dataFiles', 'positionDeleteFiles', 'equalityDeleteFiles', 'dataRecords']) },
    window: finalWindow,
    ...defined({ late }),
  };
}

/** The window with its end clamped to now − delay, or why nothing of it can be materialized yet. */
export function clampWindow(
  view: Pick<FeatureViewDefinition, 'name' | 'delay'>,
  window: Window,
  now: Date,
): { window: Window } | { skipped: string } {
  const latest = latestWindowEnd(view, now);
  if (window.end.getTime() <= latest.getTime()) return { window };
  if (latest.getTime() <= window.start.getTime()) {
    return {
      skipped: `${view.name} window [${isoMillis(window.start.getTime())}, ${isoMillis(window.end.getTime())}) ends after now − delay (${isoMillis(latest.getTime())}): nothing to materialize yet`,
    };
  }
  return { window: { start: window.start, end: latest } };
}

function checkWindow(window: Window, view: FeatureViewDefinition): void {
  if (!(window.start.getTime() < window.end.getTime())) {
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name}: window start ${isoMillis(window.start.getTime())} must be before its end ${isoMillis(window.end.getTime())}`,
      { context: { featureView: view.name } },
    );
  }
}

const EMPTY_SCAN: ScanSummary = { mode: 'copy-on-write', dataFiles: 0, positionDeleteFiles: 0, equalityDeleteFiles: 0, dataRecords: 0 };

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

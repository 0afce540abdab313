import type { FeatureContext } from '../context.js';
import { commitOnlineWindow } from './commit.js';
import { planSourceScan } from './plan.js';
import type { PlanOptions } from './plan.js';
import type { Window } from './source-rows.js';
import { prepareOnlineFiles } from './write.js';
import { defined } from '../../contracts/defined.js';

// Materialization as one library call, without Temporal. Its steps, which the materialize
// workflow runs as activities, are in materialize/: plan, late rows, compute (latest rows or
// tiles), write and commit.

/** How `materializeWindow` names its files and what it lets a caller do between writing and committing. */
export interface MaterializeWindowOptions extends PlanOptions {
  /** Names the data files of a window; default: from the idempotency key and the clock. */
  readonly filePrefix?: string;
  /** Runs after the window's data files and manifest are written, before its commit. */
  readonly afterWrite?: (manifest: string | null) => Promise<void>;
}

/**
 * All four steps in one process: materialization as a library call, without Temporal. A window
 * wholly after now − delay is skipped: nothing is committed. `idempotencyKey` may depend on the
 * window as planned (its end cut at now − delay). The context's signal cancels before the commit;
 * a commit once started is seen through, so the window lands whole or not at all.
 */
export async function materializeWindow(
  context: FeatureContext,
  viewName: string,
  window: Window,
  idempotencyKey: string | ((planned: Window) => string),
  options: MaterializeWindowOptions = {},
) {
  const plan = await planSourceScan(context, viewName, window, options);
  if (plan.skipped !== undefined)
    return { ...plan, rows: 0, dataFiles: 0, snapshotId: null, alreadyCommitted: false, attempts: 0, conflicts: 0 };
  const key = typeof idempotencyKey === 'string' ? idempotencyKey : idempotencyKey(plan.window);
  const name = key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const written = await prepareOnlineFiles(context, viewName, plan.window, {
    sourceSnapshotId: plan.sourceSnapshotId,
    ...defined({ late: plan.late }),
    filePrefix: options.filePrefix ?? `online-${name}-${Date.now()}`,
    materializedAt: new Date(),
  });
  await options.afterWrite?.(written.manifest);
  const { signal, ...uncancellable } = context;
  signal?.throwIfAborted();
  const committed = await commitOnlineWindow(uncancellable, viewName, {
    window: plan.window,
    manifest: written.manifest,
    idempotencyKey: key,
    sourceSnapshotId: plan.sourceSnapshotId?.toString() ?? null,
    incremental: options.incremental ?? false,
  });
  return { ...plan, ...committed, rows: written.rows, dataFiles: written.dataFiles };
}

/**
 * The feature views `floe materialize` and `materialize-incremental` run on: the one named, or,
 * as `feast materialize` does, every view whose online table is enabled.
 */
import type { FeatureViewDefinition } from '../features/definitions.js';
import type { Registry } from '../features/registry.js';
import { FloeError } from '../core/errors.js';

export function viewsToMaterialize(registry: Registry, featureView: string | undefined): FeatureViewDefinition[] {
  if (featureView !== undefined) return [registry.featureView(featureView)];
  const online = [...registry.featureViews.values()].filter((view) => view.online.enabled).sort((a, b) => a.name.localeCompare(b.name));
  if (online.length === 0) {
    const defined = [...registry.featureViews.keys()].sort().join(', ') || 'none';
    throw new FloeError(
      'invalid-input',
      `No feature view of this project has its online table enabled (online.enabled), so there is nothing to materialize; name a view (defined: ${defined})`,
      { context: { field: 'feature-view' } },
    );
  }
  return online;
}

/**
 * Waits for every view's run; prints the results (one for a named view, a list for all of them),
 * then throws the first failure, so one failed view does not hide what the others did.
 */
export async function printAllResults<T>(
  runs: readonly Promise<T>[],
  named: boolean,
  print: (shown: T | T[], human: () => string) => void,
  describe: (result: T) => string,
): Promise<void> {
  const settled = await Promise.allSettled(runs);
  const results = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  if (results.length > 0) print(named ? results[0]! : results, () => results.map(describe).join('\n'));
  const failed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { FeatureViewDefinition } from '../definitions.js';
import type { Registry } from '../registry.js';

/** A view whose online reads can only say "not found": its online table is missing, or holds nothing yet. */
export interface OnlineDataGap {
  readonly featureView: string;
  readonly table: string;
  readonly problem: 'no-table' | 'never-materialized';
}

/** The gaps among `views` (all views with an online table when absent), in the order given. */
export async function onlineDataGaps(
  catalog: Catalog,
  registry: Registry,
  views: readonly FeatureViewDefinition[] = [...registry.featureViews.values()].filter((view) => view.online.enabled),
): Promise<OnlineDataGap[]> {
  const found = await Promise.all(
    views.map(async (view): Promise<OnlineDataGap | undefined> => {
      const identifier = registry.onlineTableOf(view);
      const table = formatTableIdentifier(identifier);
      if (!(await catalog.tableExists(identifier))) return { featureView: view.name, table, problem: 'no-table' };
      const loaded = await catalog.loadTable(identifier);
      return loaded.metadata.currentSnapshotId === null ? { featureView: view.name, table, problem: 'never-materialized' } : undefined;
    }),
  );
  return found.filter((gap) => gap !== undefined);
}

/** One line per gap, saying what to run. */
export function describeOnlineDataGap(gap: OnlineDataGap): string {
  return gap.problem === 'no-table'
    ? `feature view ${gap.featureView}: its online table ${gap.table} does not exist, so every key reads as not found; run \`npx floe apply\`, then \`npx floe materialize ${gap.featureView} --start … --end …\``
    : `feature view ${gap.featureView}: its online table ${gap.table} has never been materialized (it has no snapshot), so every key reads as not found; run \`npx floe materialize ${gap.featureView} --start … --end …\``;
}

import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../context.js';
import { onlineTableLayout } from '../online-table/layout.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';

/** What to compact: a feature view's online table, or a table by name. */
export type CompactionRequest = { readonly featureView: string } | { readonly table: string };

/**
 * A table to compact and how. `online`: a feature view's online table, whose partitions are
 * rewritten to the latest row per entity. `source`: any other table, whose merge-on-read deletes
 * are folded into rewritten data files. JSON-only, so a workflow can hand it between steps.
 */
export type CompactionTarget =
  | { readonly kind: 'online'; readonly table: string; readonly featureView: string; readonly keyColumns: readonly string[] }
  | { readonly kind: 'source'; readonly table: string };

export const ONLINE_TABLE_PROPERTY = 'floe.online-table';

/** Resolves a request against the project: a table that is a view's online table compacts as one. */
export async function resolveCompactionTarget(
  context: Pick<FeatureContext, 'registry' | 'catalog'>,
  request: CompactionRequest,
): Promise<CompactionTarget> {
  if ('featureView' in request) {
    const view = context.registry.featureView(request.featureView);
    const layout = onlineTableLayout(context.registry, view);
    return { kind: 'online', table: formatTableIdentifier(layout.identifier), featureView: view.name, keyColumns: layout.keyColumns };
  }
  const identifier = parseTableIdentifier(request.table);
  const name = formatTableIdentifier(identifier);
  for (const view of context.registry.featureViews.values()) {
    if (formatTableIdentifier(context.registry.onlineTableOf(view)) === name)
      return resolveCompactionTarget(context, { featureView: view.name });
  }
  if (!(await context.catalog.tableExists(identifier))) {
    throw new FloeError('not-found', `Cannot compact table ${name}: it does not exist`, { context: { table: name } });
  }
  const table = await context.catalog.loadTable(identifier);
  if (table.metadata.properties[ONLINE_TABLE_PROPERTY] === 'true') {
    throw new FloeError(
      'invalid-input',
      `Table ${name} is an online table of no feature view of this project, so its entity keys are unknown; compact it by its feature view's name`,
      {
        context: { table: name },
      },
    );
  }
  return { kind: 'source', table: name };
}

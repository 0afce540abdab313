import type { FastifyInstance } from 'fastify';
import { NO_WORKFLOWS, sendUiError } from './ui-error.js';
import { FloeError } from '../../core/errors.js';
import type { ServerPermissions } from '../../features/config.js';
import { ROUTE_PERMISSIONS } from '../auth/route-guard.js';
import { ActionsUnavailableError } from './actions.js';
import { floeTables, tableLitter, tableSummaries } from './tables.js';
import type { UiOptions } from './ui-options.js';
import { noStore } from './no-store.js';
import { visibleNames } from './visible-definitions.js';

/**
 * The tables page's data and its action: the tables Floe reads or writes that the caller may see
 * with their head snapshots' totals (`/ui/api/tables`), one table's delete files and orphan litter
 * (`/ui/api/tables/<table>/litter`, read-only), and `POST /ui/api/compact`, which starts `floe
 * compact`'s workflow for a caller allowed to materialize the view (any other table: every view).
 */
export function addTableRoutes(app: FastifyInstance, options: UiOptions, clock: () => number): void {
  const { browse } = ROUTE_PERMISSIONS;
  const tablesOf = (permissions: ServerPermissions | undefined): ReturnType<typeof floeTables> => {
    if (options.catalog === undefined) return [];
    const visible = visibleNames(options.registry, permissions);
    return floeTables(options.registry, visible, options.consistencyTable, permissions === undefined || permissions.read === true);
  };
  app.get('/ui/api/tables', { config: { permission: browse } }, async (request, reply) => {
    const tables = tablesOf(request.caller?.permissions);
    return noStore(reply).send({ tables: options.catalog === undefined ? [] : await tableSummaries(options.catalog, tables) });
  });
  app.get<{ Params: { table: string } }>('/ui/api/tables/:table/litter', { config: { permission: browse } }, async (request, reply) => {
    const table = tablesOf(request.caller?.permissions).find((entry) => entry.table === request.params.table);
    if (table === undefined || options.catalog === undefined)
      return sendUiError(
        reply,
        404,
        'not-found',
        `Table ${request.params.table} is not one of the tables Floe reads or writes that you may see`,
      );
    try {
      return noStore(reply).send(await tableLitter(options.catalog, table.table, clock()));
    } catch (error) {
      if (!FloeError.is(error, 'not-found')) throw error;
      return sendUiError(reply, 404, 'not-found', error.detail);
    }
  });
  app.post<{ Body: unknown }>('/ui/api/compact', { config: { permission: ROUTE_PERMISSIONS.uiAction } }, async (request, reply) => {
    const table = tablesOf(request.caller?.permissions).find((entry) => sameTarget(entry.compactTarget, request.body));
    if (table === undefined)
      return sendUiError(
        reply,
        400,
        'invalid-input',
        'POST /ui/api/compact takes {"featureView": <a view with an online table>} or {"table": <a table Floe reads or writes>}',
      );
    if (options.actions === undefined) return sendUiError(reply, 503, 'temporal-unavailable', NO_WORKFLOWS);
    try {
      return noStore(reply).send(await options.actions.compact(table.compactTarget));
    } catch (error) {
      if (!(error instanceof ActionsUnavailableError)) throw error;
      return sendUiError(reply, 503, 'temporal-unavailable', error.message);
    }
  });
}

/** Whether a compact request's body names this target: a view by `featureView`, any other table by `table`. */
function sameTarget(target: { readonly featureView: string } | { readonly table: string }, body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const { featureView, table } = body as Record<string, unknown>;
  if (featureView !== undefined && table !== undefined) return false;
  return 'featureView' in target ? featureView === target.featureView : table === target.table;
}

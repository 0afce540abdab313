import type { FastifyInstance } from 'fastify';
import { isoMillis } from '../../contracts/instants.js';
import { sendUiError } from './ui-error.js';
import { FloeError } from '../../core/errors.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { materializationWatermarks } from '../../features/online-table/table-state.js';
import { ROUTE_PERMISSIONS } from '../auth/route-guard.js';
import { noStore } from './no-store.js';
import type { UiOptions } from './ui-options.js';
import { visibleNames } from './visible-definitions.js';

/** The most commits the freshness plot shows: the latest. */
export const HISTORY_POINTS = 500;

/** A view's freshness at one materialization commit of its online table (UTC ISO instants). */
export interface FreshnessPoint {
  readonly commit: string;
  readonly watermark: string;
  /** commit − watermark, in seconds (may be fractional). */
  readonly freshnessSeconds: number;
}

/** The view's freshness at each of its latest materialization commits, oldest first, from the online table's snapshot summaries. */
export function freshnessHistory(metadata: TableMetadata): FreshnessPoint[] {
  return materializationWatermarks(metadata)
    .slice(-HISTORY_POINTS)
    .map(({ snapshot, watermarkMs }) => ({
      commit: isoMillis(snapshot.timestampMs),
      watermark: isoMillis(watermarkMs),
      freshnessSeconds: (snapshot.timestampMs - watermarkMs) / 1000,
    }));
}

/**
 * `GET /ui/api/freshness/<view>/history`: `{featureView, table, points}` for a view the caller may
 * see (404 otherwise), read from its online table's metadata only; no points for a view without an
 * online table or never materialized. A server without the catalog answers 503.
 */
export function addFreshnessHistoryRoute(app: FastifyInstance, options: UiOptions): void {
  app.get<{ Params: { view: string } }>(
    '/ui/api/freshness/:view/history',
    { config: { permission: ROUTE_PERMISSIONS.browse } },
    async (request, reply) => {
      const visible = visibleNames(options.registry, request.caller?.permissions);
      const view = options.registry.featureViews.get(request.params.view);
      if (view === undefined || !visible.featureViews.has(view.name))
        return sendUiError(reply, 404, 'not-found', `There is no feature view ${JSON.stringify(request.params.view)} you may see`);
      const { catalog } = options;
      if (catalog === undefined)
        return sendUiError(reply, 503, 'unavailable', 'This feature server was given no catalog to read online tables with');
      if (!view.online.enabled) return noStore(reply).send({ featureView: view.name, table: null, points: [] });
      const identifier = options.registry.onlineTableOf(view);
      const metadata = await catalog.loadTable(identifier).then(
        (table) => table.metadata,
        (error: unknown) => {
          if (FloeError.is(error, 'not-found')) return null;
          throw error;
        },
      );
      return noStore(reply).send({
        featureView: view.name,
        table: formatTableIdentifier(identifier),
        points: metadata === null ? [] : freshnessHistory(metadata),
      });
    },
  );
}

import type { FastifyInstance, FastifyReply } from 'fastify';
import { NO_WORKFLOWS, sendUiError } from './ui-error.js';
import { FloeError } from '../../core/errors.js';
import { ROUTE_PERMISSIONS } from '../auth/route-guard.js';
import { ActionsUnavailableError } from './actions.js';
import type { UiOptions } from './ui-options.js';
import { noStore } from './no-store.js';
import { visibleNames } from './visible-definitions.js';

/** The chunk a backfill from the UI is cut into unless the form says otherwise, as `floe backfill`'s --chunk. */
export const DEFAULT_UI_BACKFILL_CHUNK = '1d';

/**
 * `POST /ui/api/backfill` with `{featureView, start, end, chunk?}`: starts `floe backfill`'s workflow
 * for one view over [start, end), after the CLI's checks (a window ending in the future is
 * refused), for a caller allowed to materialize the view.
 */
export function addBackfillRoute(app: FastifyInstance, options: UiOptions): void {
  app.post<{ Body: unknown }>('/ui/api/backfill', { config: { permission: ROUTE_PERMISSIONS.uiAction } }, async (request, reply) => {
    const body = (request.body !== null && typeof request.body === 'object' && !Array.isArray(request.body) ? request.body : {}) as Record<
      string,
      unknown
    >;
    const chunk = body['chunk'] ?? DEFAULT_UI_BACKFILL_CHUNK;
    const { featureView, start, end } = body;
    for (const [field, value] of Object.entries({ featureView, start, end, chunk }))
      if (typeof value !== 'string' || value === '')
        return invalid(reply, `POST /ui/api/backfill needs ${field}: {"featureView", "start", "end", "chunk"?} as text`);
    const visible = visibleNames(options.registry, request.caller?.permissions);
    if (!visible.featureViews.has(featureView as string))
      return invalid(reply, `There is no feature view ${JSON.stringify(featureView)} to backfill`);
    if (options.actions === undefined) return sendUiError(reply, 503, 'temporal-unavailable', NO_WORKFLOWS);
    try {
      const request = { featureView: featureView as string, start: start as string, end: end as string, chunk: chunk as string };
      return noStore(reply).send(await options.actions.backfill(request));
    } catch (error) {
      if (FloeError.is(error, 'invalid-input')) return invalid(reply, error.detail);
      if (!(error instanceof ActionsUnavailableError)) throw error;
      return sendUiError(reply, 503, 'temporal-unavailable', error.message);
    }
  });
}

function invalid(reply: FastifyReply, message: string): FastifyReply {
  return sendUiError(reply, 400, 'invalid-input', message);
}

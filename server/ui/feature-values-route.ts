import type { FastifyInstance } from 'fastify';
import { sendUiError } from './ui-error.js';
import { ROUTE_PERMISSIONS } from '../auth/route-guard.js';
import { FeatureValues } from './feature-values.js';
import { noStore } from './no-store.js';
import type { UiOptions } from './ui-options.js';
import { visibleNames } from './visible-definitions.js';

/**
 * `GET /ui/api/feature-values/<view>`: the feature values page's statistics of a view the caller may
 * see (FeatureValues, cached per online snapshot). A server without the catalog and engine answers
 * 503; the feature server's read path never runs this.
 */
export function addFeatureValuesRoute(app: FastifyInstance, options: UiOptions): void {
  const { catalog, engine } = options;
  const values =
    catalog === undefined || engine === undefined
      ? undefined
      : new FeatureValues({
          registry: options.registry,
          catalog,
          engine,
          ...(options.consistencyTable === undefined ? {} : { consistencyTable: options.consistencyTable }),
        });
  app.get<{ Params: { view: string } }>(
    '/ui/api/feature-values/:view',
    { config: { permission: ROUTE_PERMISSIONS.browse } },
    async (request, reply) => {
      const visible = visibleNames(options.registry, request.caller?.permissions);
      const view = options.registry.featureViews.get(request.params.view);
      if (view === undefined || !visible.featureViews.has(view.name))
        return sendUiError(reply, 404, 'not-found', `There is no feature view ${JSON.stringify(request.params.view)} you may see`);
      if (values === undefined)
        return sendUiError(reply, 503, 'unavailable', 'This feature server was given no catalog and engine to compute feature values with');
      return noStore(reply).send(await values.of(view));
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { latestMismatchRates } from '../features/consistency/index.js';
import { OnlineStore } from '../features/online/index.js';
import type { Runtime } from '../features/runtime.js';
import { createFeatureServer } from '../server/feature-server.js';
import { temporalMaterializer } from './server-materializer.js';

/**
 * The feature server of a project as `floe serve` and `floe dev` run it: its online store with the
 * project's push settings and scratch folder, its row limit, and the consistency gauge fed from the
 * project's report table, and `POST /materialize` starting workflows through a Temporal client
 * made from floe.yaml's `temporal` section when first asked.
 */
export function projectFeatureServer(runtime: Runtime, options: { readonly refreshIntervalMs?: number } = {}): FastifyInstance {
  const { config, registry } = runtime.project;
  const materializer = temporalMaterializer(runtime.project);
  const server = createFeatureServer({
    materializer,
    maxEntityRows: config.server.maxEntityRows,
    consistency: { table: config.monitoring.consistencyTable, read: (table) => latestMismatchRates(runtime, table) },
    store: new OnlineStore({
      registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: config.workDirectory,
      push: config.push,
      ...(options.refreshIntervalMs === undefined ? {} : { refreshIntervalMs: options.refreshIntervalMs }),
    }),
  });
  server.addHook('onClose', async () => materializer.close());
  return server;
}

import type { FastifyInstance } from 'fastify';
import { latestMismatchRates } from '../features/consistency/index.js';
import { OnlineStore } from '../features/online/index.js';
import type { Runtime } from '../features/runtime.js';
import { createFeatureServer } from '../server/feature-server.js';

/**
 * The feature server of a project as `floe serve` and `floe dev` run it: its online store with the
 * project's push settings and scratch folder, its row limit, and the consistency gauge fed from the
 * project's report table.
 */
export function projectFeatureServer(runtime: Runtime, options: { readonly refreshIntervalMs?: number } = {}): FastifyInstance {
  const { config, registry } = runtime.project;
  return createFeatureServer({
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
}

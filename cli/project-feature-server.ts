import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { latestMismatchRates } from '../features/consistency/index.js';
import { OnlineStore } from '../features/online/index.js';
import type { Runtime } from '../features/runtime.js';
import type { Pusher } from '../features/push/pusher.js';
import { FloeError } from '../core/errors.js';
import { createFeatureServer } from '../server/feature-server.js';
import { temporalMaterializer } from './server-materializer.js';
import { temporalRuns } from './server-runs.js';
import { temporalActions } from './server-actions.js';
import { defined } from '../contracts/defined.js';

/**
 * The feature server of a project as `floe serve` and `floe dev` run it: its online store, the
 * process's pusher (else one with the project's push settings and scratch folder), its row limit, and the consistency gauge fed from the
 * project's report table, and `POST /materialize` starting workflows through a Temporal client
 * made from floe.yaml's `temporal` section when first asked; the web UI under `/ui` shows its registry.
 */
export async function projectFeatureServer(
  runtime: Runtime,
  options: { readonly refreshIntervalMs?: number; readonly temporalUi?: string; readonly pusher?: Pusher } = {},
): Promise<FastifyInstance> {
  const { config, registry } = runtime.project;
  const { auth, tls } = config.server;
  const materializer = temporalMaterializer(runtime.project);
  const runs = temporalRuns(config, {
    redactor: runtime.project.redactor,
    ...defined({ temporalUi: options.temporalUi ?? config.temporal.uiUrl }),
  });
  const actions = temporalActions(config, registry);
  const store = new OnlineStore({
    registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    rowStoreDirectory: path.join(config.workDirectory, 'online-rows'),
    ...defined({ refreshIntervalMs: options.refreshIntervalMs }),
  });
  const server = createFeatureServer({
    materializer,
    maxEntityRows: config.server.maxEntityRows,
    ...defined({ auth }),
    ...(tls === undefined ? {} : { tls: await tlsFiles(tls) }),
    consistency: { table: config.monitoring.consistencyTable, read: (table) => latestMismatchRates(runtime, table) },
    push: { config: config.push, workDirectory: config.workDirectory },
    ...defined({ pusher: options.pusher }),
    store,
    ui: {
      project: config.project,
      registry,
      freshness: () => store.freshness(),
      catalog: runtime.catalog,
      engine: runtime.engine,
      runs,
      actions,
      consistencyTable: config.monitoring.consistencyTable,
    },
  });
  server.addHook('onClose', async () => {
    await materializer.close();
    await runs.close();
    await actions.close();
  });
  return server;
}

/** server.tls's certificate and key, checked to be PEM and to belong together before the server starts. */
export async function tlsFiles(tls: { readonly certFile: string; readonly keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const files = { cert: await pemFile(tls.certFile, 'certFile'), key: await pemFile(tls.keyFile, 'keyFile') };
  try {
    createSecureContext(files);
  } catch (error) {
    throw new FloeError(
      'invalid-input',
      `server.tls.certFile ${tls.certFile} and server.tls.keyFile ${tls.keyFile} are not a PEM certificate and its private key (${(error as Error).message})`,
      { context: { field: 'server.tls' } },
    );
  }
  return files;
}

async function pemFile(file: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new FloeError(
      'invalid-input',
      `Cannot read server.tls.${setting} ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      {
        context: { file, field: `server.tls.${setting}` },
      },
    );
  }
}

import type { Runtime } from '../features/runtime.js';
import { createOfflineServer } from '../server/flight/offline-server.js';
import type { OfflineServer } from '../server/flight/offline-server.js';
import { defined } from '../core/defined.js';
import { tlsFiles } from './project-feature-server.js';

/** The offline endpoint of a project as `floe serve` runs it: its runtime, and the HTTP server's `server.auth` and `server.tls`. */
export async function projectOfflineServer(runtime: Runtime): Promise<OfflineServer> {
  const { auth, tls } = runtime.project.config.server;
  return createOfflineServer({
    context: runtime,
    push: runtime.project.config.push,
    ...defined({ auth }),
    ...(tls === undefined ? {} : { tls: await tlsFiles(tls) }),
  });
}

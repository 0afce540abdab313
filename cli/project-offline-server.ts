import type { Runtime } from '../features/runtime.js';
import type { Pusher } from '../features/push/pusher.js';
import { createOfflineServer } from '../server/flight/offline-server.js';
import type { OfflineServer } from '../server/flight/offline-server.js';
import { defined } from '../contracts/defined.js';
import { tlsFiles } from './project-feature-server.js';

/**
 * The offline endpoint of a project as `floe serve` runs it: its runtime, the process's pusher (the
 * feature server's too), and the HTTP server's `server.auth` and `server.tls`.
 */
export async function projectOfflineServer(runtime: Runtime, pusher: Pusher): Promise<OfflineServer> {
  const { auth, tls } = runtime.project.config.server;
  return createOfflineServer({
    context: runtime,
    pusher,
    ...defined({ auth }),
    ...(tls === undefined ? {} : { tls: await tlsFiles(tls) }),
  });
}

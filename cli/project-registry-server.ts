import type { Runtime } from '../features/runtime.js';
import { createRegistryServer } from '../server/registry/registry-server.js';
import type { RegistryServer } from '../server/registry/registry-server.js';
import type { IcebergSourceForm } from '../server/registry/feast-objects.js';
import { defined } from '../contracts/defined.js';
import { tlsFiles } from './project-feature-server.js';

/** The registry endpoint of a project as `floe serve` runs it: its definitions, catalog, and the HTTP server's `server.auth` and `server.tls`. */
export async function projectRegistryServer(runtime: Runtime, sourceForm: IcebergSourceForm = 'iceberg'): Promise<RegistryServer> {
  const { config } = runtime.project;
  const { auth, tls } = config.server;
  return createRegistryServer({
    registry: runtime.registry,
    project: config.project,
    redactor: runtime.project.redactor,
    catalog: config.catalog,
    sourceForm,
    ...defined({ auth }),
    ...(tls === undefined ? {} : { tls: await tlsFiles(tls) }),
  });
}

import path from 'node:path';
import { projectConfigSchema } from '../../features/config.js';
import type { Project } from '../../features/project.js';
import type { Definition } from '../../features/registry.js';
import { Registry } from '../../features/registry.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { openRuntime } from '../../features/runtime.js';
import type { Runtime } from '../../features/runtime.js';
import type { FeatureContext } from '../../features/context.js';
import { Redactor } from '../../core/redaction.js';

/** A Floe runtime for a test: an in-memory project over the given catalog and definitions. */
export async function testRuntime(options: {
  directory: string;
  catalog: CatalogConfig;
  definitions: readonly Definition[];
  onlineNamespace?: string;
  /** DuckDB threads; 2 unless given. */
  threads?: number;
  /** DuckDB's memory limit; 2GB unless given. */
  memoryLimit?: string;
}): Promise<Runtime> {
  const config = projectConfigSchema.parse({
    project: 'test',
    // A test's SQLite catalog starts in a fresh folder.
    catalog: (options.catalog as { type: string }).type === 'sql' ? { create: true, ...(options.catalog as object) } : options.catalog,
    engine: { memoryLimit: options.memoryLimit ?? '2GB', threads: options.threads ?? 2 },
    workDirectory: path.join(options.directory, 'work'),
    ...(options.onlineNamespace === undefined ? {} : { online: { namespace: options.onlineNamespace } }),
  });
  const project: Project = {
    directory: options.directory,
    config,
    registry: new Registry(options.definitions, { onlineNamespace: config.online.namespace }),
    redactor: new Redactor(),
  };
  return openRuntime(project);
}

/** The context a test hands the library: the runtime's registry, catalog, engine and work directory (not its catalog's ioProperties). */
export function featureContext(runtime: Runtime): FeatureContext {
  return {
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
  };
}

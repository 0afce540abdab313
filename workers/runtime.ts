import path from 'node:path';
import { createActivities } from '../activities/index.js';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/partition-functions.js';
import type { Project } from '../features/project.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { catalogIoProperties, loadCatalog } from '../iceberg/catalog/load-catalog.js';

/** What one Floe process holds for its whole life: the catalog, the DuckDB engine, the activities. */
export interface Runtime {
  readonly project: Project;
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly activities: ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export async function createRuntime(project: Project): Promise<Runtime> {
  const { config } = project;
  const catalog = await loadCatalog(config.catalog);
  const engine = await Engine.create({
    memoryLimit: config.engine.memoryLimit,
    threads: config.engine.threads,
    tempDirectory: config.engine.tempDirectory ?? path.join(config.workDirectory, 'duckdb-spill'),
    setup: registerIcebergFunctions,
  });
  const activities = createActivities({ registry: project.registry, catalog, engine, workDirectory: config.workDirectory, ioProperties: catalogIoProperties(config.catalog) });
  return {
    project,
    catalog,
    engine,
    activities,
    async close() {
      engine.close();
      await catalog.close();
    },
  };
}

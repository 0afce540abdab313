import type { Catalog } from '../iceberg/catalog/catalog.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import { ProcessCaches } from '../iceberg/process-caches.js';
import type { Project } from './project.js';

/**
 * The project's catalog as floe.yaml configures it, keeping its files under the project's work
 * directory (`caches`, the runtime's; else new ones rooted there) and telling the project's
 * redactor what secrets it learns. The runtime opens its catalog so; commands that need only the
 * catalog (apply, plan, table) open it so without the rest of a runtime.
 */
export function openProjectCatalog(project: Project, caches = new ProcessCaches(project.config.workDirectory)): Promise<Catalog> {
  return loadCatalog(project.config.catalog, { caches, redactor: project.redactor });
}

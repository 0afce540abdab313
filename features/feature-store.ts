import path from 'node:path';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/partition-functions.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import type { HistoricalFeaturesRequest, HistoricalRetrievalJob } from './historical/get-historical-features.js';
import { getHistoricalFeatures } from './historical/get-historical-features.js';
import type { Project } from './project.js';
import { loadProject } from './project.js';
import type { ApplyPlan, ApplyResult } from './registry-store/apply.js';
import { applyDefinitions, planApply } from './registry-store/apply.js';

/**
 * A Floe project opened for a data scientist, as Feast's `FeatureStore(repo_path)`: the
 * definitions, the catalog and a DuckDB engine configured from floe.yaml's `engine` section
 * (memory limit, threads, and a spill folder, so joins larger than memory spill to disk rather
 * than fail). Close it when done.
 */
export class FeatureStore {
  private constructor(
    readonly project: Project,
    readonly catalog: Catalog,
    readonly engine: Engine,
  ) {}

  static async open(directory: string, env: NodeJS.ProcessEnv = process.env): Promise<FeatureStore> {
    const project = await loadProject(directory, env);
    const { config } = project;
    const catalog = await loadCatalog(config.catalog);
    try {
      const engine = await Engine.create({
        ...(config.engine.memoryLimit === undefined ? {} : { memoryLimit: config.engine.memoryLimit }),
        ...(config.engine.threads === undefined ? {} : { threads: config.engine.threads }),
        ...(config.engine.maxTempDirectorySize === undefined ? {} : { maxTempDirectorySize: config.engine.maxTempDirectorySize }),
        tempDirectory: config.engine.tempDirectory ?? path.join(config.workDirectory, 'duckdb-spill'),
        setup: registerIcebergFunctions,
      });
      return new FeatureStore(project, catalog, engine);
    } catch (error) {
      await catalog.close();
      throw error;
    }
  }

  getHistoricalFeatures(request: HistoricalFeaturesRequest): HistoricalRetrievalJob {
    return getHistoricalFeatures({ registry: this.project.registry, catalog: this.catalog, engine: this.engine, workDirectory: this.project.config.workDirectory }, request);
  }

  plan(): Promise<ApplyPlan> {
    return planApply({ config: this.project.config, registry: this.project.registry, catalog: this.catalog });
  }

  apply(): Promise<ApplyResult> {
    return applyDefinitions({ config: this.project.config, registry: this.project.registry, catalog: this.catalog });
  }

  async close(): Promise<void> {
    this.engine.close();
    await this.catalog.close();
  }
}

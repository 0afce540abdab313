import type { Engine } from '../engine/duckdb.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { HistoricalFeaturesRequest, HistoricalRetrievalJob } from './historical/get-historical-features.js';
import { getHistoricalFeatures } from './historical/get-historical-features.js';
import type { Project } from './project.js';
import { loadProject } from './project.js';
import type { ApplyPlan, ApplyResult } from './registry-store/apply.js';
import { applyDefinitions, planApply } from './registry-store/apply.js';
import { openRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';
import { OnlineStore } from './online/online-store.js';
import type { OnlineFeaturesRequest } from './online/online-store.js';
import type { OnlineFeaturesResponse } from './online/response.js';
import { Pusher } from './push/pusher.js';
import type { PushAnswer, PushRequest } from './push/pusher.js';

/**
 * A Floe project opened for a data scientist, as Feast's `FeatureStore(repo_path)`: the
 * definitions, the catalog and a DuckDB engine configured from floe.yaml's `engine` section
 * (memory limit, threads, and a spill folder, so joins larger than memory spill to disk rather
 * than fail). Close it when done.
 */
export class FeatureStore {
  private pusher: Pusher | undefined;
  private online: OnlineStore | undefined;

  private constructor(readonly runtime: Runtime) {}

  static async open(directory: string, env: NodeJS.ProcessEnv = process.env): Promise<FeatureStore> {
    return new FeatureStore(await openRuntime(await loadProject(directory, env)));
  }

  get project(): Project {
    return this.runtime.project;
  }

  get catalog(): Catalog {
    return this.runtime.catalog;
  }

  get engine(): Engine {
    return this.runtime.engine;
  }

  getHistoricalFeatures(request: HistoricalFeaturesRequest): HistoricalRetrievalJob {
    return getHistoricalFeatures(this.runtime, request);
  }

  /**
   * Online reads (Feast's `get_online_features`): the latest row per entity key of each view's
   * online table, TTL applied, with Feast's statuses. The store keeps one OnlineStore, so its
   * table snapshots and hot rows serve the reads that follow.
   */
  getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
    this.online ??= new OnlineStore({ registry: this.project.registry, catalog: this.catalog, engine: this.engine });
    return this.online.getOnlineFeatures(request);
  }

  plan(): Promise<ApplyPlan> {
    return planApply({ config: this.project.config, registry: this.project.registry, catalog: this.catalog });
  }

  apply(): Promise<ApplyResult> {
    return applyDefinitions({ config: this.project.config, registry: this.project.registry, catalog: this.catalog });
  }

  /** Pushes rows to a push source (Feast's `store.push`), with group commit (floe.yaml's `push`); see docs/push.md. */
  push(request: PushRequest): Promise<PushAnswer> {
    this.pusher ??= new Pusher(this.runtime, this.project.config.push);
    return this.pusher.push(request);
  }

  async close(): Promise<void> {
    await this.pusher?.drain();
    return this.runtime.close();
  }
}

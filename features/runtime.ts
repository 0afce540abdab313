import path from 'node:path';
import { Engine } from '../engine/duckdb.js';
import type { EngineOptions } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/write/partition-functions.js';
import { catalogIoProperties } from '../iceberg/catalog/load-catalog.js';
import { FloeError } from '../core/errors.js';
import { ProcessCaches } from '../iceberg/process-caches.js';
import type { ProjectConfig } from './config.js';
import type { FeatureContext } from './context.js';
import type { Project } from './project.js';
import { openProjectCatalog } from './project-catalog.js';
import { PROJECT_FILE } from './project.js';

/**
 * A project opened for work: its catalog and a DuckDB engine configured from floe.yaml, built the
 * same way for FeatureStore, the worker, the feature server and the CLI. It is the context every
 * library operation takes. `close()` releases both (engine first, then catalog); calling it again
 * waits for the first call.
 */
export interface Runtime extends FeatureContext {
  readonly project: Project;
  /**
   * The process's caches and scratch root (floe.yaml's `workDirectory`), which the runtime's catalog
   * (and so every table it loads) and engine were built with.
   */
  readonly caches: ProcessCaches;
  close(): Promise<void>;
}

type EngineConfig = ProjectConfig['engine'];

/**
 * floe.yaml's `engine` settings by the engine option each sets. Typed over every key of the
 * section, so a setting added there does not compile until it reaches DuckDB here.
 */
const ENGINE_OPTION: { readonly [Setting in keyof EngineConfig]-?: keyof EngineOptions } = {
  memoryLimit: 'memoryLimit',
  threads: 'threads',
  tempDirectory: 'tempDirectory',
  maxTempDirectorySize: 'maxTempDirectorySize',
};

/**
 * Opens the project's catalog, then its engine (`engineDefaults` for what floe.yaml's `engine`
 * section leaves unset). A step that fails closes what the steps before it opened, and an engine
 * setting DuckDB refuses is reported as the floe.yaml field that holds it.
 */
export async function openRuntime(project: Project, engineDefaults: Partial<EngineOptions> = {}): Promise<Runtime> {
  const { config } = project;
  const caches = new ProcessCaches(config.workDirectory);
  const catalog = await openProjectCatalog(project, caches);
  let engine: Engine;
  try {
    engine = await Engine.create(engineOptions(config, engineDefaults, caches));
  } catch (error) {
    await catalog.close().catch(() => undefined);
    throw engineSettingError(error, project);
  }
  let closing: Promise<void> | undefined;
  return {
    project,
    registry: project.registry,
    catalog,
    engine,
    caches,
    workDirectory: caches.scratchRoot,
    ioProperties: catalogIoProperties(config.catalog),
    close() {
      closing ??= (async () => {
        engine.close();
        await catalog.close();
      })();
      return closing;
    },
  };
}

/**
 * The engine options floe.yaml asks for: its `engine` section over the caller's defaults, spilling
 * in the scratch root's spill folder (the work directory's) unless it names a folder.
 */
export function engineOptions(
  config: ProjectConfig,
  defaults: Partial<EngineOptions> = {},
  caches: ProcessCaches = new ProcessCaches(config.workDirectory),
): EngineOptions {
  const options: Record<string, unknown> = {
    ...defaults,
    tempDirectory: caches.spillDirectory,
    setup: registerIcebergFunctions,
  };
  for (const [setting, option] of Object.entries(ENGINE_OPTION) as [keyof EngineConfig, keyof EngineOptions][]) {
    const value = config.engine[setting];
    if (value !== undefined) options[option] = value;
  }
  return options as EngineOptions;
}

function engineSettingError(error: unknown, project: Project): unknown {
  if (!FloeError.is(error, 'invalid-input')) return error;
  const setting = Object.entries(ENGINE_OPTION).find(([, option]) => option === error.context.setting)?.[0];
  if (setting === undefined) return error;
  const file = path.join(project.directory, PROJECT_FILE);
  return new FloeError('invalid-input', `${file} is invalid: engine.${setting}: ${error.detail}`, {
    context: { file, field: `engine.${setting}` },
    cause: error,
  });
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ActivityInterceptorsFactory, type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Runtime } from '../features/runtime.js';
import { FloeError } from '../core/errors.js';
import { activityDurationInterceptor } from './activity-duration.js';
import { sourceWorkflowBundle } from './source-bundle.js';
import { connectTemporalWorker, type TemporalConnectionSettings } from './temporal-connection.js';
import { defined } from '../contracts/defined.js';

// Run from sources this module is worker.ts and the workflows are index.ts; compiled into dist/, both are .js.
const MODULE_EXTENSION = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../workflows/index.${MODULE_EXTENSION}`, import.meta.url));
/**
 * The workflow bundle `npm run build` writes beside dist/'s folders (dist/workflows.bundle.js). It
 * exists only for the compiled package: run from sources, workers bundle the sources themselves
 * (source-bundle.ts, cached by their contents).
 */
export const PACKAGED_WORKFLOW_BUNDLE = fileURLToPath(new URL('../workflows.bundle.js', import.meta.url));

// DuckDB already uses every core for one query; a few at once keep memory predictable.
export const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 4;

export interface WorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace?: string;
  readonly taskQueue?: string;
  /** A prebuilt bundle (tests build one and share it); by default the packaged bundle, else built from workflows/. */
  readonly workflowBundle?: { code: string } | { codePath: string };
  /** More activities for this worker to run beside Floe's, for the user's own workflows on the same task queue. */
  readonly activities?: Readonly<Record<string, (...args: never[]) => unknown>>;
  /** Activities this worker runs at once (default DEFAULT_MAX_CONCURRENT_ACTIVITIES). */
  readonly maxConcurrentActivities?: number;
  /** More activity interceptors, after Floe's own. */
  readonly activityInterceptors?: readonly ActivityInterceptorsFactory[];
  /**
   * After shutdown() (or SIGTERM), how long activities in flight may still finish (ms, default 0)
   * before they are cancelled, and how long the worker waits in all before it gives up on them
   * (default: as long as they take). See the Temporal SDK's shutdownGraceTime and shutdownForceTime.
   */
  readonly shutdownGraceMs?: number;
  readonly shutdownForceMs?: number;
}

/** A Temporal worker that runs Floe's workflows and activities against one runtime. */
export async function createWorker(runtime: Runtime, options: WorkerOptions): Promise<Worker> {
  const { temporal } = runtime.project.config;
  const floeActivities = createActivities(runtime);
  const taken = Object.keys(options.activities ?? {}).filter((name) => name in floeActivities);
  if (taken.length > 0)
    throw new FloeError('invalid-input', `Activity names ${taken.join(', ')} are Floe's own; give your activities other names`, {
      context: { field: 'activities' },
    });
  const workflowBundle = options.workflowBundle ?? (await workflowBundleOnce());
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? temporal.namespace,
    taskQueue: options.taskQueue ?? temporal.taskQueue,
    workflowBundle,
    activities: { ...floeActivities, ...options.activities },
    interceptors: { activity: [activityDurationInterceptor, ...(options.activityInterceptors ?? [])] },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    ...defined({ shutdownGraceTime: options.shutdownGraceMs, shutdownForceTime: options.shutdownForceMs }),
  });
}

/**
 * The bundle for a worker, or for a process that starts several (`floe dev` restarts its worker on
 * every reload): the packaged one, else the sources' (built once and cached, see source-bundle.ts).
 */
export async function workflowBundleOnce(): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  if (existsSync(PACKAGED_WORKFLOW_BUNDLE)) return { codePath: PACKAGED_WORKFLOW_BUNDLE };
  return sourceWorkflowBundle(WORKFLOWS_PATH);
}

/**
 * A worker's connection: give floe.yaml's `temporal` section (`project.config.temporal`, with its
 * TLS files and the API key from FLOE_TEMPORAL_API_KEY), or just an address for a plaintext server.
 */
export async function connectWorker(temporal: string | TemporalConnectionSettings): Promise<NativeConnection> {
  return connectTemporalWorker(typeof temporal === 'string' ? { address: temporal } : temporal);
}

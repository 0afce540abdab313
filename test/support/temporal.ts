/**
 * The one in-process Floe worker tests start on the real Temporal dev server: its own task queue,
 * the workflow bundle (see workflow-bundle.ts), the runtime's activities with what a test may
 * change (a wrapped catalog, test hooks, FileIO properties). `close()` drains the worker.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime as TemporalRuntime, Worker } from '@temporalio/worker';
import type { CompactHooks } from '../../activities/compact.js';
import { createActivities } from '../../activities/index.js';
import type { MaterializeHooks } from '../../activities/materialize.js';
import type { TrainingSetHooks } from '../../activities/training-set.js';
import type { Runtime } from '../../features/runtime.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import type { IoProperties } from '../../iceberg/io/file-io-for.js';
import { activityDurationInterceptor } from '../../workers/activity-duration.js';
import { DEFAULT_MAX_CONCURRENT_ACTIVITIES } from '../../workers/worker.js';
import { temporalService } from './services.js';
import { workflowBundle } from './workflow-bundle.js';
import { defined } from '../../contracts/defined.js';

export { workflowBundle };

/** The SDK's own logs stay out of test output unless they are errors. */
export const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error(message: string, meta?: unknown) {
    console.error(message, meta ?? '');
  },
};

let runtimeInstalled = false;

export interface TestWorker {
  readonly client: Client;
  readonly taskQueue: string;
  readonly worker: Worker;
  close(): Promise<void>;
}

export interface TestWorkerOptions {
  /** The catalog the activities use instead of the runtime's (e.g. one that fails on purpose). */
  readonly catalog?: Catalog | undefined;
  readonly hooks?: (MaterializeHooks & CompactHooks) | undefined;
  readonly trainingSetHooks?: TrainingSetHooks | undefined;
  /** FileIO properties for files outside any table, instead of the runtime's. */
  readonly ioProperties?: IoProperties | undefined;
  readonly taskQueue?: string | undefined;
  /** A Temporal server other than the shared dev server (a private one a test kills and restarts). */
  readonly temporal?: { readonly address: string; readonly namespace: string };
  /** Heartbeats throttled to one a second, so a cancellation reaches a running step within about a second. */
  readonly quickHeartbeats?: boolean;
  /**
   * The test kills this worker's process mid-step: its sticky workflow tasks go back to the task
   * queue after a second, so the next worker gets them soon.
   */
  readonly killable?: boolean;
}

/** A worker running Floe's workflows and activities over `runtime`, as workers/worker.ts builds one. */
export async function startTestWorker(runtime: Runtime, options: TestWorkerOptions = {}): Promise<TestWorker> {
  const { address, namespace } = options.temporal ?? temporalService();
  if (!runtimeInstalled) {
    TemporalRuntime.install({ logger: quietLogger });
    runtimeInstalled = true;
  }
  const ioProperties = options.ioProperties ?? runtime.ioProperties;
  const activities = createActivities(
    {
      registry: runtime.registry,
      catalog: options.catalog ?? runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.workDirectory,
      ...defined({ ioProperties }),
    },
    { hooks: options.hooks ?? {}, trainingSetHooks: options.trainingSetHooks ?? {} },
  );
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
    interceptors: { activity: [activityDurationInterceptor] },
    maxConcurrentActivityTaskExecutions: DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    ...(options.quickHeartbeats ? { maxHeartbeatThrottleInterval: '1 second', defaultHeartbeatThrottleInterval: '1 second' } : {}),
    ...(options.killable ? { stickyQueueScheduleToStartTimeout: '1 second' } : {}),
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    taskQueue,
    worker,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}

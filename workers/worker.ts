import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { Runtime } from '../features/runtime.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace?: string;
  readonly taskQueue?: string;
  /** A prebuilt bundle (tests build one and share it); built from workflows/ when absent. */
  readonly workflowBundle?: { code: string };
}

/** A Temporal worker that runs Floe's workflows and activities against one runtime. */
export async function createWorker(runtime: Runtime, options: WorkerOptions): Promise<Worker> {
  const { temporal } = runtime.project.config;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? temporal.namespace,
    taskQueue: options.taskQueue ?? temporal.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(runtime),
    // DuckDB already uses every core for one query; a few at once keep memory predictable.
    maxConcurrentActivityTaskExecutions: 4,
  });
}

export async function connectWorker(address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}

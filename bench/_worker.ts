// A Floe worker in its own process for the benches that run workflows on real workers (bench
// backfill, bench training-set): it serves `taskQueue` against the bench's catalog until SIGTERM,
// and prints `ready` once it polls. Input (argv[2], JSON): see WorkerInput.
import path from 'node:path';
import { NativeConnection, Runtime as TemporalRuntime } from '@temporalio/worker';
import type { CatalogConfig } from '../iceberg/catalog/catalog-config.js';
import { testRuntime } from '../test/support/runtime.js';
import { temporalService } from '../test/support/services.js';
import { workflowBundle } from '../test/support/workflow-bundle.js';
import { createWorker } from '../workers/worker.js';
import { definitions as pipelineDefinitions } from './_pipelines.js';
import { pitDefinitions } from './_pit/definitions.js';
import { defined } from '../contracts/defined.js';

export interface WorkerInput {
  readonly directory: string;
  readonly catalog: CatalogConfig;
  /** The definitions it registers: bench backfill's driver stats view, or bench pit's three views. */
  readonly definitions: 'pipelines' | 'pit';
  readonly onlineNamespace: string;
  readonly taskQueue: string;
  /** Activities this process runs at once. */
  readonly maxConcurrentActivities: number;
  /** DuckDB threads (2 unless given): 1 for a worker given one core. */
  readonly duckdbThreads?: number;
  /** DuckDB's memory limit (testRuntime's unless given). */
  readonly memoryLimit?: string;
}

const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
const quiet = () => undefined;
TemporalRuntime.install({
  logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: (message) => console.error(message) },
});
const runtime = await testRuntime({
  directory: path.join(input.directory, `${input.onlineNamespace}-worker-${process.pid}`),
  catalog: input.catalog,
  definitions: input.definitions === 'pit' ? pitDefinitions() : pipelineDefinitions(),
  onlineNamespace: input.onlineNamespace,
  ...defined({ threads: input.duckdbThreads, memoryLimit: input.memoryLimit }),
});
const { address, namespace } = temporalService();
const connection = await NativeConnection.connect({ address });
const worker = await createWorker(runtime, {
  connection,
  namespace,
  taskQueue: input.taskQueue,
  maxConcurrentActivities: input.maxConcurrentActivities,
  workflowBundle: await workflowBundle(),
});
process.once('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('ready');
await running;
await connection.close();
await runtime.close();

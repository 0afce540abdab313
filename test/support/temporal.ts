/**
 * A Floe worker on the real Temporal dev server for one test file: its own task queue, the
 * workflow bundle (see workflow-bundle.ts), the runtime's activities. `close()` drains the worker.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime as TemporalRuntime } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import type { Runtime } from '../../features/runtime.js';
import { createWorker } from '../../workers/worker.js';
import { temporalService } from './services.js';
import { workflowBundle } from './workflow-bundle.js';

export { workflowBundle };

let runtimeInstalled = false;

export interface TestWorker {
  readonly client: Client;
  readonly taskQueue: string;
  readonly worker: Worker;
  close(): Promise<void>;
}

export async function startTestWorker(runtime: Runtime): Promise<TestWorker> {
  const { address, namespace } = temporalService();
  if (!runtimeInstalled) {
    // Keep the SDK's own logs out of test output unless they matter.
    TemporalRuntime.install({ logger: quietLogger });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker(runtime, {
    connection: nativeConnection,
    namespace,
    taskQueue,
    workflowBundle: await workflowBundle(),
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

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error(message: string, meta?: unknown) {
    console.error(message, meta ?? '');
  },
};

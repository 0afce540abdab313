import type { Project } from '../features/project.js';
import { openRuntime } from '../features/runtime.js';
import { installWorkerRuntime, workerMetricsAddress } from './worker-runtime.js';
import { connectWorker, createWorker } from './worker.js';

/**
 * Runs a worker for the project until SIGINT or SIGTERM, then drains it and releases everything.
 * `metricsPort` overrides floe.yaml's `worker.metricsPort`.
 */
export async function runWorker(project: Project, options: { readonly metricsPort?: number } = {}): Promise<void> {
  const { temporal } = project.config;
  const metrics = workerMetricsAddress(project.config, options.metricsPort);
  installWorkerRuntime(metrics === undefined ? {} : { metrics });
  const runtime = await openRuntime(project);
  try {
    const connection = await connectWorker(temporal);
    try {
      const worker = await createWorker(runtime, { connection });
      console.log(
        `Floe worker: project ${project.config.project}, task queue ${temporal.taskQueue} on ${temporal.address} (namespace ${temporal.namespace})${metrics === undefined ? '' : `, metrics on http://${metrics.host}:${metrics.port}/metrics`}; Ctrl-C stops it`,
      );
      await worker.run();
    } finally {
      await connection.close();
    }
  } finally {
    await runtime.close();
  }
}

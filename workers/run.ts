import { Runtime as TemporalRuntime } from '@temporalio/worker';
import type { Project } from '../features/project.js';
import { openRuntime } from '../features/runtime.js';
import { InFlightActivities } from './in-flight-activities.js';
import { reportStopping, SHUTDOWN_FORCE_MS, SHUTDOWN_GRACE_MS } from './stopping.js';
import { installWorkerRuntime, workerMetricsAddress } from './worker-runtime.js';
import { connectWorker, createWorker } from './worker.js';
import { defined } from '../contracts/defined.js';

/**
 * Runs a worker for the project until SIGINT or SIGTERM, then stops it: activities in flight get
 * SHUTDOWN_GRACE_MS to finish, then are cancelled (Temporal retries them, on another worker if one
 * runs), and the log names what the worker still waits for. Should something outlast
 * EXIT_DEADLINE_MS, the worker names it and ends the process (exit code 1). `metricsPort`
 * overrides floe.yaml's `worker.metricsPort`.
 */
export async function runWorker(project: Project, options: { readonly metricsPort?: number } = {}): Promise<void> {
  const { temporal } = project.config;
  const metrics = workerMetricsAddress(project.config, options.metricsPort);
  installWorkerRuntime(project.redactor, defined({ metrics }));
  const runtime = await openRuntime(project);
  try {
    const connection = await connectWorker(temporal);
    try {
      const inFlight = new InFlightActivities(runtime.registry);
      const worker = await createWorker(runtime, {
        connection,
        activityInterceptors: [inFlight.interceptor],
        shutdownGraceMs: SHUTDOWN_GRACE_MS,
        shutdownForceMs: SHUTDOWN_FORCE_MS,
      });
      console.log(
        `Floe worker: project ${project.config.project}, task queue ${temporal.taskQueue} on ${temporal.address} (namespace ${temporal.namespace})${metrics === undefined ? '' : `, metrics on http://${metrics.host}:${metrics.port}/metrics`}; Ctrl-C stops it`,
      );
      const stopping = reportStopping(inFlight, TemporalRuntime.instance().logger);
      try {
        await worker.run();
      } finally {
        stopping.dispose();
      }
    } finally {
      await connection.close();
    }
  } finally {
    await runtime.close();
  }
}

import type { Project } from '../features/project.js';
import { openRuntime } from '../features/runtime.js';
import { installWorkerLogger } from './logger.js';
import { connectWorker, createWorker } from './worker.js';

/** Runs a worker for the project until SIGINT or SIGTERM, then drains it and releases everything. */
export async function runWorker(project: Project): Promise<void> {
  const { temporal } = project.config;
  installWorkerLogger();
  const runtime = await openRuntime(project);
  try {
    const connection = await connectWorker(temporal);
    try {
      const worker = await createWorker(runtime, { connection });
      console.log(
        `Floe worker: project ${project.config.project}, task queue ${temporal.taskQueue} on ${temporal.address} (namespace ${temporal.namespace}); Ctrl-C stops it`,
      );
      await worker.run();
    } finally {
      await connection.close();
    }
  } finally {
    await runtime.close();
  }
}

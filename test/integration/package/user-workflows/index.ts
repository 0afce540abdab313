// A user's own workflow, on the user's own worker, calling an activity the user registered on the
// Floe worker (floe/worker's createWorker({ activities })) through Floe's task queue.
import { proxyActivities } from '@temporalio/workflow';

export async function greetThroughFloe(floeTaskQueue: string, name: string): Promise<string> {
  const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({
    taskQueue: floeTaskQueue,
    startToCloseTimeout: '30 seconds',
  });
  return greet(name);
}

import { Connection, WorkflowClient } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';

/** A workflow client on the Temporal server at `address`, for the length of `body`. */
export async function withWorkflowClient<T>(address: string, body: (client: WorkflowClient) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    return await body(new WorkflowClient({ connection }));
  } finally {
    await connection.close();
  }
}

/**
 * The run's result, or, once `ms` have passed, an error saying where it stands (its status and each
 * pending activity's attempt and last failure, then `context()`), so a run that cannot finish shows
 * why rather than holding its test file until the runner's timeout.
 */
export async function resultWithin<T>(handle: WorkflowHandle, ms: number, context: () => string = () => ''): Promise<T> {
  let bound: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    bound = setTimeout(() => {
      handle.describe().then((description) => {
        const pending = (description.raw.pendingActivities ?? []).map((activity) => ({
          activity: activity.activityType?.name,
          attempt: activity.attempt,
          failure: activity.lastFailure?.message,
        }));
        reject(
          new Error(
            `${description.type} ${handle.workflowId} is ${description.status.name} after ${ms / 1000} s, pending ${JSON.stringify(pending)}${context()}`,
          ),
        );
      }, reject);
    }, ms);
  });
  try {
    return (await Promise.race([handle.result(), expired])) as T;
  } finally {
    clearTimeout(bound);
  }
}

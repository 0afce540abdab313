import { Connection, WorkflowClient } from '@temporalio/client';

/** A workflow client on the Temporal server at `address`, for the length of `body`. */
export async function withWorkflowClient<T>(address: string, body: (client: WorkflowClient) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    return await body(new WorkflowClient({ connection }));
  } finally {
    await connection.close();
  }
}

import { Client, Connection } from '@temporalio/client';
import type { ProjectConfig } from '../features/config.js';

/** A Temporal client for the project's namespace; close it with `client.connection.close()`. */
export async function connectClient(config: ProjectConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.temporal.address });
  return new Client({ connection, namespace: config.temporal.namespace });
}

import { Client, Connection, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { ProjectConfig } from '../features/config.js';
import { FloeError } from '../iceberg/errors.js';

/** A command gives up on an unreachable server after this long (the SDK's default is 10 s), so it fails within 5 s of starting. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * A Temporal client for the project's namespace; close it with `client.connection.close()`. An
 * unreachable server is reported with the address tried and the setting that changes it.
 */
export async function connectClient(config: ProjectConfig): Promise<Client> {
  const { address } = config.temporal;
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (error) {
    throw new FloeError(
      'io',
      `Cannot reach the Temporal server at ${address} within ${CONNECT_TIMEOUT_MS / 1000} s: is it running? The address is temporal.address in floe.yaml (the init template reads it from FLOE_TEMPORAL_ADDRESS)`,
      { cause: error },
    );
  }
  return new Client({ connection, namespace: config.temporal.namespace });
}

/**
 * Starts a workflow, or, when a run is already going under its id, returns that run
 * (`alreadyRunning`): the same command line run again follows the run instead of failing.
 */
export async function startOrFollow<T extends Workflow>(
  client: Client,
  workflowType: string,
  options: WorkflowStartOptions<T>,
): Promise<{ handle: WorkflowHandle<T>; alreadyRunning: boolean }> {
  try {
    return { handle: await client.workflow.start<T>(workflowType, options), alreadyRunning: false };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { handle: client.workflow.getHandle<T>(options.workflowId), alreadyRunning: true };
  }
}

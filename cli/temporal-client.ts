import { Client, ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { ProjectConfig } from '../features/config.js';
import { FloeError } from '../core/errors.js';
import { connectTemporalClient } from '../workers/temporal-connection.js';

/** A command gives up on an unreachable server after this long (the SDK's default is 10 s), so it fails within 5 s of starting. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * A Temporal client for the project's namespace, over TLS and with an API key when floe.yaml and
 * the environment say so; close it with `client.connection.close()`. An unreachable or refusing
 * server is reported with the address tried and the setting that changes it.
 */
export async function connectClient(config: ProjectConfig): Promise<Client> {
  const connection = await connectTemporalClient(config.temporal, CONNECT_TIMEOUT_MS);
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
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      return { handle: client.workflow.getHandle<T>(options.workflowId), alreadyRunning: true };
    throw startFailure(error, options.workflowId);
  }
}

/** gRPC's status code for a request the server refuses as malformed. */
const GRPC_INVALID_ARGUMENT = 3;

/** The SDK says only "Failed to start Workflow"; the server's reason is in the gRPC error under it. */
function startFailure(error: unknown, workflowId: string): unknown {
  if (!(error instanceof ServiceError)) return error;
  const cause = error.cause as { code?: unknown; details?: unknown } | undefined;
  const reason = typeof cause?.details === 'string' && cause.details !== '' ? cause.details : error.message;
  const refused = cause?.code === GRPC_INVALID_ARGUMENT;
  const shown = JSON.stringify(workflowId.length > 80 ? `${workflowId.slice(0, 80)}…` : workflowId);
  return new FloeError(refused ? 'invalid-input' : 'io', `Temporal did not start workflow ${shown}: ${reason}`, { cause: error });
}

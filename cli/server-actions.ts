import type { Client } from '@temporalio/client';
import { compactWorkflowId } from '../contracts/ids.js';
import type { ProjectConfig } from '../features/config.js';
import type { StartedWorkflow, UiActions } from '../server/ui/actions.js';
import { ActionsUnavailableError } from '../server/ui/actions.js';
import type { compact } from '../workflows/compact.js';
import { connectClient, startOrFollow } from './temporal-client.js';

/**
 * The web UI's actions in `floe serve` and `floe dev`: the workflows `floe compact` starts, with
 * its inputs and workflow ids, through a Temporal client made from floe.yaml's `temporal` section
 * on first use. A run already going under the id is answered, not started twice.
 */
export function temporalActions(config: ProjectConfig): UiActions & { close(): Promise<void> } {
  let client: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    client ??= connectClient(config).catch((error: unknown) => {
      client = undefined;
      throw new ActionsUnavailableError(`Cannot start workflows: ${(error as Error).message}`);
    });
    return client;
  };
  const started = async (
    handle: { workflowId: string; describe(): Promise<{ runId: string }> },
    alreadyRunning: boolean,
  ): Promise<StartedWorkflow> => {
    const runId =
      'firstExecutionRunId' in handle && typeof handle.firstExecutionRunId === 'string'
        ? handle.firstExecutionRunId
        : (await handle.describe()).runId;
    return { workflowId: handle.workflowId, runId, alreadyRunning };
  };
  return {
    async compact(target) {
      const temporal = await connect();
      const { handle, alreadyRunning } = await startOrFollow<typeof compact>(temporal, 'compact', {
        taskQueue: config.temporal.taskQueue,
        workflowId: compactWorkflowId(target),
        args: [target, {}],
      });
      return started(handle, alreadyRunning);
    },
    async close() {
      const connected = await client?.catch(() => undefined);
      await connected?.connection.close();
    },
  };
}

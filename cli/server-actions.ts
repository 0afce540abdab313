import type { Client } from '@temporalio/client';
import type { BackfillInput } from '../contracts/backfill.js';
import { backfillWorkflowId, compactWorkflowId } from '../contracts/ids.js';
import type { Registry } from '../features/registry.js';
import type { backfill } from '../workflows/backfill.js';
import { checkChunkCount, checkWindowEnded, checkWindowOrder, instant } from './arguments.js';
import { DEFAULT_MAX_CHUNKS } from './commands/backfill.js';
import type { ProjectConfig } from '../features/config.js';
import type { StartedWorkflow, UiActions } from '../server/ui/actions.js';
import { ActionsUnavailableError } from '../server/ui/actions.js';
import type { compact } from '../workflows/compact.js';
import { connectClient, startOrFollow } from './temporal-client.js';

/**
 * The web UI's actions in `floe serve` and `floe dev`: the workflows `floe compact` and `floe
 * backfill` start, with their inputs, checks and workflow ids, through a Temporal client made from
 * floe.yaml's `temporal` section on first use. A run already going under the id is answered, not
 * started twice. `clock` is what "the future" is measured against (tests pin it).
 */
export function temporalActions(
  config: ProjectConfig,
  registry: Registry,
  options: { readonly clock?: () => number } = {},
): UiActions & { close(): Promise<void> } {
  const clock = options.clock ?? Date.now;
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
    async backfill(request) {
      const view = registry.featureView(request.featureView);
      const window = { start: instant(request.start, 'start'), end: instant(request.end, 'end') };
      checkWindowOrder(window.start, window.end, { start: 'start', end: 'end' });
      checkWindowEnded(view, window.end, new Date(clock()), 'end');
      checkChunkCount(window, request.chunk, 1, DEFAULT_MAX_CHUNKS);
      const input: BackfillInput = { featureViews: [view.name], ...window, chunk: request.chunk };
      const temporal = await connect();
      const { handle, alreadyRunning } = await startOrFollow<typeof backfill>(temporal, 'backfill', {
        taskQueue: config.temporal.taskQueue,
        workflowId: backfillWorkflowId(input.featureViews, input.start, input.end, request.chunk),
        args: [input],
      });
      return started(handle, alreadyRunning);
    },
    async close() {
      const connected = await client?.catch(() => undefined);
      await connected?.connection.close();
    },
  };
}

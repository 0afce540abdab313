import type { Client } from '@temporalio/client';
import { FloeError } from '../core/errors.js';
import { reportedCause } from './output.js';
import { incrementalWorkflowId, materializeWorkflowId } from '../contracts/ids.js';
import type { MaterializeInput } from '../contracts/materialize.js';
import type { FeatureViewDefinition } from '../features/definitions.js';
import { durationSeconds } from '../features/definitions.js';
import { defined } from '../contracts/defined.js';
import type { Project } from '../features/project.js';
import { latestWindowEnd } from '../features/time-bounds.js';
import type { Materializer, MaterializeRun } from '../server/materializer.js';
import { MaterializerUnavailableError } from '../server/materializer.js';
import type { materialize } from '../workflows/materialize.js';
import { checkWindowEnded, checkWindowOrder, instant } from './arguments.js';
import { viewsToMaterialize } from './materialize-views.js';
import { connectClient, startOrFollow } from './temporal-client.js';

/**
 * The feature server's materializer in `floe serve`: starts the `materialize` workflow with the
 * inputs and workflow ids `floe materialize` and `floe materialize-incremental` use, through a
 * Temporal client made from floe.yaml's `temporal` section on first use (a server that is never
 * asked to materialize never connects). A run already going under the id is answered, not started twice.
 */
export function temporalMaterializer(project: Project): Materializer & { close(): Promise<void> } {
  let client: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    client ??= connectClient(project.config).catch((error: unknown) => {
      client = undefined;
      throw new MaterializerUnavailableError(`Cannot start materialization workflows: ${(error as Error).message}`, error);
    });
    return client;
  };
  const viewsOf = (names: readonly string[] | undefined): FeatureViewDefinition[] =>
    names === undefined ? viewsToMaterialize(project.registry, undefined) : names.map((name) => project.registry.featureView(name));
  const start = async (runs: { view: FeatureViewDefinition; input: MaterializeInput; workflowId: string }[]): Promise<MaterializeRun[]> => {
    const temporal = await connect();
    return Promise.all(
      runs.map(async ({ view, input, workflowId }) => {
        const { handle } = await startOrFollow<typeof materialize>(temporal, 'materialize', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId,
          args: [input],
        });
        const runId =
          'firstExecutionRunId' in handle && typeof handle.firstExecutionRunId === 'string'
            ? handle.firstExecutionRunId
            : (await handle.describe()).runId;
        return { featureView: view.name, workflowId, runId };
      }),
    );
  };
  return {
    async materialize(request) {
      const window = { start: instant(request.start, 'start_ts'), end: instant(request.end, 'end_ts') };
      checkWindowOrder(window.start, window.end, { start: 'start_ts', end: 'end_ts' });
      const views = viewsOf(request.featureViews);
      const now = new Date();
      for (const view of views) checkWindowEnded(view, window.end, now, 'end_ts');
      return start(
        views.map((view) => ({
          view,
          input: { featureView: view.name, ...window },
          workflowId: materializeWorkflowId(view.name, window.start, window.end),
        })),
      );
    },
    async materializeIncremental(request) {
      const views = viewsOf(request.featureViews);
      const now = new Date();
      const given = request.end === undefined ? undefined : instant(request.end, 'end_ts');
      return start(
        views.map((view) => {
          const end = given ?? latestWindowEnd(view, now).toISOString();
          checkWindowEnded(view, end, now, 'end_ts');
          // Feast's rule for a view never materialized: its first window starts one TTL before the end.
          const lookbackSeconds = durationSeconds(view.ttl) ?? undefined;
          return {
            view,
            input: { featureView: view.name, end, ...defined({ lookbackSeconds }) },
            workflowId: incrementalWorkflowId(view.name, end),
          };
        }),
      );
    },
    async waitFor(runs) {
      const temporal = await connect();
      await Promise.all(
        runs.map(async (run) => {
          try {
            await temporal.workflow.getHandle(run.workflowId, run.runId).result();
          } catch (error) {
            throw new FloeError(
              'io',
              `Materializing feature view ${run.featureView} failed (workflow ${run.workflowId}): ${String((reportedCause(error) as Error).message ?? error)}`,
              {
                cause: error,
                context: { featureView: run.featureView },
              },
            );
          }
        }),
      );
    },
    async close() {
      const connected = await client?.catch(() => undefined);
      await connected?.connection.close();
    },
  };
}

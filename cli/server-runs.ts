import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { isoMillis } from '../contracts/instants.js';
import { FLOE_FEATURE_VIEW, FLOE_PROGRESS } from '../contracts/search-attributes.js';
import type { ProjectConfig } from '../features/config.js';
import type { RunsSource, RunSummary } from '../server/ui/runs.js';
import { LISTED_WORKFLOW_TYPES, mostRecentFirst, RunsUnavailableError } from '../server/ui/runs.js';
import { runDetailsReader } from './server-run-details.js';
import { connectClient } from './temporal-client.js';
import type { Redactor } from '../core/redaction.js';

/**
 * The web UI's runs in `floe serve` and `floe dev`: Floe's workflows on the project's task queue,
 * from Temporal's visibility API, through a client made from floe.yaml's `temporal` section on
 * first use (a server whose runs page is never opened never connects). `temporalUi` is the Temporal
 * Web UI's address, for links to each run's page. Each run's windows, rows and error come from its
 * history and progress query (server-run-details.ts); a failed run's reason is redacted by
 * `redactor`, the process's.
 */
export function temporalRuns(
  config: ProjectConfig,
  options: { readonly temporalUi?: string; readonly redactor: Redactor },
): RunsSource & { close(): Promise<void> } {
  let client: Promise<Client> | undefined;
  const connect = (): Promise<Client> => {
    client ??= connectClient(config).catch((error: unknown) => {
      client = undefined;
      throw new RunsUnavailableError(`Cannot list workflow runs: ${(error as Error).message}`);
    });
    return client;
  };
  const { namespace, taskQueue } = config.temporal;
  const types = LISTED_WORKFLOW_TYPES.map((type) => `'${type}'`).join(', ');
  const detailsOf = runDetailsReader(namespace, options.redactor);
  const query = `TaskQueue = '${taskQueue.replace(/'/g, "\\'")}' AND WorkflowType IN (${types})`;
  return {
    async recent(limit) {
      const temporal = await connect();
      const listed: WorkflowExecutionInfo[] = [];
      try {
        for await (const run of temporal.workflow.list({ query, pageSize: limit })) {
          listed.push(run);
          if (listed.length >= limit) break;
        }
      } catch (error) {
        throw new RunsUnavailableError(`Temporal did not list the workflow runs: ${(error as Error).message}`);
      }
      const details = await detailsOf(temporal, listed);
      const runs = listed.map((run, index): RunSummary => {
        const { featureViews, windows, rows, error } = details[index]!;
        const views = run.typedSearchAttributes.get(FLOE_FEATURE_VIEW);
        return {
          workflowId: run.workflowId,
          runId: run.runId,
          type: run.type,
          status: run.status.name,
          startTime: isoMillis(run.startTime.getTime()),
          closeTime: run.closeTime === undefined ? null : isoMillis(run.closeTime.getTime()),
          // A materialize started by hand sets no FloeFeatureView: its input names the view.
          featureViews: views === undefined || views === '' ? featureViews : views.split(','),
          progress: run.typedSearchAttributes.get(FLOE_PROGRESS) ?? null,
          windows,
          rows,
          error,
          temporalUiUrl:
            options.temporalUi === undefined
              ? null
              : `${options.temporalUi.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(run.workflowId)}/${encodeURIComponent(run.runId)}/history`,
        };
      });
      return mostRecentFirst(runs);
    },
    async close() {
      const connected = await client?.catch(() => undefined);
      await connected?.connection.close();
    },
  };
}

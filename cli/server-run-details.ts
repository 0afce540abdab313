import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { fromPayloadsAtIndex } from '@temporalio/common';
import { LRUCache } from 'lru-cache';
import { mapWithConcurrency } from '../iceberg/util/concurrency.js';
import type { RunDetails, RunOutcome } from '../server/ui/run-details.js';
import { runDetails } from '../server/ui/run-details.js';
import { reportedCause } from './output.js';
import type { Redactor } from '../core/redaction.js';

/** Closed runs' details and every run's input are kept for this many runs (a page lists 100). */
export const CACHED_RUNS = 500;
/**
 * How long a page load waits for running workflows' `progress` queries, all of them together (a
 * workflow no worker polls never answers): a query not answered by then leaves its run's fields empty.
 */
export const PROGRESS_QUERY_TIMEOUT_MS = 1_500;
/** How long it waits for a run's first or last history event. */
const HISTORY_READ_TIMEOUT_MS = 5_000;
/** Runs read at once. */
const READS_AT_ONCE = 8;
/** The statuses of a run that closed with a result or a failure (one continued as new has neither). */
const CLOSED_WITH_OUTCOME = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);
/** The workflows that answer a `progress` query (materialize has none). */
const QUERIED_TYPES = new Set(['backfill', 'compact', 'consistency', 'trainingSet']);

/**
 * The runs page's details of listed runs (server/ui/run-details.ts), read from Temporal: each run's
 * input from its first history event, a closed run's result or failure from its close event (a
 * closed run never changes: its details are read once and kept), a running one's `progress` query.
 * A read that fails or times out leaves that run's fields empty; it never fails the page.
 */
export function runDetailsReader(
  namespace: string,
  redactor: Redactor,
): (client: Client, runs: readonly WorkflowExecutionInfo[]) => Promise<RunDetails[]> {
  const inputs = new LRUCache<string, { input: unknown }>({ max: CACHED_RUNS });
  const closed = new LRUCache<string, RunDetails>({ max: CACHED_RUNS });

  const inputOf = async (client: Client, run: WorkflowExecutionInfo): Promise<{ input: unknown } | undefined> => {
    const cached = inputs.get(run.runId);
    if (cached !== undefined) return cached;
    try {
      const response = await client.connection.withDeadline(Date.now() + HISTORY_READ_TIMEOUT_MS, () =>
        client.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId: run.workflowId, runId: run.runId },
          maximumPageSize: 1,
        }),
      );
      const started = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
      if (started === undefined || started === null) return undefined;
      const read = { input: fromPayloadsAtIndex(client.options.loadedDataConverter.payloadConverter, 0, started.input?.payloads) };
      inputs.set(run.runId, read);
      return read;
    } catch {
      return undefined;
    }
  };

  const outcomeOf = async (client: Client, run: WorkflowExecutionInfo, queryDeadline: number): Promise<RunOutcome | undefined> => {
    const status = run.status.name;
    if (status === 'CONTINUED_AS_NEW') return { kind: 'unknown' };
    if (!CLOSED_WITH_OUTCOME.has(status)) {
      if (!QUERIED_TYPES.has(run.type) || Date.now() >= queryDeadline) return { kind: 'unknown' };
      try {
        const value: unknown = await client.connection.withDeadline(queryDeadline, () =>
          client.workflow.getHandle(run.workflowId, run.runId).query('progress'),
        );
        return { kind: 'progress', value };
      } catch {
        return { kind: 'unknown' };
      }
    }
    try {
      const value: unknown = await client.connection.withDeadline(Date.now() + HISTORY_READ_TIMEOUT_MS, () =>
        client.workflow.getHandle(run.workflowId, run.runId, { followRuns: false }).result(),
      );
      return { kind: 'result', value };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) return undefined;
      const cause = reportedCause(error);
      return { kind: 'failure', message: cause instanceof Error ? cause.message : String(cause) };
    }
  };

  const detailsOf = async (client: Client, run: WorkflowExecutionInfo, queryDeadline: number): Promise<RunDetails> => {
    const known = closed.get(run.runId);
    if (known !== undefined) return known;
    const [input, outcome] = await Promise.all([inputOf(client, run), outcomeOf(client, run, queryDeadline)]);
    const details = runDetails(redactor, run.type, input?.input, outcome ?? { kind: 'unknown' });
    const isClosed = CLOSED_WITH_OUTCOME.has(run.status.name) || run.status.name === 'CONTINUED_AS_NEW';
    if (isClosed && input !== undefined && outcome !== undefined) closed.set(run.runId, details);
    return details;
  };

  return (client, runs) => {
    const queryDeadline = Date.now() + PROGRESS_QUERY_TIMEOUT_MS;
    return mapWithConcurrency(runs, READS_AT_ONCE, (run) => detailsOf(client, run, queryDeadline));
  };
}

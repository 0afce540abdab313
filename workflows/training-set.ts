import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChunkResult, ExchangedView, TrainingSetActivities, TrainingSetRequest } from '../activities/training-set.js';
import { floeFailureType, NON_RETRYABLE_FLOE_ERRORS } from '../contracts/error-kinds.js';
import type {
  SourceReadFigures,
  TrainingSetInput,
  TrainingSetProgress,
  TrainingSetResult,
  TrainingSetState,
} from '../contracts/training-set.js';
import { dataStepRetry, quickStepRetry } from './activity-retry.js';
import { instantMillis } from '../contracts/instants.js';
import { defined } from '../contracts/defined.js';

export const trainingSetProgressQuery = defineQuery<TrainingSetProgress>('progress');

const DEFAULT_CHUNK_ROWS = 100_000;
const DEFAULT_PARALLELISM = 2;
const nonRetryable = [...NON_RETRYABLE_FLOE_ERRORS, floeFailureType('already-exists')];
/** Runs before this step's introduction planned no exchange, and replay them without it. */
const EXCHANGE_PATCH = 'training-set-exchange';

const planning = proxyActivities<TrainingSetActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: quickStepRetry(nonRetryable),
});

// A dead worker's chunk (or exchange step) is retried after the heartbeat timeout; on cancellation
// the workflow waits for it to stop (DuckDB interrupted) before it cleans the staging folder.
const chunkWork = proxyActivities<TrainingSetActivities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: dataStepRetry(nonRetryable),
});

// One append of every chunk's files (or the cleanup): seconds of work, so a dead worker's step is
// retried after at most 2 minutes; the commit loop itself gives up well within that.
const committing = proxyActivities<TrainingSetActivities>({
  startToCloseTimeout: '2 minutes',
  retry: quickStepRetry(nonRetryable),
});

/**
 * Historical retrieval as a durable workflow: plan chunks of the entity rows (by key bucket, key
 * range or row position, recorded in history so every retry joins the same rows), join and write each chunk
 * (at most `parallelism` at once) into a staging folder named by this workflow's id and the chunk,
 * then commit every chunk's files in one append whose idempotency key is the workflow id. A rerun
 * under the same id finds that commit and writes nothing; a cancelled or failed run removes its
 * staged files (and the output table, when it created it and nothing was committed).
 */
export async function trainingSet(input: TrainingSetInput): Promise<TrainingSetResult> {
  const { request, chunkRows, parallelism } = checkInput(input);
  const key = workflowInfo().workflowId;
  let state: TrainingSetState = 'planning';
  let chunksTotal = 0;
  let chunksDone = 0;
  let entityRows = 0;
  let rows = 0;
  const reads = new SourceReads();
  const running = new Set<number>();
  setHandler(trainingSetProgressQuery, () => ({
    state,
    output: input.output.table,
    chunksTotal,
    chunksDone,
    entityRows,
    rows,
    current: [...running].sort((a, b) => a - b),
    ...(state === 'planning' ? {} : reads.figures()),
  }));
  // The workflow's page in the Temporal UI shows this line as the run's current details.
  const show = (): void =>
    setCurrentDetails(
      state === 'planning'
        ? `Planning the chunks of ${input.output.table} (not counted yet)`
        : `**${chunksDone}/${chunksTotal} chunks**, ${rows} rows of ${entityRows} entity rows into ${input.output.table}: ${state}`,
    );
  show();

  const plan = await planning.planTrainingSet({ request, key, chunkRows });
  if (plan.alreadyCommitted) {
    state = 'completed';
    rows = plan.alreadyCommitted.rows;
    const { snapshotId } = plan.alreadyCommitted;
    return { table: input.output.table, snapshotId, rows, chunks: 0, dataFiles: 0, alreadyCommitted: true };
  }
  chunksTotal = plan.chunks.length;
  entityRows = plan.entityRows;
  reads.planned(plan);

  const exchanged: ExchangedView[] = [];
  let failure: unknown;
  let failedStep = 'a chunk';
  const { exchange } = plan;
  if (exchange !== undefined && patched(EXCHANGE_PATCH)) {
    state = 'exchanging';
    show();
    failure = await inLanes(exchange.views, parallelism, async (view) => {
      const result = await chunkWork.exchangeTrainingSetView({ request, key, exchange, view });
      exchanged.push(result);
      reads.exchanged(result);
    });
    failedStep = 'the exchange step';
  }

  const results: ChunkResult[] = [];
  if (failure === undefined) {
    state = 'running';
    show();
    failedStep = 'a chunk';
    failure = await inLanes(plan.chunks, parallelism, async (chunk) => {
      running.add(chunk.index);
      try {
        const result = await chunkWork.writeTrainingSetChunk({
          request,
          key,
          chunk,
          entitySnapshotId: plan.entitySnapshotId,
          ...(exchanged.length > 0 ? { exchanged: exchanged.map((view) => chunkPart(view, chunk.index)) } : {}),
        });
        results.push(result);
        chunksDone += 1;
        rows += result.rows;
        reads.add(result);
        show();
      } finally {
        running.delete(chunk.index);
      }
    });
  }

  if (failure === undefined) {
    state = 'committing';
    show();
    // A commit once asked for is seen through: cancelling then would leave the outcome unknown.
    const committed = await CancellationScope.nonCancellable(() =>
      committing.commitTrainingSet({ request, key, chunks: [...results].sort((a, b) => a.index - b.index) }),
    );
    state = 'completed';
    show();
    return { ...committed, chunks: chunksTotal, ...reads.figures() };
  }
  state = isCancellation(failure) ? 'cancelled' : 'failed';
  show();
  await CancellationScope.nonCancellable(() => committing.cleanUpTrainingSet({ request, key }));
  if (isCancellation(failure)) throw failure;
  throw stopped(`Training set ${input.output.table} stopped after ${chunksDone} of ${chunksTotal} chunks: ${failedStep} failed`, failure);
}

/** The workflow's failure after a step's: non-retryable, since the step had its own retries. */
function stopped(message: string, failure: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'TrainingSetChunkFailed',
    message: `${message} (${failure instanceof Error ? failure.message : String(failure)})`,
    nonRetryable: true,
    ...(failure instanceof Error ? { cause: failure } : {}),
  });
}

/** A view's exchanged rows as one chunk reads them: its own files only. */
function chunkPart(view: ExchangedView, chunk: number): ExchangedView {
  return { ...view, files: view.files.filter((file) => file.chunk === chunk) };
}

/** Runs `work` on each item in order, at most `lanes` at once; after a failure, starts no more and returns the first failure. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<unknown> {
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    try {
      while (failure === undefined && next < items.length) await work(items[next++]!);
    } catch (error) {
      failure ??= error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, Math.max(1, items.length)) }, lane));
  return failure;
}

/**
 * What the exchange step and the chunks done read of the views' sources, one pass over each, and
 * the rows exchanged. Plans and chunk results
 * recorded before Floe measured these carry none: such a chunk counts as nothing read.
 */
class SourceReads {
  private read: SourceReadFigures = { dataFiles: 0, rows: 0, bytes: 0 };
  private onePass: SourceReadFigures | undefined;
  private exchange: SourceReadFigures | undefined;

  planned(plan: { readonly sourceOnePass?: SourceReadFigures | null }): void {
    this.onePass = plan.sourceOnePass ?? undefined;
  }

  add(result: Partial<Pick<ChunkResult, 'sourceRead'>>): void {
    if (result.sourceRead !== undefined) this.read = sum(this.read, result.sourceRead);
  }

  exchanged(view: ExchangedView): void {
    this.read = sum(this.read, view.sourceRead);
    this.exchange = view.files.reduce(
      (total, file) => sum(total, { dataFiles: 1, rows: file.rows, bytes: file.bytes }),
      this.exchange ?? { dataFiles: 0, rows: 0, bytes: 0 },
    );
  }

  figures(): { sourceRead: SourceReadFigures; sourceOnePass?: SourceReadFigures; exchanged?: SourceReadFigures } {
    return { sourceRead: this.read, ...defined({ sourceOnePass: this.onePass, exchanged: this.exchange }) };
  }
}

function sum(a: SourceReadFigures, b: SourceReadFigures): SourceReadFigures {
  return { dataFiles: a.dataFiles + b.dataFiles, rows: a.rows + b.rows, bytes: a.bytes + b.bytes };
}

/** The request the activities get, or a non-retryable failure naming the bad field. */
export function checkInput(input: TrainingSetInput): { request: TrainingSetRequest; chunkRows: number; parallelism: number } {
  const invalid = (field: string, message: string): ApplicationFailure =>
    ApplicationFailure.nonRetryable(`trainingSet input ${field}: ${message}`, 'FloeError:invalid-input');
  if (typeof input !== 'object' || input === null)
    throw invalid(
      '',
      'must be an object such as {"entities":{"table":"ns.requests"},"features":["view:feature"],"output":{"table":"ns.training"}}',
    );
  const entities = input.entities as unknown;
  const isTable =
    typeof entities === 'object' &&
    entities !== null &&
    'table' in entities &&
    typeof entities.table === 'string' &&
    entities.table.includes('.');
  const isParquet =
    typeof entities === 'object' &&
    entities !== null &&
    'parquet' in entities &&
    Array.isArray(entities.parquet) &&
    entities.parquet.length > 0 &&
    entities.parquet.every((file: unknown) => typeof file === 'string' && file !== '');
  const fromSource = sourceEntities(entities);
  if (typeof fromSource === 'string') throw invalid('entities', fromSource);
  if (!isTable && !isParquet && fromSource === undefined)
    throw invalid(
      'entities',
      `must be {"table":"namespace.table"}, {"parquet":["/path/a.parquet", …]} or {"from":"source","start":"2024-05-01T00:00:00Z","end":"2024-05-02T00:00:00Z"}, got ${JSON.stringify(entities)}`,
    );
  if ((input.features === undefined) === (input.featureService === undefined))
    throw invalid('features', 'give features (a list of "view:feature" or "view") or featureService, exactly one of them');
  if (
    input.features !== undefined &&
    (!Array.isArray(input.features) ||
      input.features.length === 0 ||
      input.features.some((feature) => typeof feature !== 'string' || feature === ''))
  ) {
    throw invalid('features', `must be a non-empty list of "view:feature" or "view" references, got ${JSON.stringify(input.features)}`);
  }
  if (input.featureService !== undefined && (typeof input.featureService !== 'string' || input.featureService === ''))
    throw invalid('featureService', `must be a feature service name, got ${JSON.stringify(input.featureService)}`);
  if (
    typeof input.output !== 'object' ||
    input.output === null ||
    typeof input.output.table !== 'string' ||
    !input.output.table.includes('.')
  ) {
    throw invalid('output', `must be {"table":"namespace.table"}, got ${JSON.stringify(input.output)}`);
  }
  const chunkRows = input.chunkRows ?? DEFAULT_CHUNK_ROWS;
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1)
    throw invalid('chunkRows', `must be a positive integer, got ${JSON.stringify(input.chunkRows)}`);
  const parallelism = input.parallelism ?? DEFAULT_PARALLELISM;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64)
    throw invalid('parallelism', `must be an integer from 1 to 64, got ${JSON.stringify(input.parallelism)}`);
  const request: TrainingSetRequest = {
    entities:
      fromSource !== undefined
        ? fromSource
        : isTable
          ? (input.entities as TrainingSetRequest['entities'])
          : { parquet: [...(input.entities as { parquet: readonly string[] }).parquet] },
    ...defined({
      features: input.features,
      featureService: input.featureService,
      fullFeatureNames: input.fullFeatureNames,
      timestampColumn: input.timestampColumn,
    }),
    output: { table: input.output.table },
    ...(input.replace === true ? { replace: true } : {}),
  };
  return { request, chunkRows, parallelism };
}

/** `{ from, start, end }` checked (a message saying what is wrong), or undefined for the other forms. */
function sourceEntities(entities: unknown): { from: string; start: string; end: string } | string | undefined {
  if (typeof entities !== 'object' || entities === null || !('from' in entities)) return undefined;
  const { from, start, end } = entities as { from: unknown; start?: unknown; end?: unknown };
  if (typeof from !== 'string' || from === '') return `from must name a source or feature view, got ${JSON.stringify(from)}`;
  for (const [field, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (typeof value !== 'string' || Number.isNaN(instantMillis(value)))
      return `${field} must be an ISO-8601 instant such as 2024-05-01T00:00:00Z, got ${JSON.stringify(value)}`;
  }
  if (!(instantMillis(start as string) < instantMillis(end as string))) return `end ${String(end)} must be after start ${String(start)}`;
  return { from, start: start as string, end: end as string };
}

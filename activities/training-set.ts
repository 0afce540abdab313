import { Context } from '@temporalio/activity';
import type { FeatureContext } from '../features/context.js';
import type {
  ChunkResult,
  ExchangedView,
  TrainingSetChunk,
  TrainingSetExchange,
  TrainingSetCommit,
  TrainingSetPlan,
  TrainingSetRequest,
} from '../features/training-set/index.js';
import {
  cleanUpTrainingSet,
  commitTrainingSet,
  exchangeViewRows,
  planTrainingSet,
  writeTrainingSetChunk,
} from '../features/training-set/index.js';
import { asActivityFailure, withHeartbeats } from './activity-support.js';

export type { ChunkResult, ExchangedView, TrainingSetChunk, TrainingSetCommit, TrainingSetExchange, TrainingSetPlan, TrainingSetRequest };

export type TrainingSetActivities = ReturnType<typeof createTrainingSetActivities>;

/** Test-only seams; production workers pass none. */
export interface TrainingSetHooks {
  /** Runs inside the chunk step after its data files are uploaded, before their manifest is written. */
  readonly afterChunkFiles?: (info: { readonly chunk: number; readonly attempt: number; readonly signal: AbortSignal }) => Promise<void>;
  /** Runs inside the exchange step after a view's files are uploaded, before the step returns. */
  readonly afterExchangeFiles?: (info: { readonly view: string; readonly attempt: number }) => Promise<void>;
}

/**
 * The trainingSet workflow's steps (see features/training-set/). `key` is the workflow id: it
 * names the staging folder and is the commit's idempotency key.
 */
export function createTrainingSetActivities(context: FeatureContext, hooks: TrainingSetHooks = {}) {
  return {
    async planTrainingSet(input: {
      readonly request: TrainingSetRequest;
      readonly key: string;
      readonly chunkRows: number;
    }): Promise<TrainingSetPlan> {
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats('planning the training set', (signal) =>
          planTrainingSet({ ...context, signal }, input.request, { key: input.key, chunkRows: input.chunkRows }),
        ),
      );
    },

    async exchangeTrainingSetView(input: {
      readonly request: TrainingSetRequest;
      readonly key: string;
      readonly exchange: TrainingSetExchange;
      readonly view: string;
    }): Promise<ExchangedView> {
      const { attempt } = Context.current().info;
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats(`exchanging the rows of view ${input.view}`, (signal) =>
          exchangeViewRows({ ...context, signal }, input.request, {
            key: input.key,
            exchange: input.exchange,
            view: input.view,
            attempt,
            ...(hooks.afterExchangeFiles ? { afterFiles: () => hooks.afterExchangeFiles!({ view: input.view, attempt }) } : {}),
          }),
        ),
      );
    },

    async writeTrainingSetChunk(input: {
      readonly request: TrainingSetRequest;
      readonly key: string;
      readonly chunk: TrainingSetChunk;
      readonly entitySnapshotId: string | null;
      readonly exchanged?: readonly ExchangedView[];
    }): Promise<ChunkResult> {
      const { attempt } = Context.current().info;
      return asActivityFailure(context.catalog.redactor, () =>
        withHeartbeats(`joining training set chunk ${input.chunk.index}`, (signal) =>
          writeTrainingSetChunk({ ...context, signal }, input.request, {
            key: input.key,
            chunk: input.chunk,
            entitySnapshotId: input.entitySnapshotId,
            ...(input.exchanged === undefined ? {} : { exchanged: input.exchanged }),
            attempt,
            ...(hooks.afterChunkFiles
              ? { afterDataFiles: () => hooks.afterChunkFiles!({ chunk: input.chunk.index, attempt, signal }) }
              : {}),
          }),
        ),
      );
    },

    async commitTrainingSet(input: {
      readonly request: TrainingSetRequest;
      readonly key: string;
      readonly chunks: readonly ChunkResult[];
    }): Promise<TrainingSetCommit> {
      return asActivityFailure(context.catalog.redactor, () =>
        commitTrainingSet(context, input.request, { key: input.key, chunks: input.chunks }),
      );
    },

    async cleanUpTrainingSet(input: {
      readonly request: TrainingSetRequest;
      readonly key: string;
    }): Promise<{ removedFiles: number; droppedTable: boolean }> {
      return asActivityFailure(context.catalog.redactor, () => cleanUpTrainingSet(context, input.request, { key: input.key }));
    },
  };
}

/**
 * A training set built in chunks, each step safe to retry: the library half of the `trainingSet`
 * workflow (usable without Temporal). Entity rows are cut into chunks by the buckets or ranges of
 * their key when a source is laid out by it (so the chunks together read a source about once),
 * by finer buckets of it when no source is, with an exchange step that reads each source once and
 * writes its rows by chunk, or by file and row position, fixed when planned so a chunk names the same rows however often it
 * runs; each chunk reads only the source files its rows can need, and its point-in-time join is written
 * as Parquet data files of the output table into a staging folder named by the run's key and the
 * chunk (a retry first removes what an earlier attempt of the chunk left there); one fast append
 * carrying the key as its idempotency key commits every chunk's files at once.
 */
export { cutByFile, cutByKeyBuckets, cutIntoChunks } from './chunks.js';
export type { ChunkKeyBuckets, ChunkKeyRange, EntitySegment, TrainingSetChunk } from './chunks.js';
export { cleanUpTrainingSet } from './cleanup.js';
export { commitTrainingSet } from './commit.js';
export { exchangeViewRows } from './exchange.js';
export type { ExchangedFile, ExchangedView, TrainingSetExchange } from './exchange.js';
export type { TrainingSetCommit } from './commit.js';
export { planTrainingSet } from './plan.js';
export type { TrainingSetPlan } from './plan.js';
export { DEFAULT_CHUNK_ROWS, TRAINING_SET_KEY_PROPERTY } from './request.js';
export type { TrainingSetEntities, TrainingSetRequest } from './request.js';
export { stagingRoot } from './staging.js';
export { writeTrainingSetChunk } from './write-chunk.js';
export type { ChunkResult } from './write-chunk.js';

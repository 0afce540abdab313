import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { SourceReadFigures } from '../../contracts/training-set.js';
import type { TrainingSetChunk } from './chunks.js';
import { cutByFile, cutIntoChunks } from './chunks.js';
import { cutByKeyBucket, cutByKeyRange } from './key-cuts.js';
import { sourceLayout } from './source-layout.js';
import { planExchange } from './exchange.js';
import type { TrainingSetExchange } from './exchange.js';
import { defined } from '../../contracts/defined.js';
import { entityFiles } from './entities.js';
import { sourceEntityFiles } from './source-entities.js';
import { createTrainingSetTable } from './output-table.js';
import type { FeatureContext } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import { checkTrainingSetRequest } from './validation.js';

export interface TrainingSetPlan {
  /** Set when a run with this key already committed: nothing else is to be done. */
  readonly alreadyCommitted: { readonly snapshotId: string; readonly rows: number } | null;
  /** The entity table's snapshot every chunk reads, for the table form. */
  readonly entitySnapshotId: string | null;
  readonly entityRows: number;
  readonly chunks: readonly TrainingSetChunk[];
  /** One pass over each asked view's source (null when already committed). */
  readonly sourceOnePass: SourceReadFigures | null;
  /** Set when the chunks read their views' rows from an exchange step instead of the sources (exchange.ts); plans recorded before it have none. */
  readonly exchange?: TrainingSetExchange;
}

/**
 * Checks the request (features, entity rows, output table), cuts the entity rows into chunks of
 * at most `chunkRows` (by the buckets of their key when a view's source is bucketed by it, by
 * ranges of it when a source's files are sorted by it, by finer buckets of it with an exchange step
 * when neither, else by position), and creates the output table when absent. A key already committed to the
 * output table short-cuts everything.
 */
export async function planTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  options: { readonly key: string; readonly chunkRows: number },
): Promise<TrainingSetPlan> {
  const alreadyCommitted = await checkTrainingSetRequest(context, request, options.key);
  if (alreadyCommitted) return { alreadyCommitted, entitySnapshotId: null, entityRows: 0, chunks: [], sourceOnePass: null };
  const { entities: given } = request;
  const entities = 'from' in given ? await sourceEntityFiles(context, { ...request, entities: given }) : await entityFiles(context, given);
  const outputId = parseTableIdentifier(request.output.table);
  if (!(await context.catalog.tableExists(outputId)))
    await createTrainingSetTable(context, request, outputId, options.key, entities.snapshotId);
  const entityRows = entities.files.reduce((sum, file) => sum + file.rows, 0);
  const layout = await sourceLayout(context, request);
  const { chunkRows } = options;
  let chunks: readonly TrainingSetChunk[];
  let exchange: TrainingSetExchange | undefined;
  if ('from' in given) chunks = cutByFile(entities.files, chunkRows);
  else if (entityRows <= chunkRows) chunks = cutIntoChunks(entities.files, chunkRows);
  else if (layout.cutBy === null) {
    // Nothing in the sources' layout lets a chunk skip a file: an exchange step reads each once for all chunks.
    const exchanged =
      layout.exchangeKey === null ? null : await planExchange(context, request, entities, { ...layout.exchangeKey, chunkRows });
    chunks = exchanged?.chunks ?? cutIntoChunks(entities.files, chunkRows);
    exchange = exchanged?.exchange;
  } else {
    const byKey =
      layout.cutBy.kind === 'bucket'
        ? await cutByKeyBucket(context, request, entities, { ...layout.cutBy, chunkRows })
        : await cutByKeyRange(context, request, entities, { ...layout.cutBy, chunkRows });
    // chunkRows bounds a chunk's memory: where one key (or key bucket) alone holds more entity rows,
    // chunks of consecutive rows keep the bound, at the cost of each reading more of the sources.
    chunks = byKey.every((chunk) => chunk.rows <= chunkRows) ? byKey : cutIntoChunks(entities.files, chunkRows);
  }
  return {
    alreadyCommitted: null,
    entitySnapshotId: entities.snapshotId,
    entityRows,
    chunks,
    sourceOnePass: layout.onePass,
    ...defined({ exchange }),
  };
}

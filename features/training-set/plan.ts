import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TrainingSetChunk } from './chunks.js';
import { cutByFile, cutIntoChunks } from './chunks.js';
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
}

/**
 * Checks the request (features, entity rows, output table), cuts the entity rows into chunks of
 * at most `chunkRows`, and creates the output table when absent. A key already committed to the
 * output table short-cuts everything.
 */
export async function planTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  options: { readonly key: string; readonly chunkRows: number },
): Promise<TrainingSetPlan> {
  const alreadyCommitted = await checkTrainingSetRequest(context, request, options.key);
  if (alreadyCommitted) return { alreadyCommitted, entitySnapshotId: null, entityRows: 0, chunks: [] };
  const { entities: given } = request;
  const entities = 'from' in given ? await sourceEntityFiles(context, { ...request, entities: given }) : await entityFiles(context, given);
  const outputId = parseTableIdentifier(request.output.table);
  if (!(await context.catalog.tableExists(outputId)))
    await createTrainingSetTable(context, request, outputId, options.key, entities.snapshotId);
  const chunks = 'from' in given ? cutByFile(entities.files, options.chunkRows) : cutIntoChunks(entities.files, options.chunkRows);
  return {
    alreadyCommitted: null,
    entitySnapshotId: entities.snapshotId,
    entityRows: entities.files.reduce((sum, file) => sum + file.rows, 0),
    chunks,
  };
}

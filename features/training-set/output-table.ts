import path from 'node:path';
import type { LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { getHistoricalFeatures } from '../historical/get-historical-features.js';
import { createOutputTable } from '../historical/output-table.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { writeChunkEntities } from './entity-sql.js';
import type { FeatureContext } from '../context.js';
import { withScratchDirectory } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import { historicalRequest, requestIdentity, TRAINING_SET_KEY_PROPERTY, TRAINING_SET_REQUEST_PROPERTY } from './request.js';
import { chunkManifestName } from './staging.js';

/**
 * Creates the output table shaped like the join's result, found by joining no entity rows, and
 * marked as created by the run `key` (its data files must be written with the table's field ids).
 */
export async function createTrainingSetTable(
  context: FeatureContext,
  request: TrainingSetRequest,
  id: TableIdentifier,
  key: string,
  entitySnapshotId: string | null,
): Promise<LoadedTable> {
  return withScratchDirectory(context, `${chunkManifestName(key, null)}shape`, async (scratch) => {
    const entityFile = path.join(scratch, 'entities.parquet');
    await writeChunkEntities(context, request, { segments: [] }, entitySnapshotId, entityFile);
    const job = getHistoricalFeatures(context, historicalRequest(request, { parquet: [entityFile] }));
    return job.run((connection, query) =>
      createOutputTable(context.catalog, id, connection, query, {
        what: `training set ${formatTableIdentifier(id)}`,
        formatVersion: context.registry.tableFormatVersion,
        properties: { [TRAINING_SET_KEY_PROPERTY]: key, [TRAINING_SET_REQUEST_PROPERTY]: JSON.stringify(requestIdentity(request)) },
      }),
    );
  });
}

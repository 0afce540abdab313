import { FloeError } from '../../core/errors.js';
import { findCommitted } from '../../iceberg/commit/commit.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { getHistoricalFeatures } from '../historical/get-historical-features.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { FeatureContext } from '../context.js';
import type { TrainingSetRequest } from './request.js';
import {
  historicalRequest,
  requestDifferences,
  requestIdentity,
  TRAINING_SET_KEY_PROPERTY,
  TRAINING_SET_REQUEST_PROPERTY,
} from './request.js';

/**
 * Checks the request before any entity row is read: the output table's name, the features, and
 * that the output table is absent or this run's own (created under `key`) for the same request. An
 * output table built from another request is refused, naming what differs, or dropped when the
 * request says `replace`. Returns the snapshot when `key` already committed to it, else null.
 */
export async function checkTrainingSetRequest(
  context: FeatureContext,
  request: TrainingSetRequest,
  key: string,
): Promise<{ readonly snapshotId: string; readonly rows: number } | null> {
  const outputId = parseTableIdentifier(request.output.table);
  getHistoricalFeatures(context, historicalRequest(request, { parquet: [] })); // unknown features fail here
  if (!(await context.catalog.tableExists(outputId))) return null;
  const table = await context.catalog.loadTable(outputId);
  const stored = table.metadata.properties[TRAINING_SET_REQUEST_PROPERTY];
  const differences = stored === undefined ? [] : requestDifferences(stored, requestIdentity(request));
  if (differences.length > 0) {
    if (request.replace === true) {
      await context.catalog.dropTable(outputId, { purge: true });
      return null;
    }
    throw new FloeError(
      'invalid-input',
      `Output table ${request.output.table} holds a training set of another request (${differences.join('; ')}); give --replace (replace: true) to replace it, or name another output table`,
      { context: { table: request.output.table } },
    );
  }
  const committed = findCommitted(table.metadata, MAIN_BRANCH, key);
  if (committed) return { snapshotId: committed.snapshotId.toString(), rows: Number(committed.summary['added-records'] ?? 0) };
  if (table.metadata.properties[TRAINING_SET_KEY_PROPERTY] !== key) {
    throw new FloeError(
      'already-exists',
      `Output table ${request.output.table} exists and was not created by this training set; name a new table`,
      { context: { table: request.output.table } },
    );
  }
  return null;
}

import { findCommitted } from '../../iceberg/commit/commit.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { FeatureContext } from '../context.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TrainingSetRequest } from './request.js';
import { TRAINING_SET_KEY_PROPERTY } from './request.js';
import { removeStagedRun } from './staging.js';

/**
 * After a cancelled or failed run: removes its staged files and manifests, and the output table
 * too when this run created it and nothing was committed to it. A committed run is left alone.
 */
export async function cleanUpTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  input: { readonly key: string },
): Promise<{ removedFiles: number; droppedTable: boolean }> {
  const id = parseTableIdentifier(request.output.table);
  if (!(await context.catalog.tableExists(id))) return { removedFiles: 0, droppedTable: false };
  const table = await context.catalog.loadTable(id);
  if (findCommitted(table.metadata, MAIN_BRANCH, input.key)) return { removedFiles: 0, droppedTable: false };
  const removedFiles = await removeStagedRun(table, input.key);
  const ours = table.metadata.properties[TRAINING_SET_KEY_PROPERTY] === input.key;
  const droppedTable = ours && table.metadata.snapshots.length === 0;
  if (droppedTable) await context.catalog.dropTable(id, { purge: true });
  return { removedFiles, droppedTable };
}

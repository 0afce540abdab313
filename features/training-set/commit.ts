import { findCommitted } from '../../iceberg/commit/commit.js';
import { describeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import type { FeatureContext } from '../context.js';
import { resolveHistoricalFeatures } from '../selection.js';
import { commitOutputFiles, featureList } from '../historical/output-table.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TrainingSetRequest } from './request.js';
import type { ChunkResult } from './write-chunk.js';
import { removeExchange } from './staging.js';

export interface TrainingSetCommit {
  readonly table: string;
  readonly snapshotId: string | null;
  readonly rows: number;
  readonly dataFiles: number;
  readonly alreadyCommitted: boolean;
}

/** Commits every chunk's files in one fast append keyed by `key` (a key already committed returns its snapshot), then removes the run's exchanged rows. */
export async function commitTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  input: { readonly key: string; readonly chunks: readonly ChunkResult[] },
): Promise<TrainingSetCommit> {
  const id = parseTableIdentifier(request.output.table);
  const table = await context.catalog.loadTable(id);
  const rows = input.chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
  const dataFiles = input.chunks.reduce((sum, chunk) => sum + chunk.dataFiles, 0);
  const earlier = findCommitted(table.metadata, MAIN_BRANCH, input.key);
  if (earlier) {
    await removeExchange(table, input.key);
    return { table: request.output.table, snapshotId: earlier.snapshotId.toString(), rows, dataFiles, alreadyCommitted: true };
  }
  const manifests = await Promise.all(
    input.chunks.flatMap((chunk) => (chunk.manifest === null ? [] : [describeAddedManifest(table, chunk.manifest)])),
  );
  const resolved = resolveHistoricalFeatures(context.registry, request);
  const result = await commitOutputFiles(context.catalog, id, manifests, {
    idempotencyKey: input.key,
    summary: { 'floe.training-set.features': featureList(resolved), 'floe.training-set.chunks': String(input.chunks.length) },
  });
  // The exchanged rows served the chunks only; a retry after this point finds the commit and removes them again.
  await removeExchange(table, input.key);
  return {
    table: request.output.table,
    snapshotId: result.snapshotId?.toString() ?? null,
    rows,
    dataFiles,
    alreadyCommitted: result.alreadyCommitted,
  };
}

import { duckdbErrorReason, quoteLiteral } from '../../engine/sql.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { fileIOFor } from '../../iceberg/io/file-io-for.js';
import { isS3Location } from '../../iceberg/io/s3-location.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { EntityFile } from './chunks.js';
import type { SourceEntitiesRequest, TrainingSetEntities } from './request.js';

/**
 * The entity files in order with their row counts (for a table: its data files at one snapshot,
 * before deletes). An entity table that does not exist, or a file that is missing or not Parquet,
 * fails with a message naming it.
 */
export async function entityFiles(
  context: FeatureContext,
  entities: Exclude<TrainingSetEntities, SourceEntitiesRequest>,
): Promise<{ files: EntityFile[]; snapshotId: string | null }> {
  if ('table' in entities) {
    const plan = await entityPlan(context, entities.table, entities.snapshotId ?? null);
    return {
      files: plan.plan.tasks.map((task) => ({ file: task.dataFile.filePath, rows: Number(task.dataFile.recordCount) })),
      snapshotId: plan.plan.snapshotId?.toString() ?? null,
    };
  }
  if (!Array.isArray(entities.parquet) || entities.parquet.length === 0)
    throw new FloeError('invalid-input', 'entities.parquet names no file', { context: { field: 'entities.parquet' } });
  const local = await localEntityFiles(context, entities.parquet);
  return context.engine.withConnection(async (connection) => {
    const files: EntityFile[] = [];
    for (const [index, file] of entities.parquet.entries()) {
      try {
        const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet(${quoteLiteral(local[index]!)})`);
        files.push({ file, rows: Number(reader.getRows()[0]?.[0] ?? 0) });
      } catch (error) {
        // The local copy's path means nothing to the user: name the file they gave.
        const reason = duckdbErrorReason(error).split(local[index]!).join(file);
        throw new FloeError(
          'invalid-input',
          `Cannot read the entity Parquet file ${file} (${reason}): expected a Parquet file of entity rows`,
          { context: { file } },
        );
      }
    }
    return { files, snapshotId: null };
  }, signalOf(context));
}

/** The entity table's scan at one snapshot (its current one when null). */
export async function entityPlan(
  context: FeatureContext,
  name: string,
  snapshotId: string | null,
): Promise<{ table: LoadedTable; plan: ScanPlan }> {
  const id = parseTableIdentifier(name);
  if (!(await context.catalog.tableExists(id))) {
    throw new FloeError('not-found', `The entity table ${name} does not exist in catalog ${context.catalog.name}`, {
      context: { table: name },
    });
  }
  const table = await context.catalog.loadTable(id);
  const plan = await planScan(table, snapshotId === null ? {} : { snapshotId: BigInt(snapshotId) });
  return { table, plan };
}

/** Local paths of the entity Parquet files: object-store files through the catalog's FileIO (cached by content). */
export async function localEntityFiles(context: FeatureContext, files: readonly string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (file) => {
      if (!isS3Location(file)) return file.replace(/^file:\/\//, '');
      try {
        return await fileIOFor(file, context.ioProperties ?? {}, context.catalog.caches).localize(file);
      } catch (error) {
        if (FloeError.is(error, 'not-found'))
          throw new FloeError('invalid-input', `The entity Parquet file ${file} does not exist`, { context: { file }, cause: error });
        throw error;
      }
    }),
  );
}

import type * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TableIdentifier } from '../../iceberg/catalog/catalog.js';
import type { Caller } from '../auth/authenticator.js';
import type { FeastCommand } from './feast-command.js';
import { requireRead } from './flight-auth.js';
import { feastHistoricalRetrieval } from './historical-retrieval.js';

/** The namespace of saved datasets whose storage names no `namespace.table`. */
export const SAVED_DATASET_NAMESPACE = 'datasets';

/**
 * Feast's `persist` (`store.create_saved_dataset(from_=job, name=…, storage=…)`, and
 * `job.persist(storage)`): the retrieval the job stands for, run again by Floe on the entity rows
 * Feast sends with it, saved as a new Iceberg table (as `floe training-set --output` saves one).
 * Feast sends only its storage's data source name, never the dataset's name: the table is
 * savedDatasetTable of it. An existing table is never replaced.
 */
export async function feastPersist(
  context: FeatureContext,
  command: FeastCommand,
  uploaded: arrow.Table,
  caller: Caller | undefined,
): Promise<{ table: string }> {
  const retrieve = command.parameters.retrieve_func;
  if (retrieve !== 'get_historical_features')
    throw new FloeError(
      'unsupported',
      `Floe saves datasets of get_historical_features retrievals only, not of ${String(retrieve)}; save a training set instead`,
      { context: { field: 'retrieve_func' } },
    );
  const identifier = savedDatasetTable(command.parameters.data_source_name);
  const table = formatTableIdentifier(identifier);
  const retrieval = feastHistoricalRetrieval(context, command, uploaded);
  requireRead(caller, retrieval.views);
  if (await context.catalog.tableExists(identifier))
    throw new FloeError(
      'already-exists',
      `The saved dataset's table ${table} exists${command.parameters.allow_overwrite === true ? ' (Floe never replaces a table, allow_overwrite or not)' : ''}; give the storage another name or drop the table`,
      { context: { table } },
    );
  await retrieval.job.toIcebergTable(identifier, { properties: { 'floe.saved-dataset.source': 'feast-persist' } });
  return { table };
}

/**
 * The Iceberg table of a saved dataset, from the name of its storage's data source: that name when
 * it is a `namespace.table` identifier (a table storage's), else `datasets.<stem>` from a path (a
 * file storage's name is its path: `s3://bucket/driver_ds.parquet` → `datasets.driver_ds`), its
 * stem lowercased with every character that is not a letter, digit or underscore made `_`.
 */
export function savedDatasetTable(dataSourceName: unknown): TableIdentifier {
  if (typeof dataSourceName !== 'string' || dataSourceName.trim() === '')
    throw new FloeError('invalid-input', "Feast's persist command needs data_source_name, the name of the saved dataset's storage", {
      context: { field: 'data_source_name' },
    });
  if (/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(dataSourceName)) return parseTableIdentifier(dataSourceName);
  const stem = (
    dataSourceName
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? ''
  ).replace(/\.[^.]*$/, '');
  const table = stem.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/[a-z0-9]/.test(table))
    throw new FloeError('invalid-input', `Feast's persist: no table name can be made of the storage ${JSON.stringify(dataSourceName)}`, {
      context: { field: 'data_source_name' },
    });
  return parseTableIdentifier(`${SAVED_DATASET_NAMESPACE}.${/^[0-9]/.test(table) ? `_${table}` : table}`);
}

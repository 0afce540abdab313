import * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import { queryToArrowBatches } from '../../features/historical/arrow-io.js';
import type { EntitySource } from '../../features/historical/entity-rows.js';
import { DEFAULT_ENTITY_TIMESTAMP, getHistoricalFeatures } from '../../features/historical/get-historical-features.js';
import type { HistoricalRetrievalJob } from '../../features/historical/get-historical-features.js';
import type { FeastCommand } from './feast-command.js';
import { stringList } from './feast-command.js';

/** A `get_historical_features` command made ready: what it reads (for permissions) and how to stream its rows. */
export interface HistoricalRetrieval {
  /** The feature views (on-demand ones too) its feature references name. */
  readonly views: readonly string[];
  /** The retrieval itself, for what else may be asked of it (Feast's persist saves it as a table). */
  readonly job: HistoricalRetrievalJob;
  /** Runs the retrieval and hands `send` the result one record batch at a time (the first may be empty: it carries the schema). */
  stream(send: (batch: arrow.Table) => Promise<void>): Promise<void>;
}

/** Pandas' index, which `pa.Table.from_pandas` adds as columns when it is not a plain range: not entity data. */
const PANDAS_INDEX = /^__index_level_\d+__$/;

/**
 * Feast's `get_historical_features` over Floe's one historical retrieval (getHistoricalFeatures):
 * the feature references Feast resolved (feature services and on-demand views' inputs included),
 * `full_feature_names`, and the entity rows Feast uploaded (its DataFrame as Arrow) or, when it
 * sent only its placeholder table, its SQL entity query. Feature references are checked now.
 */
export function feastHistoricalRetrieval(context: FeatureContext, command: FeastCommand, uploaded: arrow.Table): HistoricalRetrieval {
  const features = stringList(command, 'feature_refs');
  const aliases = command.parameters.name_aliases;
  if (Array.isArray(aliases) && aliases.some((alias) => alias !== null && alias !== undefined))
    throw new FloeError(
      'unsupported',
      `Floe does not rename feature views in a retrieval (Feast's name_alias ${aliases.filter((alias) => alias != null).join(', ')}); use a feature service without aliases`,
      { context: { field: 'name_aliases' } },
    );
  const { entities, timestampColumn } = entityRows(command, uploaded);
  const job = getHistoricalFeatures(context, {
    entities,
    features,
    fullFeatureNames: command.parameters.full_feature_names === true,
    timestampColumn,
  });
  return {
    views: [...new Set(features.map((reference) => reference.split(':')[0]!))],
    job,
    stream: (send) =>
      job.run(async (connection, query) => {
        for await (const batch of queryToArrowBatches(connection, query)) await send(batch);
      }),
  };
}

/** The entity rows: the uploaded DataFrame, or the SQL query when Feast sent its one-column placeholder (`key`). */
function entityRows(command: FeastCommand, uploaded: arrow.Table): { entities: EntitySource; timestampColumn: string } {
  const columns = uploaded.schema.fields.map((field) => field.name).filter((name) => !PANDAS_INDEX.test(name));
  const placeholder = columns.length === 1 && columns[0] === 'key';
  if (!placeholder) {
    const table = columns.length === uploaded.schema.fields.length ? uploaded : uploaded.select(columns);
    return { entities: table, timestampColumn: timestampColumn(table) };
  }
  const sql = command.parameters.entity_df_sql;
  if (typeof sql === 'string') return { entities: { sql }, timestampColumn: DEFAULT_ENTITY_TIMESTAMP };
  throw new FloeError(
    'unsupported',
    'Floe needs entity rows for get_historical_features: pass an entity DataFrame (or a SQL entity query); retrieval by start_date and end_date alone is not supported',
    { context: { field: 'entity_df' } },
  );
}

/** Feast's rule: `event_timestamp` when the rows have it, else their one timestamp column. */
function timestampColumn(table: arrow.Table): string {
  const names = table.schema.fields.map((field) => field.name);
  if (names.includes(DEFAULT_ENTITY_TIMESTAMP)) return DEFAULT_ENTITY_TIMESTAMP;
  const timestamps = table.schema.fields.filter((field) => arrow.DataType.isTimestamp(field.type)).map((field) => field.name);
  if (timestamps.length === 1) return timestamps[0]!;
  throw new FloeError(
    'invalid-input',
    `The entity DataFrame has no ${DEFAULT_ENTITY_TIMESTAMP} column and ${timestamps.length === 0 ? 'no' : 'more than one'} timestamp column (${names.join(', ')}); name one ${DEFAULT_ENTITY_TIMESTAMP}`,
    { context: { column: DEFAULT_ENTITY_TIMESTAMP } },
  );
}

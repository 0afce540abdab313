import * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import type { Registry } from '../../features/registry.js';
import { queryIpcMessages } from '../../features/historical/arrow-ipc-stream.js';
import type { IpcMessageOut } from '../../features/historical/arrow-ipc-stream.js';
import type { EntitySource, KeysSeenEntityRows } from '../../features/historical/entity-rows.js';
import { durationSeconds } from '../../features/definitions.js';
import { instantMicros, isoMicros } from '../../contracts/instants.js';
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
  /** Runs the retrieval and hands `send` the result as IPC messages: its schema, then its record batches. */
  stream(send: (message: IpcMessageOut) => Promise<void>): Promise<void>;
}

/** Pandas' index, which `pa.Table.from_pandas` adds as columns when it is not a plain range: not entity data. */
const PANDAS_INDEX = /^__index_level_\d+__$/;

/**
 * Feast's `get_historical_features` over Floe's one historical retrieval (getHistoricalFeatures):
 * the feature references Feast resolved (feature services and on-demand views' inputs included),
 * a view projected under another name (`name_aliases`), `full_feature_names`, and the entity rows
 * Feast uploaded (its DataFrame as Arrow) or, when it sent only its placeholder table, its SQL
 * entity query or its `start_date`/`end_date` window. Feature references are checked now.
 */
export function feastHistoricalRetrieval(context: FeatureContext, command: FeastCommand, uploaded: arrow.Table): HistoricalRetrieval {
  const features = stringList(command, 'feature_refs');
  const viewAliases = feastViewAliases(command);
  const { entities, timestampColumn } = entityRows(context, command, uploaded);
  const job = getHistoricalFeatures(context, {
    entities,
    features,
    viewAliases,
    fullFeatureNames: command.parameters.full_feature_names === true,
    timestampColumn,
  });
  return {
    views: [
      ...new Set(
        features.map((reference) => {
          const named = reference.split(':')[0]!;
          return Object.hasOwn(viewAliases, named) ? viewAliases[named]! : named;
        }),
      ),
    ],
    job,
    stream: (send) =>
      job.run(async (connection, query) => {
        for await (const message of queryIpcMessages(connection, query)) await send(message);
      }),
  };
}

/**
 * The views Feast projected under another name (`fv.with_name(alias)`, in a feature service), alias
 * → view: its references then name the alias (`alias:feature`), and so do its full feature names.
 * Feast sends `name_aliases` beside `feature_view_names`, one per view, null for a view not renamed.
 */
export function feastViewAliases(command: FeastCommand): Record<string, string> {
  const aliases = command.parameters.name_aliases;
  if (aliases === undefined || aliases === null) return {};
  const views = stringList(command, 'feature_view_names');
  if (!Array.isArray(aliases) || aliases.length !== views.length || aliases.some((alias) => alias !== null && typeof alias !== 'string'))
    throw new FloeError(
      'invalid-input',
      `Feast's ${command.api} command needs name_aliases as a list of names or nulls, one per feature_view_names entry`,
      { context: { field: 'name_aliases' } },
    );
  const found: Record<string, string> = {};
  (aliases as (string | null)[]).forEach((alias, index) => {
    if (alias === null || alias === views[index]) return;
    if (Object.hasOwn(found, alias) && found[alias] !== views[index])
      throw new FloeError(
        'invalid-input',
        `Feast's name_aliases give two feature views, ${found[alias]} and ${views[index]}, one alias ${alias}`,
        {
          context: { field: 'name_aliases' },
        },
      );
    found[alias] = views[index]!;
  });
  return found;
}

/**
 * The entity rows: the uploaded DataFrame; or, when Feast sent its one-column placeholder (`key`),
 * its SQL query, or its `start_date`/`end_date` window (no entity DataFrame at all).
 */
function entityRows(
  context: FeatureContext,
  command: FeastCommand,
  uploaded: arrow.Table,
): { entities: EntitySource; timestampColumn: string } {
  const columns = uploaded.schema.fields.map((field) => field.name).filter((name) => !PANDAS_INDEX.test(name));
  const placeholder = columns.length === 1 && columns[0] === 'key';
  if (!placeholder) {
    const table = columns.length === uploaded.schema.fields.length ? uploaded : uploaded.select(columns);
    return { entities: table, timestampColumn: timestampColumn(table) };
  }
  const sql = command.parameters.entity_df_sql;
  if (typeof sql === 'string') return { entities: { sql }, timestampColumn: DEFAULT_ENTITY_TIMESTAMP };
  const window = feastDateWindow(context.registry, command);
  if (window !== undefined) return { entities: window, timestampColumn: DEFAULT_ENTITY_TIMESTAMP };
  throw new FloeError(
    'invalid-input',
    'Floe needs entity rows for get_historical_features: pass an entity DataFrame, a SQL entity query, or start_date and end_date',
    { context: { field: 'entity_df' } },
  );
}

/** Feast's window when no entity rows are given: 30 days before end_date when no view has a TTL. */
const DEFAULT_WINDOW_SECONDS = 30 * 86_400;

/**
 * Feast's retrieval by `start_date` and `end_date` alone, as its BigQuery and Spark offline stores
 * answer it: every entity key the views' sources saw with start_date ≤ event time ≤ end_date, once,
 * with its features as of end_date (`event_timestamp` is end_date). Without start_date, the window
 * is the views' longest TTL before end_date (30 days when none has one), Feast's own default.
 * Undefined when the command has neither date.
 */
export function feastDateWindow(registry: Registry, command: FeastCommand): KeysSeenEntityRows | undefined {
  const start = instantParameter(command, 'start_date');
  const end = instantParameter(command, 'end_date');
  if (start === undefined && end === undefined) return undefined;
  if (end === undefined)
    throw new FloeError('invalid-input', `Feast's ${command.api} command gives start_date but no end_date`, {
      context: { field: 'end_date' },
    });
  if (start !== undefined) return { asOf: end.text, keysSeenSince: start.text };
  const views = Array.isArray(command.parameters.feature_view_names) ? stringList(command, 'feature_view_names') : [];
  const ttls = views.map((name) => durationSeconds(registry.featureViews.get(name)?.ttl) ?? 0);
  const seconds = Math.max(0, ...ttls) || DEFAULT_WINDOW_SECONDS;
  return { asOf: end.text, keysSeenSince: isoMicros(end.micros - BigInt(seconds) * 1_000_000n) };
}

/** An instant parameter as Feast sends it (Python's isoformat, µs kept; no offset is UTC), or undefined when absent. */
function instantParameter(command: FeastCommand, name: string): { text: string; micros: bigint } | undefined {
  const value = command.parameters[name];
  if (value === null || value === undefined) return undefined;
  const micros = typeof value === 'string' ? instantMicros(value) : undefined;
  if (micros === undefined)
    throw new FloeError(
      'invalid-input',
      `Feast's ${command.api} command needs ${name} as an instant (ISO-8601), not ${JSON.stringify(value)}`,
      {
        context: { field: name },
      },
    );
  return { text: value as string, micros };
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

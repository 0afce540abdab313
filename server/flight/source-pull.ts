import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation, requireColumns } from '../../engine/describe.js';
import { latestPerEntitySql } from '../../engine/feature-queries/latest-per-entity.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { microsLiteral, utcMicrosSql } from '../../engine/timestamps.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { FeatureContext } from '../../features/context.js';
import { signalOf } from '../../features/context.js';
import { queryIpcMessages } from '../../features/historical/arrow-ipc-stream.js';
import type { IpcMessageOut } from '../../features/historical/arrow-ipc-stream.js';
import type { FeastCommand } from './feast-command.js';
import { stringList } from './feast-command.js';
import { registeredSource } from './source-columns.js';
import { defined } from '../../contracts/defined.js';

/** A source pull made ready: the source it reads (for permissions) and how to stream its rows. */
export interface SourcePull {
  readonly source: string;
  /** Hands `send` the rows as IPC messages: their schema, then their record batches. */
  stream(send: (message: IpcMessageOut) => Promise<void>): Promise<void>;
}

/**
 * Feast's `pull_latest_from_table_or_query` (what its client-side materialization reads) and
 * `pull_all_from_table_or_query`, over a Floe source's Iceberg table (its current snapshot): the
 * join keys, features, timestamp and created timestamp columns Feast names, for rows with
 * start_date ≤ timestamp ≤ end_date (both ends included, as Feast's own offline stores take them);
 * `latest` keeps each entity's row with the greatest (timestamp, created timestamp).
 */
export function feastSourcePull(context: FeatureContext, command: FeastCommand, mode: 'latest' | 'all'): SourcePull {
  const name = command.parameters.data_source_name;
  if (typeof name !== 'string') throw invalid(command, 'data_source_name', 'the name of a data source');
  const source = registeredSource(context, name);
  const keys = stringList(command, 'join_key_columns');
  const features = stringList(command, 'feature_name_columns');
  const timestamp = command.parameters.timestamp_field;
  if (typeof timestamp !== 'string') throw invalid(command, 'timestamp_field', 'a column name');
  const created = command.parameters.created_timestamp_column;
  const createdColumn = typeof created === 'string' && created !== '' ? created : undefined;
  const bounds = {
    start: instantParameter(command, 'start_date', mode === 'latest'),
    end: instantParameter(command, 'end_date', mode === 'latest'),
  };
  const columns = [...new Set([...keys, ...features, timestamp, ...(createdColumn === undefined ? [] : [createdColumn])])];
  return {
    source: name,
    stream: async (send) => {
      const table = await context.catalog.loadTable(parseTableIdentifier(source.table));
      const scan = await scanTable(table, { readFiles: context.engine.readFiles, ...signalOf(context) });
      await context.engine.withConnection(async (connection) => {
        const what = `source ${name} (${source.table})`;
        requireColumns(await describeRelation(connection, scan.sql, what), columns, what);
        const relation = `SELECT ${columns.map((column) => q(column)).join(', ')} FROM (${scan.sql})`;
        const start = bounds.start === undefined ? undefined : await micros(connection, bounds.start);
        // Feast includes the end; Floe's windows exclude theirs: one microsecond later.
        const end = bounds.end === undefined ? undefined : (await micros(connection, bounds.end)) + 1n;
        const query =
          mode === 'latest'
            ? await latestPerEntitySql(connection, {
                relation,
                keyColumns: keys,
                eventTimestampColumn: timestamp,
                ...defined({ createdTimestampColumn: createdColumn, start, end }),
                name: what,
              })
            : await inWindowSql(connection, relation, timestamp, { start, end }, what);
        for await (const message of queryIpcMessages(connection, query)) await send(message);
      }, signalOf(context));
    },
  };
}

async function inWindowSql(
  connection: DuckDBConnection,
  relation: string,
  timestamp: string,
  window: { start: bigint | undefined; end: bigint | undefined },
  what: string,
): Promise<string> {
  const type = (await describeRelation(connection, relation, what)).find((column) => column.name === timestamp)!.type;
  const event = utcMicrosSql(q(timestamp), type, `Timestamp column ${JSON.stringify(timestamp)} of the ${what}`);
  const conditions = [`${event} IS NOT NULL`];
  if (window.start !== undefined) conditions.push(`${event} >= ${microsLiteral(window.start, 'start_date')}`);
  if (window.end !== undefined) conditions.push(`${event} < ${microsLiteral(window.end, 'end_date')}`);
  return `SELECT * FROM (${relation}) WHERE ${conditions.join(' AND ')}`;
}

/** An ISO-8601 instant as Feast sends it (Python's isoformat, µs kept; no offset is UTC), in µs since the epoch. */
async function micros(connection: DuckDBConnection, text: string): Promise<bigint> {
  const reader = await connection.runAndReadAll(`SELECT epoch_us(TRY_CAST(${quoteLiteral(text)} AS TIMESTAMPTZ))`);
  const value = reader.getRows()[0]?.[0];
  if (typeof value !== 'bigint') throw new FloeError('invalid-input', `${JSON.stringify(text)} is not an instant (ISO-8601)`);
  return value;
}

function instantParameter(command: FeastCommand, name: string, required: boolean): string | undefined {
  const value = command.parameters[name];
  if (value === null || value === undefined) {
    if (required) throw invalid(command, name, 'an instant (ISO-8601)');
    return undefined;
  }
  if (typeof value !== 'string') throw invalid(command, name, 'an instant (ISO-8601)');
  return value;
}

function invalid(command: FeastCommand, field: string, expected: string): FloeError {
  return new FloeError('invalid-input', `Feast's ${command.api} command needs ${field} as ${expected}`, { context: { field } });
}

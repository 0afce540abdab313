import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { FloeError } from '../iceberg/errors.js';
import { describeRelation, requireColumns } from './describe.js';
import { quoteIdentifier as q } from './sql.js';
import { microsLiteral, utcMicrosSql } from './timestamps.js';

export type WindowFunction = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'last';

/** One aggregate to compute: a function of one column of the events over one window. */
export interface WindowedAggregate {
  readonly column: string;
  readonly function: WindowFunction;
  /** The window's length in µs: an entity row at t covers events with t − window < event_ts ≤ t. */
  readonly windowMicros: bigint;
  /** The aggregate's column in the result. */
  readonly output: string;
}

export interface WindowedAggregationRequest {
  /** The entity rows: a unique row ordinal, the key columns and an event timestamp (any timestamp type). */
  readonly entity: {
    readonly relation: string;
    readonly ordinalColumn: string;
    readonly keyColumns: readonly string[];
    readonly eventTimestampColumn: string;
  };
  /** The events aggregated: key columns (matching the entity's in order), event and created timestamps, the columns. */
  readonly events: {
    /** Names the events in errors, e.g. `feature view "trips"`. */
    readonly what: string;
    readonly relation: string;
    readonly keyColumns: readonly string[];
    readonly eventTimestampColumn: string;
    readonly createdTimestampColumn?: string;
  };
  readonly aggregates: readonly WindowedAggregate[];
}

const ROW = q('__floe_row');
const TIME = q('__floe_t');
const EVENT = q('__floe_event_us');
const keyName = (index: number): string => q(`__floe_k${index}`);
const valueName = (index: number): string => q(`__floe_c${index}`);
const orderName = (index: number): string => q(`__floe_o${index}`);

/**
 * Creates `into` as `(ordinal, outputs…)`: per entity row (with a key and a time), each aggregate
 * of the events of the same keys with t − w < event_ts ≤ t, exact (see features/aggregations.ts).
 * Entity rows with a NULL key or time are left out (the caller's left join reads them as NULL).
 *
 * One sort, no loop per entity row: the entity rows and the events that can matter (those of the
 * entity rows' keys, from the key's earliest entity time less the longest window up to its latest)
 * are unioned, partitioned by key and ordered by time in µs, and every aggregate is a window
 * function over a frame `RANGE BETWEEN (w − 1) PRECEDING AND CURRENT ROW`: on integer µs that is
 * exactly t − w < event_ts, and CURRENT ROW takes in all peers, so the events at exactly t count.
 * Entity rows are in the frames too, but only with NULL values, which no aggregate counts. `last`
 * needs no window frame of its own: within any window, the last event is the last event at or
 * before t when that one is inside the window (and none is otherwise), so one running arg_max
 * serves every window. DuckDB's window operator sorts out of core, so memory stays bounded.
 */
export async function aggregateWindows(connection: DuckDBConnection, request: WindowedAggregationRequest, into: string): Promise<void> {
  const { entity, events, aggregates } = request;
  if (aggregates.length === 0) throw new FloeError('internal', `No aggregates to compute for the ${events.what}`);
  if (entity.keyColumns.length !== events.keyColumns.length || entity.keyColumns.length === 0) {
    throw new FloeError(
      'invalid-input',
      `The ${events.what} has ${events.keyColumns.length} key columns but the entity rows have ${entity.keyColumns.length}`,
    );
  }
  const entityColumns = await describeRelation(connection, entity.relation, 'entity rows');
  requireColumns(entityColumns, [entity.ordinalColumn, entity.eventTimestampColumn, ...entity.keyColumns], 'entity rows');
  const eventColumns = await describeRelation(connection, events.relation, events.what);
  const columns = [...new Set(aggregates.map((aggregate) => aggregate.column))];
  requireColumns(
    eventColumns,
    [
      ...events.keyColumns,
      events.eventTimestampColumn,
      ...(events.createdTimestampColumn === undefined ? [] : [events.createdTimestampColumn]),
      ...columns,
    ],
    events.what,
  );
  const typeIn = (shapes: typeof eventColumns, name: string): DuckDBType => shapes.find((column) => column.name === name)!.type;
  const entityMicros = utcMicrosSql(
    `e.${q(entity.eventTimestampColumn)}`,
    typeIn(entityColumns, entity.eventTimestampColumn),
    `Event timestamp column ${JSON.stringify(entity.eventTimestampColumn)} of the entity rows`,
  );
  const eventMicros = utcMicrosSql(
    `f.${q(events.eventTimestampColumn)}`,
    typeIn(eventColumns, events.eventTimestampColumn),
    `Event timestamp column ${JSON.stringify(events.eventTimestampColumn)} of the ${events.what}`,
  );
  const createdMicros =
    events.createdTimestampColumn === undefined
      ? 'NULL::BIGINT'
      : utcMicrosSql(
          `f.${q(events.createdTimestampColumn)}`,
          typeIn(eventColumns, events.createdTimestampColumn),
          `Created timestamp column ${JSON.stringify(events.createdTimestampColumn)} of the ${events.what}`,
        );
  for (const aggregate of aggregates) {
    if (aggregate.windowMicros <= 0n)
      throw new FloeError('invalid-input', `The window of ${aggregate.output} in the ${events.what} must be positive`);
  }
  const longest = aggregates.reduce((most, aggregate) => (aggregate.windowMicros > most ? aggregate.windowMicros : most), 0n);

  const keys = entity.keyColumns.map((_, index) => keyName(index));
  const entityRows =
    `SELECT e.${q(entity.ordinalColumn)} AS ${ROW}, ${entity.keyColumns.map((key, index) => `e.${q(key)} AS ${keys[index]!}`).join(', ')}, ` +
    `${entityMicros} AS ${TIME} FROM (${entity.relation}) AS e ` +
    `WHERE ${[...entity.keyColumns.map((key) => `e.${q(key)}`), entityMicros].map((value) => `${value} IS NOT NULL`).join(' AND ')}`;
  const bounds = `SELECT ${keys.join(', ')}, min(${TIME}) AS lo, max(${TIME}) AS hi FROM entity_rows GROUP BY ALL`;
  const usesLast = aggregates.some((aggregate) => aggregate.function === 'last');
  const eventRows =
    `SELECT ${events.keyColumns.map((key, index) => `f.${q(key)} AS ${keys[index]!}`).join(', ')}, ${eventMicros} AS ${TIME}` +
    (usesLast ? `, ${createdMicros} AS created_us` : '') +
    columns.map((column, index) => `, f.${q(column)} AS ${valueName(index)}`).join('') +
    ` FROM (${events.relation}) AS f`;
  // CASE rather than plain comparisons, so DuckDB keeps its hash join on the keys alone (as point-in-time.ts does).
  const kept =
    `SELECT r.* FROM (${eventRows}) AS r JOIN bounds AS b ON ${keys.map((key) => `r.${key} = b.${key}`).join(' AND ')} ` +
    `WHERE CASE WHEN r.${TIME} > b.lo - ${microsLiteral(longest, 'window')} THEN r.${TIME} <= b.hi ELSE false END`;
  const unioned =
    `SELECT ${ROW}, ${keys.join(', ')}, ${TIME}` +
    columns.map((column, index) => `, NULL AS ${valueName(index)}`).join('') +
    (usesLast ? `, NULL::BIGINT AS ${EVENT}${columns.map((_, index) => `, NULL AS ${orderName(index)}`).join('')}` : '') +
    ` FROM entity_rows UNION ALL SELECT NULL, ${keys.join(', ')}, ${TIME}` +
    columns.map((_, index) => `, ${valueName(index)}`).join('') +
    (usesLast ? `, ${TIME}${columns.map((_, index) => `, ${lastOrder(valueName(index))}`).join('')}` : '') +
    ` FROM kept_events`;

  // Window expressions by frame, each computed once however many outputs need it.
  const windows = new Map<string, string>();
  const windowOf = (micros: bigint | 'running'): string => {
    const name = micros === 'running' ? 'w_running' : `w_${micros.toString()}`;
    const start = micros === 'running' ? 'UNBOUNDED PRECEDING' : `${microsLiteral(micros - 1n, 'window')} PRECEDING`;
    windows.set(name, `${name} AS (PARTITION BY ${keys.join(', ')} ORDER BY ${TIME} RANGE BETWEEN ${start} AND CURRENT ROW)`);
    return name;
  };
  const windowed = new Map<string, string>();
  const over = (expression: string, micros: bigint | 'running'): string => {
    const sql = `${expression} OVER ${windowOf(micros)}`;
    const existing = windowed.get(sql);
    if (existing !== undefined) return existing;
    const name = q(`__floe_a${windowed.size}`);
    windowed.set(sql, name);
    return name;
  };
  const outputs = aggregates.map((aggregate) => {
    const index = columns.indexOf(aggregate.column);
    const value = valueName(index);
    const kind = numericKind(typeIn(eventColumns, aggregate.column));
    const sum = (): string => {
      if (kind === undefined) {
        throw new FloeError(
          'invalid-input',
          `${aggregate.function} of ${aggregate.column} in the ${events.what} needs a numeric column, not ${typeIn(eventColumns, aggregate.column).toString()}`,
          { context: { column: aggregate.column } },
        );
      }
      return kind === 'integer'
        ? over(`sum(${value})`, aggregate.windowMicros)
        : over(`sum(CAST(${value} AS DOUBLE))`, aggregate.windowMicros);
    };
    const count = (): string => over(`count(${value})`, aggregate.windowMicros);
    let sql: string;
    switch (aggregate.function) {
      case 'count':
        sql = count();
        break;
      case 'sum':
        sql = `CAST(${sum()} AS ${kind === 'integer' ? 'BIGINT' : 'DOUBLE'})`;
        break;
      case 'avg':
        sql = `CAST(${sum()} AS DOUBLE) / ${count()}`;
        break;
      case 'min':
      case 'max':
        sql = over(`${aggregate.function}(${value})`, aggregate.windowMicros);
        break;
      case 'last': {
        const latest = over(`max(${EVENT})`, 'running');
        const last = over(`arg_max_null(${value}, ${orderName(index)})`, 'running');
        sql = `CASE WHEN ${latest} > ${TIME} - ${microsLiteral(aggregate.windowMicros, 'window')} THEN ${last} END`;
        break;
      }
    }
    return `${sql} AS ${q(aggregate.output)}`;
  });

  const aggregated =
    `SELECT ${ROW}, ${TIME}, ${[...windowed].map(([sql, name]) => `${sql} AS ${name}`).join(', ')} ` +
    `FROM unioned WINDOW ${[...windows.values()].join(', ')}`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${q(into)} AS WITH entity_rows AS (${entityRows}), bounds AS (${bounds}), ` +
      `kept_events AS (${kept}), unioned AS (${unioned}), aggregated AS (${aggregated}) ` +
      `SELECT ${ROW} AS ${q(entity.ordinalColumn)}, ${outputs.join(', ')} FROM aggregated WHERE ${ROW} IS NOT NULL`,
  );
}

/**
 * The order `last` picks by among the events at or before t: the greatest event time, then created
 * time (a NULL one lowest), then value (a NULL one lowest).
 */
function lastOrder(value: string): string {
  return `{'t': ${TIME}, 'has_created': created_us IS NOT NULL, 'created': created_us, 'has_value': ${value} IS NOT NULL, 'value': ${value}}`;
}

function numericKind(type: DuckDBType): 'integer' | 'floating' | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return 'integer';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'floating';
    default:
      return undefined;
  }
}

import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation, requireColumns } from '../describe.js';
import { withinKeyBoundsSql } from './key-bounds.js';
import { intermediates } from './intermediates.js';
import { quoteIdentifier as q } from '../sql.js';
import { microsLiteral, utcMicrosSql } from '../timestamps.js';
import { primitiveTypeOf } from '../types.js';
import type { ColumnShape } from '../types.js';

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
    /** How many rows the relation has (the caller counted them already): sets the passes. */
    readonly rows: number;
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

/**
 * Candidate pairs per row up to which a key's aggregates come from joining its entity rows to its
 * events rather than from window frames: a key with n entity rows and m events is joined when
 * n·m ≤ JOIN_PAIRS_PER_ROW·(n + m). Measured on `bench aggregate --quick` data (CPU): with 12
 * aggregates window frames cost about 2.5 µs per row of the union and the join about 0.08 µs per
 * candidate pair (they break even near 32 pairs per row); with one aggregate 0.5 µs and 0.036 µs
 * (near 14). One constant keeps the join within about twice the window frames' cost either way.
 */
export const JOIN_PAIRS_PER_ROW = 32;

/**
 * Entity rows per pass. A pass holds at once its entity rows' join hash table, an aggregate state
 * per entity row and its kept events: at 10M entity rows in one pass that was past a 4 GB memory
 * limit, and DuckDB's out-of-core aggregation took twice as long as with room to spare. Passes split
 * the keys by hash, so each holds its share of the entity rows and of the events; each scans the
 * events again, which costs little next to the join and the aggregation.
 */
export const ENTITY_ROWS_PER_PASS = 2_000_000;

const ROW = q('__floe_row');
const TIME = q('__floe_t');
const ENTITY_TIME = q('__floe_entity_t');
const EVENT = q('__floe_event_us');
const BY_WINDOW = q('__floe_by_window');
const BUCKET = q('__floe_bucket');
const keyName = (index: number): string => q(`__floe_k${index}`);
const valueName = (index: number): string => q(`__floe_c${index}`);
const orderName = (index: number): string => q(`__floe_o${index}`);

/**
 * Creates `into` as `(ordinal, outputs…)`: per entity row (with a key and a time), each aggregate
 * of the events of the same keys with t − w < event_ts ≤ t, exact (see features/aggregations.ts).
 * Entity rows with a NULL key or time are left out (the caller's left join reads them as NULL).
 * Only the events that can matter take part: those of the entity rows' keys, from the key's
 * earliest entity time less the longest window up to its latest.
 *
 * Two plans, chosen per key by its counts of entity rows n and events m, both exact:
 * - Join (n·m ≤ JOIN_PAIRS_PER_ROW·(n + m), the usual case of many keys with few rows each): each
 *   entity row is hash-joined to its key's events in its longest window and grouped by entity
 *   row, every aggregate an aggregate with `FILTER (event_ts > t − w)`. Its cost is the pairs a
 *   key's rows make, so it is used only where they are a bounded multiple of the key's rows.
 * - Window frames (the keys with more): one sort of the union of entity rows and events,
 *   partitioned by key and ordered by time in µs, every aggregate a window function over a frame
 *   `RANGE BETWEEN (w − 1) PRECEDING AND CURRENT ROW`: on integer µs that is exactly t − w <
 *   event_ts, and CURRENT ROW takes in all peers, so the events at exactly t count. Entity rows are
 *   in the frames too, but only with NULL values, which no aggregate counts. `last` needs no window
 *   frame of its own: within any window, the last event is the last event at or before t when that
 *   one is inside the window (and none is otherwise), so one running arg_max serves every window.
 *   It costs O(rows · log rows) however many rows a key has, and DuckDB's window operator sorts
 *   out of core, so memory stays bounded.
 * A window frame is evaluated at every row of the union, events included, though only entity rows
 * need it; the join touches only entity rows and the pairs they make, which is why it is cheaper
 * where pairs are few.
 */
export async function aggregateWindows(
  connection: DuckDBConnection,
  request: WindowedAggregationRequest,
  into: string,
  /**
   * Overrides JOIN_PAIRS_PER_ROW (tests: 0 puts every key with events through window frames,
   * Infinity every key through the join) and ENTITY_ROWS_PER_PASS (tests: a few rows make several passes).
   */
  {
    joinPairsPerRow = JOIN_PAIRS_PER_ROW,
    entityRowsPerPass = ENTITY_ROWS_PER_PASS,
  }: { joinPairsPerRow?: number; entityRowsPerPass?: number } = {},
): Promise<void> {
  const shape = await aggregationShape(connection, request);
  const joinPlan = joinPlanSql(shape);
  const windowPlan = windowPlanSql(shape);
  const passes = Math.max(1, Math.ceil(request.entity.rows / entityRowsPerPass));
  for (let pass = 0; pass < passes; pass++) {
    const candidates = candidateRelations(shape, joinPairsPerRow, { pass, passes });
    await connection.run(
      `${pass === 0 ? `CREATE OR REPLACE TEMP TABLE ${q(into)} AS` : `INSERT INTO ${q(into)}`} WITH entity_rows AS MATERIALIZED (${candidates.entityRows}), bounds AS (${candidates.bounds}), ` +
        `kept_events AS MATERIALIZED (${candidates.kept}), plans AS MATERIALIZED (${candidates.plans}), classified_rows AS MATERIALIZED (${candidates.classified}), joined AS (${joinPlan.relation}), unioned AS (${windowPlan.unioned}), windowed AS (${windowPlan.relation}) ` +
        `SELECT ${ROW} AS ${q(request.entity.ordinalColumn)}, ${joinPlan.outputs.join(', ')} FROM joined ` +
        `UNION ALL SELECT ${ROW}, ${windowPlan.outputs.join(', ')} FROM windowed WHERE ${ROW} IS NOT NULL`,
    );
  }
}

/** The request checked against the relations' columns, and what both plans build on. */
interface AggregationShape {
  readonly request: WindowedAggregationRequest;
  readonly eventColumns: readonly ColumnShape[];
  /** The aggregated columns, each once: column i is `valueName(i)` in the plans' rows. */
  readonly columns: readonly string[];
  /** The key columns' names in the plans' rows. */
  readonly keys: readonly string[];
  /** UTC µs of the entity rows' (`e.`) event time, and of the events' (`f.`) event and created times. */
  readonly entityMicros: string;
  readonly eventMicros: string;
  readonly createdMicros: string;
  readonly longest: bigint;
  readonly usesLast: boolean;
}

async function aggregationShape(connection: DuckDBConnection, request: WindowedAggregationRequest): Promise<AggregationShape> {
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
  return {
    request,
    eventColumns,
    columns,
    keys: entity.keyColumns.map((_, index) => keyName(index)),
    entityMicros,
    eventMicros,
    createdMicros,
    longest: aggregates.reduce((most, aggregate) => (aggregate.windowMicros > most ? aggregate.windowMicros : most), 0n),
    usesLast: aggregates.some((aggregate) => aggregate.function === 'last'),
  };
}

function sameKeysSql(keys: readonly string[], left: string, right: string): string {
  return keys.map((key) => `${left}.${key} = ${right}.${key}`).join(' AND ');
}

/**
 * The relations both plans read: the entity rows with a key and a time, each key's bounds, the
 * events that can matter, each key's plan, and the entity rows carrying their key's plan.
 */
function candidateRelations(
  shape: AggregationShape,
  joinPairsPerRow: number,
  { pass, passes }: { readonly pass: number; readonly passes: number },
): { entityRows: string; bounds: string; kept: string; plans: string; classified: string } {
  const { request, columns, keys, entityMicros, eventMicros, createdMicros, longest, usesLast } = shape;
  const { entity, events } = request;
  const sameKeys = (left: string, right: string): string => sameKeysSql(keys, left, right);
  const entityRows =
    `SELECT e.${q(entity.ordinalColumn)} AS ${ROW}, ${entity.keyColumns.map((key, index) => `e.${q(key)} AS ${keys[index]!}`).join(', ')}, ` +
    `${entityMicros} AS ${TIME} FROM (${entity.relation}) AS e ` +
    `WHERE ${[...entity.keyColumns.map((key) => `e.${q(key)}`), entityMicros].map((value) => `${value} IS NOT NULL`).join(' AND ')}` +
    // This pass's keys; the events of other keys then meet no bounds.
    (passes === 1 ? '' : ` AND hash(${entity.keyColumns.map((key) => `e.${q(key)}`).join(', ')}) % ${passes} = ${pass}`);
  const bounds = `SELECT ${keys.join(', ')}, min(${TIME}) AS lo, max(${TIME}) AS hi, count(*) AS entity_rows FROM entity_rows GROUP BY ALL`;
  const eventRows =
    `SELECT ${events.keyColumns.map((key, index) => `f.${q(key)} AS ${keys[index]!}`).join(', ')}, ${eventMicros} AS ${TIME}` +
    (usesLast ? `, ${createdMicros} AS created_us` : '') +
    columns.map((column, index) => `, f.${q(column)} AS ${valueName(index)}`).join('') +
    ` FROM (${events.relation}) AS f`;
  const within = withinKeyBoundsSql(
    `r.${TIME}`,
    { from: 'b.lo', to: 'b.hi' },
    { micros: microsLiteral(longest, 'window'), exclusive: true },
  );
  // Kept in key order: the join plan's pairs then come out key by key, so its hash join and its
  // grouping by entity row touch a few keys' entries at a time instead of one per pair at random
  // across tables too large for the CPU's caches, which cost more than this sort.
  const kept = `SELECT r.* FROM (${eventRows}) AS r JOIN bounds AS b ON ${sameKeys('r', 'b')} WHERE ${within} ORDER BY ${keys.map((key) => `r.${key}`).join(', ')}`;
  const byWindow =
    joinPairsPerRow === Infinity
      ? 'false'
      : `b.entity_rows * coalesce(c.events, 0) > ${joinPairsPerRow.toString()} * (b.entity_rows + coalesce(c.events, 0))`;
  const plans =
    `SELECT ${keys.map((key) => `b.${key}`).join(', ')}, ${byWindow} AS ${BY_WINDOW} FROM bounds AS b ` +
    `LEFT JOIN (SELECT ${keys.join(', ')}, count(*) AS events FROM kept_events GROUP BY ALL) AS c ON ${sameKeys('b', 'c')}`;
  // The entity rows carry their key's plan as a column rather than meeting `plans` in a semi join:
  // behind a semi join DuckDB can misjudge their number and build the pairs' hash table on the events.
  const classified = `SELECT e.*, p.${BY_WINDOW} FROM entity_rows AS e JOIN plans AS p ON ${sameKeys('e', 'p')}`;
  return { entityRows, bounds, kept, plans, classified };
}

/** The entity rows whose key goes through window frames (or, `false`, through the join). */
function entityRowsOf(byWindow: boolean): string {
  return `SELECT * EXCLUDE (${BY_WINDOW}) FROM classified_rows WHERE ${byWindow ? '' : 'NOT '}${BY_WINDOW}`;
}

/** Join plan: pairs of an entity row and an event of its key in its longest window, grouped by entity row. */
function joinPlanSql(shape: AggregationShape): { relation: string; outputs: string[] } {
  const { request, columns, eventColumns, keys, longest } = shape;
  // Each event is paired only with its key's entity rows at most the longest window later: with
  // the time cut into buckets as long as that window (on the key alone, the hash join would make
  // every pair of the key), an entity row at t can only pair with events of its own bucket or the
  // one before, so each entity row goes in twice and the events, usually far more, once. A bucket
  // without any of its events adds a pair without an event, which `last` leaves out (arg_max_null
  // would take it: its order is a struct of NULLs). `//` truncates toward zero, so the bucket
  // around 0 is twice as wide; a bucket at least a window wide is all the pairing needs.
  const window = microsLiteral(longest, 'window');
  const bucket = `${TIME} // ${window}`;
  const joinedParts = intermediates();
  const inWindow = (micros: bigint): string =>
    micros === longest ? '' : ` FILTER (WHERE ${TIME} > ${ENTITY_TIME} - ${microsLiteral(micros, 'window')})`;
  const withEvent = (micros: bigint): string => (micros === longest ? ` FILTER (WHERE ${TIME} IS NOT NULL)` : inWindow(micros));
  const joinedOutputs = outputs(
    request,
    columns,
    eventColumns,
    (expression, micros) => joinedParts.add(`${expression}${inWindow(micros)}`),
    (index, micros) => joinedParts.add(`arg_max_null(${valueName(index)}, ${lastOrder(valueName(index))})${withEvent(micros)}`),
  );
  const pairs =
    `SELECT e.${ROW}, e.${TIME} AS ${ENTITY_TIME}, v.* EXCLUDE (${keys.join(', ')}, ${BUCKET}) ` +
    `FROM (SELECT *, unnest([${bucket}, ${bucket} - 1]) AS ${BUCKET} FROM (${entityRowsOf(false)})) AS e ` +
    `LEFT JOIN (SELECT *, ${bucket} AS ${BUCKET} FROM kept_events) AS v ` +
    `ON ${sameKeysSql(keys, 'e', 'v')} AND e.${BUCKET} = v.${BUCKET} AND v.${TIME} > e.${TIME} - ${window} AND v.${TIME} <= e.${TIME}`;
  return { relation: `SELECT ${ROW}, ${joinedParts.list()} FROM (${pairs}) GROUP BY ${ROW}`, outputs: joinedOutputs };
}

/** Window plan: one sort of the union of the entity rows and events, every aggregate a window function. */
function windowPlanSql(shape: AggregationShape): { unioned: string; relation: string; outputs: string[] } {
  const { request, columns, eventColumns, keys, usesLast } = shape;
  const windowedEvents = `SELECT * FROM kept_events AS x SEMI JOIN plans AS p ON ${sameKeysSql(keys, 'x', 'p')} AND p.${BY_WINDOW}`;
  const unioned =
    `SELECT ${ROW}, ${keys.join(', ')}, ${TIME}` +
    columns.map((column, index) => `, NULL AS ${valueName(index)}`).join('') +
    (usesLast ? `, NULL::BIGINT AS ${EVENT}${columns.map((_, index) => `, NULL AS ${orderName(index)}`).join('')}` : '') +
    ` FROM (${entityRowsOf(true)}) UNION ALL SELECT NULL, ${keys.join(', ')}, ${TIME}` +
    columns.map((_, index) => `, ${valueName(index)}`).join('') +
    (usesLast ? `, ${TIME}${columns.map((_, index) => `, ${lastOrder(valueName(index))}`).join('')}` : '') +
    ` FROM (${windowedEvents})`;
  // Window expressions by frame, each computed once however many outputs need it.
  const windows = new Map<string, string>();
  const windowOf = (micros: bigint | 'running'): string => {
    const name = micros === 'running' ? 'w_running' : `w_${micros.toString()}`;
    const start = micros === 'running' ? 'UNBOUNDED PRECEDING' : `${microsLiteral(micros - 1n, 'window')} PRECEDING`;
    windows.set(name, `${name} AS (PARTITION BY ${keys.join(', ')} ORDER BY ${TIME} RANGE BETWEEN ${start} AND CURRENT ROW)`);
    return name;
  };
  const windowedParts = intermediates();
  const windowedOutputs = outputs(
    request,
    columns,
    eventColumns,
    (expression, micros) => windowedParts.add(`${expression} OVER ${windowOf(micros)}`),
    (index, micros) => {
      const latest = windowedParts.add(`max(${EVENT}) OVER ${windowOf('running')}`);
      const last = windowedParts.add(`arg_max_null(${valueName(index)}, ${orderName(index)}) OVER ${windowOf('running')}`);
      return `CASE WHEN ${latest} > ${TIME} - ${microsLiteral(micros, 'window')} THEN ${last} END`;
    },
  );
  const relation = `SELECT ${ROW}, ${TIME}, ${windowedParts.list()} ` + `FROM unioned WINDOW ${[...windows.values()].join(', ')}`;
  return { unioned, relation, outputs: windowedOutputs };
}

/**
 * Each aggregate's output as `expression AS output`, from the intermediate aggregates a plan makes:
 * `frame(expression, w)` for an aggregate expression over the events of window w, `last(index, w)`
 * for the last value of column `index` in window w.
 */
function outputs(
  request: WindowedAggregationRequest,
  columns: readonly string[],
  eventColumns: readonly { readonly name: string; readonly type: DuckDBType }[],
  frame: (expression: string, micros: bigint) => string,
  last: (index: number, micros: bigint) => string,
): string[] {
  const { events, aggregates } = request;
  return aggregates.map((aggregate) => {
    const index = columns.indexOf(aggregate.column);
    const value = valueName(index);
    const type = eventColumns.find((column) => column.name === aggregate.column)!.type;
    const kind = numericKind(type);
    const sum = (): string => {
      if (kind === undefined) {
        throw new FloeError(
          'invalid-input',
          `${aggregate.function} of ${aggregate.column} in the ${events.what} needs a numeric column, not ${type.toString()}`,
          { context: { column: aggregate.column } },
        );
      }
      return kind === 'integer'
        ? frame(`sum(${value})`, aggregate.windowMicros)
        : frame(`sum(CAST(${value} AS DOUBLE))`, aggregate.windowMicros);
    };
    const count = (): string => frame(`count(${value})`, aggregate.windowMicros);
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
        sql = frame(`${aggregate.function}(${value})`, aggregate.windowMicros);
        break;
      case 'last':
        sql = last(index, aggregate.windowMicros);
        break;
    }
    return `${sql} AS ${q(aggregate.output)}`;
  });
}

/**
 * The order `last` picks by among the events at or before t: the greatest event time, then created
 * time (a NULL one lowest), then value (a NULL one lowest).
 */
function lastOrder(value: string): string {
  return `{'t': ${TIME}, 'has_created': created_us IS NOT NULL, 'created': created_us, 'has_value': ${value} IS NOT NULL, 'value': ${value}}`;
}

function numericKind(type: DuckDBType): 'integer' | 'floating' | undefined {
  const primitive = primitiveTypeOf(type);
  return primitive === 'int' || primitive === 'long' ? 'integer' : primitive === 'float' || primitive === 'double' ? 'floating' : undefined;
}

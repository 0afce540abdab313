import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { describeRelation, requireColumns } from '../describe.js';
import { createKeyBounds, KEY_BOUNDS_FROM, KEY_BOUNDS_TO, positionalKey, withinKeyBoundsSql } from './key-bounds.js';
import { checkColumns } from './latest-per-entity.js';
import { quoteIdentifier as q, sortKeySql } from '../sql.js';
import { microsLiteral, utcMicrosSql } from '../timestamps.js';

export interface EntityRows {
  /** SQL for the entity rows: key columns, an event timestamp, and any other columns (kept as they are). */
  readonly relation: string;
  readonly keyColumns: readonly string[];
  readonly eventTimestampColumn: string;
  /**
   * A column giving the rows' order. Without it the order is the relation's as DuckDB scans it
   * (`row_number() OVER ()`), which is the file or VALUES order for a plain scan.
   */
  readonly ordinalColumn?: string;
  /** The ordinal is the caller's bookkeeping, not data: leave it out of the result. */
  readonly dropOrdinal?: boolean;
}

export interface FeatureViewSource {
  /** The view's name: the prefix of its features' full names (`view__feature`) and how errors name it. */
  readonly name: string;
  /** SQL for the view's feature rows. */
  readonly relation: string;
  /** The view's key columns, matching `entityKeyColumns` in order (the same names if left out). */
  readonly keyColumns?: readonly string[];
  /**
   * The entity columns this view joins on, for entity rows that carry the keys of several entities
   * (a driver and a customer); the entity's `keyColumns` when left out.
   */
  readonly entityKeyColumns?: readonly string[];
  readonly eventTimestampColumn: string;
  readonly createdTimestampColumn?: string;
  readonly featureColumns: readonly string[];
  /** Feature rows older than this (µs) before the entity's timestamp read as NULL; 0 or none means no limit. */
  readonly ttlMicros?: bigint;
}

export interface PointInTimeRequest {
  readonly entity: EntityRows;
  readonly views: readonly FeatureViewSource[];
  /** Name feature columns `view__feature` instead of `feature`. */
  readonly fullFeatureNames?: boolean;
}

/**
 * The point-in-time join of entity rows with feature views: for each entity row and view, the
 * view's row with the same keys and the greatest event_ts ≤ the entity's event_ts, ties broken by
 * the greatest created_ts (then deterministically by the feature values, greatest first, NULLs
 * last); its features read as NULL when that row is older than the view's TTL
 * (event_ts < entity_ts − ttl; exactly ttl old is still fresh).
 *
 * Entity rows keep all their columns, their multiplicity and their order (a carried row ordinal);
 * feature columns follow, view by view. Timestamps are compared as UTC microseconds whatever
 * their type (TIMESTAMP is read as UTC, TIMESTAMP_NS floored to µs). Entity rows with a NULL key
 * or timestamp get NULL features.
 *
 * It runs as statements on `connection`, each building one temporary table: the numbered entity
 * rows, then for each view its features per entity row (see `joinView`), which the result joins
 * back to the entity rows by row. DuckDB so works on one view at a time, spilling each finished
 * table under its memory limit, instead of holding every view's join state at once; and no view's
 * join carries the entity columns or the features of the views before it, which would make each
 * join dearer than the last. Returns the query for the result, in entity order, valid until the
 * tables are dropped (or the connection closes).
 */
export async function pointInTimeJoin(
  connection: DuckDBConnection,
  request: PointInTimeRequest,
  options: { readonly prefix: string },
): Promise<PointInTimeJoin> {
  const parts = await pointInTimeParts(connection, request);
  const entity = `${options.prefix}_entity`;
  const viewTables: string[] = [];
  const boundsByKeys = new Map<string, string>();
  try {
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${q(entity)} AS ${parts.entity}`);
    for (const view of parts.views) {
      const keys = JSON.stringify(view.entityKeys);
      if (boundsByKeys.has(keys)) continue;
      const bounds = `${options.prefix}_bounds${boundsByKeys.size}`;
      boundsByKeys.set(keys, bounds);
      // A view's rows outside their key's [earliest entity time − TTL, latest] can match no entity row.
      await createKeyBounds(connection, { rows: `SELECT * FROM ${q(entity)}`, keys: view.entityKeys, micros: q(ENTITY_US), table: bounds });
    }
    for (const [index, view] of parts.views.entries()) {
      const joined = `${options.prefix}_join${index}`;
      viewTables.push(joined);
      await joinView(connection, view, { entity: q(entity), into: joined, bounds: q(boundsByKeys.get(JSON.stringify(view.entityKeys))!) });
    }
  } catch (error) {
    await dropTemporaryTables(connection, [entity, ...viewTables]);
    throw error;
  } finally {
    await dropTemporaryTables(connection, [...boundsByKeys.values()]);
  }
  const quoted = viewTables.map((table) => q(table));
  return {
    query: parts.select(q(entity), quoted),
    unorderedQuery: parts.select(q(entity), quoted, { ordered: false }),
    tables: [entity, ...viewTables],
  };
}

export interface PointInTimeJoin {
  /** The result, in entity order. */
  readonly query: string;
  /** The same rows in no particular order, for a caller that joins or sorts them again (DuckDB keeps a subquery's sort). */
  readonly unorderedQuery: string;
  /** The temporary tables the join created, for `dropTemporaryTables` once the result is read. */
  readonly tables: readonly string[];
}

export async function dropTemporaryTables(connection: DuckDBConnection, tables: readonly string[]): Promise<void> {
  for (const table of [...tables].reverse()) await connection.run(`DROP TABLE IF EXISTS temp.${q(table)}`).catch(() => undefined);
}

const ROW = '__floe_row';
const ENTITY_US = '__floe_entity_us';
const EVENT_US = '__floe_event_us';
const CREATED_US = '__floe_created_us';
/** In a view's table, the `rowid` of its entity row in the entity table. */
const ENTITY_ROW_ID = '__floe_entity_rowid';

interface PointInTimeParts {
  /** The entity rows with a row ordinal and their event time in µs. */
  readonly entity: string;
  readonly views: readonly ViewJoin[];
  /** The result from the entity table and each view's table (in view order), in entity order unless `ordered` is false. */
  readonly select: (entity: string, viewTables: readonly string[], options?: { readonly ordered?: boolean }) => string;
}

/** One view's part of the join: SQL over its rows (`f`) and the names its columns take inside the join. */
interface ViewJoin {
  readonly relation: string;
  /** The column of the joined table holding the matched row's event time (µs), NULL when none or stale. */
  readonly eventName: string;
  readonly viewKeys: readonly string[];
  readonly entityKeys: readonly string[];
  /** µs since the epoch, UTC, of the event and created timestamps. */
  readonly event: string;
  readonly created: string | undefined;
  readonly featureColumns: readonly string[];
  readonly featureNames: readonly string[];
  /** The features' DuckDB types, as SQL text. */
  readonly featureTypes: readonly string[];
  /** A µs literal, or undefined for no TTL. */
  readonly ttl: string | undefined;
}

async function pointInTimeParts(connection: DuckDBConnection, request: PointInTimeRequest): Promise<PointInTimeParts> {
  const { entity } = request;
  const entityColumns = await describeRelation(connection, entity.relation, 'entity rows');
  checkColumns(entityColumns, entity.keyColumns, entity.eventTimestampColumn, undefined, 'entity rows');
  if (entity.ordinalColumn !== undefined) requireColumns(entityColumns, [entity.ordinalColumn], 'entity rows');
  const entityType = entityColumns.find((column) => column.name === entity.eventTimestampColumn)!.type;
  const entityMicros = utcMicrosSql(
    `e.${q(entity.eventTimestampColumn)}`,
    entityType,
    `Event timestamp column ${JSON.stringify(entity.eventTimestampColumn)} of the entity rows`,
  );
  const ordinal = entity.ordinalColumn === undefined ? 'row_number() OVER ()' : `e.${q(entity.ordinalColumn)}`;
  const entitySql = `SELECT e.*, ${ordinal} AS ${q(ROW)}, ${entityMicros} AS ${q(ENTITY_US)} FROM (${entity.relation}) AS e`;

  const outputNames = new Set(entityColumns.map((column) => column.name));
  const features: { view: number; internal: string; output: string }[] = [];
  const views: ViewJoin[] = [];
  for (const [viewIndex, view] of request.views.entries()) {
    const what = `feature view ${JSON.stringify(view.name)}`;
    const entityKeys = view.entityKeyColumns ?? entity.keyColumns;
    if (view.entityKeyColumns !== undefined) {
      if (entityKeys.length === 0)
        throw new FloeError('invalid-input', `The ${what} joins on no entity key columns`, { context: { featureView: view.name } });
      requireColumns(entityColumns, entityKeys, 'entity rows');
    }
    const viewKeys = view.keyColumns ?? entityKeys;
    if (viewKeys.length !== entityKeys.length) {
      throw new FloeError('invalid-input', `The ${what} has ${viewKeys.length} key columns but the entity rows have ${entityKeys.length}`, {
        context: { featureView: view.name },
      });
    }
    if (view.ttlMicros !== undefined && view.ttlMicros < 0n)
      throw new FloeError('invalid-input', `The TTL of the ${what} is negative`, { context: { featureView: view.name } });
    const columns = await describeRelation(connection, view.relation, what);
    checkColumns(columns, viewKeys, view.eventTimestampColumn, view.createdTimestampColumn, what);
    requireColumns(columns, view.featureColumns, what);
    const typeOf = (name: string) => columns.find((column) => column.name === name)!.type;
    const event = utcMicrosSql(
      `f.${q(view.eventTimestampColumn)}`,
      typeOf(view.eventTimestampColumn),
      `Event timestamp column ${JSON.stringify(view.eventTimestampColumn)} of the ${what}`,
    );
    const created =
      view.createdTimestampColumn === undefined
        ? undefined
        : utcMicrosSql(
            `f.${q(view.createdTimestampColumn)}`,
            typeOf(view.createdTimestampColumn),
            `Created timestamp column ${JSON.stringify(view.createdTimestampColumn)} of the ${what}`,
          );
    const featureNames = view.featureColumns.map((_, index) => `__floe_v${viewIndex}_f${index}`);
    const ttl = view.ttlMicros === undefined || view.ttlMicros === 0n ? undefined : microsLiteral(view.ttlMicros, `TTL of the ${what}`);
    views.push({
      relation: view.relation,
      eventName: `__floe_v${viewIndex}_event_us`,
      viewKeys,
      entityKeys,
      event,
      created,
      featureColumns: view.featureColumns,
      featureNames,
      featureTypes: view.featureColumns.map((feature) => typeOf(feature).toString()),
      ttl,
    });

    view.featureColumns.forEach((feature, index) => {
      const output = request.fullFeatureNames ? `${view.name}__${feature}` : feature;
      if (outputNames.has(output)) {
        throw new FloeError(
          'invalid-input',
          `Feature column ${JSON.stringify(output)} of the ${what} collides with another output column; use full feature names or rename it`,
          {
            context: { featureView: view.name, column: output },
          },
        );
      }
      outputNames.add(output);
      features.push({ view: viewIndex, internal: featureNames[index]!, output });
    });
  }

  const select = (entityTable: string, viewTables: readonly string[], options: { readonly ordered?: boolean } = {}): string => {
    const kept =
      entity.dropOrdinal && entity.ordinalColumn !== undefined
        ? entityColumns.filter((column) => column.name !== entity.ordinalColumn)
        : entityColumns;
    const outputs = [
      ...kept.map((column) => `e.${q(column.name)}`),
      ...features.map((feature) => `v${feature.view}.${q(feature.internal)} AS ${q(feature.output)}`),
    ];
    const joins = viewTables.map((table, index) => `JOIN ${table} AS v${index} ON v${index}.${q(ENTITY_ROW_ID)} = e.rowid`);
    return `SELECT ${outputs.join(', ')} FROM ${entityTable} AS e ${joins.join(' ')}${options.ordered === false ? '' : ` ORDER BY e.${q(ROW)}`}`;
  };
  return { entity: entitySql, views, select };
}

/**
 * One view's features (and its matched event time) for each row of the entity table, as
 * `(__floe_entity_rowid, entity keys, event time, features…)`, into `into`:
 * 1. the view's rows that can matter are kept in a temporary table: those of keys the entity rows
 *    have, with event times from the earliest entity time of that key less the TTL up to its
 *    latest entity time (an older row is stale for every entity row of its key, a newer one in
 *    the future of all of them);
 * 2. an ASOF join with those rows on the keys and event time finds, per entity row, a row at the
 *    greatest event time ≤ the entity's; its features are kept when fresh under the TTL;
 * 3. several rows at one (keys, event time) are a tie the ASOF join settles arbitrarily, so the
 *    kept rows are counted at the matched (keys, event time) pairs: one row per pair (the usual
 *    case) means done;
 * 4. otherwise the tied pairs' features are replaced by their best row: the greatest created
 *    time, then the greatest feature values (a window over the rows at matched pairs only).
 */
async function joinView(
  connection: DuckDBConnection,
  view: ViewJoin,
  tables: { readonly entity: string; readonly into: string; readonly bounds: string },
): Promise<void> {
  const table = q(tables.into);
  const kept = q(`${tables.into}_rows`);
  const pairs = q(`${tables.into}_pairs`);
  const keyNames = view.viewKeys.map((_, index) => positionalKey(index));
  const event = q(EVENT_US);
  try {
    // The created time only orders ties: it is read again in the rare case there are some.
    await keepRows(connection, view, tables.bounds, kept, { withCreated: false });
    const matchOn = [...view.entityKeys.map((key, index) => `l.${q(key)} = r.${keyNames[index]!}`), `l.${q(ENTITY_US)} >= r.${event}`].join(
      ' AND ',
    );
    const fresh = (value: string): string =>
      view.ttl === undefined ? value : `CASE WHEN r.${event} >= l.${q(ENTITY_US)} - ${view.ttl} THEN ${value} END`;
    const added = [
      `${fresh(`r.${event}`)} AS ${q(view.eventName)}`,
      ...view.featureNames.map((name) => `${fresh(`r.${q(name)}`)} AS ${q(name)}`),
    ];
    const left = [`rowid AS ${q(ENTITY_ROW_ID)}`, ...view.entityKeys.map((key) => q(key)), q(ENTITY_US)];
    const carried = [q(ENTITY_ROW_ID), ...view.entityKeys.map((key) => q(key))].map((name) => `l.${name}`);
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT ${[...carried, ...added].join(', ')} FROM (SELECT ${left.join(', ')} FROM ${tables.entity}) AS l ASOF LEFT JOIN ${kept} AS r ON ${matchOn}`,
    );
    if (view.featureNames.length === 0) return;

    // Joining the kept rows to the matched entity rows gives, per matched pair, (its rows) × (its
    // entity rows): as many rows as there are matched entity rows only when no pair has two rows.
    const atMatch = [...view.entityKeys.map((key, index) => `r.${keyNames[index]!} = m.${q(key)}`), `r.${event} = m.${q(view.eventName)}`];
    const counted = await connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${kept} AS r JOIN ${table} AS m ON ${atMatch.join(' AND ')}) - (SELECT count(*) FROM ${table} WHERE ${q(view.eventName)} IS NOT NULL)`,
    );
    if (Number(counted.getRows()[0]?.[0] ?? 0) === 0) return;

    const pair = [...keyNames, event];
    const pairOn = pair.map((name) => `r.${name} = m.${name}`).join(' AND ');
    const matched = [...view.entityKeys.map((key, index) => `${q(key)} AS ${keyNames[index]!}`), `${q(view.eventName)} AS ${event}`];
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${pairs} AS SELECT DISTINCT ${matched.join(', ')} FROM ${table} WHERE ${q(view.eventName)} IS NOT NULL`,
    );

    if (view.created !== undefined) await keepRows(connection, view, tables.bounds, kept, { withCreated: true });
    const order = [
      ...(view.created === undefined ? [] : [`r.${q(CREATED_US)}`]),
      ...view.featureNames.map((name, index) => sortKeySql(`r.${q(name)}`, view.featureTypes[index]!)),
    ].map((key) => `${key} DESC NULLS LAST`);
    const partition = pair.map((name) => `r.${name}`).join(', ');
    const best =
      `SELECT r.* FROM ${kept} AS r SEMI JOIN ${pairs} AS m ON ${pairOn} ` +
      `QUALIFY count(*) OVER (PARTITION BY ${partition}) > 1 AND row_number() OVER (PARTITION BY ${partition} ORDER BY ${order.join(', ')}) = 1`;
    const assignments = view.featureNames.map((name) => `${q(name)} = b.${q(name)}`);
    const tiedRow = [...view.entityKeys.map((key, index) => `t.${q(key)} = b.${keyNames[index]!}`), `t.${q(view.eventName)} = b.${event}`];
    await connection.run(`UPDATE ${table} AS t SET ${assignments.join(', ')} FROM (${best}) AS b WHERE ${tiedRow.join(' AND ')}`);
  } finally {
    for (const temporary of [pairs, kept]) await connection.run(`DROP TABLE IF EXISTS temp.${temporary}`);
  }
}

/** The view's rows within their key's bounds, as `(__floe_k…, __floe_event_us[, __floe_created_us], features…)`, into `table`. */
async function keepRows(
  connection: DuckDBConnection,
  view: ViewJoin,
  bounds: string,
  table: string,
  options: { readonly withCreated: boolean },
): Promise<void> {
  const event = q(EVENT_US);
  const columns = [
    ...view.viewKeys.map((key, index) => `f.${q(key)} AS ${positionalKey(index)}`),
    `${view.event} AS ${event}`,
    ...(options.withCreated && view.created !== undefined ? [`${view.created} AS ${q(CREATED_US)}`] : []),
    ...view.featureColumns.map((feature, index) => `f.${q(feature)} AS ${q(view.featureNames[index]!)}`),
  ];
  const keysMatch = view.viewKeys.map((_, index) => `r.${positionalKey(index)} = b.${positionalKey(index)}`).join(' AND ');
  const within = withinKeyBoundsSql(
    `r.${event}`,
    { from: `b.${KEY_BOUNDS_FROM}`, to: `b.${KEY_BOUNDS_TO}` },
    view.ttl === undefined ? undefined : { micros: view.ttl },
  );
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT r.* FROM (SELECT ${columns.join(', ')} FROM (${view.relation}) AS f) AS r JOIN ${bounds} AS b ON ${keysMatch} WHERE ${within}`,
  );
}

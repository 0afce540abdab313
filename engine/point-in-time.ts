import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../iceberg/errors.js';
import { describeRelation, requireColumns } from './describe.js';
import { checkColumns } from './latest-per-entity.js';
import { quoteIdentifier as q } from './sql.js';
import { microsLiteral, utcMicrosSql } from './timestamps.js';

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
 * SQL for the point-in-time join of entity rows with feature views: for each entity row and view,
 * the view's row with the same keys and the greatest event_ts ≤ the entity's event_ts, ties
 * broken by the greatest created_ts (then deterministically by the feature values, see
 * `tieBreak`); its features read as NULL when that row is older than the view's TTL
 * (event_ts < entity_ts − ttl; exactly ttl old is still fresh).
 *
 * Entity rows keep all their columns, their multiplicity and their order (a carried row ordinal);
 * feature columns follow, view by view. Timestamps are compared as UTC microseconds whatever
 * their type (TIMESTAMP is read as UTC, TIMESTAMP_NS floored to µs). Entity rows with a NULL key
 * or timestamp get NULL features.
 *
 * How, per view (see `viewJoinSql`): an ASOF join of the entity rows with the view's (keys,
 * event time) only finds each row's matching event time; ties on it are then settled among just
 * the feature rows at the matched (keys, event time) pairs. Settling ties over every feature row
 * first (a window over the whole view) would cost as much as the join itself.
 */
export async function pointInTimeJoinSql(connection: DuckDBConnection, request: PointInTimeRequest): Promise<string> {
  const parts = await pointInTimeParts(connection, request);
  const ctes = [`${q(ENTITY)} AS MATERIALIZED (${parts.entity})`, ...parts.views.map((view, index) => `${q(viewTable(index))} AS (${view})`)];
  return `WITH ${ctes.join(',\n')}\n${parts.select((index) => q(viewTable(index)), q(ENTITY))}`;
}

/**
 * The same join as statements that each build one temporary table (the numbered entity rows,
 * then one table per view with that view's features by entity row), and a final query over them.
 * DuckDB then works on one view at a time, spilling each finished table under its memory limit,
 * instead of holding every view's join state at once.
 */
export interface PointInTimeSteps {
  /** CREATE TEMP TABLE statements, to run in order on one connection. */
  readonly statements: readonly string[];
  /** The result, in entity order. */
  readonly query: string;
  /** The temporary tables the statements create, to drop afterwards. */
  readonly tables: readonly string[];
}

export async function pointInTimeJoinSteps(connection: DuckDBConnection, request: PointInTimeRequest, options: { readonly prefix: string }): Promise<PointInTimeSteps> {
  const parts = await pointInTimeParts(connection, request);
  const entityTable = `${options.prefix}_entity`;
  const viewTables = parts.views.map((_, index) => `${options.prefix}_view${index}`);
  const statements = [
    `CREATE OR REPLACE TEMP TABLE ${q(entityTable)} AS ${parts.entity}`,
    ...parts.views.map((view, index) => `CREATE OR REPLACE TEMP TABLE ${q(viewTables[index]!)} AS ${view.replaceAll(q(ENTITY), q(entityTable))}`),
  ];
  return { statements, query: parts.select((index) => q(viewTables[index]!), q(entityTable)), tables: [entityTable, ...viewTables] };
}

const ENTITY = '__floe_entity';
const ROW = '__floe_row';
const ENTITY_US = '__floe_entity_us';
const EVENT_US = '__floe_event_us';
const viewTable = (index: number): string => `__floe_view${index}`;

interface PointInTimeParts {
  /** The entity rows with a row ordinal and their event time in µs. */
  readonly entity: string;
  /** Per view: `(__floe_row, features…)` for the entity rows that found a fresh feature row, over `__floe_entity`. */
  readonly views: readonly string[];
  readonly select: (viewRelation: (index: number) => string, entityRelation: string) => string;
}

async function pointInTimeParts(connection: DuckDBConnection, request: PointInTimeRequest): Promise<PointInTimeParts> {
  const { entity } = request;
  const entityColumns = await describeRelation(connection, entity.relation, 'entity rows');
  checkColumns(entityColumns, entity.keyColumns, entity.eventTimestampColumn, undefined, 'entity rows');
  if (entity.ordinalColumn !== undefined) requireColumns(entityColumns, [entity.ordinalColumn], 'entity rows');
  const entityType = entityColumns.find((column) => column.name === entity.eventTimestampColumn)!.type;
  const entityMicros = utcMicrosSql(`e.${q(entity.eventTimestampColumn)}`, entityType, `Event timestamp column ${JSON.stringify(entity.eventTimestampColumn)} of the entity rows`);
  const ordinal = entity.ordinalColumn === undefined ? 'row_number() OVER ()' : `e.${q(entity.ordinalColumn)}`;
  const entitySql = `SELECT e.*, ${ordinal} AS ${q(ROW)}, ${entityMicros} AS ${q(ENTITY_US)} FROM (${entity.relation}) AS e`;

  const outputNames = new Set(entityColumns.map((column) => column.name));
  const features: { view: number; internal: string; output: string }[] = [];
  const views: string[] = [];
  for (const [viewIndex, view] of request.views.entries()) {
    const what = `feature view ${JSON.stringify(view.name)}`;
    const entityKeys = view.entityKeyColumns ?? entity.keyColumns;
    if (view.entityKeyColumns !== undefined) {
      if (entityKeys.length === 0) throw new FloeError('invalid-input', `The ${what} joins on no entity key columns`, { context: { featureView: view.name } });
      requireColumns(entityColumns, entityKeys, 'entity rows');
    }
    const viewKeys = view.keyColumns ?? entityKeys;
    if (viewKeys.length !== entityKeys.length) {
      throw new FloeError('invalid-input', `The ${what} has ${viewKeys.length} key columns but the entity rows have ${entityKeys.length}`, { context: { featureView: view.name } });
    }
    if (view.ttlMicros !== undefined && view.ttlMicros < 0n) throw new FloeError('invalid-input', `The TTL of the ${what} is negative`, { context: { featureView: view.name } });
    const columns = await describeRelation(connection, view.relation, what);
    checkColumns(columns, viewKeys, view.eventTimestampColumn, view.createdTimestampColumn, what);
    requireColumns(columns, view.featureColumns, what);
    const typeOf = (name: string) => columns.find((column) => column.name === name)!.type;
    const event = utcMicrosSql(`f.${q(view.eventTimestampColumn)}`, typeOf(view.eventTimestampColumn), `Event timestamp column ${JSON.stringify(view.eventTimestampColumn)} of the ${what}`);
    const created =
      view.createdTimestampColumn === undefined
        ? undefined
        : utcMicrosSql(`f.${q(view.createdTimestampColumn)}`, typeOf(view.createdTimestampColumn), `Created timestamp column ${JSON.stringify(view.createdTimestampColumn)} of the ${what}`);
    const featureNames = view.featureColumns.map((_, index) => `__floe_v${viewIndex}_f${index}`);
    const ttl = view.ttlMicros === undefined || view.ttlMicros === 0n ? undefined : microsLiteral(view.ttlMicros, `TTL of the ${what}`);
    views.push(viewJoinSql({ relation: view.relation, viewKeys, entityKeys, event, created, featureColumns: view.featureColumns, featureNames, ttl }));

    view.featureColumns.forEach((feature, index) => {
      const output = request.fullFeatureNames ? `${view.name}__${feature}` : feature;
      if (outputNames.has(output)) {
        throw new FloeError('invalid-input', `Feature column ${JSON.stringify(output)} of the ${what} collides with another output column; use full feature names or rename it`, {
          context: { featureView: view.name, column: output },
        });
      }
      outputNames.add(output);
      features.push({ view: viewIndex, internal: featureNames[index]!, output });
    });
  }

  const select = (viewRelation: (index: number) => string, entityRelation: string): string => {
    const kept = entity.dropOrdinal && entity.ordinalColumn !== undefined ? entityColumns.filter((column) => column.name !== entity.ordinalColumn) : entityColumns;
    const outputs = [...kept.map((column) => `e.${q(column.name)}`), ...features.map((feature) => `v${feature.view}.${q(feature.internal)} AS ${q(feature.output)}`)];
    const joins = request.views.map((_, index) => `LEFT JOIN ${viewRelation(index)} AS v${index} ON v${index}.${q(ROW)} = e.${q(ROW)}`);
    return `SELECT ${outputs.join(', ')} FROM ${entityRelation} AS e ${joins.join(' ')} ORDER BY e.${q(ROW)}`;
  };
  return { entity: entitySql, views, select };
}

/**
 * One view's features by entity row, over the numbered entity rows (`__floe_entity`):
 * 1. `rows`: the view's rows with a key and an event time, under internal names (read twice, never held);
 * 2. `matched`: per entity row, the greatest event time ≤ the entity's among the rows of its keys
 *    (an ASOF join on keys and event time only), kept when fresh under the TTL;
 * 3. `best`: among the feature rows at a matched (keys, event time), the one with the greatest
 *    created time, then the greatest feature values (a window over those few rows only);
 * 4. the entity rows' features: `matched` joined with `best` on (keys, event time).
 */
function viewJoinSql(view: {
  relation: string;
  viewKeys: readonly string[];
  entityKeys: readonly string[];
  event: string;
  created: string | undefined;
  featureColumns: readonly string[];
  featureNames: readonly string[];
  ttl: string | undefined;
}): string {
  const keyNames = view.viewKeys.map((_, index) => `__floe_k${index}`);
  const createdName = '__floe_created_us';
  const rows = [
    ...view.viewKeys.map((key, index) => `f.${q(key)} AS ${q(keyNames[index]!)}`),
    `${view.event} AS ${q(EVENT_US)}`,
    ...(view.created === undefined ? [] : [`${view.created} AS ${q(createdName)}`]),
    ...view.featureColumns.map((feature, index) => `f.${q(feature)} AS ${q(view.featureNames[index]!)}`),
  ];
  const notNull = [...view.viewKeys.map((key) => `f.${q(key)} IS NOT NULL`), `${view.event} IS NOT NULL`].join(' AND ');
  const keysAndEvent = [...keyNames, EVENT_US].map((name) => q(name));
  const matchOn = [...view.entityKeys.map((key, index) => `e.${q(key)} = r.${q(keyNames[index]!)}`), `e.${q(ENTITY_US)} >= r.${q(EVENT_US)}`];
  const fresh = view.ttl === undefined ? '' : ` WHERE r.${q(EVENT_US)} >= e.${q(ENTITY_US)} - ${view.ttl}`;
  const pairOn = keysAndEvent.map((name) => `b.${name} = m.${name}`).join(' AND ');
  const order = [
    ...(view.created === undefined ? [] : [`${q(createdName)} DESC NULLS LAST`]),
    ...view.featureNames.map((name) => `${q(name)} DESC NULLS LAST`),
  ];
  const best =
    `SELECT b.* FROM ${q('__floe_rows')} AS b SEMI JOIN (SELECT DISTINCT ${keysAndEvent.join(', ')} FROM ${q('__floe_matched')}) AS m ON ${pairOn}` +
    (order.length > 0 ? ` QUALIFY row_number() OVER (PARTITION BY ${keysAndEvent.map((name) => `b.${name}`).join(', ')} ORDER BY ${order.map((item) => `b.${item}`).join(', ')}) = 1` : ` QUALIFY row_number() OVER (PARTITION BY ${keysAndEvent.map((name) => `b.${name}`).join(', ')}) = 1`);
  return (
    `WITH ${q('__floe_rows')} AS NOT MATERIALIZED (SELECT ${rows.join(', ')} FROM (${view.relation}) AS f WHERE ${notNull}),\n` +
    `${q('__floe_matched')} AS MATERIALIZED (SELECT e.${q(ROW)}, ${keysAndEvent.map((name) => `r.${name}`).join(', ')} ` +
    `FROM ${q(ENTITY)} AS e ASOF JOIN (SELECT ${keysAndEvent.join(', ')} FROM ${q('__floe_rows')}) AS r ON ${matchOn.join(' AND ')}${fresh}),\n` +
    `${q('__floe_best')} AS (${best})\n` +
    `SELECT m.${q(ROW)}${view.featureNames.map((name) => `, b.${q(name)}`).join('')} FROM ${q('__floe_matched')} AS m JOIN ${q('__floe_best')} AS b ON ${pairOn}`
  );
}

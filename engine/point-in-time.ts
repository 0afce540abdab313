import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../iceberg/errors.js';
import { describeRelation, requireColumns } from './describe.js';
import { checkColumns, tieBreak } from './latest-per-entity.js';
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
}

export interface FeatureViewSource {
  /** The view's name: the prefix of its features' full names (`view__feature`) and how errors name it. */
  readonly name: string;
  /** SQL for the view's feature rows. */
  readonly relation: string;
  /** The view's key columns, matching the entity's key columns in order (the same names if left out). */
  readonly keyColumns?: readonly string[];
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
 * feature columns follow, view by view. Views are joined one at a time with DuckDB's ASOF LEFT
 * JOIN onto feature rows first reduced to one per (keys, event_ts). Timestamps are compared as
 * UTC microseconds whatever their type (TIMESTAMP is read as UTC, TIMESTAMP_NS floored to µs).
 * Entity rows with a NULL key or timestamp get NULL features.
 */
export async function pointInTimeJoinSql(connection: DuckDBConnection, request: PointInTimeRequest): Promise<string> {
  const { entity } = request;
  const entityColumns = await describeRelation(connection, entity.relation, 'entity rows');
  checkColumns(entityColumns, entity.keyColumns, entity.eventTimestampColumn, undefined, 'entity rows');
  if (entity.ordinalColumn !== undefined) requireColumns(entityColumns, [entity.ordinalColumn], 'entity rows');
  const entityType = entityColumns.find((column) => column.name === entity.eventTimestampColumn)!.type;
  const entityMicros = utcMicrosSql(`e.${q(entity.eventTimestampColumn)}`, entityType, `Event timestamp column ${JSON.stringify(entity.eventTimestampColumn)} of the entity rows`);

  const outputNames = new Set(entityColumns.map((column) => column.name));
  const ctes: string[] = [];
  const ordinal = entity.ordinalColumn === undefined ? 'row_number() OVER ()' : `e.${q(entity.ordinalColumn)}`;
  ctes.push(`${q('__floe_step0')} AS (SELECT e.*, ${ordinal} AS ${q('__floe_row')}, ${entityMicros} AS ${q('__floe_entity_us')} FROM (${entity.relation}) AS e)`);
  const features: { internal: string; output: string }[] = [];

  for (const [viewIndex, view] of request.views.entries()) {
    const what = `feature view ${JSON.stringify(view.name)}`;
    const viewKeys = view.keyColumns ?? entity.keyColumns;
    if (viewKeys.length !== entity.keyColumns.length) {
      throw new FloeError('invalid-input', `The ${what} has ${viewKeys.length} key columns but the entity rows have ${entity.keyColumns.length}`, { context: { featureView: view.name } });
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

    const keyNames = viewKeys.map((_, index) => `__floe_k${index}`);
    const featureNames = view.featureColumns.map((_, index) => `__floe_v${viewIndex}_f${index}`);
    const select = [
      ...viewKeys.map((key, index) => `f.${q(key)} AS ${q(keyNames[index]!)}`),
      `${event} AS ${q('__floe_event_us')}`,
      ...view.featureColumns.map((feature, index) => `f.${q(feature)} AS ${q(featureNames[index]!)}`),
    ];
    // One feature row per (keys, event time): the greatest created_ts, then the greatest feature values.
    const order = [...(created === undefined ? [] : [`${created} DESC NULLS LAST`]), ...(view.featureColumns.length > 0 ? [tieBreak(view.featureColumns, 'f.')] : [])];
    const dedup = order.length > 0 ? ` QUALIFY row_number() OVER (PARTITION BY ${[...viewKeys.map((key) => `f.${q(key)}`), event].join(', ')} ORDER BY ${order.join(', ')}) = 1` : '';
    const notNull = [...viewKeys.map((key) => `f.${q(key)} IS NOT NULL`), `${event} IS NOT NULL`].join(' AND ');
    const rowsName = q(`__floe_view${viewIndex}`);
    ctes.push(`${rowsName} AS (SELECT ${select.join(', ')} FROM (${view.relation}) AS f WHERE ${notNull}${dedup})`);

    const ttl = view.ttlMicros === undefined || view.ttlMicros === 0n ? undefined : microsLiteral(view.ttlMicros, `TTL of the ${what}`);
    const fresh = ttl === undefined ? `v.${q('__floe_event_us')} IS NOT NULL` : `v.${q('__floe_event_us')} >= s.${q('__floe_entity_us')} - ${ttl}`;
    const joined = featureNames.map((name) => `CASE WHEN ${fresh} THEN v.${q(name)} END AS ${q(name)}`);
    const on = [...entity.keyColumns.map((key, index) => `s.${q(key)} = v.${q(keyNames[index]!)}`), `s.${q('__floe_entity_us')} >= v.${q('__floe_event_us')}`];
    ctes.push(
      `${q(`__floe_step${viewIndex + 1}`)} AS (SELECT s.*${joined.length > 0 ? `, ${joined.join(', ')}` : ''} ` +
        `FROM ${q(`__floe_step${viewIndex}`)} AS s ASOF LEFT JOIN ${rowsName} AS v ON ${on.join(' AND ')})`,
    );

    view.featureColumns.forEach((feature, index) => {
      const output = request.fullFeatureNames ? `${view.name}__${feature}` : feature;
      if (outputNames.has(output)) {
        throw new FloeError('invalid-input', `Feature column ${JSON.stringify(output)} of the ${what} collides with another output column; use full feature names or rename it`, {
          context: { featureView: view.name, column: output },
        });
      }
      outputNames.add(output);
      features.push({ internal: featureNames[index]!, output });
    });
  }

  const last = q(`__floe_step${request.views.length}`);
  const outputs = [...entityColumns.map((column) => q(column.name)), ...features.map((feature) => `${q(feature.internal)} AS ${q(feature.output)}`)];
  return `WITH ${ctes.join(',\n')}\nSELECT ${outputs.join(', ')} FROM ${last} ORDER BY ${q('__floe_row')}`;
}

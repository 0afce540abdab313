import { filterSqlByName } from '../../engine/read/filter-sql.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { bind } from '../../iceberg/expressions/index.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import type { FeatureContext } from '../context.js';
import type { Registry } from '../registry.js';
import type { FeatureViewDefinition, IcebergSourceDefinition } from '../definitions.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import type { PushSourceDefinition } from '../push-source.js';
import { isAggregatedView } from '../aggregations.js';
import { columnPartials } from '../online-table/aggregation-tiles.js';
import { pushedTilesSql } from '../online-table/tile-sql.js';
import { sourceColumns } from '../source.js';
import { stagedRowsSql } from './push-commit.js';
import type { StagedBatch, TableTarget } from './push-commit.js';
import { signalOf } from '../context.js';
import { durationSeconds } from '../definitions.js';
import { microsLiteral } from '../../engine/timestamps.js';
import type { PushTarget } from './push-rows.js';

/** A table a push source writes, and which push targets (`to`) write it. */
export interface PushTableTarget {
  readonly target: TableTarget;
  readonly takes: (to: PushTarget) => boolean;
}

/**
 * The tables a push source writes: each fed view's online table (online), its batch source's
 * table (offline). Online, only the rows the source's filter takes are written, as materialization
 * reads only those: what is pushed online agrees with what training sets see offline.
 */
export function pushTargets(context: FeatureContext, push: PushSourceDefinition, columns: StagedBatch['columns']): PushTableTarget[] {
  const { registry, catalog } = context;
  const source = registry.batchSourceOf(push);
  const where = sourceFilterSql(source, columns);
  const online = registry
    .viewsFedBy(push)
    .filter((view) => view.online.enabled)
    .map((view) => {
      const columns = { ...source, columnFor: sourceColumns(source) };
      return {
        target: isAggregatedView(view) ? pushedTilesTarget(context, view, columns, where) : onlineTarget(context, view, columns, where),
        takes: (to: PushTarget) => to !== 'offline',
      };
    });
  const identifier = parseTableIdentifier(source.table);
  const offline: TableTarget = {
    identifier,
    load: () => catalog.loadTable(identifier),
    query: (rows) => `SELECT * FROM ${rows} AS s`,
    online: false,
  };
  return [...online, { target: offline, takes: (to: PushTarget) => to !== 'online' }];
}

/**
 * Every table a push source may write, whatever a push's `to` (as pushTargets orders them): where a
 * write to a view it feeds looks for its request_id before writing.
 */
export function pushSourceTables(context: FeatureContext, push: PushSourceDefinition): Pick<TableTarget, 'identifier' | 'load'>[] {
  const { registry, catalog } = context;
  const online = registry
    .viewsFedBy(push)
    .filter((view) => view.online.enabled)
    .map((view) => {
      const layout = onlineTableLayout(registry, view);
      return { identifier: layout.identifier, load: () => ensureOnlineTable(catalog, layout) };
    });
  const identifier = parseTableIdentifier(registry.batchSourceOf(push).table);
  return [...online, { identifier, load: () => catalog.loadTable(identifier) }];
}

/** A view's online table as a target, its rows read from staged columns named as `columns` says. */
export function onlineTarget(
  context: FeatureContext,
  view: FeatureViewDefinition,
  columns: { columnFor: (name: string) => string; timestampField: string; createdTimestampField?: string | undefined },
  where: string,
): TableTarget {
  const layout = onlineTableLayout(context.registry, view);
  const { columnFor } = columns;
  return {
    identifier: layout.identifier,
    load: () => ensureOnlineTable(context.catalog, layout),
    online: true,
    query: (rows) => {
      const projection = [...layout.keyColumns, ...layout.featureColumns].map((name) => `s.${q(columnFor(name))} AS ${q(name)}`);
      projection.push(`CAST(s.${q(columns.timestampField)} AS TIMESTAMPTZ) AS ${q(ONLINE_EVENT_TS)}`);
      projection.push(
        columns.createdTimestampField === undefined
          ? `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}`
          : `CAST(s.${q(columns.createdTimestampField)} AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}`,
      );
      projection.push(`CAST(${quoteLiteral(new Date().toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)}`);
      return `SELECT ${projection.join(', ')} FROM ${rows} AS s${where}`;
    },
  };
}

/**
 * An aggregated view's online table as a target: the staged events become its `pushed` rows
 * (aggregation-tiles.ts), read at request time until materialization has them in its tiles.
 */
function pushedTilesTarget(
  context: FeatureContext,
  view: FeatureViewDefinition,
  columns: { columnFor: (name: string) => string; timestampField: string; createdTimestampField?: string | undefined },
  where: string,
): TableTarget {
  const layout = onlineTableLayout(context.registry, view);
  const partials = columnPartials(view);
  const { columnFor } = columns;
  return {
    identifier: layout.identifier,
    load: () => ensureOnlineTable(context.catalog, layout),
    online: true,
    query: (rows, staged) => {
      const projection = [...layout.keyColumns, ...partials.map((column) => column.column)].map(
        (name) => `s.${q(columnFor(name))} AS ${q(name)}`,
      );
      projection.push(`${eventTimeSql(columns.timestampField)} AS ${q(ONLINE_EVENT_TS)}`);
      const created =
        columns.createdTimestampField === undefined
          ? 'CAST(NULL AS TIMESTAMPTZ)'
          : `CAST(s.${q(columns.createdTimestampField)} AS TIMESTAMPTZ)`;
      projection.push(`${created} AS ${q(ONLINE_CREATED_TS)}`);
      const cutoff = lateCutoffMicros(view, staged);
      const tiles = pushedTilesSql({
        relation: `SELECT ${projection.join(', ')} FROM ${rows} AS s${where}`,
        keyColumns: layout.keyColumns,
        partials,
        event: `epoch_us(r.${q(ONLINE_EVENT_TS)})`,
        created: `epoch_us(r.${q(ONLINE_CREATED_TS)})`,
        ...(cutoff === null ? {} : { from: cutoff }),
      });
      return `SELECT t.*, CAST(${quoteLiteral(new Date().toISOString())} AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)} FROM (${tiles}) AS t`;
    },
  };
}

/** The event time of a staged row `s` as a TIMESTAMPTZ. */
function eventTimeSql(timestampField: string): string {
  return `CAST(s.${q(timestampField)} AS TIMESTAMPTZ)`;
}

/** Events before this (µs) are late for the view: landed more than its allowedLateness after their event time. Null without one. */
function lateCutoffMicros(view: FeatureViewDefinition, staged: Pick<StagedBatch, 'landedAt'>): bigint | null {
  const seconds = durationSeconds(view.allowedLateness);
  return seconds === null ? null : BigInt(staged.landedAt) * 1000n - BigInt(Math.round(seconds * 1_000_000));
}

/**
 * Per aggregated view fed by the push source with an allowedLateness, how many of a staged batch's
 * events (those its source filter takes, with keys and an event time) are late: they land in the
 * source table but not in the view's pushed rows (docs/features.md). None for no batch. With
 * `writtenTo` (online table → the staged requests written to it), only those requests count, and
 * only for the views whose tables they were written to.
 */
export async function lateEvents(
  context: FeatureContext,
  push: PushSourceDefinition,
  staged: StagedBatch | undefined,
  writtenTo?: ReadonlyMap<string, readonly number[]>,
): Promise<Map<string, number>> {
  const late = new Map<string, number>();
  if (staged === undefined) return late;
  const { registry } = context;
  const source = registry.batchSourceOf(push);
  const columnFor = sourceColumns(source);
  const where = sourceFilterSql(source, staged.columns);
  for (const view of registry.viewsFedBy(push)) {
    const cutoff = lateCutoffMicros(view, staged);
    if (cutoff === null || !isAggregatedView(view) || !view.online.enabled) continue;
    const requests =
      writtenTo === undefined
        ? Array.from({ length: staged.requests }, (_, index) => index)
        : writtenTo.get(formatTableIdentifier(registry.onlineTableOf(view)));
    if (requests === undefined || requests.length === 0) continue;
    const conditions = [
      ...registry.joinKeysOf(view).map((key) => `s.${q(columnFor(key.name))} IS NOT NULL`),
      `epoch_us(${eventTimeSql(source.timestampField)}) < ${microsLiteral(cutoff, 'cutoff')}`,
    ];
    const rows = `(${stagedRowsSql(staged, requests)})`;
    const sql = `SELECT count(*) AS late FROM (SELECT * FROM ${rows} AS s${where}) AS s WHERE ${conditions.join(' AND ')}`;
    const count = await context.engine.withConnection(
      async (connection) => Number((await connection.runAndReadAll(sql)).getRowObjects()[0]?.['late'] ?? 0),
      signalOf(context),
    );
    late.set(view.name, count);
  }
  return late;
}

/** ` WHERE <the source's filter>` over the staged rows `s` (bound to their columns, the source table's), or '' when it has none. */
function sourceFilterSql(source: IcebergSourceDefinition, columns: StagedBatch['columns']): string {
  if (source.filter === undefined) return '';
  const bound = bind(source.filter, { schemaId: 0, identifierFieldIds: [], fields: columns }, { table: source.table });
  return ` WHERE ${filterSqlByName(bound, 's')}`;
}

/** The columns every pushed row must have: the fed views' join keys, the timestamp field and the table's required columns. */
export function requiredPushColumns(registry: Registry, push: PushSourceDefinition, fields: readonly NestedField[]): Set<string> {
  const source = registry.batchSourceOf(push);
  const columnFor = sourceColumns(source);
  const keys = registry.viewsFedBy(push).flatMap((view) => registry.joinKeysOf(view).map((key) => columnFor(key.name)));
  return new Set([...keys, source.timestampField, ...fields.filter((field) => field.required).map((field) => field.name)]);
}

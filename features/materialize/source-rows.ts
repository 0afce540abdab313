import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { and, gtEq, ltEq } from '../../iceberg/expressions/expression.js';
import type { Expression } from '../../iceberg/expressions/expression.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { PrimitiveType } from '../../iceberg/spec/types.js';
import { isAggregatedView } from '../aggregations.js';
import type { FeatureContext } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { columnPartials } from '../online-table/aggregation-tiles.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS } from '../online-columns.js';
import type { OnlineTableLayout } from '../online-table/layout.js';
import { isTimeType, sourceColumns, timeLiteral } from '../source.js';
import { checkColumnTypes } from '../source-types.js';
import { defined } from '../../contracts/defined.js';

// A feature view's source as materialization reads it: the columns it needs, the event-time
// filter of a window, its rows under the online table's column names, and the local Parquet file
// a step writes them to.

/** Event time `[start, end)`. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

export interface ResolvedSource {
  readonly table: LoadedTable;
  readonly identifier: string;
  /** Source columns to read. */
  readonly columns: readonly string[];
  /** The source column holding an online column's values. */
  readonly columnFor: (onlineName: string) => string;
  readonly createdColumn: string | undefined;
  /** The source's own row filter, if it has one. */
  readonly filter: Expression | undefined;
  /** The timestamp field's id and type in the current schema (undefined when it has none: planning reports that). */
  readonly eventTime: { readonly column: string; readonly fieldId: number; readonly type: PrimitiveType } | undefined;
}

export async function loadSource(context: FeatureContext, view: FeatureViewDefinition): Promise<ResolvedSource> {
  const source = context.registry.sourceOf(view);
  const identifier = parseTableIdentifier(source.table);
  const table = await withViewContext(view, source.table, () => context.catalog.loadTable(identifier));
  const columnFor = sourceColumns(source);
  const wanted = [
    ...context.registry.joinKeysOf(view).map((key) => columnFor(key.name)),
    ...valueColumnsOf(view).map(columnFor),
    source.timestampField,
  ];
  if (source.createdTimestampField !== undefined) wanted.push(source.createdTimestampField);
  const schema = currentSchema(table.metadata);
  // The last guard: apply refuses these, but a materialization may run on definitions never applied.
  checkColumnTypes(view, source, schema, formatTableIdentifier(identifier));
  const timestampField = schema.fields.find((field) => field.name === source.timestampField);
  return {
    table,
    identifier: formatTableIdentifier(identifier),
    columns: [...new Set(wanted)],
    columnFor: (name) => (name === ONLINE_EVENT_TS ? source.timestampField : columnFor(name)),
    createdColumn: source.createdTimestampField,
    filter: source.filter,
    eventTime:
      timestampField === undefined || typeof timestampField.type !== 'string'
        ? undefined
        : { column: timestampField.name, fieldId: timestampField.id, type: timestampField.type },
  };
}

/** The source columns a view reads besides keys and times: its features, or the columns its aggregations aggregate. */
function valueColumnsOf(view: FeatureViewDefinition): string[] {
  return isAggregatedView(view) ? columnPartials(view).map((column) => column.column) : view.features.map((feature) => feature.name);
}

/**
 * The source's rows with start ≤ event time < end, as an Iceberg filter (with the source's own
 * filter): files outside the range are pruned by their stats and the reader drops the other rows.
 * For a date column the range is rounded outward to whole days; the latest-per-entity step applies
 * the exact bounds.
 */
export function eventTimeFilter(source: ResolvedSource, range: { start?: Date; end: Date }): Expression | undefined {
  const parts: Expression[] = source.filter === undefined ? [] : [source.filter];
  const eventTime = source.eventTime;
  if (eventTime !== undefined && isTimeType(eventTime.type)) {
    if (range.start !== undefined) parts.push(gtEq(eventTime.column, timeLiteral(micros(range.start), eventTime.type, 'from')));
    parts.push(ltEq(eventTime.column, timeLiteral(micros(range.end) - 1n, eventTime.type, 'to')));
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : and(...parts);
}

export function filterOption(filter: Expression | undefined): { filter?: Expression } {
  return defined({ filter });
}

/**
 * The source rows with the online table's column names: keys, `values` (the features, or for tiles
 * the aggregated columns), event_ts, created_ts.
 */
export function renameToOnline(
  sourceSql: string,
  source: ResolvedSource,
  layout: OnlineTableLayout,
  values: readonly string[] = layout.featureColumns,
): string {
  const names = [...layout.keyColumns, ...values, ONLINE_EVENT_TS];
  const projection = names.map((name) => `s.${q(source.columnFor(name))} AS ${q(name)}`);
  projection.push(
    source.createdColumn === undefined
      ? `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}`
      : `s.${q(source.createdColumn)} AS ${q(ONLINE_CREATED_TS)}`,
  );
  return `SELECT ${projection.join(', ')} FROM (${sourceSql}) AS s`;
}

/** Writes the rows of `sql` to a local Parquet file; returns how many it wrote. */
export async function copyToParquet(connection: DuckDBConnection, sql: string, localFile: string): Promise<number> {
  const result = await connection.runAndReadAll(
    `COPY (${sql}) TO ${quoteLiteral(localFile)} (FORMAT parquet, COMPRESSION zstd, RETURN_STATS)`,
  );
  return Number(result.getRowObjects()[0]?.['count'] ?? 0);
}

/** Errors about the source name the feature view they were met for. */
export async function withViewContext<T>(view: FeatureViewDefinition, table: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (FloeError.is(error) && !error.retryable) {
      throw new FloeError(error.kind, `Feature view ${view.name}, source table ${table}: ${error.detail}`, {
        context: { ...error.context, featureView: view.name },
        cause: error,
        retryable: false,
      });
    }
    throw error;
  }
}

export function micros(date: Date): bigint {
  return BigInt(date.getTime()) * 1000n;
}

import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import type * as arrow from 'apache-arrow';
import { describeRelation } from '../../engine/describe.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { duckdbType } from '../../engine/types.js';
import { FloeError } from '../../iceberg/errors.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { ValueType } from '../definitions.js';
import type { OnDemandValue } from '../on-demand.js';
import type { FeaturePlan, RequestField } from '../on-demand-plan.js';
import { computeOnDemandRow, onDemandInputValue } from '../on-demand-plan.js';
import type { Registry } from '../registry.js';
import { rawInt64, recordBatchesOf } from './arrow-io.js';

/**
 * On-demand features offline: compute's inputs (the row ordinal, input features, request fields)
 * are copied out of the point-in-time joined rows and read back a page of ordinals at a time, as
 * Arrow record batches; compute runs per row and its values are appended, with the ordinal, to a
 * narrow temporary table that the result query joins back. JavaScript never holds more than one
 * page; DuckDB holds the rest under its memory limit, spilling as it does for the join.
 *
 * The join ran with full feature names (`view__feature`) and the ordinal kept, so inputs nobody
 * asked for cannot collide with asked-for columns; the result query renames and drops them.
 */
export async function onDemandPass(
  connection: DuckDBConnection,
  joinedQuery: string,
  options: {
    readonly registry: Registry;
    readonly plan: FeaturePlan;
    readonly fullFeatureNames: boolean;
    readonly ordinalColumn: string;
    readonly entityRows: number;
    readonly table: string;
  },
): Promise<{ query: string; tables: string[] }> {
  const { registry, plan, ordinalColumn } = options;
  const columns = await describeRelation(connection, joinedQuery, 'point-in-time joined rows');
  const fetchedColumns = new Set(plan.fetched.flatMap(({ view, features }) => features.map((feature) => `${view.name}__${feature}`)));
  const entityColumns = columns.filter((column) => column.name !== ordinalColumn && !fetchedColumns.has(column.name));
  for (const field of plan.requestFields) checkRequestColumn(field, entityColumns);

  const outputs = outputColumns(plan, options.fullFeatureNames);
  const clash = [...outputs.map((output) => output.name), ...entityColumns.map((column) => column.name)].find(
    (name, index, all) => all.indexOf(name) !== index,
  );
  if (clash !== undefined)
    throw new FloeError(
      'invalid-input',
      `Feature column ${JSON.stringify(clash)} collides with another output column; use full feature names or rename it`,
      { context: { column: clash } },
    );

  // What compute reads: every on-demand input feature once, and every request field in its declared type.
  const inputs = [
    ...new Set(
      plan.onDemand.flatMap(({ view }) =>
        registry.onDemandSourcesOf(view).views.flatMap((input) => input.features.map((feature) => `${input.view.name}__${feature}`)),
      ),
    ),
  ];
  const select = [
    q(ordinalColumn),
    ...inputs.map((name) => q(name)),
    ...plan.requestFields.map((field) => `CAST(${q(field.name)} AS ${duckdbType(field.type)}) AS ${q(field.name)}`),
  ];
  const computed = plan.onDemand.flatMap(({ view }) => view.features.map((feature) => ({ view, feature })));
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${q(options.table)} (${[
      `${q(ordinalColumn)} BIGINT`,
      ...computed.map((output, index) => `${q(internalName(index))} ${duckdbType(output.feature.type)}`),
    ].join(', ')})`,
  );
  const appended = await computeIntoTable(connection, `SELECT ${select.join(', ')} FROM (${joinedQuery})`, options.table, {
    registry,
    plan,
    ordinalColumn,
  });
  // Every joined row must have been computed, or the join back would leave nulls where values belong.
  if (appended !== options.entityRows)
    throw new FloeError('internal', `The on-demand pass computed ${appended} of ${options.entityRows} joined rows`);

  const positionOf = (viewName: string, feature: string): number =>
    computed.findIndex((output) => output.view.name === viewName && output.feature.name === feature);
  const list = [
    ...entityColumns.map((column) => `j.${q(column.name)}`),
    ...outputs.map((output) =>
      output.onDemand
        ? `o.${q(internalName(positionOf(output.view, output.feature)))} AS ${q(output.name)}`
        : `j.${q(`${output.view}__${output.feature}`)} AS ${q(output.name)}`,
    ),
  ];
  return {
    query: `SELECT ${list.join(', ')} FROM (${joinedQuery}) AS j JOIN ${q(options.table)} AS o ON j.${q(ordinalColumn)} = o.${q(ordinalColumn)} ORDER BY j.${q(ordinalColumn)}`,
    tables: [options.table],
  };
}

/** Rows of compute's inputs held at once (a page read back from DuckDB). */
const INPUT_PAGE_ROWS = 65_536n;

function internalName(index: number): string {
  return `__floe_on_demand_${index}`;
}

/** The result's feature columns: the ordinary ones asked for, then the on-demand ones. */
function outputColumns(plan: FeaturePlan, fullFeatureNames: boolean): { name: string; view: string; feature: string; onDemand: boolean }[] {
  const name = (view: string, feature: string) => (fullFeatureNames ? `${view}__${feature}` : feature);
  return [
    ...plan.requested.flatMap(({ view, features }) =>
      features.map((feature) => ({ name: name(view.name, feature), view: view.name, feature, onDemand: false })),
    ),
    ...plan.onDemand.flatMap(({ view, features }) =>
      features.map((feature) => ({ name: name(view.name, feature), view: view.name, feature, onDemand: true })),
    ),
  ];
}

const NUMERIC_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

/** The entity rows carry each request field as a column of a compatible type. */
function checkRequestColumn(field: RequestField, columns: readonly { name: string; type: { typeId: DuckDBTypeId } }[]): void {
  const needed = `request field of request source ${field.source}, needed by on-demand view ${field.views.join(', ')}`;
  const column = columns.find((candidate) => candidate.name === field.name);
  if (column === undefined)
    throw new FloeError(
      'invalid-input',
      `The entity rows have no column ${JSON.stringify(field.name)}, the ${needed}; their columns are ${columns.map((candidate) => candidate.name).join(', ')}`,
      { context: { column: field.name } },
    );
  const typeId = column.type.typeId;
  const fits =
    field.type === 'boolean'
      ? typeId === DuckDBTypeId.BOOLEAN
      : field.type === 'string'
        ? typeId === DuckDBTypeId.VARCHAR
        : NUMERIC_TYPES.has(typeId);
  if (!fits)
    throw new FloeError(
      'invalid-input',
      `Entity column ${JSON.stringify(field.name)} (the ${needed}) holds ${String(column.type)} values; expected ${field.type === 'boolean' ? 'booleans' : field.type === 'string' ? 'strings' : 'numbers'}`,
      { context: { column: field.name } },
    );
}

/** Streams `sql` (ordinal, inputs, request fields), computes each row's on-demand features and appends them; returns the rows appended. */
async function computeIntoTable(
  connection: DuckDBConnection,
  sql: string,
  table: string,
  options: { readonly registry: Registry; readonly plan: FeaturePlan; readonly ordinalColumn: string },
): Promise<number> {
  const { registry, plan } = options;
  // Per on-demand view, per source, the columns its fields are read from.
  const views = plan.onDemand.map(({ view }) => {
    const sources = registry.onDemandSourcesOf(view);
    return {
      view,
      sources: [
        ...sources.views.map((input) => ({
          name: input.view.name,
          fields: input.features.map((feature) => ({
            name: feature,
            column: `${input.view.name}__${feature}`,
            type: input.view.features.find((candidate) => candidate.name === feature)!.type,
          })),
        })),
        ...sources.requestSources.map((source) => ({
          name: source.name,
          fields: source.fields.map((field) => ({ name: field.name, column: field.name, type: field.type as ValueType })),
        })),
      ],
    };
  });
  // The inputs are copied out once and read back a page at a time, each page a finished result: the
  // appender flushes on this connection every 100 vectors, which would end a result still streaming.
  const inputs = `${table}_inputs`;
  const ordinal = q(options.ordinalColumn);
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${q(inputs)} AS ${sql}`);
  const appender = await connection.createAppender(table, 'main', 'temp');
  let rows = 0;
  try {
    const [first, last] = (await connection.runAndReadAll(`SELECT min(${ordinal}), max(${ordinal}) FROM ${q(inputs)}`)).getRows()[0]! as [
      bigint | null,
      bigint | null,
    ];
    for (let low = first ?? 1n, high = last ?? 0n; low <= high; low += INPUT_PAGE_ROWS) {
      const page = await connection.run(
        `SELECT * FROM ${q(inputs)} WHERE ${ordinal} >= ${low} AND ${ordinal} < ${low + INPUT_PAGE_ROWS} ORDER BY ${ordinal}`,
      );
      const names = page.columnNames();
      const types = page.columnTypes();
      for (let chunk = await page.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await page.fetchChunk()) {
        for (const batch of recordBatchesOf(names, types, chunk.getColumns())) {
          const ordinals = rawInt64(batch.getChild(options.ordinalColumn)!);
          const readers = views.map(({ sources }) =>
            sources.map((source) => source.fields.map((field) => columnReader(batch.getChild(field.column)!, field.type))),
          );
          for (let row = 0; row < batch.numRows; row++) {
            appender.appendBigInt(ordinals(row));
            views.forEach(({ view, sources }, viewIndex) => {
              const argument: Record<string, Record<string, OnDemandValue>> = {};
              sources.forEach((source, sourceIndex) => {
                const values: Record<string, OnDemandValue> = {};
                source.fields.forEach((field, fieldIndex) => {
                  values[field.name] = readers[viewIndex]![sourceIndex]![fieldIndex]!(row);
                });
                argument[source.name] = values;
              });
              computeOnDemandRow(view, argument).forEach((value, index) => appendValue(appender, view.features[index]!.type, value));
            });
            appender.endRow();
            rows += 1;
          }
        }
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
    await connection.run(`DROP TABLE IF EXISTS temp.${q(inputs)}`);
  }
  return rows;
}

/** A column's values as compute receives them, the same conversion as online (`onDemandInputValue`). */
function columnReader(vector: arrow.Vector, type: ValueType): (row: number) => OnDemandValue {
  if (type === 'timestamp' || type === 'timestamptz') {
    const raw = rawInt64(vector);
    return (row) => (vector.isValid(row) ? onDemandInputValue(type, raw(row)) : null);
  }
  if (type === 'date')
    return (row) => {
      if (!vector.isValid(row)) return null;
      const value = vector.get(row) as number | Date;
      return onDemandInputValue(type, Math.round((value instanceof Date ? value.getTime() : value) / 86_400_000));
    };
  return (row) => (vector.isValid(row) ? onDemandInputValue(type, vector.get(row) as PrimitiveValue) : null);
}

type Appender = Awaited<ReturnType<DuckDBConnection['createAppender']>>;

function appendValue(appender: Appender, type: string, value: PrimitiveValue | null): void {
  if (value === null) return appender.appendNull();
  switch (type) {
    case 'boolean':
      return appender.appendBoolean(value as boolean);
    case 'int':
      return appender.appendInteger(value as number);
    case 'long':
      return appender.appendBigInt(value as bigint);
    case 'float':
      return appender.appendFloat(value as number);
    case 'double':
      return appender.appendDouble(value as number);
    default:
      return appender.appendVarchar(value as string);
  }
}

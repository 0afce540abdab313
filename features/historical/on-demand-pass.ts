import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import {
  DuckDBArrayType,
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBListType,
  DuckDBTypeId,
  listValue,
} from '@duckdb/node-api';
import { chunkColumnReader, chunkColumnWriter, copyChunkColumn } from '../../engine/chunk-columns.js';
import { describeRelation } from '../../engine/describe.js';
import { toIcebergValue } from '../../engine/values.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { duckdbType } from '../../engine/types.js';
import { FloeError } from '../../core/errors.js';
import type { IcebergType, IcebergValue, PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { onDemandListElement } from '../on-demand.js';
import type { OnDemandInputs, OnDemandType, OnDemandValue } from '../on-demand.js';
import type { FeaturePlan, RequestField } from '../on-demand-plan.js';
import { computeOnDemandRow, onDemandInputValue } from '../on-demand-plan.js';
import { featureColumnType, viewFeatureColumnType } from '../feature-types.js';
import type { Registry } from '../registry.js';
import { projectionName } from '../registry.js';

/**
 * On-demand features offline: compute's inputs (the row ordinal, input features, request fields)
 * are copied out of the point-in-time joined rows and read back a page of ordinals at a time,
 * straight from DuckDB's vectors; compute runs per row and its values are appended a chunk at a
 * time, with the ordinal, to a narrow temporary table that the result query joins back. JavaScript
 * never holds more than one page; DuckDB holds the rest under its memory limit, spilling as it does
 * for the join.
 *
 * The join ran with full feature names (`view__feature`) and the ordinal kept, so inputs nobody
 * asked for cannot collide with asked-for columns; the result query renames and drops them.
 * `joinedQuery` may give its rows in any order: the result query sorts by the ordinal.
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
  const fetchedColumns = new Set(
    plan.fetched.flatMap((projection) => projection.features.map((feature) => `${projectionName(projection)}__${feature}`)),
  );
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
    `CAST(${q(ordinalColumn)} AS BIGINT) AS ${q(ordinalColumn)}`,
    ...inputs.map((name) => q(name)),
    ...plan.requestFields.map((field) => `CAST(${q(field.name)} AS ${duckdbType(featureColumnType(field.type))}) AS ${q(field.name)}`),
  ];
  const computed = plan.onDemand.flatMap(({ view }) => view.features.map((feature) => ({ view, feature })));
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${q(options.table)} (${[
      `${q(ordinalColumn)} BIGINT`,
      ...computed.map((output, index) => `${q(internalName(index))} ${duckdbType(featureColumnType(output.feature.type))}`),
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
const INPUT_PAGE_ROWS = 65_536;

function internalName(index: number): string {
  return `__floe_on_demand_${index}`;
}

/** The result's feature columns: the ordinary ones asked for, then the on-demand ones. */
function outputColumns(plan: FeaturePlan, fullFeatureNames: boolean): { name: string; view: string; feature: string; onDemand: boolean }[] {
  const name = (view: string, feature: string) => (fullFeatureNames ? `${view}__${feature}` : feature);
  return [
    ...plan.requested.flatMap((projection) =>
      projection.features.map((feature) => {
        const view = projectionName(projection);
        return { name: name(view, feature), view, feature, onDemand: false };
      }),
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

/** The entity rows carry each request field as a column of a compatible type (a list field, a list of compatible items). */
function checkRequestColumn(field: RequestField, columns: readonly { name: string; type: DuckDBType }[]): void {
  const needed = `request field of request source ${field.source}, needed by on-demand view ${field.views.join(', ')}`;
  const column = columns.find((candidate) => candidate.name === field.name);
  if (column === undefined)
    throw new FloeError(
      'invalid-input',
      `The entity rows have no column ${JSON.stringify(field.name)}, the ${needed}; their columns are ${columns.map((candidate) => candidate.name).join(', ')}`,
      { context: { column: field.name } },
    );
  const element = onDemandListElement(field.type);
  const scalar = element ?? (field.type as OnDemandType);
  const items =
    element === undefined
      ? column.type
      : column.type instanceof DuckDBListType || column.type instanceof DuckDBArrayType
        ? column.type.valueType
        : undefined;
  const typeId = items?.typeId;
  const fits =
    scalar === 'boolean'
      ? typeId === DuckDBTypeId.BOOLEAN
      : scalar === 'string'
        ? typeId === DuckDBTypeId.VARCHAR
        : typeId !== undefined && NUMERIC_TYPES.has(typeId);
  if (!fits) {
    const kinds = scalar === 'boolean' ? 'booleans' : scalar === 'string' ? 'strings' : 'numbers';
    throw new FloeError(
      'invalid-input',
      `Entity column ${JSON.stringify(field.name)} (the ${needed}) holds ${String(column.type)} values; expected ${element === undefined ? kinds : `lists of ${kinds}`}`,
      { context: { column: field.name } },
    );
  }
}

/** Reads `sql` (ordinal, inputs, request fields) back a page at a time, computes each row's on-demand features and appends them; returns the rows appended. */
async function computeIntoTable(
  connection: DuckDBConnection,
  sql: string,
  table: string,
  options: { readonly registry: Registry; readonly plan: FeaturePlan; readonly ordinalColumn: string },
): Promise<number> {
  const { registry, plan } = options;
  // Per on-demand view, the columns its sources' fields are read from, in order, and how its argument is built from them.
  const views = plan.onDemand.map(({ view }) => {
    const inputs = registry.onDemandSourcesOf(view);
    const sources = [
      ...inputs.views.map((input) => ({
        name: input.view.name,
        fields: input.features.map((feature) => ({
          name: feature,
          column: `${input.view.name}__${feature}`,
          type: viewFeatureColumnType(input.view, feature),
        })),
      })),
      ...inputs.requestSources.map((source) => ({
        name: source.name,
        fields: source.fields.map((field) => ({ name: field.name, column: field.name, type: featureColumnType(field.type) })),
      })),
    ];
    return { view, fields: sources.flatMap((source) => source.fields), argument: argumentBuilder(sources) };
  });
  // The inputs are copied out once and read back a page at a time, each page a finished result: the
  // appender flushes on this connection every 100 vectors, which would end a result still streaming.
  const inputs = `${table}_inputs`;
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${q(inputs)} AS ${sql}`);
  const appender = await connection.createAppender(table, 'main', 'temp');
  const outputTypes = Array.from({ length: appender.columnCount }, (_, index) => appender.columnType(index));
  let rows = 0;
  try {
    // Pages are ranges of the copy's row ids, which run 0…n−1 whatever the ordinals are (entity rows
    // from several files number each file's rows from file_index << 40, and arrive in any order), so
    // each page is one range scan and needs no sort.
    const copied = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${q(inputs)}`)).getRows()[0]![0]);
    for (let low = 0; low < copied; low += INPUT_PAGE_ROWS) {
      const page = await connection.run(`SELECT * FROM ${q(inputs)} WHERE rowid >= ${low} AND rowid < ${low + INPUT_PAGE_ROWS}`);
      const columnIndex = new Map(page.columnNames().map((name, index) => [name, index]));
      const columnTypes = page.columnTypes();
      const computeChunk = (chunk: DuckDBDataChunk): DuckDBDataChunk => {
        const rowCount = chunk.rowCount;
        // Each view's readers, one per field of its sources in order, for this chunk's columns.
        const readers = views.map(({ fields }) =>
          fields.map((field) => {
            const column = columnIndex.get(field.column)!;
            return inputReader(chunk, column, columnTypes[column]!.typeId, field.type);
          }),
        );
        const output = DuckDBDataChunk.create(outputTypes, rowCount);
        copyChunkColumn(chunk, columnIndex.get(options.ordinalColumn)!, output, 0, DuckDBTypeId.BIGINT);
        // Column 0 is the ordinal, copied above; the computed features follow.
        const writers = outputTypes.slice(1).map((type, index) => outputWriter(output, index + 1, type));
        for (let row = 0; row < rowCount; row++) {
          let column = 0;
          for (let viewIndex = 0; viewIndex < views.length; viewIndex++) {
            const view = views[viewIndex]!;
            const computed = computeOnDemandRow(view.view, view.argument(readers[viewIndex]!, row));
            for (let index = 0; index < computed.length; index++) writers[column + index]!.write(row, computed[index]!);
            column += computed.length;
          }
        }
        for (const writer of writers) writer.finish();
        return output;
      };
      // Each chunk is computed while DuckDB fetches the next (each fetch is a trip through libuv's
      // thread pool); the page's values are appended once it is read, so the appender, which flushes
      // on this connection, never runs beside a fetch.
      const outputs: DuckDBDataChunk[] = [];
      let next = page.fetchChunk();
      try {
        for (let chunk = await next; chunk !== null && chunk.rowCount > 0; chunk = await next) {
          next = page.fetchChunk();
          outputs.push(computeChunk(chunk));
        }
      } catch (error) {
        await next.catch(() => undefined);
        throw error;
      }
      for (const output of outputs) {
        appender.appendDataChunk(output);
        rows += output.rowCount;
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
    await connection.run(`DROP TABLE IF EXISTS temp.${q(inputs)}`);
  }
  return rows;
}

type InputReader = (row: number) => OnDemandValue;

/**
 * compute's argument for one row, from readers of its sources' fields (in order), as an object
 * literal made for these sources: one allocation of a fixed shape per object, several times faster
 * than building it key by key, which showed as most of the pass in profiles. The keys are quoted
 * (JSON), so any name is safe, and a literal gives the same object as assigning each key in turn.
 * A list, map or struct is read when compute first reads it, then kept: a view taken whole brings
 * its embeddings along, and converting a 768-float list costs ~70 µs a row, used or not.
 */
function argumentBuilder(
  sources: readonly { readonly name: string; readonly fields: readonly { readonly name: string; readonly type: IcebergType }[] }[],
): (readers: readonly InputReader[], row: number) => OnDemandInputs {
  let next = 0;
  const property = (field: { readonly name: string; readonly type: IcebergType }): string => {
    const key = JSON.stringify(field.name);
    const read = `readers[${next++}](row)`;
    return typeof field.type === 'string' ? `${key}: ${read}` : `get ${key}() { return keep(this, ${key}, ${read}); }`;
  };
  const literal = sources.map((source) => `${JSON.stringify(source.name)}: {${source.fields.map(property).join(', ')}}`).join(', ');
  const builder = new Function('keep', `return (readers, row) => ({${literal}});`) as (
    keep: typeof keepValue,
  ) => (readers: readonly InputReader[], row: number) => OnDemandInputs;
  return builder(keepValue);
}

/** Replaces a getter with the value it read, as a plain property. */
function keepValue(object: object, key: string, value: OnDemandValue): OnDemandValue {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  return value;
}

/**
 * A column's values as compute receives them, the same conversion as online (`onDemandInputValue`):
 * numbers and booleans straight from the chunk's memory, other values from its vector, with
 * DuckDB's values first taken as Floe holds them (long and timestamps as bigint µs, dates as days,
 * binary as bytes, lists as arrays, maps and structs as objects).
 */
function inputReader(chunk: DuckDBDataChunk, column: number, columnType: DuckDBTypeId, type: IcebergType): InputReader {
  if (typeof type !== 'string') {
    const vector = chunk.getColumnVector(column);
    return (row) => onDemandInputValue(type, toIcebergValue(vector.getItem(row), type));
  }
  const asIs = AS_IS[type] === columnType;
  if (asIs || (type === 'long' && columnType === DuckDBTypeId.BIGINT)) {
    const direct = chunkColumnReader(chunk, column, columnType);
    if (direct !== undefined) return direct;
  }
  const vector = chunk.getColumnVector(column);
  // Values DuckDB hands out exactly as compute takes them.
  if (asIs) return (row) => vector.getItem(row) as OnDemandValue;
  return (row) => onDemandInputValue(type, heldValue(vector.getItem(row)));
}

/** Sets an output column row by row: in the chunk's memory for numbers and booleans, else through its vector, flushed by `finish`. */
function outputWriter(chunk: DuckDBDataChunk, column: number, type: DuckDBType): { write: OutputWrite; finish: () => void } {
  const direct = chunkColumnWriter(chunk, column, type.typeId);
  // compute's values were checked against the column's type (onDemandOutputValue): numbers, bigints or booleans here.
  if (direct !== undefined) return direct as { write: OutputWrite; finish: () => void };
  const vector = chunk.getColumnVector(column);
  // A list feature's items are primitives (ON_DEMAND_FEATURE_TYPES), which DuckDB's list value takes as they are.
  return {
    write: (row, value) => vector.setItem(row, Array.isArray(value) ? listValue(value as DuckDBValue[]) : (value as DuckDBValue)),
    finish: () => vector.flush(),
  };
}

type OutputWrite = (row: number, value: IcebergValue | null) => void;

const AS_IS: Partial<Record<PrimitiveType, DuckDBTypeId>> = {
  boolean: DuckDBTypeId.BOOLEAN,
  int: DuckDBTypeId.INTEGER,
  float: DuckDBTypeId.FLOAT,
  double: DuckDBTypeId.DOUBLE,
  string: DuckDBTypeId.VARCHAR,
};

/** A DuckDB value as Floe holds it; anything without a typed form (decimals, UUIDs) as DuckDB prints it. */
function heldValue(value: DuckDBValue): PrimitiveValue | null {
  if (value === null || typeof value !== 'object') return value as PrimitiveValue | null;
  if (value instanceof DuckDBTimestampTZValue || value instanceof DuckDBTimestampValue) return value.micros;
  if (value instanceof DuckDBDateValue) return value.days;
  if (value instanceof DuckDBBlobValue) return value.bytes;
  return String(value);
}

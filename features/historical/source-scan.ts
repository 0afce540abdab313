import type { Engine } from '../../engine/duckdb.js';
import { filterSqlByName } from '../../engine/read/filter-sql.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { bind } from '../../iceberg/expressions/bind.js';
import { and, gtEq, isIn, ltEq } from '../../iceberg/expressions/expression.js';
import type { Expression, FilterLiteral } from '../../iceberg/expressions/expression.js';
import { keySetPruning } from '../../iceberg/scan/key-set.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { IcebergType, PrimitiveType } from '../../iceberg/spec/types.js';
import { typeText } from '../../iceberg/spec/types.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { isTimeType, loadSourceTable, sourceColumns, timeLiteral, withSource } from '../source.js';
import { checkColumnTypes, declaredColumnTypes } from '../source-types.js';
import { duckdbType } from '../../engine/types.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS } from '../online-columns.js';
import type { Registry } from '../registry.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { defined } from '../../contracts/defined.js';

/** The columns a view's rows have in the join: its keys and features by their own names, and these two. */
export const VIEW_EVENT_COLUMN = ONLINE_EVENT_TS;
export const VIEW_CREATED_COLUMN = ONLINE_CREATED_TS;

export interface ViewScan {
  /** SQL for the view's rows: join keys and the asked features by name, `event_ts`, and `created_ts` when the source has one. */
  readonly relation: string;
  readonly hasCreated: boolean;
  readonly plan: ScanPlan;
  readonly table: string;
}

export interface ViewScanRequest {
  readonly view: FeatureViewDefinition;
  readonly features: readonly string[];
  /** Rows the join can use: event times within [from, to] (µs, inclusive), and when few, these keys. */
  readonly fromMicros?: bigint;
  readonly toMicros?: bigint;
  readonly keyValues?: readonly FilterLiteral[];
  /** Too many keys for a row filter: data files are pruned by them only (key-set.ts), rows are not filtered. */
  readonly keySet?: readonly FilterLiteral[];
  readonly signal?: AbortSignal;
}

/** What a retrieval reads of a view's source: these columns, at event times within [from, to]. */
export type SourceRead = Pick<ViewScanRequest, 'features' | 'fromMicros' | 'toMicros'>;

/**
 * Reads one feature view's source through Floe's scan (copy-on-write or merge-on-read, columns by
 * field id) at the table's current snapshot. The source's own filter applies to rows and prunes
 * files; the entity time range (and few keys) only prune, since the join ignores other rows anyway.
 */
export async function scanViewSource(
  context: { readonly registry: Registry; readonly catalog: Catalog; readonly engine: Engine },
  request: ViewScanRequest,
): Promise<ViewScan> {
  const { view } = request;
  const source = context.registry.sourceOf(view);
  const table = await loadSourceTable(context.catalog, view, source);
  const tableName = formatTableIdentifier(table.identifier);
  const schema = currentSchema(table.metadata);
  const columnOf = sourceColumns(source);
  const keys = context.registry.joinKeysOf(view).map((key) => key.name);
  const typeOf = (column: string, role: string): IcebergType => {
    const field = schema.fields.find((candidate) => candidate.name === column);
    if (!field) {
      const known = schema.fields.map((candidate) => candidate.name).join(', ');
      throw new FloeError(
        'invalid-input',
        `Feature view ${view.name}: source ${source.name} (table ${tableName}) has no column ${JSON.stringify(column)} (${role}); its columns are ${known}`,
        {
          context: { featureView: view.name, source: source.name, table: tableName, column },
        },
      );
    }
    return field.type;
  };
  const primitiveTypeOf = (column: string, role: string): PrimitiveType => {
    const type = typeOf(column, role);
    if (typeof type !== 'string')
      throw new FloeError(
        'invalid-input',
        `Feature view ${view.name}: column ${JSON.stringify(column)} of ${tableName} (${role}) is nested; keys and timestamps are primitive columns`,
        { context: { featureView: view.name, table: tableName, column } },
      );
    return type;
  };
  const projection: string[] = [];
  const columns: string[] = [];
  const take = (column: string, as: string, role: string, declared?: IcebergType): void => {
    const type = declared === undefined ? primitiveTypeOf(column, role) : typeOf(column, role);
    columns.push(column);
    // A widened column (int declared long, float declared double) reads in the declared type, as online.
    projection.push(
      declared === undefined || typeText(declared) === typeText(type)
        ? `s.${q(column)} AS ${q(as)}`
        : `CAST(s.${q(column)} AS ${duckdbType(declared)}) AS ${q(as)}`,
    );
  };
  for (const key of keys) take(columnOf(key), key, `join key ${key}`);
  const declaredTypes = new Map(declaredColumnTypes(view, source).map((declared) => [declared.name, declared]));
  checkColumnTypes(view, source, schema, tableName, request.features);
  for (const feature of request.features) take(columnOf(feature), feature, `feature ${feature}`, declaredTypes.get(feature)?.declared);
  take(source.timestampField, VIEW_EVENT_COLUMN, 'timestamp field');
  if (source.createdTimestampField !== undefined) take(source.createdTimestampField, VIEW_CREATED_COLUMN, 'created timestamp field');

  const pruning: Expression[] = [];
  const tsType = primitiveTypeOf(source.timestampField, 'timestamp field');
  if (request.fromMicros !== undefined) pruning.push(gtEq(source.timestampField, timeLiteral(request.fromMicros, tsType, 'from')));
  if (request.toMicros !== undefined) pruning.push(ltEq(source.timestampField, timeLiteral(request.toMicros, tsType, 'to')));
  if (request.keyValues !== undefined && keys.length === 1) pruning.push(isIn(columnOf(keys[0]!), request.keyValues));
  const applicable = isTimeType(tsType) ? pruning : pruning.filter((item) => item.op === 'in');
  const filter = source.filter;
  const combined = [...(filter === undefined ? [] : [filter]), ...applicable];
  const scanFilter = combined.length === 0 ? undefined : combined.length === 1 ? combined[0] : and(...combined);

  // The source filter may name columns the view does not read: scan them too, then drop them.
  const filterColumns =
    filter === undefined
      ? []
      : [...referencedColumns(filter)].filter((column) => !columns.includes(column.split('.')[0]!)).map((column) => column.split('.')[0]!);
  const keySet = request.keySet;
  const scan = await withSource(view, source, tableName, async () => {
    const sourceOnly = filter === undefined ? undefined : bind(filter, schema, { table: tableName });
    const keepDataFile =
      keySet === undefined || keys.length !== 1
        ? undefined
        : keySetPruning(schema, table.metadata.partitionSpecs, columnOf(keys[0]!), keySet, { table: tableName });
    return scanTable(table, {
      columns: [...new Set([...columns, ...filterColumns])],
      readFiles: context.engine.readFiles,
      ...defined({ filter: scanFilter, keepDataFile }),
      ...(sourceOnly === undefined ? {} : { rowFilter: filterSqlByName(sourceOnly) }),
      ...defined({ signal: request.signal }),
    });
  });
  return {
    relation: `SELECT ${projection.join(', ')} FROM (${scan.sql}) AS s`,
    hasCreated: source.createdTimestampField !== undefined,
    plan: scan.plan,
    table: tableName,
  };
}

function referencedColumns(expression: Expression): Set<string> {
  const found = new Set<string>();
  const visit = (node: Expression): void => {
    if (node.op === 'and' || node.op === 'or') node.args.forEach(visit);
    else if (node.op === 'not') visit(node.arg);
    else if ('column' in node) found.add(node.column);
  };
  visit(expression);
  return found;
}

/**
 * Entity rows taken from a source instead of given (feast#1611): every row of a source, or of a
 * feature view's source, with `start ≤ event time < end`, after the source's filter and its
 * deletes. Each row gives the join keys the requested views need (through the source's
 * fieldMapping) and its own event time as the entity timestamp. Rows are kept as the source has
 * them: two rows with the same key and event time are two entity rows. Or the keys the views'
 * sources saw in a window, each once, as of the window's end (keysSeenEntityRowsSql).
 */
import type { ReadFileLog } from '../../engine/read/corrupt-parquet.js';
import { localizePlan } from '../../engine/read/table-reader.js';
import { readPlanSql, ROW_FILE_PATH_COLUMN, ROW_POSITION_COLUMN } from '../../engine/read/read-plan.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { duckdbType } from '../../engine/types.js';
import { instantFromMicrosSql } from '../../engine/timestamps.js';
import type { Catalog, LoadedTable } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { and, gtEq, lt } from '../../iceberg/expressions/expression.js';
import type { Expression, FilterLiteral } from '../../iceberg/expressions/expression.js';
import type { ScanPlan } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { PrimitiveType } from '../../iceberg/spec/types.js';
import type { FeatureViewDefinition, IcebergSourceDefinition } from '../definitions.js';
import type { Registry } from '../registry.js';
import type { EntityKeyRequirement, KeysSeenEntityRows, SourceEntityRows } from './entity-rows.js';
import { isTimeType, sourceColumns, timeLiteral } from '../source.js';
import { instantMicros } from '../../contracts/instants.js';
import { defined } from '../../contracts/defined.js';

export interface PlannedSourceEntityRows {
  readonly source: IcebergSourceDefinition;
  readonly table: LoadedTable;
  /** The rows in range, pruned and filtered by the range and the source's filter. */
  readonly plan: ScanPlan;
  /** The source columns of the keys, in the order of the key requirements. */
  readonly keyColumns: readonly string[];
}

/** The source a name stands for: a source of that name, else the source of a feature view of that name. */
export function resolveEntitySource(registry: Registry, from: string): IcebergSourceDefinition {
  const source = registry.sources.get(from);
  if (source !== undefined) return source;
  const view = registry.featureViews.get(from);
  if (view !== undefined) return registry.sourceOf(view);
  const known = (names: Iterable<string>): string => [...names].join(', ') || 'none';
  throw new FloeError(
    'not-found',
    `entities.from: no source or feature view named ${JSON.stringify(from)}; sources: ${known(registry.sources.keys())}; feature views: ${known(registry.featureViews.keys())}`,
    { context: { field: 'entities.from', source: from } },
  );
}

/** `[start, end)` in µs since the epoch, checked: both instants, in order. */
export function entityRowsRange(rows: SourceEntityRows): { startMicros: bigint; endMicros: bigint } {
  const startMicros = instantField(rows.start, 'entities.start');
  const endMicros = instantField(rows.end, 'entities.end');
  if (endMicros <= startMicros)
    throw new FloeError('invalid-input', `entities.end must be after entities.start (the rows taken are start ≤ event time < end)`, {
      context: { field: 'entities.end' },
    });
  return { startMicros, endMicros };
}

/**
 * Plans the read of the source's rows in range at one snapshot (the current one when absent):
 * checks that the source's table has every key column and a timestamp field, and plans with the
 * range and the source's filter, which prune files and filter rows.
 */
export async function planSourceEntityRows(
  context: { readonly registry: Registry; readonly catalog: Catalog },
  rows: SourceEntityRows,
  keys: readonly EntityKeyRequirement[],
  snapshotId?: bigint,
): Promise<PlannedSourceEntityRows> {
  const source = resolveEntitySource(context.registry, rows.from);
  return planSourceRowsInRange(context, source, entityRowsRange(rows), keys, { field: 'entities.from', ...defined({ snapshotId }) });
}

/** The planning of planSourceEntityRows for a source and a `[startMicros, endMicros)` range; errors start with `field`. */
async function planSourceRowsInRange(
  context: { readonly catalog: Catalog },
  source: IcebergSourceDefinition,
  { startMicros, endMicros }: { readonly startMicros: bigint; readonly endMicros: bigint },
  keys: readonly EntityKeyRequirement[],
  options: { readonly field: string; readonly snapshotId?: bigint },
): Promise<PlannedSourceEntityRows> {
  const { field, snapshotId } = options;
  const id = parseTableIdentifier(source.table);
  const tableName = formatTableIdentifier(id);
  if (!(await context.catalog.tableExists(id)))
    throw new FloeError('not-found', `${field}: source ${source.name}'s table ${tableName} does not exist`, {
      context: { source: source.name, table: tableName },
    });
  const table = await context.catalog.loadTable(id);
  const schema = currentSchema(table.metadata);
  const known = schema.fields.map((candidate) => candidate.name).join(', ');
  const typeOf = (column: string, role: string): PrimitiveType => {
    const found = schema.fields.find((candidate) => candidate.name === column);
    if (found === undefined)
      throw new FloeError(
        'invalid-input',
        `${field}: source ${source.name} (table ${tableName}) has no column ${JSON.stringify(column)} (${role}); its columns are ${known}`,
        { context: { source: source.name, table: tableName, column } },
      );
    if (typeof found.type !== 'string')
      throw new FloeError('invalid-input', `${field}: column ${JSON.stringify(column)} of ${tableName} (${role}) is nested`, {
        context: { source: source.name, table: tableName, column },
      });
    return found.type;
  };
  const columnOf = sourceColumns(source);
  const keyColumns = keys.map((key) => {
    const column = columnOf(key.name);
    typeOf(column, `join key ${key.name} of ${key.views.join(', ')}`);
    return column;
  });
  const timestampType = typeOf(source.timestampField, 'the timestamp field');
  if (!isTimeType(timestampType))
    throw new FloeError(
      'invalid-input',
      `${field}: the timestamp field ${JSON.stringify(source.timestampField)} of ${tableName} is a ${timestampType}, not a timestamp`,
      { context: { source: source.name, table: tableName, column: source.timestampField } },
    );
  const range = [
    gtEq(source.timestampField, rangeLiteral(startMicros, timestampType)),
    lt(source.timestampField, rangeLiteral(endMicros, timestampType)),
  ];
  const filter: Expression = and(...(source.filter === undefined ? [] : [source.filter]), ...range);
  const plan = await planScan(table, {
    columns: [...new Set([...keyColumns, source.timestampField])],
    filter,
    ...defined({ snapshotId }),
  });
  return { source, table, plan, keyColumns };
}

/**
 * SQL for the planned rows (of only `files`, when given, in that order, each in row order): the
 * keys by their names and the event time as `timestampColumn`. Without `files`, ordered by event
 * time and keys, so the same rows come in the same order however DuckDB reads them.
 */
export async function sourceEntityRowsSql(
  planned: PlannedSourceEntityRows,
  options: {
    readonly keys: readonly EntityKeyRequirement[];
    readonly timestampColumn: string;
    readonly files?: readonly string[];
    /** Leave the rows in no order (the caller groups them): no sort of every row in range. */
    readonly unordered?: boolean;
    readonly signal?: AbortSignal;
    /** Where the local copies read are recorded for naming a corrupt one: the running engine's `readFiles`. */
    readonly readFiles: ReadFileLog;
  },
): Promise<string> {
  const { files } = options;
  const plan: ScanPlan =
    files === undefined
      ? planned.plan
      : { ...planned.plan, tasks: planned.plan.tasks.filter((task) => files.includes(task.dataFile.filePath)) };
  const localCopies = await localizePlan(planned.table, plan, defined({ signal: options.signal }));
  const sql = readPlanSql(plan, {
    localPath: options.readFiles.recording(localCopies, formatTableIdentifier(planned.table.identifier)),
    tableSchema: currentSchema(planned.table.metadata),
    table: formatTableIdentifier(planned.table.identifier),
    rowPositions: files !== undefined,
  });
  const projection = [
    ...options.keys.map((key, index) => `s.${q(planned.keyColumns[index]!)} AS ${q(key.name)}`),
    `s.${q(planned.source.timestampField)} AS ${q(options.timestampColumn)}`,
  ];
  const order =
    files?.length === 0
      ? ['1']
      : files === undefined
        ? [q(options.timestampColumn), ...options.keys.map((key) => q(key.name))]
        : [
            `CASE s.${q(ROW_FILE_PATH_COLUMN)} ${files.map((file, index) => `WHEN ${quoteLiteral(file)} THEN ${index}`).join(' ')} END`,
            `s.${q(ROW_POSITION_COLUMN)}`,
          ];
  return `SELECT ${projection.join(', ')} FROM (${sql}) AS s${options.unordered === true ? '' : ` ORDER BY ${order.join(', ')}`}`;
}

/** The bound as a literal of the timestamp field's type; a date column holds midnights, so a bound rounds up to the next one. */
function rangeLiteral(micros: bigint, type: PrimitiveType): FilterLiteral {
  if (type !== 'date') return timeLiteral(micros, type, 'from');
  const day = 86_400_000_000n;
  const floor = micros >= 0n ? micros / day : -((-micros + day - 1n) / day);
  return Number(floor * day === micros ? floor : floor + 1n);
}

/**
 * SQL for `entities: { asOf, keysSeenSince }` (KeysSeenEntityRows, Feast's retrieval by start_date
 * and end_date): per source of the projections' views, the distinct keys of its views among its
 * rows with keysSeenSince ≤ event time ≤ asOf (pruned and filtered as planSourceEntityRows does;
 * rows with a null key left out), a key its views do not join on NULL; their union, each key once,
 * with asOf as `timestampColumn`, ordered by the keys.
 */
export async function keysSeenEntityRowsSql(
  context: { readonly registry: Registry; readonly catalog: Catalog },
  rows: KeysSeenEntityRows,
  views: readonly FeatureViewDefinition[],
  options: {
    readonly keys: readonly EntityKeyRequirement[];
    readonly timestampColumn: string;
    readonly signal?: AbortSignal;
    readonly readFiles: ReadFileLog;
  },
): Promise<string> {
  const asOf = instantField(rows.asOf, 'entities.asOf');
  const since = instantField(rows.keysSeenSince, 'entities.keysSeenSince');
  if (since > asOf)
    throw new FloeError(
      'invalid-input',
      'entities.keysSeenSince must not be after entities.asOf (keys are taken from rows with keysSeenSince ≤ event time ≤ asOf)',
      {
        context: { field: 'entities.keysSeenSince' },
      },
    );
  const { registry } = context;
  const keysBySource = new Map<string, { source: IcebergSourceDefinition; keys: Set<string> }>();
  for (const view of views) {
    const source = registry.sourceOf(view);
    const entry = keysBySource.get(source.name) ?? { source, keys: new Set<string>() };
    for (const key of registry.joinKeysOf(view)) entry.keys.add(key.name);
    keysBySource.set(source.name, entry);
  }
  const { keys } = options;
  const parts: string[] = [];
  for (const { source, keys: names } of keysBySource.values()) {
    const sourceKeys = keys.filter((key) => names.has(key.name));
    // The end is included: the range planned ends one microsecond after it.
    const planned = await planSourceRowsInRange(context, source, { startMicros: since, endMicros: asOf + 1n }, sourceKeys, {
      field: 'entities.asOf',
    });
    const sql = await sourceEntityRowsSql(planned, {
      keys: sourceKeys,
      timestampColumn: options.timestampColumn,
      readFiles: options.readFiles,
      unordered: true,
      ...defined({ signal: options.signal }),
    });
    const columns = keys.map((key) => (names.has(key.name) ? q(key.name) : `CAST(NULL AS ${duckdbType(key.type)}) AS ${q(key.name)}`));
    // A row with a null key saw no key.
    const seen = sourceKeys.map((key) => `${q(key.name)} IS NOT NULL`).join(' AND ');
    parts.push(`SELECT DISTINCT ${columns.join(', ')} FROM (${sql}) WHERE ${seen}`);
  }
  const keyColumns = keys.map((key) => q(key.name));
  const at = instantFromMicrosSql(`${asOf.toString()}::BIGINT`);
  return `SELECT ${at} AS ${q(options.timestampColumn)}, ${keyColumns.join(', ')} FROM (${parts.join(' UNION ')}) ORDER BY ${keyColumns.join(', ')}`;
}

/** An instant given as ISO-8601 text (µs kept) or a Date, in µs since the epoch. */
function instantField(value: string | Date, field: string): bigint {
  const micros =
    value instanceof Date
      ? Number.isFinite(value.getTime())
        ? BigInt(value.getTime()) * 1000n
        : undefined
      : typeof value === 'string'
        ? instantMicros(value)
        : undefined;
  if (micros === undefined)
    throw new FloeError(
      'invalid-input',
      `${field} ${JSON.stringify(value)} is not an instant (a Date or ISO-8601 text such as 2024-05-01T00:00:00Z)`,
      {
        context: { field },
      },
    );
  return micros;
}

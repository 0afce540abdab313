import { access, constants } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { Table as ArrowTable } from 'apache-arrow';
import { describeRelation } from '../../engine/describe.js';
import { INTEGER_TEXT_PATTERN } from '../../engine/csv.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../../engine/sql.js';
import { instantFromMicrosSql, utcMicrosSql } from '../../engine/timestamps.js';
import { duckdbType, type ColumnShape } from '../../engine/types.js';
import { FloeError } from '../../core/errors.js';
import type { ValueType } from '../definitions.js';
import { loadArrowTable } from './arrow-load.js';
import { entityCsvSettings, entityCsvSql, isTextKeyType } from './entity-csv.js';
import { csvHeaderProblem } from '../../engine/csv.js';
import { defined } from '../../contracts/defined.js';

/**
 * Where entity rows come from. Every form keeps its rows' order; a SQL query may read the
 * project's sources by name (each a view of its Iceberg table's current snapshot).
 */
export type EntitySource =
  | ArrowTable
  | { readonly arrow: ArrowTable }
  | { readonly parquet: string | readonly string[] }
  | { readonly csv: string; readonly delimiter?: string }
  | { readonly table: string; readonly snapshotId?: bigint }
  | { readonly sql: string }
  | SourceEntityRows
  | KeysSeenEntityRows;

/** `entities: { from, start, end }`: a source's (or a feature view's source's) own rows in `[start, end)` (source-entity-rows.ts). */
export interface SourceEntityRows {
  /** A source name, or a feature view name (its source). */
  readonly from: string;
  /** Instants as ISO-8601 text or Dates. */
  readonly start: string | Date;
  readonly end: string | Date;
}

/**
 * `entities: { asOf, keysSeenSince }`: one row per entity key the views' sources hold a row for with
 * keysSeenSince ≤ event time ≤ asOf (after each source's filter and deletes), each with `asOf` as
 * its timestamp: the views' latest features as of one instant, for the keys active before it
 * (source-entity-rows.ts). A key that a source has no column for is NULL in the rows it gives.
 */
export interface KeysSeenEntityRows {
  /** Instants as ISO-8601 text (µs kept) or Dates. */
  readonly asOf: string | Date;
  readonly keysSeenSince: string | Date;
}

/** The column numbering entity rows in their given order; Floe's own, left out of results. */
export const ENTITY_ORDINAL = 'floe_entity_row_ordinal';

export interface EntityKeyRequirement {
  readonly name: string;
  readonly type: ValueType;
  /** The views that join on it, for error messages. */
  readonly views: readonly string[];
}

export interface PreparedEntityRows {
  /** SQL over the normalized rows: keys in their declared types, the timestamp as TIMESTAMPTZ (UTC, µs), and the ordinal. */
  readonly relation: string;
  readonly timestampColumn: string;
  /** The entity timestamps' range in µs, or null when there are no rows with a timestamp. */
  readonly minMicros: bigint | null;
  readonly maxMicros: bigint | null;
  readonly rows: number;
  /** Temporary tables to drop afterwards. */
  readonly tables: readonly string[];
}

/**
 * Brings entity rows into DuckDB and checks them: the timestamp column exists and reads as a
 * timestamp, every join key the views need exists and converts to its declared type without
 * loss. Errors name the column and show an offending value.
 */
export async function prepareEntityRows(
  connection: DuckDBConnection,
  source: EntitySource,
  options: {
    readonly timestampColumn: string;
    readonly keys: readonly EntityKeyRequirement[];
    readonly tablePrefix: string;
    readonly sourceRelation: (relation: EntityRelationRequest) => Promise<string>;
  },
): Promise<PreparedEntityRows> {
  const keyColumns = new Set(options.keys.filter((key) => isTextKeyType(key.type)).map((key) => key.name));
  const loaded = await loadEntityRelation(connection, source, {
    prefix: options.tablePrefix,
    keyColumns,
    sourceRelation: options.sourceRelation,
  });
  const columns = await describeRelation(connection, loaded.relation, 'entity rows');
  const names = columns.map((column) => column.name);
  const shown = names
    .filter((name) => name !== ENTITY_ORDINAL)
    .map((name) => JSON.stringify(name))
    .join(', ');
  const timestamp = columns.find((column) => column.name === options.timestampColumn);
  if (!timestamp) {
    throw new FloeError(
      'invalid-input',
      `The entity rows have no timestamp column ${JSON.stringify(options.timestampColumn)}; their columns are ${shown}. Name it with timestampColumn`,
      {
        context: { column: options.timestampColumn },
      },
    );
  }
  const replacements = new Map<string, string>();
  const checks: { what: string; failure: string; column: string; expected: string }[] = [];

  const micros = timestampMicrosSql(timestamp, checks);
  replacements.set(timestamp.name, instantFromMicrosSql(micros));

  for (const key of options.keys) {
    const column = columns.find((candidate) => candidate.name === key.name);
    if (!column) {
      throw new FloeError(
        'invalid-input',
        `The entity rows have no column ${JSON.stringify(key.name)}, the join key of feature view${key.views.length > 1 ? 's' : ''} ${key.views.join(', ')}; their columns are ${shown}`,
        {
          context: { column: key.name, featureView: key.views.join(',') },
        },
      );
    }
    const target = duckdbType(key.type);
    if (sameType(column.type, target)) continue;
    const value = q(column.name);
    const cast = `TRY_CAST(${value} AS ${target})`;
    checks.push({
      what: `key ${key.name}`,
      failure: `${value} IS NOT NULL AND (${cast} IS NULL${lossyKeySql(value, cast, column.type, key.type)})`,
      column: column.name,
      expected: `a ${key.type} (the type of join key ${key.name} of ${key.views.join(', ')})`,
    });
    replacements.set(column.name, cast);
  }

  const stats = [
    'count(*)::BIGINT AS rows',
    `min(${micros})::BIGINT AS min_us`,
    `max(${micros})::BIGINT AS max_us`,
    ...checks.flatMap((check, index) => [
      `count(*) FILTER (WHERE ${check.failure})::BIGINT AS bad${index}`,
      `CAST(any_value(${q(check.column)}) FILTER (WHERE ${check.failure}) AS VARCHAR) AS example${index}`,
    ]),
  ];
  const reader = await connection.runAndReadAll(`SELECT ${stats.join(', ')} FROM (${loaded.relation})`);
  const row = reader.getRowObjects()[0] ?? {};
  checks.forEach((check, index) => {
    const bad = Number(row[`bad${index}`] ?? 0);
    if (bad > 0) {
      throw new FloeError(
        'invalid-input',
        `Entity column ${JSON.stringify(check.column)} holds ${JSON.stringify(String(row[`example${index}`]))}, which is not ${check.expected} (${bad} row${bad === 1 ? '' : 's'} like it)`,
        {
          context: { column: check.column },
        },
      );
    }
  });
  const projection = names.map((name) => (replacements.has(name) ? `${replacements.get(name)!} AS ${q(name)}` : q(name)));
  return {
    relation: `SELECT ${projection.join(', ')} FROM (${loaded.relation})`,
    timestampColumn: timestamp.name,
    minMicros: row.min_us === null || row.min_us === undefined ? null : BigInt(row.min_us as bigint),
    maxMicros: row.max_us === null || row.max_us === undefined ? null : BigInt(row.max_us as bigint),
    rows: Number(row.rows ?? 0),
    tables: loaded.tables,
  };
}

/** What the caller resolves for the table and SQL forms: SQL reading an Iceberg table, or a query over the sources. */
export type EntityRelationRequest =
  | { readonly kind: 'table'; readonly table: string; readonly snapshotId?: bigint }
  | { readonly kind: 'sql'; readonly sql: string }
  | { readonly kind: 'source-rows'; readonly rows: SourceEntityRows }
  | { readonly kind: 'keys-seen'; readonly rows: KeysSeenEntityRows };

interface LoadedRelation {
  /** The user's columns plus ENTITY_ORDINAL. */
  readonly relation: string;
  readonly userColumns: readonly string[];
  readonly tables: string[];
}

async function loadEntityRelation(
  connection: DuckDBConnection,
  source: EntitySource,
  options: {
    readonly prefix: string;
    /** The columns of string join keys: a CSV file's are read as text. */
    readonly keyColumns: ReadonlySet<string>;
    readonly sourceRelation: (request: EntityRelationRequest) => Promise<string>;
  },
): Promise<LoadedRelation> {
  const { prefix, sourceRelation } = options;
  const table = `${prefix}_entity_input`;
  const arrowTable = source instanceof ArrowTable ? source : 'arrow' in source ? source.arrow : undefined;
  if (arrowTable !== undefined) {
    if (!(arrowTable instanceof ArrowTable)) throw new FloeError('invalid-input', 'entities.arrow must be an apache-arrow Table');
    const userColumns = arrowTable.schema.fields.map((field) => field.name);
    refuseOrdinalColumn(userColumns);
    await loadArrowTable(connection, arrowTable, table, ENTITY_ORDINAL);
    return { relation: `SELECT * FROM ${q(table)}`, userColumns, tables: [table] };
  }
  if ('parquet' in source) {
    const files = typeof source.parquet === 'string' ? [source.parquet] : [...source.parquet];
    if (files.length === 0) throw new FloeError('invalid-input', 'entities.parquet names no file');
    await requireLocalFiles(files);
    // The file's own row numbers give the order, whatever DuckDB's parallelism does.
    const read = `read_parquet(${quoteLiteralList(files)}, file_row_number = true)`;
    const relation = `SELECT * EXCLUDE (file_row_number), (CAST(file_index AS BIGINT) << 40) + file_row_number AS ${q(ENTITY_ORDINAL)} FROM ${read}`;
    const columns = await describeEntityInput(
      connection,
      relation,
      `the entity Parquet file${files.length > 1 ? 's' : ''} ${files.join(', ')}`,
    );
    refuseOrdinalColumn(columns.slice(0, -1));
    return { relation, userColumns: columns.slice(0, -1), tables: [] };
  }
  let relation: string;
  let what: string;
  if ('csv' in source) {
    const { delimiter } = source;
    what = `the entity CSV file ${source.csv}`;
    const columns = await describeEntityInput(connection, `SELECT * FROM ${entityCsvSql(source.csv, defined({ delimiter }))}`, what);
    const headerProblem = await csvHeaderProblem(connection, source.csv, entityCsvSettings(defined({ delimiter })));
    if (headerProblem !== undefined)
      throw new FloeError('invalid-input', `Cannot read ${what}: ${headerProblem}`, { context: { file: source.csv } });
    relation = `SELECT * FROM ${entityCsvSql(source.csv, { ...defined({ delimiter }), columns, keyColumns: options.keyColumns })}`;
  } else if ('table' in source) {
    relation = await sourceRelation({
      kind: 'table',
      table: source.table,
      ...defined({ snapshotId: source.snapshotId }),
    });
    what = `the entity table ${source.table}`;
  } else if ('sql' in source) {
    relation = await sourceRelation({ kind: 'sql', sql: source.sql });
    what = 'the entity query';
  } else if ('from' in source) {
    relation = await sourceRelation({ kind: 'source-rows', rows: source });
    what = `the rows of ${source.from}`;
  } else if ('asOf' in source) {
    relation = await sourceRelation({ kind: 'keys-seen', rows: source });
    what = 'the keys seen in the sources';
  } else {
    throw new FloeError(
      'invalid-input',
      'entities must be an Arrow table, { parquet }, { csv }, { table }, { sql }, { from, start, end } or { asOf, keysSeenSince }',
    );
  }
  const userColumns = await describeEntityInput(connection, relation, what);
  refuseOrdinalColumn(userColumns);
  // Materialized once, numbered in the order the rows arrive (insertion order kept for this statement).
  await connection.run('SET SESSION preserve_insertion_order = true');
  try {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${q(table)} AS SELECT *, (row_number() OVER ()) - 1 AS ${q(ENTITY_ORDINAL)} FROM (${relation})`,
    );
  } finally {
    await connection.run('RESET SESSION preserve_insertion_order');
  }
  return { relation: `SELECT * FROM ${q(table)}`, userColumns, tables: [table] };
}

/** Local entity files must exist: named here rather than by DuckDB's error about the query reading them. */
async function requireLocalFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file) && !file.startsWith('file://')) continue;
    const local = file.replace(/^file:\/\//, '');
    if (/[*?[]/.test(local)) continue; // a glob: DuckDB expands it
    try {
      await access(local, constants.R_OK);
    } catch {
      throw new FloeError('not-found', `The entity Parquet file ${file} does not exist or cannot be read`, { context: { file } });
    }
  }
}

function refuseOrdinalColumn(columns: readonly string[]): void {
  if (columns.includes(ENTITY_ORDINAL))
    throw new FloeError('invalid-input', `Entity rows may not have a column named ${ENTITY_ORDINAL}: Floe numbers the rows with it`, {
      context: { column: ENTITY_ORDINAL },
    });
}

async function describeEntityInput(connection: DuckDBConnection, relation: string, what: string): Promise<string[]> {
  try {
    return (await describeRelation(connection, relation, what)).map((column) => column.name);
  } catch (error) {
    if (FloeError.is(error))
      throw new FloeError('invalid-input', `Cannot read ${what}: ${error.detail.replace(/^DuckDB cannot plan the .*?: /, '')}`, {
        cause: error,
      });
    throw error;
  }
}

/** SQL for the entity timestamp in µs since the epoch (UTC); strings are parsed, with a failure check. */
function timestampMicrosSql(column: ColumnShape, checks: { what: string; failure: string; column: string; expected: string }[]): string {
  const value = q(column.name);
  if (column.type.typeId === DuckDBTypeId.VARCHAR) {
    // Text without an offset is UTC (the engine's session zone), as Iceberg's `timestamp` is.
    checks.push({
      what: 'timestamp',
      failure: `${value} IS NOT NULL AND TRY_CAST(${value} AS TIMESTAMPTZ) IS NULL`,
      column: column.name,
      expected: 'a timestamp (ISO-8601, e.g. 2024-05-01T12:00:00Z)',
    });
    return `epoch_us(TRY_CAST(${value} AS TIMESTAMPTZ))`;
  }
  return utcMicrosSql(value, column.type, `Entity timestamp column ${JSON.stringify(column.name)}`);
}

/**
 * SQL (` OR …`) true where a key `value` of type `from`, `cast` to the key's type, is not the value
 * given: a number that does not survive the round trip (1.5 → 2) is a wrong key, not a close one;
 * so is a text DuckDB's cast rounds into an integer ('1.5' → 2).
 */
function lossyKeySql(value: string, cast: string, from: DuckDBType, keyType: string): string {
  if (isNumeric(from)) return ` OR ${cast} <> ${value}`;
  if (from.typeId === DuckDBTypeId.VARCHAR && (keyType === 'int' || keyType === 'long'))
    return ` OR NOT regexp_full_match(${value}, ${quoteLiteral(INTEGER_TEXT_PATTERN)})`;
  return '';
}

function sameType(type: DuckDBType, target: string): boolean {
  return type.toString().toUpperCase() === target.toUpperCase();
}

function isNumeric(type: DuckDBType): boolean {
  return [
    DuckDBTypeId.TINYINT,
    DuckDBTypeId.SMALLINT,
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.BIGINT,
    DuckDBTypeId.UTINYINT,
    DuckDBTypeId.USMALLINT,
    DuckDBTypeId.UINTEGER,
    DuckDBTypeId.UBIGINT,
    DuckDBTypeId.HUGEINT,
    DuckDBTypeId.FLOAT,
    DuckDBTypeId.DOUBLE,
    DuckDBTypeId.DECIMAL,
  ].includes(type.typeId);
}

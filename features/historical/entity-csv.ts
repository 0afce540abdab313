import { readCsvSql } from '../../engine/csv.js';
import { quoteLiteral } from '../../engine/sql.js';

export interface EntityCsvOptions {
  readonly delimiter?: string;
  /** The file's columns, as DuckDB finds them reading `entityCsvSql(file)`: the ones whose types are declared come from these. */
  readonly columns?: readonly string[];
  /** Columns read as text: string and integer join keys (isTextKeyType). */
  readonly keyColumns?: ReadonlySet<string>;
  /** A column read as TIMESTAMPTZ: the entity timestamp. */
  readonly timestampColumn?: string;
}

/**
 * Join key types whose CSV column is read as its text, which the key check then casts exactly.
 * Detected, string keys such as `1.10` or `1e3` are doubles, written `1.1` and `1000.0`, which match
 * other keys than the ones the file names, silently; so is a long key column holding `7.0` (as pandas
 * writes an integer column with gaps), which rounds 9007199254740993 to 9007199254740992.
 */
export function isTextKeyType(type: string): boolean {
  return type === 'string' || type === 'int' || type === 'long';
}

/**
 * SQL reading entity rows from a CSV file (a header line, then rows). DuckDB detects the columns'
 * types, except that a join key's column of a type isTextKeyType names is read as its text and the
 * timestamp column as TIMESTAMPTZ (in the engine's UTC, so a time without a zone is UTC and an
 * offset is honoured).
 */
export function entityCsvSql(file: string, options: EntityCsvOptions = {}): string {
  const types = new Map(
    (options.columns ?? []).flatMap((column): [string, string][] =>
      options.keyColumns?.has(column) === true
        ? [[column, 'VARCHAR']]
        : column === options.timestampColumn
          ? [[column, 'TIMESTAMPTZ']]
          : [],
    ),
  );
  return readCsvSql(file, types, entityCsvSettings(options));
}

/** read_csv's options for an entity CSV (its delimiter), as csvHeaderProblem takes them. */
export function entityCsvSettings(options: Pick<EntityCsvOptions, 'delimiter'> = {}): string[] {
  return options.delimiter === undefined ? [] : [`delim = ${quoteLiteral(options.delimiter)}`];
}

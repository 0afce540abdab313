import { readCsvSql } from '../../engine/csv.js';
import { quoteLiteral } from '../../engine/sql.js';

export interface EntityCsvOptions {
  readonly delimiter?: string;
  /** The file's columns, as DuckDB finds them reading `entityCsvSql(file)`: the ones whose types are declared come from these. */
  readonly columns?: readonly string[];
  /** Columns read as text: string join keys. */
  readonly keyColumns?: ReadonlySet<string>;
  /** A column read as TIMESTAMPTZ: the entity timestamp. */
  readonly timestampColumn?: string;
}

/**
 * SQL reading entity rows from a CSV file (a header line, then rows). DuckDB detects the columns'
 * types, except that a string join key's column is read as its text and the timestamp column as
 * TIMESTAMPTZ (in the engine's UTC, so a time without a zone is UTC and an offset is honoured).
 * Detected, string keys such as `1.10` or `1e3` are doubles, which are then written `1.1` and
 * `1000.0` and match other keys than the ones the file names, silently. Other keys keep DuckDB's
 * detection: a long key written `7.0` (pandas writes an integer column with gaps so) is 7.
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
  const settings = ['header = true', ...(options.delimiter === undefined ? [] : [`delim = ${quoteLiteral(options.delimiter)}`])];
  return readCsvSql(file, types, settings);
}

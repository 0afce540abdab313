import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from './sql.js';

/**
 * SQL reading a CSV file with DuckDB, its first line the header naming the columns (DuckDB's
 * detection would take a header with an unnamed column, as pandas writes its index, for a row of
 * data): the columns `types` names (by column, a DuckDB type) are parsed as that type, the others
 * as DuckDB detects them. `settings` are more of read_csv's options, as SQL (`delim = ';'`).
 */
export function readCsvSql(file: string, types: ReadonlyMap<string, string> = new Map(), settings: readonly string[] = []): string {
  const typed = [...types].map(([column, type]) => `${quoteLiteral(column)}: ${quoteLiteral(type)}`);
  const options = ['header = true', ...settings, ...(typed.length === 0 ? [] : [`types = {${typed.join(', ')}}`])];
  return `read_csv(${[quoteLiteral(file), ...options].join(', ')})`;
}

/**
 * What is wrong with a CSV file's header line, if anything: Floe takes a CSV's columns by their
 * names, and DuckDB reads a name given twice (`id`, `ID`) as `id_1` and a missing one as `column0`,
 * names the file does not have. `settings` as for readCsvSql.
 */
export async function csvHeaderProblem(
  connection: DuckDBConnection,
  file: string,
  settings: readonly string[] = [],
): Promise<string | undefined> {
  const options = [quoteLiteral(file), 'header = false', 'all_varchar = true', ...settings];
  const [names = []] = (await connection.runAndReadAll(`SELECT * FROM read_csv(${options.join(', ')}) LIMIT 1`)).getRowsJS();
  const seen = new Set<string>();
  for (const [index, name] of names.entries()) {
    if (name === null || String(name).trim() === '')
      return `its header line gives column ${index + 1} no name (pandas writes its index so; write the file with index=False)`;
    const folded = String(name).toLowerCase();
    if (seen.has(folded)) return `its header line names column ${JSON.stringify(name)} twice (names are compared without case)`;
    seen.add(folded);
  }
  return undefined;
}

/**
 * An integer as a CSV (or any text) may write it: digits, perhaps signed, perhaps with the zero
 * fraction pandas writes for an integer column with gaps (`7.0`). DuckDB's own parse of text as an
 * integer rounds `7.5` to 8; a text that does not match this is not an integer.
 */
export const INTEGER_TEXT_PATTERN = String.raw`\s*[-+]?\d+(\.0*)?\s*`;

/** SQL giving a CSV integer's text (`text`, SQL of a VARCHAR) without its zero fraction: `7.0` is `7`. */
export function csvIntegerSql(text: string): string {
  return `regexp_replace(${text}, ${quoteLiteral(String.raw`^(\s*[-+]?\d+)\.0*(\s*)$`)}, '\\1\\2')`;
}

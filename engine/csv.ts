import { quoteLiteral } from './sql.js';

/**
 * SQL reading a CSV file with DuckDB: the columns `types` names (by column, a DuckDB type) are
 * parsed as that type, the others as DuckDB detects them. `settings` are more of read_csv's
 * options, as SQL (`header = true`).
 */
export function readCsvSql(file: string, types: ReadonlyMap<string, string> = new Map(), settings: readonly string[] = []): string {
  const typed = [...types].map(([column, type]) => `${quoteLiteral(column)}: ${quoteLiteral(type)}`);
  const options = [...settings, ...(typed.length === 0 ? [] : [`types = {${typed.join(', ')}}`])];
  return `read_csv(${[quoteLiteral(file), ...options].join(', ')})`;
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

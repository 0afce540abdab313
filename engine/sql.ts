/**
 * Quoting for DuckDB SQL. Every identifier and literal that reaches a query goes through here:
 * column names come from users' tables and may hold quotes, semicolons or anything else.
 */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new TypeError(`SQL identifier contains a NUL character: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('SQL string literal contains a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** A list of string literals, for `read_parquet([...])` and `IN (...)`. */
export function quoteLiteralList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

/**
 * What a DuckDB error says went wrong: its first line. The lines after it quote Floe's own SQL
 * (`LINE 1: SELECT …`), which means nothing to the person who gave the file or table.
 */
export function duckdbErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split('\n')[0] ?? '').trim();
}

/**
 * A DuckDB error's message up to where it quotes the SQL (`LINE 1: SELECT …` and the caret under
 * it), keeping the lines before that: a CSV conversion error names the column and value there.
 */
export function withoutSqlQuote(message: string): string {
  return message.replace(/\n\s*LINE \d+:[\s\S]*$/, '').trim();
}

/**
 * What to ORDER BY for an output column of DuckDB type `type` (SQL text). DuckDB 1.5 hands a column
 * that is also a sort key back decoded from the key, which turns -0.0 into +0.0 in a FLOAT or
 * DOUBLE, alone or inside a list or struct (duckdb/duckdb#25417); `least(column)` sorts the same
 * and leaves the column's own values as they were.
 */
export function sortKeySql(column: string, type: string): string {
  return /\b(FLOAT|DOUBLE|REAL)\b/i.test(type) ? `least(${column})` : column;
}

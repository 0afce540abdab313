import type { DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { Engine } from '../../../engine/duckdb.js';
import type { EngineOptions } from '../../../engine/duckdb.js';
import { scratchFolder } from '../scratch-folder.js';

/** A fresh engine, closed afterwards, and scratch folder for one test. */
export async function withEngine<T>(fn: (engine: Engine, dir: string) => Promise<T>, options: EngineOptions = {}): Promise<T> {
  const dir = scratchFolder('engine-test');
  const engine = await Engine.create({ threads: 2, memoryLimit: '1GB', tempDirectory: join(dir, 'spill'), ...options });
  try {
    return await fn(engine, dir);
  } finally {
    engine.close();
  }
}

/** Same, with one connection. */
export async function withConnection<T>(
  fn: (connection: DuckDBConnection, dir: string, engine: Engine) => Promise<T>,
  options: EngineOptions = {},
): Promise<T> {
  return withEngine((engine, dir) => engine.withConnection((connection) => fn(connection, dir, engine)), options);
}

/** All rows of a query as JS values (bigint for BIGINT, Date-free: timestamps as DuckDB's JS form). */
export async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}

/** Rows as arrays in column order. */
export async function tuples(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJS() as unknown[][];
}

/** A canonical string for a row, for comparing multisets of rows regardless of order. */
export function canonical(row: unknown): string {
  return JSON.stringify(row, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
    if (value instanceof Date) return `date:${value.toISOString()}`;
    return value;
  });
}

export function sortedCanonical(list: readonly unknown[]): string[] {
  return list.map(canonical).sort();
}

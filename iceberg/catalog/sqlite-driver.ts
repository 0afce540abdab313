/** SqlDriver on SQLite via better-sqlite3: WAL so readers do not block the writer, and a busy timeout for writers. */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FloeError } from '../../core/errors.js';
import type { SqlCallOptions, SqlDriver, SqlFailure, SqlRow, SqlStatement, SqlValue } from './sql-driver.js';

export interface SqliteOptions {
  /** How long a writer waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
  /** Create the database file (and its folder) when it does not exist; otherwise a missing file is `not-found`. Default true. */
  readonly create?: boolean;
}

export class SqliteDriver implements SqlDriver {
  private readonly db: Database.Database;

  constructor(path: string, options: SqliteOptions = {}) {
    const create = options.create ?? true;
    if (path !== ':memory:' && !create && !existsSync(path)) {
      throw new FloeError('not-found', `SQLite catalog database ${path} does not exist`, { context: { database: path } });
    }
    if (path !== ':memory:' && create) mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path, { fileMustExist: !create });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000))}`);
    } catch (cause) {
      throw new FloeError('catalog', `Cannot open SQLite catalog database ${path}: ${(cause as Error).message}`, {
        context: { database: path },
        cause,
      });
    }
  }

  // better-sqlite3 runs a statement synchronously: a cancelled one is refused before it starts,
  // and one already waiting for a lock waits at most the busy timeout.
  async query(sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions = {}): Promise<SqlRow[]> {
    options.signal?.throwIfAborted();
    return this.db.prepare(sql).all(...params) as SqlRow[];
  }

  async execute(sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions = {}): Promise<number> {
    options.signal?.throwIfAborted();
    return this.db.prepare(sql).run(...params).changes;
  }

  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    // IMMEDIATE takes the write lock up front, so the batch cannot deadlock halfway.
    const run = this.db.transaction(() =>
      statements.map((statement) => this.db.prepare(statement.sql).run(...(statement.params ?? [])).changes),
    );
    return run.immediate();
  }

  classify(error: unknown): SqlFailure {
    const code = (error as { code?: unknown } | null)?.code;
    const message = (error as Error | null)?.message ?? '';
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique-violation';
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))) return 'busy';
    if (message.startsWith('no such table')) return 'missing-table';
    if (message.startsWith('no such column')) return 'missing-column';
    return 'unknown';
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/**
 * SqlDriver on Postgres via `pg`, for a SQL catalog shared by workers on several hosts. One small
 * connection pool per catalog; each statement runs in autocommit (so the pointer swap's
 * `UPDATE … WHERE metadata_location = ?` is its own transaction: under READ COMMITTED a second
 * writer waits for the first, re-reads the row and matches nothing), and `batch` runs its
 * statements in one BEGIN … COMMIT on one connection.
 *
 * The URI may carry a password. It never leaves this file: messages name the URI with the
 * password replaced by `***`, and errors from `pg` (which do not echo the connection string) are
 * only ever wrapped, never stringified together with the configuration.
 */
import pg from 'pg';
import { FloeError } from '../../core/errors.js';
import type { SqlCallOptions, SqlDriver, SqlFailure, SqlRow, SqlStatement, SqlValue } from './sql-driver.js';

export interface PostgresOptions {
  /** Connections this catalog may hold at once (default 4: commits are short). */
  readonly maxConnections?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** A statement waiting longer than this for a row lock fails as `busy` (default 10 s, like SQLite's busy timeout). */
  readonly lockTimeoutMs?: number;
}

/** URI schemes taken as Postgres: libpq's, SQLAlchemy's (as pyiceberg users write them), and JDBC's. */
const POSTGRES_URI = /^(?:jdbc:)?postgres(?:ql)?(?:\+[a-z0-9]+)?:\/\//i;

export function isPostgresUri(uri: string): boolean {
  return POSTGRES_URI.test(uri);
}

/**
 * The URI as it may be shown: the password (in the user-info or a `password` parameter) as `***`.
 * Errs towards hiding too much: everything between the user name and the last `@` before the query
 * goes, so a password with an unencoded `/` or `@` is hidden too.
 */
export function redactPostgresUri(uri: string): string {
  const authorityStart = uri.indexOf('://') + 3;
  if (authorityStart < 3) return '***';
  const queryStart = uri.indexOf('?', authorityStart);
  const beforeQuery = queryStart < 0 ? uri : uri.slice(0, queryStart);
  const query = queryStart < 0 ? '' : uri.slice(queryStart).replace(/([?&]password=)[^&#]*/gi, '$1***');
  const at = beforeQuery.lastIndexOf('@');
  if (at < authorityStart) return beforeQuery + query;
  const colon = beforeQuery.indexOf(':', authorityStart);
  const user = colon >= 0 && colon < at ? `${beforeQuery.slice(authorityStart, colon)}:***` : beforeQuery.slice(authorityStart, at);
  return `${beforeQuery.slice(0, authorityStart)}${user}${beforeQuery.slice(at)}${query}`;
}

/** `postgresql+psycopg2://…` and `jdbc:postgresql://…` as the `postgresql://…` that pg reads. */
function libpqUri(uri: string): string {
  return uri.replace(/^(?:jdbc:)?postgres(?:ql)?(?:\+[a-z0-9]+)?:\/\//i, 'postgresql://');
}

/** SQLSTATE codes (Postgres appendix A) and what they mean for the catalog. */
const FAILURES: Readonly<Record<string, SqlFailure>> = {
  '23505': 'unique-violation',
  '42P01': 'missing-table',
  '42703': 'missing-column',
  '40001': 'busy', // serialization_failure
  '40P01': 'busy', // deadlock_detected
  '55P03': 'busy', // lock_not_available (lock_timeout)
  '57P03': 'busy', // cannot_connect_now (starting up or shutting down)
  '53300': 'busy', // too_many_connections
  '57P01': 'connection-lost', // admin_shutdown: the server is stopping
  '57P02': 'connection-lost', // crash_shutdown: another backend crashed, or the postmaster died
  '08000': 'connection-lost', // connection_exception
  '08003': 'connection-lost', // connection_does_not_exist
  '08006': 'connection-lost', // connection_failure
};

/** What node-postgres and Node's sockets say when a connection breaks under a statement. */
const BROKEN_CONNECTION = /Connection terminated|connection error|ECONNRESET|EPIPE|socket hang up/i;

/** A connection that could not be made: nothing was sent, so nothing happened. */
class NotConnected extends Error {
  override readonly name = 'NotConnected';
}

export class PostgresDriver implements SqlDriver {
  private readonly pool: pg.Pool;
  private readonly connectionString: string;
  private closed = false;

  constructor(uri: string, options: PostgresOptions = {}) {
    const shown = redactPostgresUri(uri);
    const normalized = libpqUri(uri);
    try {
      new URL(normalized);
    } catch {
      // No cause: URL's error carries the input, password and all.
      throw new FloeError('invalid-input', `SQL catalog URI ${shown} is not a valid postgresql://user:password@host:port/database URI`, {
        context: { uri: shown },
      });
    }
    this.connectionString = normalized;
    this.pool = new pg.Pool({
      connectionString: normalized,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 10_000,
      // Per-session settings, sent at connect time.
      options: `-c lock_timeout=${Math.max(0, Math.trunc(options.lockTimeoutMs ?? 10_000))}`,
      application_name: 'floe',
    });
    // An idle connection the server drops (restart, idle timeout) is removed from the pool; without
    // a listener the 'error' event would end the process.
    this.pool.on('error', () => undefined);
  }

  async query(sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions = {}): Promise<SqlRow[]> {
    return this.withClient(async (client) => (await client.query(numberPlaceholders(sql), [...params])).rows as SqlRow[], options);
  }

  async execute(sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions = {}): Promise<number> {
    return this.withClient(async (client) => (await client.query(numberPlaceholders(sql), [...params])).rowCount ?? 0, options);
  }

  async batch(statements: readonly SqlStatement[]): Promise<number[]> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const changed: number[] = [];
        for (const statement of statements)
          changed.push((await client.query(numberPlaceholders(statement.sql), [...(statement.params ?? [])])).rowCount ?? 0);
        await client.query('COMMIT');
        return changed;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  classify(error: unknown): SqlFailure {
    const code = sqlState(error instanceof NotConnected ? error.cause : error);
    if (code !== undefined) return FAILURES[code] ?? 'unknown';
    // No connection (refused, reset, timed out before one was made): nothing was sent, and it may pass.
    // A server that refused us for a reason (a wrong password is 28P01) has a code and is not retried.
    if (error instanceof NotConnected) return 'busy';
    const found = error as { code?: unknown; message?: unknown } | null | undefined;
    return BROKEN_CONNECTION.test(`${String(found?.code ?? '')} ${String(found?.message ?? '')}`) ? 'connection-lost' : 'unknown';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async withClient<T>(use: (client: pg.PoolClient) => Promise<T>, options: SqlCallOptions = {}): Promise<T> {
    const { signal } = options;
    signal?.throwIfAborted();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new NotConnected(`cannot connect to Postgres: ${(error as Error).message}`, { cause: error });
    }
    if (signal?.aborted) {
      client.release();
      throw signal.reason as Error;
    }
    let broken: Error | undefined;
    // A connection that dies under a statement also emits 'error' on its client, which the pool
    // only listens for while the client is idle: unheard, it would end the process. The statement's
    // own promise rejects with the same failure, which is what we act on.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    // Cancelled: the caller gets the reason at once; the connection is dropped, not pooled, and the
    // server is asked to cancel the statement (one it already ran, a commit, may have applied).
    let cancel: (() => void) | undefined;
    const cancelled =
      signal === undefined
        ? undefined
        : new Promise<never>((_resolve, reject) => {
            cancel = () => {
              broken = signal.reason as Error;
              reject(signal.reason as Error);
              void cancelBackendOn(this.connectionString, (client as pg.PoolClient & { processID?: number }).processID).finally(() =>
                client.end().catch(() => undefined),
              );
            };
            signal.addEventListener('abort', cancel, { once: true });
          });
    try {
      return await (cancelled === undefined ? use(client) : Promise.race([use(client), cancelled]));
    } catch (error) {
      // A connection-level failure (not a statement's SQL error) must not go back to the pool.
      if (sqlState(error) === undefined || this.classify(error) === 'connection-lost') broken ??= error as Error;
      throw error;
    } finally {
      if (cancel !== undefined) signal?.removeEventListener('abort', cancel);
      client.removeListener('error', ignore);
      client.release(broken);
    }
  }
}

/** pg_cancel_backend on a connection of its own, bounded; a server that cannot be reached is left to notice the dropped connection. */
async function cancelBackendOn(connectionString: string, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const canceller = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, query_timeout: 5_000, application_name: 'floe' });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // Best effort: the dropped connection ends the statement when the server next writes to it.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

/** The five-character SQLSTATE of a server's error; undefined for a network or client-side one. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * The catalog's portable `?` placeholders as Postgres' `$1, $2, …`. A `?` inside a quoted literal
 * or identifier stays as it is.
 */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let index = 0;
  let quote: string | undefined;
  for (const char of sql) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      out += `$${++index}`;
    } else {
      out += char;
    }
  }
  return out;
}

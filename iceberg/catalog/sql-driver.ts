/**
 * The seam between the SQL catalog and a database. Statements use `?` placeholders and only
 * portable SQL (the same text runs on SQLite and Postgres; a Postgres driver numbers the
 * placeholders `$1, $2, …`). Every method is async so a networked driver fits the same shape.
 */
export type SqlValue = string | number | null;
export type SqlRow = Readonly<Record<string, SqlValue>>;

export interface SqlStatement {
  readonly sql: string;
  readonly params?: readonly SqlValue[];
}

/**
 * A `signal` that aborts ends the call at once with the signal's reason: a networked driver drops
 * the connection and asks the server to cancel the statement, which it may have applied already
 * (a commit's outcome is then unknown); SQLite refuses a statement not yet started.
 */
export interface SqlCallOptions {
  readonly signal?: AbortSignal;
}

export interface SqlDriver {
  query(sql: string, params?: readonly SqlValue[], options?: SqlCallOptions): Promise<SqlRow[]>;
  /** Runs one statement; resolves to the number of rows it changed. */
  execute(sql: string, params?: readonly SqlValue[], options?: SqlCallOptions): Promise<number>;
  /** Runs statements in one transaction, all or none; resolves to each one's changed-row count. */
  batch(statements: readonly SqlStatement[]): Promise<number[]>;
  /** What a failed statement means for the catalog (see SqlFailure). */
  classify(error: unknown): SqlFailure;
  close(): Promise<void>;
}

/**
 * - `unique-violation`: the row exists (a table or property already there).
 * - `busy`: the database refused the statement for contention; nothing happened.
 * - `missing-table` / `missing-column`: the catalog's tables are not (yet) there, or are an older schema.
 * - `connection-lost`: the connection broke under the statement (the server restarted, a reset): a
 *   read may be tried again; for a commit the outcome is unknown.
 * - `unknown`: anything else; for a commit that means its outcome is unknown.
 */
export type SqlFailure = 'unique-violation' | 'busy' | 'missing-table' | 'missing-column' | 'connection-lost' | 'unknown';

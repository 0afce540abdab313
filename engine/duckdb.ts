import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../core/errors.js';
import { scratchFolders } from '../iceberg/process-caches.js';
import { duckdbErrorReason, quoteIdentifier, quoteLiteral } from './sql.js';
import { corruptParquetError, ReadFileLog, rowsPastRecordCountError } from './read/corrupt-parquet.js';

export interface EngineOptions {
  /** DuckDB's `memory_limit`, e.g. `'4GB'`. Past it, joins and sorts spill to `tempDirectory`. */
  readonly memoryLimit?: string;
  /** Where big joins and sorts spill. Defaults to a folder for this process under the OS temp dir (scratchFolders'). */
  readonly tempDirectory?: string;
  /** Cap on spilled bytes, e.g. `'50GB'`. DuckDB's default is 90% of the free disk. */
  readonly maxTempDirectorySize?: string;
  readonly threads?: number;
  /**
   * The default for every connection. Off unless asked: every Floe query that needs an order
   * says so with ORDER BY (or a row ordinal), which lets DuckDB write and join in parallel.
   */
  readonly preserveInsertionOrder?: boolean;
  /** Runs once on a first connection: scalar functions registered there are visible to every connection. */
  readonly setup?: (connection: DuckDBConnection) => Promise<void> | void;
}

export interface ConnectionOptions {
  /**
   * Cancels the running query (DuckDB's interrupt) when aborted, e.g. a heartbeating activity's
   * cancellation signal. The call then rejects with the signal's reason, even when DuckDB reports
   * success: an interrupted streaming result ends early as if it were complete.
   */
  readonly signal?: AbortSignal;
  /** Overrides the engine's default for this connection only (the setting is per session). */
  readonly preserveInsertionOrder?: boolean;
}

/**
 * One DuckDB database per worker process, in memory. Work happens on short-lived connections:
 * temp views and settings made on one are that caller's alone, and each is closed in `finally`.
 *
 * Beware `connection.stream()`: this binding (node-api 1.5.6) ends a streaming result that fails
 * midway (out of memory, interrupt) exactly like a complete one, without an error. Results that
 * must be whole go to Parquet through COPY (errors surface) or are read with `runAndReadAll`.
 */
export class Engine {
  private closed = false;
  /**
   * The local copies of table files that SQL built for this engine's queries reads, recorded by its
   * builders (`readFiles.recording(localPath, table)`): how a corrupt file that DuckDB names by its
   * local copy, or not at all, is reported by its location and table.
   */
  readonly readFiles = new ReadFileLog();

  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(options: EngineOptions = {}): Promise<Engine> {
    const config: Record<string, string> = {
      // Every file DuckDB touches is local; no extension may be fetched at run time.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      preserve_insertion_order: String(options.preserveInsertionOrder ?? false),
      temp_directory: options.tempDirectory ?? scratchFolders().spillDirectory,
    };
    // What DuckDB's allocator keeps after a free is outside memory_limit's count: a 10M-row windowed
    // aggregation under a 4 GB limit peaked at 4.5–5.0 GB RSS with DuckDB's defaults (background
    // purging off, flushes past 128 MB and 512 MB), 4.2 GB with these, in the same time. floe serve's
    // many small reads are faster with them too (FEATURE_SERVER_ENGINE).
    config.allocator_background_threads = 'true';
    config.allocator_flush_threshold = '16MB';
    config.allocator_bulk_deallocation_flush_threshold = '64MB';
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    if (options.maxTempDirectorySize !== undefined) config.max_temp_directory_size = options.maxTempDirectorySize;
    if (options.threads !== undefined) {
      if (!Number.isInteger(options.threads) || options.threads < 1) {
        throw new FloeError('invalid-input', `DuckDB threads must be a positive integer, got ${options.threads}`);
      }
      config.threads = String(options.threads);
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (error) {
      throw await refusedConfiguration(options, error);
    }
    const engine = new Engine(instance);
    try {
      await engine.withConnection(async (connection) => {
        // Timestamps print and convert in UTC whatever the host's zone (an ICU setting, so not
        // settable when the database opens).
        await connection.run(`SET GLOBAL TimeZone = 'UTC'`);
        // Data files are immutable under their names, so a footer parsed once serves every later
        // read of the file (DuckDB still checks that the file is unchanged, and evicts the cache
        // under memory pressure). A parquet extension setting, so not settable at open either.
        await connection.run('SET GLOBAL parquet_metadata_cache = true');
        await options.setup?.(connection);
      });
    } catch (error) {
      engine.close();
      throw error;
    }
    return engine;
  }

  /** Runs `fn` on a fresh connection and closes it afterwards, whatever happens. */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>, options: ConnectionOptions = {}): Promise<T> {
    if (this.closed) throw new FloeError('internal', 'The DuckDB engine is closed');
    const { signal } = options;
    signal?.throwIfAborted();
    const connection = await this.instance.connect();
    const interrupt = (): void => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      if (options.preserveInsertionOrder !== undefined) {
        await connection.run(`SET SESSION preserve_insertion_order = ${options.preserveInsertionOrder ? 'true' : 'false'}`);
      }
      let result: T;
      try {
        result = await fn(connection);
      } catch (error) {
        signal?.throwIfAborted();
        throw (
          rowsPastRecordCountError(error, this.readFiles) ??
          (await corruptParquetError(error, this.readFiles, (path) => readsCleanly(connection, path))) ??
          error
        );
      }
      signal?.throwIfAborted();
      return result;
    } finally {
      signal?.removeEventListener('abort', interrupt);
      connection.closeSync();
    }
  }

  /** The current value of a DuckDB setting, as DuckDB prints it. */
  async setting(name: string): Promise<string> {
    return this.withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(`SELECT current_setting(${quoteLiteral(name)})::VARCHAR`);
      return String(reader.getRows()[0]?.[0] ?? '');
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.instance.closeSync();
  }
}

/** The DuckDB setting behind each caller's option whose value DuckDB may refuse. */
const DUCKDB_SETTING = {
  memoryLimit: 'memory_limit',
  maxTempDirectorySize: 'max_temp_directory_size',
  tempDirectory: 'temp_directory',
} as const satisfies Partial<Record<keyof EngineOptions, string>>;

/**
 * Opening a database with a setting it refuses says only "Failed to set config": setting each of
 * the caller's options on a bare database finds the one refused and DuckDB's reason. The error
 * names the option (context `setting`), so a caller can point at where its value came from.
 */
async function refusedConfiguration(options: EngineOptions, error: unknown): Promise<FloeError> {
  let probe: DuckDBInstance | undefined;
  try {
    probe = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const connection = await probe.connect();
    try {
      for (const [option, setting] of Object.entries(DUCKDB_SETTING) as [keyof typeof DUCKDB_SETTING, string][]) {
        const value = options[option];
        if (value === undefined) continue;
        try {
          await connection.run(`SET GLOBAL ${quoteIdentifier(setting)} = ${quoteLiteral(value)}`);
        } catch (refusal) {
          return new FloeError(
            'invalid-input',
            `DuckDB refused ${option} ${JSON.stringify(value)}: ${duckdbErrorReason(refusal).replace(/^[A-Za-z ]+ Error: /, '')}`,
            { context: { setting: option }, cause: error },
          );
        }
      }
    } finally {
      connection.closeSync();
    }
  } catch {
    // The probe itself failed: fall through to DuckDB's own words.
  } finally {
    probe?.closeSync();
  }
  return new FloeError('invalid-input', `DuckDB refused its configuration: ${duckdbErrorReason(error)}`, { cause: error });
}

/** Reads every column of every row of a Parquet file; false when DuckDB cannot. */
async function readsCleanly(connection: DuckDBConnection, localPath: string): Promise<boolean> {
  try {
    await connection.run(`SELECT bit_xor(hash(COLUMNS(*))) FROM read_parquet(${quoteLiteral(localPath)})`);
    return true;
  } catch {
    return false;
  }
}

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { StoredCodec, StoredRow } from './row-store-encoding.js';

/**
 * Receives a file's values (a key's latest row, or all its tile rows) a page at a time while the
 * file is being stored, and resolves when it is ready for the next page. A page may be a lazy
 * iterable: its values are then made as they are stored, and that work is paced with the store's
 * own. Throws RepeatedLookupError when handed a lookup it holds already.
 */
export type RowSink<T = StoredRow> = (rows: Iterable<readonly [lookup: string, value: T]>) => Promise<void>;

/**
 * A sink was handed a second value of one lookup. It has forgotten every value it was handed: the
 * writer may hand the file's values again, one per lookup (the latest row, or all of its tiles).
 */
export class RepeatedLookupError extends Error {
  constructor(readonly lookup: string) {
    super(`A second row of lookup ${JSON.stringify(lookup)} was handed to the row store`);
  }
}

export interface FileRowStoreCounters {
  /** Files stored since the process started. */
  built: number;
  /** Stores that failed (the file's reads go on from Parquet). */
  buildFailures: number;
  /** Keys answered from the store. */
  keysRead: number;
}

/**
 * Bump when a stored value's encoding (row-store-encoding.ts) changes: older store files are then never opened, and are removed.
 * (The tiles' encoding has its own format too, STORED_TILES_FORMAT, so that a change there leaves plain views' store files alone.)
 */
const FORMAT = 2;
const SUFFIX = `.v${FORMAT}.sqlite`;
const MAX_OPEN_FILES = 256;
const ABANDONED_PARTIAL_MS = 3_600_000;
const READ_CACHE_KIB = 8_192;
/**
 * Storing a file runs on the thread that answers reads: it works in slices of about this long, so
 * a read waits at most a slice. While reads come, each slice is followed by a rest REST_PER_SLICE
 * times as long, so the store takes at most a third of the thread (and of the CPU its DuckDB
 * decoding needs, which is fetched as the store takes rows); a store nobody reads from lets the
 * event loop turn between slices and goes on at full speed.
 */
const SLICE_MS = 2;
const REST_PER_SLICE = 2;
/** Reads this recent mean the thread is serving. */
const READS_RECENT_MS = 1_000;
/** Rows stored between looks at the clock. */
const ROWS_PER_CLOCK_CHECK = 32;

interface OpenFile {
  readonly database: SqliteDatabase;
  readonly select: Statement<[string], Buffer>;
}

/**
 * What a read needs of each key of large online data files, on the server's disk: a plain view's
 * latest row per key, an aggregated view's tile rows per key (row-store-encoding.ts). A point read
 * of a table far larger than memory is then a B-tree lookup instead of a Parquet row group decoded
 * per read.
 * One SQLite file per data file (with the deletes applied to it), written whole under a temporary
 * name and renamed into place: a store file is complete or absent, and a restarted server finds it.
 * Data files never change under their names, so a store file is never updated, only removed once
 * its data file has left the table. Iceberg stays the source of truth; this only caches it.
 *
 * Files are stored one at a time in the background, in the order asked, paced below the reads
 * (SLICE_MS); reads of a file not stored yet are answered from Parquet (or an older snapshot's
 * stored files) meanwhile.
 */
export class FileRowStore {
  readonly counters: FileRowStoreCounters = { built: 0, buildFailures: 0, keysRead: 0 };
  private readonly open = new LRUCache<string, OpenFile>({ max: MAX_OPEN_FILES, dispose: (file) => file.database.close() });
  /** Store files known not to exist (yet): a read of such a file does not touch the disk. */
  private readonly absent = new Set<string>();
  private readonly queued = new Map<string, { readonly table: string; readonly write: (sink: RowSink<Buffer>) => Promise<void> }>();
  private readonly failed = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly locations = new LRUCache<string, string>({ max: 100_000 });
  private lastReadAt = Number.NEGATIVE_INFINITY;

  constructor(readonly directory: string) {}

  /** Files waiting to be stored, or being stored. */
  get pending(): number {
    return this.queued.size;
  }

  /** The stored values of `lookups` in file `fileKey` of `table`, stored with `codec`; undefined when the file is not stored. */
  read<T>(table: string, fileKey: string, codec: StoredCodec<never, T>, lookups: readonly string[]): Map<string, T> | undefined {
    this.lastReadAt = performance.now();
    const file = this.openFile(table, fileKey);
    if (file === undefined) return undefined;
    const rows = new Map<string, T>();
    for (const lookup of lookups) {
      const encoded = file.select.get(lookup);
      if (encoded !== undefined) rows.set(lookup, codec.decode(encoded));
    }
    this.counters.keysRead += lookups.length;
    return rows;
  }

  /** Whether the file is stored; false while it waits or is being written. */
  has(table: string, fileKey: string): boolean {
    return this.openFile(table, fileKey) !== undefined;
  }

  /** Whether the file is queued to be stored or being stored. */
  isWaiting(table: string, fileKey: string): boolean {
    return this.queued.has(this.location(table, fileKey));
  }

  /**
   * Queues the file to be stored: `write` hands every value of the file (one per key) to the sink,
   * which keeps it as `codec` encodes it. Nothing happens when it is stored, queued, or failed
   * before in this process. A file key is stored with one codec only: reads must name the same.
   */
  store<T>(table: string, fileKey: string, codec: StoredCodec<T, unknown>, write: (sink: RowSink<T>) => Promise<void>): void {
    const location = this.location(table, fileKey);
    if (this.queued.has(location) || this.failed.has(location) || this.has(table, fileKey)) return;
    const encoded = (sink: RowSink<Buffer>) => write((rows) => sink(encodedRows(rows, codec)));
    this.queued.set(location, { table, write: encoded });
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves once every queued file is stored (or has failed). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /** Removes `table`'s store files other than those of `fileKeys` (its current snapshot's files). */
  retain(table: string, fileKeys: Iterable<string>): void {
    const folder = this.tableFolder(table);
    const keep = new Set([...fileKeys].map((fileKey) => path.basename(this.location(table, fileKey))));
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return;
    }
    for (const name of names) {
      if (keep.has(name)) continue;
      const location = path.join(folder, name);
      // A partial file is another store's work in progress, unless it is old enough to be a crashed one's.
      if (name.includes('.partial-') && Date.now() - (statSync(location, { throwIfNoEntry: false })?.mtimeMs ?? 0) < ABANDONED_PARTIAL_MS)
        continue;
      if (this.queued.has(location)) continue;
      this.open.delete(location);
      rmSync(location, { force: true });
    }
  }

  close(): void {
    this.open.clear();
  }

  private async drain(): Promise<void> {
    for (const [location, { write }] of this.queued) {
      try {
        // Another server sharing the folder may have stored it meanwhile.
        if (!existsSync(location)) await this.write(location, write);
        this.absent.delete(location);
        this.counters.built++;
      } catch {
        this.failed.add(location);
        this.counters.buildFailures++;
      } finally {
        this.queued.delete(location);
      }
    }
  }

  private async write(location: string, write: (sink: RowSink<Buffer>) => Promise<void>): Promise<void> {
    mkdirSync(path.dirname(location), { recursive: true });
    let file = createPartial(location);
    const pace = new Pace(() => performance.now() - this.lastReadAt < READS_RECENT_MS);
    const sink: RowSink<Buffer> = async (rows) => {
      pace.resume();
      let count = 0;
      for (const [lookup, encoded] of rows) {
        try {
          file.insert.run(lookup, encoded);
        } catch (error) {
          if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw error;
          // The writer hands the rows again, ranked: into a file of its own, as if none had come before.
          discard(file);
          file = createPartial(location);
          throw new RepeatedLookupError(lookup);
        }
        if (++count % ROWS_PER_CLOCK_CHECK === 0) await pace.breathe();
      }
      pace.pause();
    };
    try {
      await write(sink);
      file.database.exec('COMMIT');
      file.database.close();
      // Off the thread that answers reads: flushing a file of millions of rows takes a while.
      const handle = await open(file.path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      renameSync(file.path, location);
    } catch (error) {
      discard(file);
      throw error;
    }
  }

  private openFile(table: string, fileKey: string): OpenFile | undefined {
    const location = this.location(table, fileKey);
    const held = this.open.get(location);
    if (held !== undefined) return held;
    if (this.absent.has(location) || this.queued.has(location)) return undefined;
    let database: SqliteDatabase;
    try {
      database = new Database(location, { readonly: true, fileMustExist: true });
    } catch {
      this.absent.add(location);
      return undefined;
    }
    // The file never changes: the read lock is taken once and kept, and pages cached stay valid.
    database.pragma('locking_mode = EXCLUSIVE');
    // Room for every interior page of a file of millions of keys, so a lookup reads one leaf.
    database.pragma(`cache_size = -${READ_CACHE_KIB}`);
    const file = { database, select: database.prepare<[string], Buffer>('SELECT row FROM rows WHERE lookup = ?').pluck() };
    this.open.set(location, file);
    return file;
  }

  private location(table: string, fileKey: string): string {
    const key = `${table}\n${fileKey}`;
    let location = this.locations.get(key);
    if (location === undefined) {
      location = path.join(this.tableFolder(table), `${digest(fileKey)}${SUFFIX}`);
      this.locations.set(key, location);
    }
    return location;
  }

  private tableFolder(table: string): string {
    return path.join(this.directory, `${table.replace(/[^A-Za-z0-9_.-]/g, '_')}-${digest(table).slice(0, 8)}`);
  }
}

interface PartialFile {
  readonly path: string;
  readonly database: SqliteDatabase;
  readonly insert: Statement<[string, Buffer]>;
}

/** A new, empty store file under a temporary name, in a transaction that lasts until it is whole. */
function createPartial(location: string): PartialFile {
  const partial = `${location}.partial-${process.pid}-${Date.now()}-${++partials}`;
  const database = new Database(partial);
  try {
    // A store file is written once, by one process, and renamed only once it is whole: it needs no journal.
    database.pragma('journal_mode = OFF');
    database.pragma('synchronous = OFF');
    database.exec('CREATE TABLE rows (lookup TEXT PRIMARY KEY, row BLOB NOT NULL) WITHOUT ROWID');
    database.exec('BEGIN');
    return { path: partial, database, insert: database.prepare<[string, Buffer]>('INSERT INTO rows (lookup, row) VALUES (?, ?)') };
  } catch (error) {
    database.close();
    rmSync(partial, { force: true });
    throw error;
  }
}

let partials = 0;

function discard(file: PartialFile): void {
  if (file.database.open) file.database.close();
  rmSync(file.path, { force: true });
}

/** The store's share of the thread: slices of SLICE_MS of work, each followed by a rest while `serving`. */
class Pace {
  private worked = 0;
  private since = performance.now();

  constructor(private readonly serving: () => boolean) {}

  /** The store works again (its sink was handed a page). */
  resume(): void {
    this.since = performance.now();
  }

  /** The store waits for the writer's next page (time the thread is free: not counted). */
  pause(): void {
    this.worked += performance.now() - this.since;
  }

  /** Once a slice is used up: rests while reads come, else lets the event loop turn once. */
  async breathe(): Promise<void> {
    const worked = this.worked + performance.now() - this.since;
    if (worked < SLICE_MS) return;
    await new Promise((resolve) => (this.serving() ? setTimeout(resolve, worked * REST_PER_SLICE) : setImmediate(resolve)));
    this.worked = 0;
    this.since = performance.now();
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

/** A page's values encoded as the store takes them (lazily: the encoding is paced with the store's work). */
function* encodedRows<T>(rows: Iterable<readonly [string, T]>, codec: StoredCodec<T, unknown>): Generator<[string, Buffer]> {
  for (const [lookup, value] of rows) yield [lookup, codec.encode(value)];
}

import type { LRUCache } from 'lru-cache';
import type { Engine } from '../../engine/duckdb.js';
import type { Catalog, LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import type { FileIO } from '../../iceberg/io/file-io.js';
import { countingReads } from '../../iceberg/io/counting-file-io.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import { typeText } from '../../iceberg/spec/types.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { KeyColumn } from './entity-keys.js';
import { isLater, onlineColumnNames, onlineReadSchema } from './file-rows.js';
import { onlyRewritesSince } from './rewrite-handover.js';
import type { OnlineColumns, OnlineRow } from './file-rows.js';
import { FileIndex } from './file-index.js';
import type { RowCache } from './row-cache.js';
import { fileRowWeight } from './row-cache.js';
import type { FileRowStore } from './file-row-store.js';
import { FileTiles } from './file-tiles.js';
import type { TileGroup } from './file-tiles.js';
import { FileReads } from './file-reads.js';
import type { SnapshotRead } from './file-reads.js';
import { STORED_TILES_FORMAT, storedRows, storedTiles } from './row-store-encoding.js';

/** One snapshot of an online table, ready to answer key lookups. */
export interface TableState {
  /** Null while the table does not exist: every key is then not found. */
  readonly table: LoadedTable | null;
  readonly snapshotId: bigint | null;
  readonly index: FileIndex | null;
  /** The current schema, projected to the read's columns; part of the row cache's key. */
  readonly schema: Schema | null;
  readonly schemaKey: string;
  /** When the catalog was last asked about the table (ms since the epoch). */
  readonly checkedAt: number;
}

export interface ReaderCounters {
  catalogChecks: number;
  /** Snapshots indexed: each reads the snapshot's manifest list and the manifests not read before. */
  snapshotLoads: number;
  manifestReads: number;
}

export interface LookupResult {
  readonly state: TableState;
  readonly rows: ReadonlyMap<string, OnlineRow>;
  readonly filesRead: readonly string[];
}

export interface TileLookupResult {
  readonly state: TableState;
  /** Per key found, where its rows are: one group per file holding some, in selection order. */
  readonly rows: ReadonlyMap<string, readonly TileGroup[]>;
  readonly filesRead: readonly string[];
}

export interface ReaderContext {
  readonly catalog: Catalog;
  readonly engine: Engine;
  readonly rowCache: RowCache;
  /** Where files too large for the row cache keep their rows on disk; without it they are read from Parquet for each read. */
  readonly rowStore?: FileRowStore;
  /** An aggregated view's table: read by lookupTiles only, and its large files are stored as tiles. */
  readonly readsTiles?: boolean;
  /** 0: ask the catalog before every read; otherwise at most this often, in the background. */
  readonly refreshIntervalMs: number;
  readonly clock: () => number;
  /** readsByName's answers by reader, schema and file, shared by a store's readers (lru-cache allocates its capacity up front). */
  readonly byNameAnswers: LRUCache<string, Promise<boolean>>;
}

/**
 * Reads keys from one online table. It keeps the table's current snapshot indexed (data files by
 * bucket) and asks the catalog whether the table moved at most every `refreshIntervalMs`; reads
 * meanwhile use the snapshot they have. Indexing a new snapshot reads its manifest list and only
 * the manifests planScan has not decoded before (they are immutable).
 */
export class OnlineTableReader {
  readonly name: string;
  readonly counters: ReaderCounters = { catalogChecks: 0, snapshotLoads: 0, manifestReads: 0 };
  private current: TableState | undefined;
  /** A compaction's snapshot, indexed, whose files the row store is storing while reads go on from `current`. */
  private successor: TableState | undefined;
  private checking: Promise<TableState> | undefined;
  private counting: { readonly io: FileIO; readonly counted: FileIO } | undefined;
  private readonly cacheKeys = new WeakMap<ScanTask, FileKeys>();
  private readonly files: FileReads;

  /** The snapshot read now; null before the first read or while the table is missing or empty. */
  get snapshotId(): bigint | null {
    return this.current?.snapshotId ?? null;
  }

  constructor(
    readonly identifier: TableIdentifier,
    readonly keys: readonly KeyColumn[],
    readonly columns: OnlineColumns,
    private readonly context: ReaderContext,
  ) {
    this.name = formatTableIdentifier(identifier);
    this.files = new FileReads(this.name, columns, context.engine, context.byNameAnswers);
  }

  /** The snapshot to read now: the one held, unless it is due for a check (then a check runs, awaited only when nothing is held or the interval is 0). */
  async state(): Promise<TableState> {
    const held = this.current;
    if (held === undefined || this.context.refreshIntervalMs <= 0) return this.refresh();
    if (this.context.clock() - held.checkedAt >= this.context.refreshIntervalMs) {
      // Serve what is held; a failed background check is retried at the next read.
      this.refresh().catch(() => undefined);
    }
    return held;
  }

  /**
   * The table's metadata as of at most `refreshIntervalMs` ago: the held snapshot's, else one read
   * of the catalog's pointer and metadata file (nothing indexed). Null while the table does not exist.
   */
  async metadata(): Promise<TableMetadata | null> {
    const held = this.current;
    if (held !== undefined && this.context.clock() - held.checkedAt < this.context.refreshIntervalMs) return held.table?.metadata ?? null;
    try {
      return (await this.context.catalog.loadTable(this.identifier)).metadata;
    } catch (error) {
      if (FloeError.is(error, 'not-found')) return null;
      throw error;
    }
  }

  /** Asks the catalog now and indexes a new snapshot if there is one. Concurrent calls share one check. */
  refresh(): Promise<TableState> {
    this.checking ??= this.check().finally(() => (this.checking = undefined));
    return this.checking;
  }

  async lookup(keys: ReadonlyMap<string, readonly PrimitiveValue[]>): Promise<LookupResult> {
    const state = await this.state();
    try {
      return await this.lookupIn(state, keys);
    } catch (error) {
      // The snapshot held may be gone (a compaction, then snapshot expiry removed its files):
      // read again from the current one, once.
      const current = this.successor === undefined ? await this.refresh() : this.adopt(this.successor);
      if (current.snapshotId === state.snapshotId && current.schemaKey === state.schemaKey) throw error;
      return this.lookupIn(current, keys);
    }
  }

  /** Every partial row of each key (an aggregated view's table), from the files that may hold it. */
  async lookupTiles(keys: ReadonlyMap<string, readonly PrimitiveValue[]>): Promise<TileLookupResult> {
    const state = await this.state();
    try {
      return await this.lookupTilesIn(state, keys);
    } catch (error) {
      const current = this.successor === undefined ? await this.refresh() : this.adopt(this.successor);
      if (current.snapshotId === state.snapshotId && current.schemaKey === state.schemaKey) throw error;
      return this.lookupTilesIn(current, keys);
    }
  }

  private async lookupTilesIn(state: TableState, keys: ReadonlyMap<string, readonly PrimitiveValue[]>): Promise<TileLookupResult> {
    if (!state.index || !state.table || !state.schema) return { state, rows: new Map(), filesRead: [] };
    const selection = state.index.select(keys);
    const snapshot: SnapshotRead = { table: state.table, schema: state.schema, schemaKey: state.schemaKey };
    const fileGroups = await Promise.all(
      selection.map(async ({ task, lookups }): Promise<ReadonlyMap<string, TileGroup> | FileTiles> =>
        this.isLarge(task)
          ? (this.storedTiles(state, task, lookups) ??
            this.files.tiles(snapshot, task, this.files.keysFilter(snapshot.schema, keys, lookups)))
          : this.context.rowCache.get(this.cacheKey(state, task).tiles, () => this.files.tiles(snapshot, task)),
      ),
    );
    const rows = new Map<string, TileGroup[]>();
    selection.forEach(({ lookups }, index) => {
      const groups = fileGroups[index]!;
      for (const lookup of lookups) {
        const found = groups instanceof FileTiles ? groupIn(groups, lookup) : groups.get(lookup);
        if (found === undefined) continue;
        const held = rows.get(lookup);
        if (held === undefined) rows.set(lookup, [found]);
        else held.push(found);
      }
    });
    return { state, rows, filesRead: selection.map(({ task }) => task.dataFile.filePath) };
  }

  private async lookupIn(state: TableState, keys: ReadonlyMap<string, readonly PrimitiveValue[]>): Promise<LookupResult> {
    if (!state.index || !state.table || !state.schema) return { state, rows: new Map(), filesRead: [] };
    const selection = state.index.select(keys);
    const snapshot: SnapshotRead = { table: state.table, schema: state.schema, schemaKey: state.schemaKey };
    const fileRows = await Promise.all(
      selection.map(({ task, lookups }) =>
        this.isLarge(task)
          ? (this.storedRows(state, task, lookups) ??
            this.files.rows(snapshot, task, this.files.keysFilter(snapshot.schema, keys, lookups)))
          : this.context.rowCache.get(this.cacheKey(state, task).rows, () => this.files.rows(snapshot, task), fileRowWeight(task.dataFile)),
      ),
    );
    const best = new Map<string, OnlineRow>();
    selection.forEach(({ lookups }, index) => {
      const rows = fileRows[index]!;
      for (const lookup of lookups) {
        const row = rows.get(lookup);
        if (row === undefined) continue;
        const held = best.get(lookup);
        if (held === undefined || isLater(row, held)) best.set(lookup, row);
      }
    });
    return { state, rows: best, filesRead: selection.map(({ task }) => task.dataFile.filePath) };
  }

  private async check(): Promise<TableState> {
    this.counters.catalogChecks++;
    const checkedAt = this.context.clock();
    let table: LoadedTable;
    try {
      table = await this.context.catalog.loadTable(this.identifier);
    } catch (error) {
      if (!FloeError.is(error, 'not-found')) throw error;
      this.current = { table: null, snapshotId: null, index: null, schema: null, schemaKey: '', checkedAt };
      return this.current;
    }
    const held = this.current;
    if (held?.table && held.table.metadataLocation === table.metadataLocation) {
      this.current = { ...held, checkedAt };
      return this.current;
    }
    const schema = onlineReadSchema(table.metadata, this.columns, this.name);
    const schemaKey = schema.fields.map((field) => `${field.id}:${typeText(field.type)}`).join(',');
    if (held?.table && held.snapshotId === (table.metadata.currentSnapshotId ?? null) && held.schemaKey === schemaKey) {
      // New metadata (properties, say) but the same snapshot and columns: the index still holds.
      this.current = { ...held, table, checkedAt };
      return this.current;
    }
    const next =
      this.successor?.table?.metadataLocation === table.metadataLocation
        ? { ...this.successor, checkedAt }
        : await this.index(table, schema, schemaKey, checkedAt);
    const waiting = this.storeLargeFiles(next);
    // After a compaction, reads stay on the stored files until the rewritten ones are stored too,
    // rather than decoding their Parquet for every read while the store rebuilds.
    if (held?.index && held.schemaKey === schemaKey && waiting > 0 && onlyRewritesSince(table.metadata, held.snapshotId)) {
      this.successor = next;
      this.current = { ...held, checkedAt };
      return this.current;
    }
    return this.adopt(next);
  }

  private async index(table: LoadedTable, schema: Schema, schemaKey: string, checkedAt: number): Promise<TableState> {
    const plan = await this.plan(table);
    this.counters.snapshotLoads++;
    const index = new FileIndex(plan, currentSchema(table.metadata), table.metadata.partitionSpecs, this.keys);
    return { table, snapshotId: plan.snapshotId, index, schema, schemaKey, checkedAt };
  }

  /** Reads from `state` on (its large files queued already); the store keeps only its files. */
  private adopt(state: TableState): TableState {
    this.successor = undefined;
    this.current = state;
    this.context.rowStore?.retain(
      this.name,
      this.largeFiles(state).map((task) => this.storeKey(state, task)),
    );
    return state;
  }

  /** Queues the snapshot's large files to be stored on disk (a file stored already is not written again); how many still wait. */
  private storeLargeFiles(state: TableState): number {
    const store = this.context.rowStore;
    if (store === undefined || !state.table || !state.schema) return 0;
    const snapshot: SnapshotRead = { table: state.table, schema: state.schema, schemaKey: state.schemaKey };
    let waiting = 0;
    for (const task of this.largeFiles(state)) {
      const key = this.storeKey(state, task);
      if (this.context.readsTiles) store.store(this.name, key, storedTiles, (sink) => this.files.writeTiles(snapshot, task, sink));
      else store.store(this.name, key, storedRows, (sink) => this.files.writeRows(snapshot, task, sink));
      if (store.isWaiting(this.name, key)) waiting++;
    }
    return waiting;
  }

  /** Whether a file is too large for the row cache: reads then take only their keys, from the row store or Parquet. */
  private isLarge(task: ScanTask): boolean {
    // An aggregated view's file weighs its tile rows, which are narrow.
    const weight = this.context.readsTiles ? 1 : fileRowWeight(task.dataFile);
    return !this.context.rowCache.holdsFilesOf(task.dataFile.recordCount, weight);
  }

  /** The snapshot's files too large for the row cache. */
  private largeFiles(state: TableState): ScanTask[] {
    return (state.index?.plan.tasks ?? []).filter((task) => this.isLarge(task));
  }

  /** A file's key in the row store: the row cache's key of what the reader reads of it (rows, or tiles in their stored format). */
  private storeKey(state: TableState, task: ScanTask): string {
    const keys = this.cacheKey(state, task);
    return this.context.readsTiles ? keys.storedTiles : keys.rows;
  }

  /** The rows of `lookups` in a file stored on disk; undefined when it is not stored (yet). */
  private storedRows(state: TableState, task: ScanTask, lookups: readonly string[]): Map<string, OnlineRow> | undefined {
    const stored = this.context.rowStore?.read(this.name, this.storeKey(state, task), storedRows, lookups);
    if (stored === undefined) return undefined;
    const rows = new Map<string, OnlineRow>();
    for (const [lookup, row] of stored) rows.set(lookup, { ...row, sequence: task.dataSequenceNumber, file: task.dataFile.filePath });
    return rows;
  }

  /**
   * Where the rows of `lookups` are in a file stored on disk (each key's rows as one group of its
   * own, read as they were stored: no row made per tile); undefined when it is not stored (yet).
   */
  private storedTiles(state: TableState, task: ScanTask, lookups: readonly string[]): Map<string, TileGroup> | undefined {
    const stored = this.context.rowStore?.read(this.name, this.storeKey(state, task), storedTiles, lookups);
    if (stored === undefined) return undefined;
    const groups = new Map<string, TileGroup>();
    for (const [lookup, { columns, pushed }] of stored) groups.set(lookup, { file: FileTiles.ofKey(lookup, columns, pushed), group: 0 });
    return groups;
  }

  /**
   * Plans the whole current snapshot. planScan keeps decoded manifests per FileIO, so planning
   * through one counting FileIO per table FileIO reads only the manifest list and new manifests.
   */
  private async plan(table: LoadedTable): Promise<ScanPlan> {
    return planScan({ ...table, io: this.countingIo(table.io) }, { columns: onlineColumnNames(this.columns) });
  }

  /** `io`, counting its reads in `counters.manifestReads`; the same object while the table's FileIO is. */
  private countingIo(io: FileIO): FileIO {
    if (this.counting?.io !== io) this.counting = { io, counted: countingReads(io, () => this.counters.manifestReads++) };
    return this.counting.counted;
  }

  /** A file's keys in the row cache and the row store, worked out once per task (a snapshot's tasks share its schema). */
  private cacheKey(state: TableState, task: ScanTask): FileKeys {
    let keys = this.cacheKeys.get(task);
    if (keys === undefined) {
      const deletes = [...task.positionDeletes, ...task.equalityDeletes].map((ref) => ref.file.filePath).sort();
      const rows = `${this.name}|${state.schemaKey}|${task.dataFile.filePath}${deletes.length === 0 ? '' : `|${deletes.join('|')}`}`;
      keys = { rows, tiles: `tiles|${rows}`, storedTiles: `${STORED_TILES_FORMAT}|tiles|${rows}` };
      this.cacheKeys.set(task, keys);
    }
    return keys;
  }
}

/** A file's keys in the row cache (its rows, its tiles) and of its tiles in the row store, whose key names their stored format. */
interface FileKeys {
  readonly rows: string;
  readonly tiles: string;
  readonly storedTiles: string;
}

function groupIn(file: FileTiles, lookup: string): TileGroup | undefined {
  const group = file.groupOf(lookup);
  return group === undefined ? undefined : { file, group };
}

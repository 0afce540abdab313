import type { DuckDBConnection } from '@duckdb/node-api';
import type { LRUCache } from 'lru-cache';
import type { Engine } from '../../engine/duckdb.js';
import { readsByName } from '../../engine/read/parquet-schema-map.js';
import { localizePlan } from '../../engine/read/table-reader.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { BoundExpression } from '../../iceberg/expressions/index.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import { TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from '../online-table/aggregation-tiles.js';
import { keysFilter, onlineColumnNames, pageFileRows, readFileRows, singleFilePlan } from './file-rows.js';
import type { OnlineColumns, OnlineRow } from './file-rows.js';
import type { RowSink } from './file-row-store.js';
import { FileTiles } from './file-tiles.js';
import type { StoredTiles } from './row-store-encoding.js';
import { pageTileRows, readTileRows, tileColumnNames } from './tile-rows.js';
import type { TileColumnsRead } from './tile-rows.js';

/** The snapshot a file is read in: its table, and its schema projected to the read's columns. */
export interface SnapshotRead {
  readonly table: LoadedTable;
  readonly schema: Schema;
  readonly schemaKey: string;
}

const TILE_COLUMNS = new Set([TILE_START, TILE_KIND, TILE_COVERS_SEQUENCE]);

/**
 * Reads one data file of an online table from Parquet (with the delete files that apply to it):
 * a plain view's latest rows per key, or an aggregated view's tiles, for a read (all of its keys,
 * or those a filter matches) or a page at a time for the row store.
 */
export class FileReads {
  /** An aggregated view's columns: its keys and partial columns. */
  readonly tileColumns: TileColumnsRead;

  constructor(
    private readonly name: string,
    private readonly columns: OnlineColumns,
    private readonly engine: Engine,
    /** readsByName's answers by reader, schema and file (shared by a store's readers). */
    private readonly byNameAnswers: LRUCache<string, Promise<boolean>>,
  ) {
    this.tileColumns = { keys: columns.keys, partials: columns.features.filter((name) => !TILE_COLUMNS.has(name)) };
  }

  /** A file's latest row per key: all of its keys, or those `only` matches (the file is then not cached). */
  async rows(snapshot: SnapshotRead, task: ScanTask, only?: BoundExpression): Promise<Map<string, OnlineRow>> {
    return this.withFile(snapshot, task, onlineColumnNames(this.columns), (connection, localPath, byName) =>
      readFileRows(connection, task, snapshot.schema, this.columns, localPath, only, byName),
    );
  }

  /** Every latest row of a file, a page at a time, to the row store. */
  async writeRows(snapshot: SnapshotRead, task: ScanTask, sink: RowSink): Promise<void> {
    await this.withFile(snapshot, task, onlineColumnNames(this.columns), (connection, localPath, byName) =>
      pageFileRows(connection, task, snapshot.schema, this.columns, localPath, byName, sink),
    );
  }

  /** A file's tiles: of all of its keys, or of those `only` matches. */
  async tiles(snapshot: SnapshotRead, task: ScanTask, only?: BoundExpression): Promise<FileTiles> {
    const byKey = await this.withFile(snapshot, task, tileColumnNames(this.tileColumns), (connection, localPath, byName) =>
      readTileRows(connection, task, snapshot.schema, this.tileColumns, localPath, only, byName),
    );
    return FileTiles.fromRows(byKey, this.tileColumns.partials.length);
  }

  /** Every tile row of a file, each key's rows as one value, a page at a time, to the row store. */
  async writeTiles(snapshot: SnapshotRead, task: ScanTask, sink: RowSink<StoredTiles>): Promise<void> {
    await this.withFile(snapshot, task, tileColumnNames(this.tileColumns), (connection, localPath, byName) =>
      pageTileRows(connection, task, snapshot.schema, this.tileColumns, localPath, byName, sink),
    );
  }

  /** The filter for the keys of `lookups`, for a file too large to cache. */
  keysFilter(schema: Schema, keys: ReadonlyMap<string, readonly PrimitiveValue[]>, lookups: readonly string[]): BoundExpression {
    return keysFilter(
      schema,
      this.columns.keys,
      lookups.map((lookup) => keys.get(lookup)!),
    );
  }

  /** Runs `read` on a connection, with the file made local and whether its `names` read by name. */
  private async withFile<T>(
    snapshot: SnapshotRead,
    task: ScanTask,
    names: readonly string[],
    read: (connection: DuckDBConnection, localPath: (location: string) => string, byName: boolean) => Promise<T>,
  ): Promise<T> {
    const localPath = this.engine.readFiles.recording(await localizePlan(snapshot.table, singleFilePlan(snapshot.schema, task)));
    return this.engine.withConnection(async (connection) =>
      read(connection, localPath, await this.readsByName(connection, snapshot, task, localPath, names)),
    );
  }

  /** Whether the file's `names` read by name: asked once per file (a reader reads either rows or tiles, so always the same names). */
  private readsByName(
    connection: DuckDBConnection,
    snapshot: SnapshotRead,
    task: ScanTask,
    localPath: (location: string) => string,
    names: readonly string[],
  ): Promise<boolean> {
    const location = task.dataFile.filePath;
    const key = `${this.name}|${snapshot.schemaKey}|${location}`;
    const answers = this.byNameAnswers;
    let answer = answers.get(key);
    if (answer === undefined) {
      const fields = names.map((name) => snapshot.schema.fields.find((field) => field.name === name)!);
      answer = readsByName(connection, localPath(location), fields);
      answers.set(key, answer);
      // A failed check (the file gone with an expired snapshot) is asked again next time.
      answer.catch(() => answers.delete(key));
    }
    return answer;
  }
}

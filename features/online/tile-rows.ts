import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { toPrimitiveValue } from '../../engine/values.js';
import type { BoundExpression } from '../../iceberg/expressions/index.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveType } from '../../iceberg/spec/types.js';
import type { TileKind, TileRow } from '../online-table/aggregation-tiles.js';
import { orderedTileRows, TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from '../online-table/aggregation-tiles.js';
import { keyLookup } from './entity-keys.js';
import { columnTypes, selectFromFileSql, streamRows } from './file-rows.js';
import { RepeatedLookupError } from './file-row-store.js';
import type { RowSink } from './file-row-store.js';
import type { StoredTiles } from './row-store-encoding.js';

/** The columns a read of tiles needs: the keys and the partial columns (tileColumnNames adds the tile columns). */
export interface TileColumnsRead {
  readonly keys: readonly string[];
  readonly partials: readonly string[];
}

/** Every column a read of tiles returns, in the order readTileRows reads them. */
export function tileColumnNames(columns: TileColumnsRead): string[] {
  return [...columns.keys, TILE_START, TILE_KIND, TILE_COVERS_SEQUENCE, ...columns.partials];
}

/**
 * Reads one data file of an aggregated view's online table (with the delete files that apply to
 * it): every partial row, by key (of the keys `only` matches, when given), each key's rows in the
 * file's order. A row's sequence is the one it covers, else its file's data sequence number.
 * Cached like `readFileRows`' result: files are immutable. `byName` as for readFileRows.
 */
export async function readTileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: TileColumnsRead,
  localPath: (location: string) => string,
  only?: BoundExpression,
  byName = false,
): Promise<Map<string, TileRow[]>> {
  const reader = await connection.runAndReadAll(
    selectFromFileSql(task, schema, tileColumnNames(columns), [...columns.keys, TILE_START], localPath, only, byName),
  );
  const convert = tileConverter(schema, columns, task);
  const rows = new Map<string, TileRow[]>();
  for (const raw of reader.getRows()) {
    const [lookup, row] = convert(raw);
    const held = rows.get(lookup);
    if (held) held.push(row);
    else rows.set(lookup, [row]);
  }
  return rows;
}

/**
 * Every tile row of one file (deletes applied) to the row store, each key's rows as one value (as
 * `orderedTileRows` leaves them), a page at a time. A file the online write made holds each key's rows together
 * (it writes them sorted by key), and its rows stream to the sink as they are, gathered while the
 * key stays the same. Only when the sink meets a key again after another key's rows (it then starts
 * over) is the file copied into a temporary table, in its order, and read back sorted by key.
 */
export async function pageTileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: TileColumnsRead,
  localPath: (location: string) => string,
  byName: boolean,
  sink: RowSink<StoredTiles>,
): Promise<void> {
  const names = tileColumnNames(columns);
  const select = selectFromFileSql(task, schema, names, [...columns.keys, TILE_START], localPath, undefined, byName);
  const convert = tileConverter(schema, columns, task);
  try {
    await streamKeyGroups(connection, select, task, convert, sink);
    return;
  } catch (error) {
    if (!(error instanceof RepeatedLookupError)) throw error;
  }
  const table = q('floe_file_tiles');
  await connection.run(`CREATE TEMP TABLE ${table} AS ${select}`);
  try {
    // rowid is the file's order: each key's rows keep it.
    const sorted = `SELECT ${names.map(q).join(', ')} FROM ${table} ORDER BY ${[...columns.keys.map(q), 'rowid'].join(', ')}`;
    await streamKeyGroups(connection, sorted, task, convert, sink);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Streams `select`'s tile rows to `sink`, each run of rows of one key as one value. */
async function streamKeyGroups(
  connection: DuckDBConnection,
  select: string,
  task: ScanTask,
  convert: (raw: readonly DuckDBValue[]) => [string, TileRow],
  sink: RowSink<StoredTiles>,
): Promise<void> {
  const groups = new KeyRuns();
  await streamRows(connection, select, task, convert, (rows) => sink(groups.of(rows)));
  const last = groups.end();
  if (last !== undefined) await sink([last]);
}

/** Gathers consecutive rows of one key: a key's run is handed on once the next key's row comes, or at the end. */
class KeyRuns {
  private lookup: string | undefined;
  private tiles: TileRow[] = [];

  *of(rows: Iterable<readonly [string, TileRow]>): Generator<[string, StoredTiles]> {
    for (const [lookup, tile] of rows) {
      if (lookup !== this.lookup) {
        if (this.lookup !== undefined) yield [this.lookup, orderedTileRows(this.tiles)];
        this.lookup = lookup;
        this.tiles = [];
      }
      this.tiles.push(tile);
    }
  }

  end(): [string, StoredTiles] | undefined {
    return this.lookup === undefined ? undefined : [this.lookup, orderedTileRows(this.tiles)];
  }
}

/**
 * A DuckDB row of tileColumnNames' columns as its key lookup and its tile row, whose sequence is
 * the one it covers, else its file's data sequence number.
 */
function tileConverter(schema: Schema, columns: TileColumnsRead, task: ScanTask): (raw: readonly DuckDBValue[]) => [string, TileRow] {
  const types = columnTypes(schema, tileColumnNames(columns));
  const keyCount = columns.keys.length;
  return (raw) => {
    const typed = raw.map((value, index) => toPrimitiveValue(value, types[index] as PrimitiveType));
    const covers = typed[keyCount + 2] as bigint | null;
    const tile: TileRow = {
      tileStart: typed[keyCount] as bigint,
      kind: typed[keyCount + 1] as TileKind,
      sequence: covers === null ? task.dataSequenceNumber : Number(covers),
      values: typed.slice(keyCount + 3),
    };
    return [keyLookup(typed.slice(0, keyCount)), tile];
  };
}

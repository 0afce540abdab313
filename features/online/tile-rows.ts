import type { DuckDBConnection } from '@duckdb/node-api';
import { toPrimitiveValue } from '../../engine/values.js';
import type { BoundExpression } from '../../iceberg/expressions/index.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveType } from '../../iceberg/spec/types.js';
import type { TileKind, TileRow } from '../online-table/aggregation-tiles.js';
import { TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from '../online-table/aggregation-tiles.js';
import { keyLookup } from './entity-keys.js';
import { columnTypes, selectFromFileSql } from './file-rows.js';

/** Every column a read of tiles returns, in the order readTileRows reads them. */
export function tileColumnNames(columns: { readonly keys: readonly string[]; readonly partials: readonly string[] }): string[] {
  return [...columns.keys, TILE_START, TILE_KIND, TILE_COVERS_SEQUENCE, ...columns.partials];
}

/**
 * Reads one data file of an aggregated view's online table (with the delete files that apply to
 * it): every partial row, by key (of the keys `only` matches, when given). A row's sequence is the one it covers, else its file's data
 * sequence number. Cached like `readFileRows`' result: files are immutable. `byName` as for readFileRows.
 */
export async function readTileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: { readonly keys: readonly string[]; readonly partials: readonly string[] },
  localPath: (location: string) => string,
  only?: BoundExpression,
  byName = false,
): Promise<Map<string, TileRow[]>> {
  const names = tileColumnNames(columns);
  const types = columnTypes(schema, names);
  const reader = await connection.runAndReadAll(
    selectFromFileSql(task, schema, names, [...columns.keys, TILE_START], localPath, only, byName),
  );
  const rows = new Map<string, TileRow[]>();
  const keyCount = columns.keys.length;
  for (const raw of reader.getRows()) {
    const typed = raw.map((value, index) => toPrimitiveValue(value, types[index] as PrimitiveType));
    const lookup = keyLookup(typed.slice(0, keyCount));
    const covers = typed[keyCount + 2] as bigint | null;
    const row: TileRow = {
      tileStart: typed[keyCount] as bigint,
      kind: typed[keyCount + 1] as TileKind,
      sequence: covers === null ? task.dataSequenceNumber : Number(covers),
      values: typed.slice(keyCount + 3),
    };
    const held = rows.get(lookup);
    if (held) held.push(row);
    else rows.set(lookup, [row]);
  }
  return rows;
}

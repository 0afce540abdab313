import type { DuckDBConnection } from '@duckdb/node-api';
import { readPlanSql } from '../../engine/read-plan.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { toPrimitiveValue } from '../../engine/values.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { PrimitiveType } from '../../iceberg/spec/types.js';
import type { TileKind, TileRow } from './aggregation-tiles.js';
import { TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from './aggregation-tiles.js';
import { keyLookup } from './entity-keys.js';

/**
 * Reads one data file of an aggregated view's online table (with the delete files that apply to
 * it): every partial row, by key. A row's sequence is the one it covers, else its file's data
 * sequence number. Cached like `readFileRows`' result: files are immutable.
 */
export async function readTileRows(
  connection: DuckDBConnection,
  task: ScanTask,
  schema: Schema,
  columns: { readonly keys: readonly string[]; readonly partials: readonly string[] },
  localPath: (location: string) => string,
): Promise<Map<string, TileRow[]>> {
  const plan: ScanPlan = {
    snapshotId: null,
    schema,
    mode: task.positionDeletes.length + task.equalityDeletes.length > 0 ? 'merge-on-read' : 'copy-on-write',
    tasks: [task],
    summary: {
      dataFiles: 1,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
      dataRecords: task.dataFile.recordCount,
      manifestsRead: 0,
      manifestsSkipped: 0,
      dataFilesSkipped: 0,
    },
  };
  const names = [...columns.keys, TILE_START, TILE_KIND, TILE_COVERS_SEQUENCE, ...columns.partials];
  const types = names.map((name) => schema.fields.find((field) => field.name === name)!.type as PrimitiveType);
  const sql =
    `SELECT ${names.map((name) => `r.${q(name)}`).join(', ')} FROM (${readPlanSql(plan, { localPath, tableSchema: schema })}) AS r ` +
    `WHERE ${[...columns.keys, TILE_START].map((name) => `r.${q(name)} IS NOT NULL`).join(' AND ')}`;
  const reader = await connection.runAndReadAll(sql);
  const rows = new Map<string, TileRow[]>();
  const keyCount = columns.keys.length;
  for (const raw of reader.getRows()) {
    const typed = raw.map((value, index) => toPrimitiveValue(value, types[index]!));
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

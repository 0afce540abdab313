/** Writes a partial tile row straight into an aggregated view's online table: what a buggy materialization could leave there. */
import { randomUUID } from 'node:crypto';
import { quoteIdentifier as q, quoteLiteral } from '../../../engine/sql.js';
import { duckdbType } from '../../../engine/types.js';
import type { FeatureContext } from '../../../features/context.js';
import { withScratchDirectory } from '../../../features/context.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../../../features/online-columns.js';
import { commitOutputFiles, writeOutputFiles } from '../../../features/historical/output-table.js';
import {
  columnPartials,
  partialColumnsOf,
  TILE_COVERS_SEQUENCE,
  TILE_KIND,
  TILE_START,
} from '../../../features/online-table/aggregation-tiles.js';

export interface PlantedTile {
  readonly driverId: number;
  readonly tileStart: string;
  readonly partials: Readonly<Record<string, number>>;
}

/**
 * Appends one `delta` tile row for the key `driver_id` = `driverId` and the tile starting at
 * `tileStart`, with the partial columns in `partials` (SQL values) and every other partial null,
 * in a snapshot without a window (so the watermark stays where it was).
 */
export async function plantOnlineTile(context: FeatureContext, view: string, tile: PlantedTile): Promise<void> {
  await plantOnlineTiles(context, view, [tile]);
}

/** plantOnlineTile's rows, several in one snapshot, in the order given (a file of one bucket holds them in that order). */
export async function plantOnlineTiles(context: FeatureContext, view: string, tiles: readonly PlantedTile[]): Promise<void> {
  const definition = context.registry.featureView(view);
  const identifier = context.registry.onlineTableOf(definition);
  const table = await context.catalog.loadTable(identifier);
  const rowOf = (tile: PlantedTile, order: number): string => {
    const start = `CAST(${quoteLiteral(tile.tileStart)} AS TIMESTAMPTZ)`;
    const partials = partialColumnsOf(columnPartials(definition)).map((column) => {
      const value = tile.partials[column.name];
      return `CAST(${value === undefined ? 'NULL' : String(value)} AS ${duckdbType(column.type)}) AS ${q(column.name)}`;
    });
    return (
      `SELECT ${order} AS floe_order, ${tile.driverId}::BIGINT AS driver_id, ${start} AS ${q(TILE_START)}, 'delta' AS ${q(TILE_KIND)}, ` +
      `CAST(NULL AS BIGINT) AS ${q(TILE_COVERS_SEQUENCE)}, ${partials.join(', ')}, ${start} AS ${q(ONLINE_EVENT_TS)}, ` +
      `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}, CAST('2024-06-01T00:00:00Z' AS TIMESTAMPTZ) AS ${q(ONLINE_MATERIALIZED_AT)}`
    );
  };
  const query = `SELECT * EXCLUDE (floe_order) FROM (${tiles.map(rowOf).join(' UNION ALL ')}) ORDER BY floe_order`;
  const name = `planted-tile-${randomUUID()}`;
  const manifest = await withScratchDirectory(context, name, (localDirectory) =>
    context.engine.withConnection(
      async (connection) =>
        (await writeOutputFiles(connection, table, { query, fileNamePrefix: name, manifestName: name, localDirectory })).manifest,
    ),
  );
  await commitOutputFiles(context.catalog, identifier, [manifest!], { summary: { 'floe.test': 'planted wrong tile' } });
}

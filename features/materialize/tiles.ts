import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation } from '../../engine/describe.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { utcMicrosSql } from '../../engine/timestamps.js';
import type { LatePlan } from '../../contracts/materialize.js';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { FeatureContext } from '../context.js';
import { signalOf } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { columnPartials, floorToGrid, TILE_KIND, TILE_START, tileMicros } from '../online-table/aggregation-tiles.js';
import { ONLINE_EVENT_TS } from '../online-columns.js';
import type { OnlineTableLayout } from '../online-table/layout.js';
import { watermarkOf } from '../online-table/table-state.js';
import { eventTilesSql } from '../online-table/tile-sql.js';
import { scanLateAppends } from './late-rows.js';
import { eventTimeFilter, filterOption, micros, renameToOnline } from './source-rows.js';
import type { ResolvedSource, Window } from './source-rows.js';
import { defined } from '../../contracts/defined.js';

/**
 * Step 2 of an aggregated view: the partial tiles of its events, given to `use` like the latest rows.
 * A window after the watermark adds delta tiles of its events. A window that reaches back before the
 * watermark (a restatement, lateness, rows appended late, an explicit window run again) rewrites
 * the whole tiles it touches as full tiles as of the snapshot read, so nothing is counted twice and
 * deleted rows drop out; a (key, tile) left without events gets an empty full row.
 */
export async function computeTiles<T>(
  context: FeatureContext,
  view: FeatureViewDefinition,
  options: {
    source: ResolvedSource;
    /** Null before the first window: no watermark yet. */
    online: LoadedTable | null;
    layout: OnlineTableLayout;
    window: Window;
    sourceSnapshotId: bigint;
    late?: LatePlan;
  },
  use: (connection: DuckDBConnection, tiles: string) => Promise<T>,
): Promise<T> {
  const { source, online, layout, window } = options;
  const grid = tileMicros(view);
  const partials = columnPartials(view);
  const aggregated = partials.map((column) => column.column);
  const watermark = online === null ? null : watermarkOf(online.metadata);
  const read = { columns: source.columns, snapshotId: options.sourceSnapshotId, readFiles: context.engine.readFiles, ...signalOf(context) };
  const lateAppends = await scanLateAppends(source, read, options.late, window);
  return context.engine.withConnection(async (connection) => {
    let start = micros(window.start);
    let end = micros(window.end);
    const watermarkMicros = watermark === null ? null : BigInt(watermark) * 1000n;
    const earliestLate =
      lateAppends === undefined ? null : await earliestRowMicros(connection, renameToOnline(lateAppends.sql, source, layout, aggregated));
    if (earliestLate !== null && earliestLate < start) start = earliestLate;
    const restates = watermarkMicros !== null && start < watermarkMicros;
    if (restates) {
      start = floorToGrid(start, grid);
      // The tile the window ends in keeps the events already materialized after the window.
      if (end < watermarkMicros) {
        const tileEnd = floorToGrid(end - 1n, grid) + grid;
        end = tileEnd < watermarkMicros ? tileEnd : watermarkMicros;
      }
    }
    const scan = await scanTable(source.table, {
      ...read,
      ...filterOption(eventTimeFilter(source, { start: dateOf(start), end: dateOf(end) })),
    });
    const existing =
      restates && online !== null
        ? await scanTable(online, {
            columns: [...layout.keyColumns, TILE_START, TILE_KIND],
            readFiles: context.engine.readFiles,
            ...signalOf(context),
          })
        : undefined;
    const tiles = await eventTilesSql(connection, {
      relation: renameToOnline(scan.sql, source, layout, aggregated),
      keyColumns: layout.keyColumns,
      partials,
      grid,
      start,
      end,
      kind: restates ? 'full' : 'delta',
      ...defined({ supersede: existing?.sql }),
      name: view.name,
    });
    return use(connection, tiles);
  }, signalOf(context));
}

async function earliestRowMicros(connection: DuckDBConnection, relation: string): Promise<bigint | null> {
  const columns = await describeRelation(connection, relation, 'late rows');
  const type = columns.find((column) => column.name === ONLINE_EVENT_TS)!.type;
  const result = await connection.runAndReadAll(
    `SELECT min(${utcMicrosSql(`r.${q(ONLINE_EVENT_TS)}`, type, 'Event timestamp column of the late rows')}) AS earliest FROM (${relation}) AS r`,
  );
  const earliest = result.getRowObjects()[0]?.['earliest'];
  return earliest === null || earliest === undefined ? null : BigInt(earliest as bigint);
}

function dateOf(micros: bigint): Date {
  return new Date(Number(micros / 1000n));
}

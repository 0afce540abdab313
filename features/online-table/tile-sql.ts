import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRelation } from '../../engine/describe.js';
import { quoteIdentifier as q, quoteLiteral, sortKeySql } from '../../engine/sql.js';
import { microsLiteral, utcMicrosSql } from '../../engine/timestamps.js';
import { duckdbType } from '../../engine/types.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import type { ColumnPartials, TileKind } from './aggregation-tiles.js';
import { partialColumnsOf, sumType, TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from './aggregation-tiles.js';

// SQL for the partial tiles of an aggregated view's online table (aggregation-tiles.ts): from
// source events (materialization) and from the table's own rows (compaction).

/** What every tile query needs: the view's key columns, its partials and its tile grid. */
interface TileLayout {
  readonly keyColumns: readonly string[];
  readonly partials: readonly ColumnPartials[];
  /** The tile grid in µs. */
  readonly grid: bigint;
}

export interface EventTilesRequest extends TileLayout {
  /** Source rows: key columns, each aggregated column by its name, event_ts and created_ts. */
  readonly relation: string;
  /** Events with start ≤ event_ts < end (µs) are aggregated. */
  readonly start: bigint;
  readonly end: bigint;
  readonly kind: TileKind;
  /**
   * For full tiles: SQL of the online table's rows (key columns, tile_start, tile_kind) whose (key,
   * tile) pairs must be superseded even when no event is left in them (the source's rows were
   * deleted); they get an empty full row. Pushed rows are not tiles of the grid: they are left out.
   */
  readonly supersede?: string;
  readonly name: string;
}

/** One partial row per (key, tile) of the events in [start, end), with the online table's columns. */
export async function eventTilesSql(connection: DuckDBConnection, request: EventTilesRequest): Promise<string> {
  const what = `source of ${request.name}`;
  const columns = await describeRelation(connection, request.relation, what);
  const typeOf = (name: string) => columns.find((column) => column.name === name)!.type;
  const event = utcMicrosSql(`r.${q(ONLINE_EVENT_TS)}`, typeOf(ONLINE_EVENT_TS), `Event timestamp column of the ${what}`);
  const created = utcMicrosSql(`r.${q(ONLINE_CREATED_TS)}`, typeOf(ONLINE_CREATED_TS), `Created timestamp column of the ${what}`);
  const keys = request.keyColumns.map((key) => q(key));
  const grid = microsLiteral(request.grid, 'grid');
  const range = [`${event} >= ${microsLiteral(request.start, 'start')}`, `${event} < ${microsLiteral(request.end, 'end')}`];
  const tiles = tilesOfEventsSql({ ...request, event, created, where: range, tile: `__ev - (((__ev % ${grid}) + ${grid}) % ${grid})` });
  if (request.supersede === undefined) return tiles;
  const counts = new Set(request.partials.map((column) => column.count));
  const emptyPartials = partialColumnsOf(request.partials).map(
    (column) => `${counts.has(column.name) ? '0' : 'NULL'} AS ${q(column.name)}`,
  );
  const tileMicros = `epoch_us(x.${q(TILE_START)})`;
  const superseded =
    `SELECT DISTINCT ${keys.map((key) => `x.${key}`).join(', ')}, x.${q(TILE_START)} FROM (${request.supersede}) AS x ` +
    `WHERE ${tileMicros} >= ${microsLiteral(request.start, 'start')} AND ${tileMicros} < ${microsLiteral(request.end, 'end')} ` +
    `AND x.${q(TILE_KIND)} <> ${quoteLiteral('pushed')}`;
  const empty =
    `SELECT ${keys.map((key) => `s.${key}`).join(', ')}, s.${q(TILE_START)}, ${quoteLiteral('full')} AS ${q(TILE_KIND)}, ` +
    `CAST(NULL AS BIGINT) AS ${q(TILE_COVERS_SEQUENCE)}, ${emptyPartials.join(', ')}, s.${q(TILE_START)} AS ${q(ONLINE_EVENT_TS)}, ` +
    `CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)} FROM (${superseded}) AS s ` +
    `WHERE NOT EXISTS (SELECT 1 FROM t WHERE ${[...keys, q(TILE_START)].map((name) => `t.${name} = s.${name}`).join(' AND ')})`;
  return `WITH t AS (${tiles}) SELECT * FROM t UNION ALL BY NAME ${empty}`;
}

/**
 * The `pushed` rows of landed events (aggregation-tiles.ts): one per key and event instant, its
 * tile_start that instant. `event` and `created` are SQL for the µs of `relation`'s (`r`) event_ts
 * and created_ts.
 */
export function pushedTilesSql(request: {
  readonly relation: string;
  readonly keyColumns: readonly string[];
  readonly partials: readonly ColumnPartials[];
  readonly event: string;
  readonly created: string;
  /** Only events at or after this (µs): the others are late for the view. */
  readonly from?: bigint;
}): string {
  const where = request.from === undefined ? [] : [`${request.event} >= ${microsLiteral(request.from, 'from')}`];
  return tilesOfEventsSql({ ...request, where, tile: '__ev', kind: 'pushed' });
}

/** Events of `relation` (`r`) with a key and an event time, and `where`, grouped into tiles by `tile` (SQL over `__ev`). */
function tilesOfEventsSql(request: {
  readonly relation: string;
  readonly keyColumns: readonly string[];
  readonly partials: readonly ColumnPartials[];
  readonly event: string;
  readonly created: string;
  readonly where: readonly string[];
  readonly tile: string;
  readonly kind: TileKind;
}): string {
  const keys = request.keyColumns.map((key) => q(key));
  const conditions = [...request.keyColumns.map((key) => `r.${q(key)} IS NOT NULL`), `${request.event} IS NOT NULL`, ...request.where];
  const events =
    `SELECT ${keys.map((key) => `r.${key}`).join(', ')}, ${request.partials.map((column) => `r.${q(column.column)}`).join(', ')}, ` +
    `${request.event} AS __ev, ${request.created} AS __cr ` +
    `FROM (${request.relation}) AS r WHERE ${conditions.join(' AND ')}`;
  return mergePartialsSql({
    relation: events,
    keys,
    tile: request.tile,
    partials: request.partials,
    partialOf: (column) => ({
      count: `count(${q(column.column)})`,
      sum: `sum(${q(column.column)})`,
      min: `min(${q(column.column)})`,
      max: `max(${q(column.column)})`,
      last: { value: q(column.column), eventTs: '__ev', createdTs: '__cr' },
    }),
    kind: request.kind,
    coversSequence: null,
  });
}

export interface CompactTilesRequest extends TileLayout {
  /** The online table's rows, with `__seq`: the data sequence number of each row's file. */
  readonly relation: string;
  /** The sequence number of the snapshot compacted: the merged rows stand for it. */
  readonly coversSequence: bigint;
  /** Tiles starting before this (µs) no window can need any more: they are dropped. */
  readonly keepFrom: bigint;
}

/**
 * Per (key, tile), the rows that count (the newest full row and the deltas after it) merged into
 * one full row; tiles before `keepFrom`, and tiles left without events, dropped. Pushed rows are
 * kept as they are (a request-time read takes its window's edge from them), those before `keepFrom` dropped.
 */
export function compactTilesSql(request: CompactTilesRequest): string {
  const keys = request.keyColumns.map((key) => q(key));
  const partition = `PARTITION BY ${[...keys, q(TILE_START)].join(', ')}`;
  const effective = `coalesce(r.${q(TILE_COVERS_SEQUENCE)}, r.__seq)`;
  const full = `r.${q(TILE_KIND)} = ${quoteLiteral('full')}`;
  const withBase =
    `SELECT r.*, ${effective} AS __eff, max(CASE WHEN ${full} THEN ${effective} END) OVER (${partition}) AS __base ` +
    `FROM (${request.relation}) AS r WHERE epoch_us(r.${q(TILE_START)}) >= ${microsLiteral(request.keepFrom, 'keepFrom')} ` +
    `AND r.${q(TILE_KIND)} <> ${quoteLiteral('pushed')}`;
  const live =
    `SELECT b.* FROM (${withBase}) AS b WHERE b.__base IS NULL OR ` +
    `(b.${q(TILE_KIND)} = ${quoteLiteral('full')} AND b.__eff = b.__base) OR (b.${q(TILE_KIND)} = ${quoteLiteral('delta')} AND b.__eff > b.__base)`;
  const merged = mergePartialsSql({
    relation: live,
    keys,
    tile: `epoch_us(${q(TILE_START)})`,
    partials: request.partials,
    // Only the partials a column has are used: the others name nothing.
    partialOf: (column) => ({
      count: `sum(${q(column.count ?? '')})`,
      sum: `sum(${q(column.sum ?? '')})`,
      min: `min(${q(column.min ?? '')})`,
      max: `max(${q(column.max ?? '')})`,
      last: {
        value: q(column.last?.value ?? ''),
        eventTs: `epoch_us(${q(column.last?.eventTs ?? '')})`,
        createdTs: `epoch_us(${q(column.last?.createdTs ?? '')})`,
      },
    }),
    kind: 'full',
    coversSequence: request.coversSequence,
    extra: [`max(${q(ONLINE_MATERIALIZED_AT)}) AS ${q(ONLINE_MATERIALIZED_AT)}`],
  });
  // A tile left without events (its rows restated away) needs no row once the rows it superseded are gone.
  const counts = new Set(request.partials.map((column) => column.count));
  const empty = partialColumnsOf(request.partials).map((column) => `m.${q(column.name)} ${counts.has(column.name) ? '= 0' : 'IS NULL'}`);
  const pushed =
    `SELECT * EXCLUDE (__seq) FROM (${request.relation}) AS p WHERE p.${q(TILE_KIND)} = ${quoteLiteral('pushed')} ` +
    `AND epoch_us(p.${q(TILE_START)}) >= ${microsLiteral(request.keepFrom, 'keepFrom')}`;
  return `SELECT m.* FROM (${merged}) AS m WHERE NOT (${empty.join(' AND ')}) UNION ALL BY NAME ${pushed}`;
}

/**
 * GROUP BY key and tile, each partial combined by `partialOf`; `last` is the value of the group's
 * greatest (event time, created time, value) row, a null lowest in each, its times with it.
 */
function mergePartialsSql(request: {
  relation: string;
  keys: readonly string[];
  /** SQL for the tile start in µs over the relation's columns. */
  tile: string;
  partials: readonly ColumnPartials[];
  partialOf: (column: ColumnPartials) => {
    count: string;
    sum: string;
    min: string;
    max: string;
    last: { value: string; eventTs: string; createdTs: string };
  };
  kind: TileKind;
  coversSequence: bigint | null;
  extra?: readonly string[];
}): string {
  const groupKeys = [...request.keys, '__tile'];
  const ranks: string[] = [];
  const selected: string[] = [];
  request.partials.forEach((column, index) => {
    const sql = request.partialOf(column);
    if (column.count !== undefined) selected.push(`CAST(coalesce(${sql.count}, 0) AS BIGINT) AS ${q(column.count)}`);
    if (column.sum !== undefined)
      selected.push(`CAST(${sql.sum} AS ${sumType(column.columnType) === 'long' ? 'BIGINT' : 'DOUBLE'}) AS ${q(column.sum)}`);
    if (column.min !== undefined) selected.push(`${sql.min} AS ${q(column.min)}`);
    if (column.max !== undefined) selected.push(`${sql.max} AS ${q(column.max)}`);
    if (column.last !== undefined) {
      const rank = `__rank${index}`;
      ranks.push(
        `row_number() OVER (PARTITION BY ${groupKeys.join(', ')} ORDER BY ${sql.last.eventTs} DESC NULLS LAST, ` +
          `${sql.last.createdTs} DESC NULLS LAST, ${sortKeySql(sql.last.value, duckdbType(column.columnType))} DESC NULLS LAST) AS ${rank}`,
      );
      const top = `FILTER (WHERE ${rank} = 1)`;
      selected.push(`any_value(${sql.last.value}) ${top} AS ${q(column.last.value)}`);
      selected.push(`CAST(make_timestamp(max(${sql.last.eventTs}) ${top}) AS TIMESTAMPTZ) AS ${q(column.last.eventTs)}`);
      selected.push(`CAST(make_timestamp(max(${sql.last.createdTs}) ${top}) AS TIMESTAMPTZ) AS ${q(column.last.createdTs)}`);
    }
  });
  const tileStart = 'CAST(make_timestamp(__tile) AS TIMESTAMPTZ)';
  const covers = request.coversSequence === null ? 'NULL' : microsLiteral(request.coversSequence, 'sequence');
  const withTile = `SELECT e.*, ${request.tile} AS __tile FROM (${request.relation}) AS e`;
  const ranked = `SELECT w.*${ranks.map((rank) => `, ${rank}`).join('')} FROM (${withTile}) AS w`;
  return (
    `SELECT ${request.keys.join(', ')}, ${tileStart} AS ${q(TILE_START)}, ${quoteLiteral(request.kind)} AS ${q(TILE_KIND)}, ` +
    `CAST(${covers} AS BIGINT) AS ${q(TILE_COVERS_SEQUENCE)}, ${selected.join(', ')}, ` +
    `${tileStart} AS ${q(ONLINE_EVENT_TS)}, CAST(NULL AS TIMESTAMPTZ) AS ${q(ONLINE_CREATED_TS)}` +
    `${(request.extra ?? []).map((item) => `, ${item}`).join('')} FROM (${ranked}) AS g GROUP BY ${groupKeys.join(', ')}`
  );
}

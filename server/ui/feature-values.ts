import { LRUCache } from 'lru-cache';
import { printedInstant } from '../../contracts/instants.js';
import { FloeError } from '../../core/errors.js';
import type { Engine } from '../../engine/duckdb.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { isAggregatedView } from '../../features/aggregations.js';
import { mismatchRateHistory } from '../../features/consistency/index.js';
import type { MismatchRatePoint } from '../../features/consistency/index.js';
import type { FeatureViewDefinition } from '../../features/definitions.js';
import { ONLINE_EVENT_TS } from '../../features/online-columns.js';
import { WINDOW_END_PROPERTY, WINDOW_START_PROPERTY } from '../../features/online-table/table-state.js';
import type { Registry } from '../../features/registry.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { snapshotForRef } from '../../iceberg/spec/metadata.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';

/** Equal-width bins of a numeric feature's histogram. */
export const HISTOGRAM_BINS = 20;
/** Distinct (view, snapshot) answers kept of each part: each is a few KB. */
const CACHED_REPORTS = 256;

export interface FeatureStatistics {
  readonly feature: string;
  readonly type: string;
  /** Rows of the window, and those whose value is null. */
  readonly rows: number;
  readonly nulls: number;
  readonly nullRate: number | null;
  readonly distinct: number;
  /** As text, so a long stays exact; null without a non-null value or for a type without an order. */
  readonly min: string | null;
  readonly max: string | null;
  /** Numeric features only. */
  readonly mean: number | null;
  /** Numeric features: counts of HISTOGRAM_BINS equal-width bins from min to max (`edges` has one more entry); else null. */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] } | null;
}

export interface FeatureValuesReport {
  readonly featureView: string;
  readonly table: string;
  /** The online table's head snapshot the numbers are of; null while it has none. */
  readonly snapshotId: string | null;
  /** The window its last materialization committed (UTC ISO); null when the head holds none (a push, a compaction) or there is no head. */
  readonly window: { readonly start: string; readonly end: string } | null;
  /** Why there are no feature statistics, when there are none. */
  readonly note: string | null;
  readonly features: readonly FeatureStatistics[];
  /** Each check of the view's features by `floe consistency`, oldest first. */
  readonly consistency: readonly MismatchRatePoint[];
}

const NUMERIC = new Set(['int', 'long', 'float', 'double']);
const ORDERED = new Set([...NUMERIC, 'string', 'date', 'timestamp', 'timestamptz', 'boolean']);

/**
 * A view's feature values as the web UI shows them: per feature, the distribution of the rows its
 * last materialized window wrote to the online table (the head snapshot's window, rows with
 * event_ts in it), computed with DuckDB over the table's files, and the consistency checks of the
 * view. The statistics are kept per (view, online snapshot) and the checks per (view, report table
 * snapshot): a new commit of either table computes its part anew. It reads the tables on its own,
 * never through the online store's readers.
 */
export class FeatureValues {
  private readonly statistics = new LRUCache<string, Promise<Omit<FeatureValuesReport, 'consistency'>>>({ max: CACHED_REPORTS });
  private readonly checks = new LRUCache<string, Promise<MismatchRatePoint[]>>({ max: CACHED_REPORTS });

  constructor(
    private readonly context: {
      readonly registry: Registry;
      readonly catalog: Catalog;
      readonly engine: Engine;
      readonly consistencyTable?: string;
    },
  ) {}

  async of(view: FeatureViewDefinition): Promise<FeatureValuesReport> {
    const identifier = this.context.registry.onlineTableOf(view);
    const table = await this.context.catalog.loadTable(identifier).catch((error: unknown) => {
      if (FloeError.is(error, 'not-found')) return null;
      throw error;
    });
    const head = table === null ? null : snapshotForRef(table.metadata, MAIN_BRANCH);
    const [statistics, consistency] = await Promise.all([
      cached(this.statistics, `${view.name}|${head?.snapshotId ?? 'none'}`, () => this.compute(view, table, head)),
      cached(this.checks, `${view.name}|${await this.consistencySnapshot()}`, async () =>
        this.context.consistencyTable === undefined ? [] : mismatchRateHistory(this.context, this.context.consistencyTable, view.name),
      ),
    ]);
    return { ...statistics, consistency };
  }

  private async consistencySnapshot(): Promise<string> {
    const { consistencyTable, catalog } = this.context;
    if (consistencyTable === undefined) return 'none';
    const loaded = await catalog.loadTable(parseTableIdentifier(consistencyTable)).catch(() => null);
    return String(loaded?.metadata.currentSnapshotId ?? 'none');
  }

  private async compute(
    view: FeatureViewDefinition,
    table: Awaited<ReturnType<Catalog['loadTable']>> | null,
    head: ReturnType<typeof snapshotForRef>,
  ): Promise<Omit<FeatureValuesReport, 'consistency'>> {
    const base = {
      featureView: view.name,
      table: formatTableIdentifier(this.context.registry.onlineTableOf(view)),
      snapshotId: head?.snapshotId.toString() ?? null,
    };
    const start = head?.summary[WINDOW_START_PROPERTY];
    const end = head?.summary[WINDOW_END_PROPERTY];
    const window = start === undefined || end === undefined ? null : { start, end };
    if (isAggregatedView(view))
      return { ...base, window, note: 'An aggregated view’s online table holds tiles, not feature values', features: [] };
    if (table === null || head === null) return { ...base, window: null, note: 'Never materialized', features: [] };
    if (window === null)
      return {
        ...base,
        window,
        note: 'The online table’s last commit is not a materialized window (a push or a compaction)',
        features: [],
      };
    const scan = await scanTable(table, {
      columns: [ONLINE_EVENT_TS, ...view.features.map((feature) => feature.name)],
      rowFilter: `${q(ONLINE_EVENT_TS)} >= ${quoteLiteral(start!)}::TIMESTAMPTZ AND ${q(ONLINE_EVENT_TS)} < ${quoteLiteral(end!)}::TIMESTAMPTZ`,
      readFiles: this.context.engine.readFiles,
    });
    const features = await this.context.engine.withConnection(async (connection) => {
      await connection.run(`CREATE TEMP TABLE window_rows AS ${scan.sql}`);
      const statistics: FeatureStatistics[] = [];
      for (const feature of view.features) {
        const type = typeof feature.type === 'string' ? feature.type : 'nested';
        const column = q(feature.name);
        const numeric = NUMERIC.has(type);
        const ordered = ORDERED.has(type);
        const reader = await connection.runAndReadAll(
          `SELECT count(*), count(*) - count(${column}), ${type === 'nested' ? '0' : `count(DISTINCT ${column})`}, ` +
            `${ordered ? `CAST(min(${column}) AS VARCHAR), CAST(max(${column}) AS VARCHAR)` : 'NULL, NULL'}, ` +
            `${numeric ? `avg(${column})::DOUBLE, min(${column})::DOUBLE, max(${column})::DOUBLE` : 'NULL, NULL, NULL'} FROM window_rows`,
        );
        const [rows, nulls, distinct, min, max, mean, low, high] = reader.getRows()[0]!;
        const total = Number(rows);
        const histogram =
          numeric && low !== null && high !== null ? await histogramOf(connection, column, Number(low), Number(high)) : null;
        statistics.push({
          feature: feature.name,
          type,
          rows: total,
          nulls: Number(nulls),
          nullRate: total === 0 ? null : Number(nulls) / total,
          distinct: Number(distinct),
          min: min === null ? null : String(min),
          max: max === null ? null : String(max),
          mean: mean === null ? null : Number(mean),
          histogram,
        });
      }
      return statistics;
    });
    return {
      ...base,
      window: { start: printedInstant(start!), end: printedInstant(end!) },
      note: null,
      features,
    };
  }
}

/** The cache's promise under `key`, made by `make` when missing; a failed one is asked again next time. */
function cached<T extends object>(cache: LRUCache<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
    value.catch(() => cache.delete(key));
  }
  return value;
}

async function histogramOf(
  connection: Parameters<Parameters<Engine['withConnection']>[0]>[0],
  column: string,
  low: number,
  high: number,
): Promise<{ edges: number[]; counts: number[] }> {
  const width = high > low ? (high - low) / HISTOGRAM_BINS : 1;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, index) => low + index * width);
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const reader = await connection.runAndReadAll(
    `SELECT least(CAST(floor((${column}::DOUBLE - ${low}) / ${width}) AS INTEGER), ${HISTOGRAM_BINS - 1}) AS bin, count(*) ` +
      `FROM window_rows WHERE ${column} IS NOT NULL AND isfinite(${column}::DOUBLE) GROUP BY bin`,
  );
  for (const [bin, count] of reader.getRows()) counts[Number(bin)] = Number(count);
  return { edges, counts };
}

import { LRUCache } from 'lru-cache';
import { viewFeatureColumnType } from '../feature-types.js';
import type { Engine } from '../../engine/duckdb.js';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { defined } from '../../contracts/defined.js';
import type { IcebergValue, PrimitiveType } from '../../iceberg/spec/types.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { durationSeconds } from '../definitions.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import type { Registry } from '../registry.js';
import { entityKeys } from './entity-keys.js';
import type { KeyColumn } from './entity-keys.js';
import { onDemandVectors, requestFieldValues } from './on-demand-read.js';
import { planOnlineSelection } from '../selection.js';
import type { FeatureSelection } from '../selection.js';
import type { FeaturePlan } from '../on-demand-plan.js';
import { OnlineTableReader } from './online-table-reader.js';
import type { ReaderCounters, TableState } from './online-table-reader.js';
import { isoMicros, presentValue } from './response.js';
import type { FeatureStatus, FeatureVector, OnlineFeaturesResponse, OnlineValue, ViewRead } from './response.js';
import { RowCache } from './row-cache.js';
import { FileRowStore } from './file-row-store.js';
import type { FileRowStoreCounters } from './file-row-store.js';
import { onlineTableLayout } from '../online-table/layout.js';
import { isAggregatedView } from '../aggregations.js';
import { CombinedAggregates } from './combined-aggregates.js';
import { aggregatedRead } from './aggregated-read.js';
import { heldWatermarkOf } from './held-watermark.js';
import { freshnessOf } from './freshness.js';
import type { ViewFreshness } from './freshness.js';
import { mapWithConcurrency } from '../../iceberg/util/concurrency.js';

export interface OnlineStoreOptions {
  readonly registry: Registry;
  readonly catalog: Catalog;
  readonly engine: Engine;
  /**
   * How often a read may ask the catalog whether an online table has a new snapshot (a reload of
   * its metadata pointer). Reads in between use the snapshot held; 0 checks before every read.
   */
  readonly refreshIntervalMs?: number;
  /** Rows of data files kept in memory, least recently used dropped first. */
  readonly maxCachedRows?: number;
  /**
   * Where data files too large for the row cache keep their latest rows on disk (FileRowStore), so
   * point reads of tables far larger than memory stay fast; kept across restarts. Without it such
   * files are read from Parquet for the keys of each read.
   */
  readonly rowStoreDirectory?: string;
  /**
   * The clock TTLs are measured against (ms since the epoch; a fraction reaches microseconds, so a
   * consistency check can pin it to an instant like watermark − 1 µs); tests pin it.
   */
  readonly clock?: () => number;
}

/** Entity rows as objects of join key values (Feast's `entity_rows`). */
export type OnlineFeaturesRequest = FeatureSelection & { readonly entityRows: readonly Readonly<Record<string, unknown>>[] };

export const DEFAULT_REFRESH_INTERVAL_MS = 1_000;
export const DEFAULT_MAX_CACHED_ROWS = 2_000_000;
/** Distinct feature lists whose resolution a store keeps. */
const MAX_HELD_PLANS = 1_000;
/** Data files whose read-by-name answer a store keeps, over all its tables. */
const MAX_HELD_FILE_ANSWERS = 100_000;
/** Catalog loads in flight at once when every view's metadata is asked for (freshness). */
const METADATA_LOADS_IN_FLIGHT = 16;

/**
 * Online reads: per requested view, the latest row of each entity key in the view's online table
 * (by event_ts, then created_ts), TTL applied against the clock, each value with Feast's status.
 * One store per process: it holds each table's indexed snapshot and the rows of hot files.
 */
export class OnlineStore {
  /** One reader per view (the registry's view objects, the same on every read). */
  private readonly readers = new Map<FeatureViewDefinition, OnlineTableReader>();
  private readonly rowCache: RowCache;
  private readonly rowStore: FileRowStore | undefined;
  private readonly combined = new CombinedAggregates();
  private readonly plans = new Map<string, FeaturePlan>();
  private readonly byNameAnswers = new LRUCache<string, Promise<boolean>>({ max: MAX_HELD_FILE_ANSWERS });
  private readonly clock: () => number;

  constructor(private readonly options: OnlineStoreOptions) {
    this.rowCache = new RowCache(options.maxCachedRows ?? DEFAULT_MAX_CACHED_ROWS);
    this.rowStore = options.rowStoreDirectory === undefined ? undefined : new FileRowStore(options.rowStoreDirectory);
    this.clock = options.clock ?? Date.now;
  }

  get registry(): Registry {
    return this.options.registry;
  }

  get catalog(): Catalog {
    return this.options.catalog;
  }

  get engine(): Engine {
    return this.options.engine;
  }

  async getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse> {
    const plan = this.planOf(request);
    const projections = plan.fetched;
    const rows = request.entityRows;
    if (!Array.isArray(rows))
      throw new FloeError('invalid-input', 'entityRows must be a list of objects of join key values', { context: { field: 'entityRows' } });
    const requestValues = requestFieldValues(plan, rows);
    const onDemandInputs = new Map<string, (IcebergValue | null)[]>();
    const now = BigInt(Math.round(this.clock() * 1000));

    const entities = new Map<string, OnlineValue[]>();
    const features: FeatureVector[] = [];
    const reads: ViewRead[] = [];
    const lookups = projections.map(async ({ view, features: names }) => {
      const reader = this.readerFor(view);
      const keys = entityKeys(rows, reader.keys, view.name);
      const result = isAggregatedView(view)
        ? { tiles: await reader.lookupTiles(keys.distinct) }
        : { latest: await reader.lookup(keys.distinct) };
      return { view, names, reader, keys, result };
    });
    for (const { view, names, reader, keys, result } of await Promise.all(lookups)) {
      reader.keys.forEach((column, index) => {
        if (!entities.has(column.name))
          entities.set(
            column.name,
            keys.values.map((values) => presentValue(column.type, values[index]!)),
          );
      });
      const requested = plan.requested.find((projection) => projection.view.name === view.name)?.features ?? [];
      if (result.tiles !== undefined) {
        const read = aggregatedRead(
          view,
          names,
          keys.lookups,
          result.tiles,
          this.combined,
          this.registry.isPushFed(view) ? now : undefined,
        );
        if (plan.onDemand.length > 0) for (const [name, values] of read.rawValues()) onDemandInputs.set(`${view.name}:${name}`, values);
        features.push(...read.features.filter((vector) => requested.includes(vector.feature)));
        reads.push({ ...viewRead(view, reader, result.tiles), exactAsOf: read.exactAsOf });
        continue;
      }
      const latest = result.latest;
      const ttlSeconds = durationSeconds(view.ttl);
      const oldest = ttlSeconds === null ? null : now - BigInt(Math.round(ttlSeconds * 1_000_000));
      const found = keys.lookups.map((lookup) => latest.rows.get(lookup));
      const statuses: FeatureStatus[] = found.map((row) =>
        row === undefined ? 'NOT_FOUND' : oldest !== null && row.eventTs < oldest ? 'OUTSIDE_MAX_AGE' : 'PRESENT',
      );
      const eventTimestamps = found.map((row) => (row === undefined ? null : isoMicros(row.eventTs)));
      for (const name of names) {
        const position = reader.columns.features.indexOf(name);
        const type = viewFeatureColumnType(view, name);
        if (plan.onDemand.length > 0)
          onDemandInputs.set(
            `${view.name}:${name}`,
            found.map((row, index) => (row === undefined || statuses[index] !== 'PRESENT' ? null : (row.values[position] ?? null))),
          );
        if (!requested.includes(name)) continue;
        features.push({
          ref: `${view.name}:${name}`,
          featureView: view.name,
          feature: name,
          type,
          values: found.map((row, index) =>
            row === undefined || statuses[index] !== 'PRESENT' ? null : presentValue(type, row.values[position] ?? null),
          ),
          statuses,
          eventTimestamps,
        });
      }
      const watermark = latest.state.table === null ? null : heldWatermarkOf(latest.state.table.metadata);
      reads.push({ ...viewRead(view, reader, latest), exactAsOf: watermark?.exactAsOf ?? null });
    }
    features.push(...onDemandVectors(this.options.registry, plan, rows.length, onDemandInputs, requestValues));
    return { entities: [...entities].map(([name, values]) => ({ name, values })), features, reads };
  }

  /**
   * Reads the new snapshots of `tables` at once, without waiting for refreshIntervalMs: a writer in
   * this process (push, write-to-online-store) calls it so its answers are read here when it answers.
   */
  async refreshTables(tables: readonly string[]): Promise<void> {
    await Promise.all(
      [...this.readers.values()].filter((reader) => tables.includes(reader.name)).map((reader) => reader.refresh().catch(() => undefined)),
    );
  }

  /** Asks the catalog about every table read so far, now, and indexes new snapshots. */
  async refresh(): Promise<void> {
    await Promise.all([...this.readers.values()].map((reader) => reader.refresh()));
  }

  /**
   * Each online view's watermark and last commit, from metadata only: the snapshot a reader holds
   * when checked within refreshIntervalMs, else one metadata read per view. A view whose table
   * cannot be read now is left out (the others still answer).
   */
  async freshness(): Promise<ViewFreshness[]> {
    const views = [...this.options.registry.featureViews.values()].filter((view) => view.online.enabled);
    const answers = await mapWithConcurrency(views, METADATA_LOADS_IN_FLIGHT, async (view) => {
      const metadata = await this.readerFor(view)
        .metadata()
        .catch(() => undefined);
      return metadata === undefined ? undefined : freshnessOf(view.name, metadata);
    });
    return answers.filter((answer) => answer !== undefined);
  }

  stats(): {
    tables: Record<string, ReaderCounters & { snapshotId: string | null }>;
    rowCache: { files: number; rows: number; hits: number; loads: number };
    rowStore: (FileRowStoreCounters & { pending: number }) | null;
  } {
    const tables: Record<string, ReaderCounters & { snapshotId: string | null }> = {};
    for (const reader of this.readers.values())
      tables[reader.name] = { ...reader.counters, snapshotId: reader.snapshotId?.toString() ?? null };
    return {
      tables,
      rowCache: { ...this.rowCache.size, hits: this.rowCache.hits, loads: this.rowCache.loads },
      rowStore: this.rowStore === undefined ? null : { ...this.rowStore.counters, pending: this.rowStore.pending },
    };
  }

  /** Resolves once the row store has stored every large file of the snapshots read so far. */
  rowStoreIdle(): Promise<void> {
    return this.rowStore?.idle() ?? Promise.resolve();
  }

  /** Closes the row store's files. */
  close(): void {
    this.rowStore?.close();
  }

  /**
   * What a request's features resolve to, kept by their names: a model asks for the same list on
   * every read. Only lists of strings without line breaks are kept (the key joins them with one), so
   * an invalid list is refused every time it comes.
   */
  private planOf(request: OnlineFeaturesRequest): FeaturePlan {
    const key =
      'features' in request &&
      Array.isArray(request.features) &&
      request.features.every((name) => typeof name === 'string' && !name.includes('\n'))
        ? `features|${request.features.join('\n')}`
        : 'featureService' in request && typeof request.featureService === 'string'
          ? `service|${request.featureService}`
          : undefined;
    let plan = key === undefined ? undefined : this.plans.get(key);
    if (plan === undefined) {
      plan = planOnlineSelection(this.options.registry, request);
      if (key !== undefined) {
        if (this.plans.size >= MAX_HELD_PLANS) this.plans.clear();
        this.plans.set(key, plan);
      }
    }
    return plan;
  }

  private readerFor(view: FeatureViewDefinition): OnlineTableReader {
    let reader = this.readers.get(view);
    if (!reader) {
      const identifier = this.options.registry.onlineTableOf(view);
      const keys: KeyColumn[] = this.options.registry.joinKeysOf(view).map((key) => ({ name: key.name, type: key.type as PrimitiveType }));
      reader = new OnlineTableReader(
        identifier,
        keys,
        {
          keys: keys.map((column) => column.name),
          // An aggregated view's table holds tiles: its reader reads the tile columns.
          features: isAggregatedView(view)
            ? onlineTableLayout(this.options.registry, view).featureColumns
            : view.features.map((feature) => feature.name),
          eventTs: ONLINE_EVENT_TS,
          createdTs: ONLINE_CREATED_TS,
          materializedAt: ONLINE_MATERIALIZED_AT,
        },
        {
          catalog: this.options.catalog,
          engine: this.options.engine,
          rowCache: this.rowCache,
          ...defined({ rowStore: this.rowStore }),
          // An aggregated view's files hold tiles, read by lookupTiles only.
          readsTiles: isAggregatedView(view),
          refreshIntervalMs: this.options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS,
          clock: this.clock,
          byNameAnswers: this.byNameAnswers,
        },
      );
      this.readers.set(view, reader);
    }
    return reader;
  }
}

function viewRead(
  view: FeatureViewDefinition,
  reader: OnlineTableReader,
  result: { readonly state: TableState; readonly filesRead: readonly string[] },
): Omit<ViewRead, 'exactAsOf'> {
  return {
    featureView: view.name,
    table: reader.name,
    snapshotId: result.state.snapshotId,
    dataFiles: result.state.index?.dataFiles ?? 0,
    filesRead: result.filesRead,
  };
}

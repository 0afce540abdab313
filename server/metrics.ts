import { Counter, Gauge, Histogram } from 'prom-client';
import { processMetricsRegistry } from '../core/metrics-registry.js';
import type { LatestMismatchRate } from '../features/consistency/index.js';
import type { OnlineFeaturesResponse, ViewFreshness } from '../features/online/index.js';

/** The feature server's Prometheus metrics, beside the process's own. */
export class ServerMetrics {
  readonly registry = processMetricsRegistry();
  private readonly duration = new Histogram({
    name: 'floe_http_request_duration_seconds',
    help: 'HTTP request duration by route and status code',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly entityRows = new Counter({
    name: 'floe_online_entity_rows_total',
    help: 'Entity rows asked for',
    registers: [this.registry],
  });
  private readonly values = new Counter({
    name: 'floe_online_feature_values_total',
    help: 'Feature values served, by feature view and status',
    labelNames: ['feature_view', 'status'] as const,
    registers: [this.registry],
  });

  private readonly pushLate = new Counter({
    name: 'floe_push_late_events_total',
    help: "Pushed events landed later than an aggregated view's allowedLateness: in the source table, online from the view's next materialization",
    labelNames: ['push_source', 'feature_view'] as const,
    registers: [this.registry],
  });

  constructor(
    options: {
      readonly consistency?: ConsistencyGaugeSource;
      readonly freshness?: FreshnessSource;
      /** The online store's row store (null when it has none). */
      readonly rowStore?: () => RowStoreFigures | null;
    } = {},
  ) {
    if (options.freshness !== undefined) this.registerFreshness(options.freshness);
    if (options.rowStore !== undefined) this.registerRowStore(options.rowStore);
    const source = options.consistency;
    if (source !== undefined) {
      const refreshMs = source.refreshMs ?? DEFAULT_CONSISTENCY_REFRESH_MS;
      const clock = source.clock ?? Date.now;
      let readAt: number | undefined;
      new Gauge({
        name: 'floe_online_offline_mismatch_rate',
        help: "Share of sampled entities whose online value differs from the offline one, per view and feature, from the latest consistency check's report",
        labelNames: ['view', 'feature'] as const,
        registers: [this.registry],
        // Read on scrape, at most once per refreshMs (checks run hourly, scrapes every few seconds);
        // a failed read keeps the values of the last one that worked and is retried next scrape.
        async collect() {
          if (readAt !== undefined && clock() - readAt < refreshMs) return;
          const rows = await source.read(source.table).catch(() => undefined);
          if (rows === undefined) return;
          readAt = clock();
          this.reset();
          for (const row of rows) this.set({ view: row.featureView, feature: row.feature }, row.mismatchRate);
        },
      });
    }
  }

  /** Both gauges are set on scrape from one read of the views' metadata (prom-client collects a registry's metrics at once). */
  private registerFreshness(source: FreshnessSource): void {
    const clock = source.clock ?? Date.now;
    let reading: Promise<readonly ViewFreshness[]> | undefined;
    const read = (): Promise<readonly ViewFreshness[]> => {
      reading ??= source.read().finally(() => (reading = undefined));
      return reading;
    };
    new Gauge({
      name: 'floe_feature_freshness_seconds',
      help: "Age of each feature view's newest materialized data: now minus the online table's committed watermark",
      labelNames: ['feature_view'] as const,
      registers: [this.registry],
      async collect() {
        const views = await read();
        const now = clock();
        this.reset();
        for (const view of views)
          if (view.watermarkMs !== null) this.set({ feature_view: view.featureView }, Math.max(0, (now - view.watermarkMs) / 1000));
      },
    });
    new Gauge({
      name: 'floe_feature_last_commit_timestamp_seconds',
      help: "When each feature view's online table was last committed to (Unix time): its current snapshot's timestamp",
      labelNames: ['feature_view'] as const,
      registers: [this.registry],
      async collect() {
        const views = await read();
        this.reset();
        for (const view of views) if (view.lastCommitMs !== null) this.set({ feature_view: view.featureView }, view.lastCommitMs / 1000);
      },
    });
  }

  private registerRowStore(figures: () => RowStoreFigures | null): void {
    const gauge = (name: string, help: string, value: (figures: RowStoreFigures) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const now = figures();
          if (now !== null) this.set(value(now));
        },
      });
    };
    gauge(
      'floe_online_row_store_pending_files',
      'Large online data files waiting to be stored on disk (read from Parquet meanwhile)',
      (now) => now.pending,
    );
    gauge('floe_online_row_store_files_built', 'Large online data files stored on disk since the server started', (now) => now.built);
    gauge(
      'floe_online_row_store_failures',
      'Large online data files whose storing failed (read from Parquet instead)',
      (now) => now.buildFailures,
    );
  }

  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.duration.observe({ route, method, status: String(status) }, seconds);
  }

  /** A push batch's late events per aggregated view (told by the Pusher the server listens to). */
  observeLatePush(pushSource: string, late: ReadonlyMap<string, number>): void {
    for (const [view, count] of late) if (count > 0) this.pushLate.inc({ push_source: pushSource, feature_view: view }, count);
  }

  observeResponse(response: OnlineFeaturesResponse): void {
    this.entityRows.inc(response.entities[0]?.values.length ?? 0);
    for (const feature of response.features) {
      const counts = new Map<string, number>();
      for (const status of feature.statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
      for (const [status, count] of counts) this.values.inc({ feature_view: feature.featureView, status }, count);
    }
  }
}

/** Where the mismatch-rate gauge comes from: the consistency report table and how to read its latest rows. */
export interface ConsistencyGaugeSource {
  readonly table: string;
  readonly read: (table: string) => Promise<readonly LatestMismatchRate[]>;
  /** How long a read of the table serves scrapes (default 30 s). */
  readonly refreshMs?: number;
  readonly clock?: () => number;
}

const DEFAULT_CONSISTENCY_REFRESH_MS = 30_000;

/** What the row-store gauges show (OnlineStore.stats().rowStore). */
export interface RowStoreFigures {
  readonly pending: number;
  readonly built: number;
  readonly buildFailures: number;
}

/** Where the freshness gauges come from: the views' watermarks and last commits (OnlineStore.freshness). */
export interface FreshnessSource {
  readonly read: () => Promise<readonly ViewFreshness[]>;
  readonly clock?: () => number;
}

import type { Catalog } from '../../iceberg/catalog/catalog.js';
import type { Engine } from '../../engine/duckdb.js';
import type { ViewFreshness } from '../../features/online/index.js';
import type { Registry } from '../../features/registry.js';
import type { UiActions } from './actions.js';
import type { RunsSource } from './runs.js';

/** What the web UI shows: the project's registry, and where its views' freshness comes from. */
export interface UiOptions {
  readonly project: string;
  readonly registry: Registry;
  /** Each online view's watermark and last commit (OnlineStore.freshness). */
  readonly freshness: () => Promise<readonly ViewFreshness[]>;
  /** The instant ages are measured at (epoch ms); Date.now unless told. */
  readonly clock?: () => number;
  /** Where the stream sources' tables are, for their offsets and dead letters on the freshness page; no streams shown without it. */
  readonly catalog?: Catalog;
  /** How long the freshness page waits for a stream's brokers (its lag is unknown past it); STREAM_LAG_TIMEOUT_MS unless told. */
  readonly streamLagTimeoutMs?: number;
  /** Recent workflow runs for the runs page; without it the page says it has none to show. */
  readonly runs?: RunsSource;
  /** The workflows a caller allowed to materialize may start (compaction, backfill); without it the action routes answer 503. */
  readonly actions?: UiActions;
  /** The DuckDB engine the feature values page computes its statistics with (with `catalog`); no statistics without it. */
  readonly engine?: Engine;
  /** floe.yaml's `monitoring.consistencyTable`, listed on the tables page for a caller who may read everything. */
  readonly consistencyTable?: string;
}

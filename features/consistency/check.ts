import { randomUUID } from 'node:crypto';
import { featureColumnType } from '../feature-types.js';
import path from 'node:path';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { toIcebergValue } from '../../engine/values.js';
import { FloeError } from '../../core/errors.js';
import { isoMillis } from '../../contracts/instants.js';
import type { FeatureContext } from '../context.js';
import { signalOf, withScratchDirectory } from '../context.js';
import { getHistoricalFeatures } from '../historical/get-historical-features.js';
import { readWatermark } from '../online-table/table-state.js';
import { OnlineStore } from '../online/online-store.js';
import { presentValue } from '../online/response.js';
import type { OnlineFeaturesResponse, OnlineValue } from '../online/response.js';
import { aggregatedFeaturesOf } from '../aggregations.js';
import { comparisonOf, displayValue, sameFeatureValue } from './compare.js';
import type { ConsistencyReport, FeatureConsistency, MismatchExample } from '../../contracts/consistency.js';
import { sampleEntities } from './sample.js';
import type { EntitySample } from './sample.js';

export interface ConsistencyCheckOptions {
  /** Entities to sample from the online table (default 1000). */
  readonly sample?: number;
  /** Chooses the sample: the same seed and table give the same entities (default 0). */
  readonly seed?: number;
  /** Mismatching entities named per feature (default 10). */
  readonly examples?: number;
  /** When the check runs, recorded in the report (default: the clock). */
  readonly now?: Date;
}

export const DEFAULT_CONSISTENCY_SAMPLE = 1000;
const DEFAULT_EXAMPLES = 10;
/** The entity rows' time column in the offline retrieval; Floe's own name, so no join key can clash with it. */
const AS_OF_COLUMN = 'floe_consistency_as_of';
/** Online reads until one is of a snapshot whose exact instant is the one pinned for TTLs (a commit may land in between). */
const MAX_ONLINE_READS = 4;

/**
 * Measures whether a view's online values equal what training would see: samples entities of its
 * online table, reads their online values, recomputes the same features offline with
 * getHistoricalFeatures for entity rows at the instant the online read says its values are exact
 * for (`ViewRead.exactAsOf`), and compares feature by feature. TTLs apply at that instant on both
 * sides: the online read's clock is pinned to it. Any mismatch is a bug, and the report names the
 * entity and feature. Values must be bit-exact, except floating sums and averages of aggregated
 * views, compared within a relative 1e-12 (compare.ts says why).
 */
export async function checkConsistency(
  context: FeatureContext,
  viewName: string,
  options: ConsistencyCheckOptions = {},
): Promise<ConsistencyReport> {
  const view = context.registry.featureView(viewName);
  const size = positiveCount(options.sample ?? DEFAULT_CONSISTENCY_SAMPLE, 'sample');
  const examples = positiveCount(options.examples ?? DEFAULT_EXAMPLES, 'examples');
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed))
    throw new FloeError('invalid-input', `The consistency check's seed must be an integer, got ${seed}`, { context: { field: 'seed' } });
  const checkedAt = isoMillis((options.now ?? new Date()).getTime());
  return withScratchDirectory(context, `consistency-${randomUUID()}`, async (directory) => {
    const parquetFile = path.join(directory, 'sample.parquet');
    const sample = await context.engine.withConnection(
      (connection) => sampleEntities(context, connection, view, { size, seed, parquetFile }),
      signalOf(context),
    );
    const online = await readOnlineExactly(context, viewName, sample);
    const offline = sample.entities.length === 0 ? [] : await readOffline(context, viewName, sample, parquetFile, online.exactAsOf);
    const aggregated = aggregatedFeaturesOf(view);
    const features = view.features.map((feature): FeatureConsistency => {
      const vector = online.response.features.find((candidate) => candidate.feature === feature.name)!;
      const comparison = comparisonOf(aggregated.find((candidate) => candidate.name === feature.name));
      const found: MismatchExample[] = [];
      let mismatches = 0;
      sample.entities.forEach((_entity, index) => {
        const onlineValue = vector.values[index] ?? null;
        const offlineValue = offline[index]?.get(feature.name) ?? null;
        if (sameFeatureValue(onlineValue, offlineValue, comparison)) return;
        mismatches++;
        if (found.length < examples)
          found.push({ entity: entityText(sample, index), online: displayValue(onlineValue), offline: displayValue(offlineValue) });
      });
      return {
        feature: feature.name,
        mismatches,
        mismatchRate: sample.entities.length === 0 ? 0 : mismatches / sample.entities.length,
        examples: found,
      };
    });
    return {
      featureView: view.name,
      checkedAt,
      exactAsOf: online.exactAsOf,
      onlineSnapshotId: online.snapshotId,
      seed,
      sampled: sample.entities.length,
      population: sample.population,
      mismatches: features.reduce((total, feature) => total + feature.mismatches, 0),
      features,
    };
  });
}

/**
 * The sampled entities' online values, read with the TTL clock pinned to the instant the read's
 * snapshot is exact for. The first guess is the view's watermark − 1 µs; a read that reports
 * another instant (an aggregated view, or a commit that landed meanwhile) is repeated pinned to it.
 */
async function readOnlineExactly(
  context: FeatureContext,
  viewName: string,
  sample: EntitySample,
): Promise<{ response: OnlineFeaturesResponse; exactAsOf: string; snapshotId: string | null }> {
  const watermark = await readWatermark(context, viewName);
  if (watermark === null) throw nothingMaterialized(viewName);
  let pinned = BigInt(watermark.getTime()) * 1000n - 1n;
  const store = new OnlineStore({
    registry: context.registry,
    catalog: context.catalog,
    engine: context.engine,
    refreshIntervalMs: 0,
    clock: () => Number(pinned / 1000n) + Number(pinned % 1000n) / 1000,
  });
  const entityRows = sample.entities.map((entity) =>
    Object.fromEntries(sample.keyColumns.map((column) => [column.name, presentValue(column.type, entity[column.name] ?? null)])),
  );
  for (let attempt = 1; attempt <= MAX_ONLINE_READS; attempt++) {
    const response = await store.getOnlineFeatures({ features: [viewName], entityRows });
    const read = response.reads.find((candidate) => candidate.featureView === viewName);
    if (read === undefined || read.exactAsOf === null) throw nothingMaterialized(viewName);
    const exact = microsOfIso(read.exactAsOf);
    if (exact === pinned) return { response, exactAsOf: read.exactAsOf, snapshotId: read.snapshotId?.toString() ?? null };
    pinned = exact;
  }
  throw new FloeError(
    'commit-conflict',
    `Feature view ${viewName}'s online table kept changing while its consistency was checked; try again`,
    {
      context: { featureView: viewName },
      retryable: true,
    },
  );
}

/** Per sampled entity (in sample order), the offline value of each feature, presented as an online read presents it. */
async function readOffline(
  context: FeatureContext,
  viewName: string,
  sample: EntitySample,
  parquetFile: string,
  exactAsOf: string,
): Promise<Map<string, OnlineValue>[]> {
  const view = context.registry.featureView(viewName);
  const entities = `SELECT *, CAST(${quoteLiteral(exactAsOf)} AS TIMESTAMPTZ) AS ${q(AS_OF_COLUMN)} FROM read_parquet(${quoteLiteral(parquetFile)})`;
  const job = getHistoricalFeatures(context, {
    entities: { sql: entities },
    features: view.features.map((feature) => `${view.name}:${feature.name}`),
    fullFeatureNames: true,
    timestampColumn: AS_OF_COLUMN,
  });
  const rows = await job.run(async (connection, query) => {
    const columns = view.features.map((feature) => q(`${view.name}__${feature.name}`));
    return (await connection.runAndReadAll(`SELECT ${columns.join(', ')} FROM (${query})`)).getRows();
  });
  if (rows.length !== sample.entities.length)
    throw new FloeError(
      'internal',
      `The offline retrieval for ${viewName} returned ${rows.length} rows for ${sample.entities.length} entities`,
    );
  return rows.map(
    (row) =>
      new Map(
        view.features.map((feature, index) => {
          const type = featureColumnType(feature.type);
          return [feature.name, presentValue(type, toIcebergValue(row[index] ?? null, type))];
        }),
      ),
  );
}

function entityText(sample: EntitySample, index: number): string {
  const entity = sample.entities[index]!;
  const parts = sample.keyColumns.map(
    (column) => `${JSON.stringify(column.name)}:${displayValue(presentValue(column.type, entity[column.name] ?? null))}`,
  );
  return `{${parts.join(',')}}`;
}

/** `2024-05-03T11:59:59.999999Z` (as isoMicros writes it) → µs since the epoch. */
function microsOfIso(text: string): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(text);
  const millis = match === null ? Number.NaN : Date.parse(`${match[1]}Z`);
  if (match === null || Number.isNaN(millis)) throw new FloeError('internal', `Not an ISO-8601 UTC instant: ${text}`);
  return BigInt(millis) * 1000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

function nothingMaterialized(viewName: string): FloeError {
  return new FloeError(
    'invalid-input',
    `Feature view ${viewName} has nothing materialized yet: materialize it before checking its consistency`,
    { context: { featureView: viewName } },
  );
}

function positiveCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new FloeError('invalid-input', `The consistency check's ${field} must be a whole number of at least 1, got ${value}`, {
      context: { field },
    });
  return value;
}

/**
 * A project with one of each kind the web UI shows (entity; Iceberg, push, stream and request
 * sources; plain, aggregated and on-demand views; a feature service), over a SQLite catalog, with
 * two scheduled views materialized up to WATERMARK and one never materialized, and the feature
 * server on it with three tokens. Its clock is pinned at NOW: `driver_hourly` (every hour) is
 * fresh, `driver_quick` (every 10 minutes) and `driver_live` (never materialized) are stale.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ServerAuthInput } from '../../../features/config.js';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { defineOnDemandView, defineRequestSource } from '../../../features/on-demand.js';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Definition } from '../../../features/registry.js';
import type { Runtime } from '../../../features/runtime.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { RunsSource } from '../../../server/ui/runs.js';
import type { UiActions } from '../../../server/ui/actions.js';
import { appendQuery } from '../../../engine/write/append-query.js';
import { DEAD_LETTER_FIELDS } from '../../../features/stream/dead-letters.js';
import { streamOffsetsProperty } from '../../../features/online-table/stream-offsets.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { appendSource, createEmptySourceTable } from '../online/online-view.js';
import { featureContext, testRuntime } from '../runtime.js';

const HOUR = 3_600_000;
export const WATERMARK = Date.parse('2024-05-02T00:00:00Z');
/** Half an hour after the watermark: within an hourly schedule's bound (2h), past a 10-minute one's (20m). */
export const NOW = WATERMARK + HOUR / 2;
export const SOURCE_TABLE = 'rides.driver_stats';
export const DEAD_LETTER_TABLE = 'rides.driver_stream_dead_letters';
/** The offsets driver_stream's last batch took the source table to, as its summary records them. */
export const STREAM_OFFSETS = '{"0":"15","1":"7"}';

export const UI_TOKENS = {
  admin: 'ui-admin-token-0123456789',
  liveReader: 'ui-live-reader-token-0123456789',
  nothing: 'ui-nothing-token-0123456789',
  /** May read everything and materialize driver_hourly. */
  operator: 'ui-operator-token-0123456789',
};

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

export const UI_AUTH: ServerAuthInput = {
  tokens: [
    { name: 'admin', sha256: sha256(UI_TOKENS.admin), read: true },
    { name: 'live-reader', sha256: sha256(UI_TOKENS.liveReader), read: { views: ['driver_live'] } },
    { name: 'nothing', sha256: sha256(UI_TOKENS.nothing) },
    { name: 'operator', sha256: sha256(UI_TOKENS.operator), read: true, materialize: ['driver_hourly'] },
  ],
};

const driverFeatures = [
  { name: 'conv_rate', type: 'double' },
  { name: 'trips', type: 'long' },
] as const;

/** Where driver_stream reads from unless told: a port nothing listens on, so its lag is unknown. */
const UNREACHABLE_KAFKA = { brokers: ['127.0.0.1:9092'], topic: 'drivers' };

export function uiDefinitions(kafka: { brokers: string[]; topic: string } = UNREACHABLE_KAFKA): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }], description: 'A driver', tags: { team: 'rides' } }),
    defineIcebergSource({
      name: 'driver_source',
      table: SOURCE_TABLE,
      timestampField: 'event_timestamp',
      createdTimestampField: 'created',
      tags: { team: 'rides' },
    }),
    definePushSource({ name: 'driver_push', batchSource: 'driver_source' }),
    defineStreamSource({ name: 'driver_stream', pushSource: 'driver_push', kafka }),
    defineRequestSource({ name: 'ride_request', fields: [{ name: 'distance', type: 'double' }] }),
    defineFeatureView({
      name: 'driver_hourly',
      entities: ['driver'],
      source: 'driver_source',
      features: [...driverFeatures],
      schedule: { every: { hours: 1 } },
      online: { buckets: 4 },
      owner: 'alice@rides',
      tags: { team: 'rides', tier: 'gold' },
      description: 'Hourly driver statistics',
    }),
    defineFeatureView({
      name: 'driver_quick',
      entities: ['driver'],
      source: 'driver_source',
      features: [...driverFeatures],
      schedule: { every: { minutes: 10 } },
      online: { buckets: 4 },
      owner: 'bob@rides',
    }),
    defineFeatureView({
      name: 'driver_live',
      entities: ['driver'],
      source: 'driver_push',
      features: [...driverFeatures],
      schedule: { every: { hours: 1 } },
      online: { buckets: 4 },
    }),
    defineFeatureView({
      name: 'driver_trip_totals',
      entities: ['driver'],
      source: 'driver_source',
      aggregations: [{ column: 'trips', type: 'long', functions: ['sum'], windows: ['1d'] }],
      online: { buckets: 4 },
      tags: { team: 'finance' },
    }),
    defineOnDemandView({
      name: 'ride_score',
      sources: ['driver_hourly:conv_rate', 'ride_request'],
      features: [{ name: 'score', type: 'double' }],
      compute: (inputs) => ({
        score: ((inputs.driver_hourly?.conv_rate as number | null) ?? 0) * ((inputs.ride_request?.distance as number | null) ?? 0),
      }),
    }),
    defineFeatureService({ name: 'eta_model', features: ['driver_hourly', 'ride_score'], owner: 'alice@rides', tags: { model: 'eta' } }),
  ];
}

/**
 * What `floe stream` leaves of driver_stream: two batches appended to the source table, each
 * recording the offsets it reached; then a commit of another writer, which records none; and two
 * bad messages in the dead-letter table.
 */
async function streamBatches(context: ReturnType<typeof featureContext>): Promise<void> {
  const row = (driver: number) =>
    `SELECT ${driver}::BIGINT AS driver_id, 0.1::DOUBLE AS conv_rate, 1::BIGINT AS trips, TIMESTAMPTZ '2024-05-01 20:00:00+00' AS event_timestamp, TIMESTAMPTZ '2024-05-01 20:00:01+00' AS created`;
  for (const [driver, offsets] of [
    [1003, '{"0":"12","1":"7"}'],
    [1004, STREAM_OFFSETS],
  ] as const)
    await appendQuery({
      ...context,
      identifier: parseTableIdentifier(SOURCE_TABLE),
      query: row(driver),
      summary: { [streamOffsetsProperty('driver_stream')]: offsets },
    });
  await appendQuery({ ...context, identifier: parseTableIdentifier(SOURCE_TABLE), query: row(1005) });
  await createEmptySourceTable(context.catalog, DEAD_LETTER_TABLE, DEAD_LETTER_FIELDS);
  await appendQuery({
    ...context,
    identifier: parseTableIdentifier(DEAD_LETTER_TABLE),
    query: `SELECT * FROM (VALUES ('drivers', 0, 3::BIGINT, NULL, 'not json', 'the value is not JSON', TIMESTAMPTZ '2024-05-01 20:00:00+00'), ('drivers', 1, 4::BIGINT, NULL, '{}', 'no driver_id', TIMESTAMPTZ '2024-05-01 20:00:00+00')) AS v(topic, partition, "offset", key, value, reason, received_at)`,
  });
}

export interface UiServer {
  readonly runtime: Runtime;
  readonly server: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

/** The consistency report table the UI lists (it does not exist: no consistency run made it). */
export const CONSISTENCY_TABLE = 'floe_monitoring.consistency';

/**
 * The project in `directory`, two views materialized, and the feature server with the UI on it
 * (auth unless `auth: false`; runs from `runs`, actions made by `actions` for its runtime;
 * driver_stream on `kafka`'s brokers and topic, unreachable unless told).
 */
export async function startUiServer(
  directory: string,
  options: {
    auth?: boolean;
    runs?: RunsSource;
    actions?: (runtime: Runtime) => UiActions;
    kafka?: { brokers: string[]; topic: string };
  } = {},
): Promise<UiServer> {
  const runtime = await testRuntime({
    directory,
    catalog: {
      type: 'sql',
      // The pyiceberg oracle's catalog name (test/support/pyiceberg.ts), so it reads the tables Floe writes.
      name: 'floe_oracle',
      uri: `sqlite:///${path.join(directory, 'catalog.db')}`,
      warehouse: `file://${path.join(directory, 'warehouse')}`,
    },
    definitions: uiDefinitions(options.kafka),
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await appendSource(context, SOURCE_TABLE, [
    { driver_id: 1001, conv_rate: 0.5, trips: 7, event: WATERMARK - 2 * HOUR, created: WATERMARK - 2 * HOUR },
    { driver_id: 1002, conv_rate: 0.25, trips: 3, event: WATERMARK - HOUR, created: WATERMARK - HOUR },
  ]);
  await streamBatches(context);
  const window = { start: new Date(WATERMARK - 24 * HOUR), end: new Date(WATERMARK) };
  for (const view of ['driver_hourly', 'driver_quick']) await materializeWindow(context, view, window, `ui-${view}`);
  const store = new OnlineStore({
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    refreshIntervalMs: 0,
    clock: () => NOW,
  });
  const server = createFeatureServer({
    store,
    ...(options.auth === false ? {} : { auth: UI_AUTH }),
    ui: {
      project: 'rides',
      registry: runtime.project.registry,
      freshness: () => store.freshness(),
      clock: () => NOW,
      catalog: runtime.catalog,
      engine: runtime.engine,
      consistencyTable: CONSISTENCY_TABLE,
      ...(options.runs === undefined ? {} : { runs: options.runs }),
      ...(options.actions === undefined ? {} : { actions: options.actions(runtime) }),
    },
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    runtime,
    server,
    url,
    async close() {
      await server.close();
      await runtime.close();
    },
  };
}

/**
 * What the pipeline benchmarks share: a Temporal dev server (the one `npm run services -- start`
 * runs, else one started here and stopped at the end), a SQL catalog in a temp folder with a
 * generated source table, and Floe runtimes and workers over it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendQuery } from '../engine/write/append-query.js';
import { driverStatsDefinitions } from './_driver-stats.js';
import type { Definition } from '../features/registry.js';
import type { CatalogConfig } from '../iceberg/catalog/catalog-config.js';
import type { Schema } from '../iceberg/spec/schema.js';
import { readEnvFile } from '../scripts/services/env-file.js';
import { servicesEnvFile } from '../scripts/services/paths.js';
import { startServices } from '../scripts/services/stack.js';
import { testRuntime } from '../test/support/runtime.js';
import { eventMillis, localActivityRuns } from '../test/support/histories.js';
import type { Runtime } from '../features/runtime.js';

export const VIEW = 'driver_stats_view';
export const SOURCE = 'bench.driver_stats';

export const sourceSchema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'driver_id', type: 'long', required: true },
    { id: 2, name: 'conv_rate', type: 'double', required: false },
    { id: 3, name: 'acc_rate', type: 'double', required: false },
    { id: 4, name: 'avg_daily_trips', type: 'long', required: false },
    { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
    { id: 6, name: 'created', type: 'timestamptz', required: false },
  ],
};

export function definitions(): Definition[] {
  return driverStatsDefinitions({ view: VIEW, sourceTable: SOURCE, online: { buckets: 16 } });
}

/** The dev server's address: the running services' (env or .floe/services.env), else one started now. */
export async function temporalAddress(): Promise<{ address: string; stop: () => Promise<void> }> {
  const known = process.env.FLOE_TEST_TEMPORAL_ADDRESS || readEnvFile(servicesEnvFile)?.FLOE_TEST_TEMPORAL_ADDRESS;
  if (known) return { address: known, stop: async () => undefined };
  console.error('starting a Temporal dev server for the benchmark');
  const stack = await startServices(['temporal'], { persist: false });
  const address = stack.env.FLOE_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('the Temporal service did not report its address');
  process.env.FLOE_TEST_TEMPORAL_ADDRESS = address;
  process.env.FLOE_TEST_TEMPORAL_UI_URL = stack.env.FLOE_TEST_TEMPORAL_UI_URL ?? '';
  process.env.FLOE_TEST_TEMPORAL_CLI = stack.env.FLOE_TEST_TEMPORAL_CLI ?? '';
  return { address, stop: () => stack.stop() };
}

export interface BenchCatalog {
  readonly directory: string;
  readonly catalog: CatalogConfig;
  runtime(onlineNamespace: string): Promise<Runtime>;
  close(): Promise<void>;
}

/** A SQL catalog in a temp folder whose source table holds `rows` rows from `query` (DuckDB SQL). */
export async function benchCatalog(options: { rowsQuery: string }): Promise<BenchCatalog> {
  const directory = await mkdtemp(path.join(tmpdir(), 'floe-bench-'));
  const catalog: CatalogConfig = {
    type: 'sql',
    name: 'bench',
    uri: path.join(directory, 'catalog.db'),
    create: true,
    warehouse: path.join(directory, 'warehouse'),
  };
  const runtimes: Runtime[] = [];
  const runtime = async (onlineNamespace: string): Promise<Runtime> => {
    const created = await benchRuntime(directory, catalog, onlineNamespace);
    runtimes.push(created);
    return created;
  };
  const writer = await runtime('writer');
  await writer.catalog.createNamespace(['bench']);
  await writer.catalog.createTable(
    { namespace: ['bench'], name: 'driver_stats' },
    { schema: sourceSchema, properties: { 'format-version': '2' } },
  );
  await appendQuery({
    catalog: writer.catalog,
    engine: writer.engine,
    identifier: { namespace: ['bench'], name: 'driver_stats' },
    query: options.rowsQuery,
    workDirectory: path.join(directory, 'writer'),
  });
  return {
    directory,
    catalog,
    runtime,
    async close() {
      for (const one of runtimes) await one.close().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A runtime over a bench catalog whose online tables go to `onlineNamespace` (also from a child process). */
export function benchRuntime(directory: string, catalog: CatalogConfig, onlineNamespace: string): Promise<Runtime> {
  return testRuntime({ directory: path.join(directory, onlineNamespace), catalog, definitions: definitions(), onlineNamespace });
}

/**
 * `rows` source rows for `entities` drivers, spread evenly over `[start, start + days)`, with a
 * `created` a minute after the event: DuckDB generates them.
 */
export function generatedRows(rows: number, entities: number, start: string, days: number): string {
  const spanMicros = BigInt(days) * 86_400_000_000n;
  return `SELECT (i % ${entities})::BIGINT AS driver_id, ((i * 7919) % 1000) / 1000.0 AS conv_rate, ((i * 104729) % 1000) / 1000.0 AS acc_rate, (i % 500)::BIGINT AS avg_daily_trips,
    TIMESTAMPTZ '${start}' + to_microseconds(((i * ${spanMicros / BigInt(Math.max(rows, 1))}) % ${spanMicros})::BIGINT) AS event_timestamp,
    TIMESTAMPTZ '${start}' + to_microseconds(((i * ${spanMicros / BigInt(Math.max(rows, 1))}) % ${spanMicros})::BIGINT + 60000000) AS created
    FROM range(${rows}) t(i)`;
}

/**
 * Sum of the activities' own run time in a workflow history, in ms: started → completed for each
 * activity, the last attempt's run time for each local one.
 */
export function activityMillis(
  history: {
    events?:
      | {
          eventId?: unknown;
          eventTime?: { seconds?: unknown; nanos?: number | null } | null;
          activityTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null;
          activityTaskCompletedEventAttributes?: { startedEventId?: unknown } | null;
        }[]
      | null;
  } & Parameters<typeof localActivityRuns>[0],
): number {
  const started = new Map<string, number>();
  let total = 0;
  for (const event of history.events ?? []) {
    const at = eventMillis(event.eventTime);
    if (event.activityTaskStartedEventAttributes) started.set(String(event.eventId), at);
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) total += at - (started.get(String(completed.startedEventId)) ?? at);
  }
  return localActivityRuns(history).reduce((sum, run) => sum + run.ms, total);
}

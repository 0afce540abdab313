/**
 * A driver-stats source written by Floe's own append path, the definitions of a view over it, and
 * the brute-force answer online reads are checked against: per driver, the row with the greatest
 * (event_timestamp, created) inside any materialized window, expired when older than the TTL.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { appendQuery } from '../../../engine/write/append-query.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { Duration } from '../../../features/definitions.js';
import type { Definition } from '../../../features/registry.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import type { Engine } from '../../../engine/duckdb.js';
import type { NestedField } from '../../../iceberg/spec/types.js';
import { restCatalogService } from '../services.js';
import { floeRestCatalog } from '../rest-catalog.js';
import { defined } from '../../../contracts/defined.js';

export interface SourceRow {
  readonly driver_id: number;
  readonly conv_rate: number;
  readonly trips: number;
  /** ms since the epoch. */
  readonly event: number;
  readonly created: number;
}

export const VIEW = 'driver_stats_view';

/**
 * `tripsFeature` names the long feature (`trips` unless told), as after a rename of its online
 * column; `extraFeatures` follow it, as after a column was added.
 */
export function definitions(
  sourceTable: string,
  options: {
    buckets: number;
    ttl?: Duration;
    onlineTable?: string;
    tripsFeature?: string;
    extraFeatures?: readonly { name: string; type: 'double' | 'long' }[];
  },
): Definition[] {
  const trips = options.tripsFeature ?? 'trips';
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_source', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'driver_source',
      features: [{ name: 'conv_rate', type: 'double' }, { name: trips, type: 'long' }, ...(options.extraFeatures ?? [])],
      ...defined({ ttl: options.ttl }),
      online: { buckets: options.buckets, ...defined({ table: options.onlineTable }) },
    }),
    defineFeatureService({ name: 'driver_trips_model', features: [`${VIEW}:${trips}`] }),
  ];
}

/** A view of the driver-stats features fed by the push source `driver_push`, online in 4 buckets. */
export function liveView(name: string): Definition {
  return defineFeatureView({
    name,
    entities: ['driver'],
    source: 'driver_push',
    features: [
      { name: 'conv_rate', type: 'double' },
      { name: 'trips', type: 'long' },
    ],
    online: { buckets: 4 },
  });
}

const DRIVER_STATS_FIELDS: readonly NestedField[] = [
  { id: 1, name: 'driver_id', type: 'long', required: true },
  { id: 2, name: 'conv_rate', type: 'double', required: false },
  { id: 3, name: 'trips', type: 'long', required: false },
  { id: 4, name: 'event_timestamp', type: 'timestamptz', required: true },
  { id: 5, name: 'created', type: 'timestamptz', required: false },
];

/** Creates the source table (and its namespace when missing): the driver-stats columns unless given others. */
export async function createEmptySourceTable(
  catalog: Catalog,
  table: string,
  fields: readonly NestedField[] = DRIVER_STATS_FIELDS,
): Promise<void> {
  const identifier = parseTableIdentifier(table);
  if (!(await catalog.namespaceExists(identifier.namespace))) await catalog.createNamespace(identifier.namespace);
  await catalog.createTable(identifier, { schema: { schemaId: 0, identifierFieldIds: [], fields: [...fields] } });
}

export async function appendSource(
  context: { catalog: Catalog; engine: Engine; workDirectory: string },
  table: string,
  rows: readonly SourceRow[],
): Promise<void> {
  const values = rows.map(
    (row) =>
      `(${row.driver_id}::BIGINT, ${row.conv_rate}::DOUBLE, ${row.trips}::BIGINT, ${timestamp(row.event)}, ${timestamp(row.created)})`,
  );
  await appendQuery({
    ...context,
    identifier: parseTableIdentifier(table),
    query: `SELECT * FROM (VALUES ${values.join(', ')}) AS v(driver_id, conv_rate, trips, event_timestamp, created)`,
  });
}

function timestamp(ms: number): string {
  return `CAST(${quoteLiteral(new Date(ms).toISOString())} AS TIMESTAMPTZ)`;
}

export interface Expected {
  readonly conv_rate: number;
  readonly trips: bigint;
  readonly event: number;
}

/** Per driver, the latest row inside any of the windows (a row lands once whatever the windows' overlap). */
export function latestInWindows(rows: readonly SourceRow[], windows: readonly { start: number; end: number }[]): Map<number, Expected> {
  const latest = new Map<number, SourceRow>();
  for (const row of rows) {
    if (!windows.some((window) => row.event >= window.start && row.event < window.end)) continue;
    const held = latest.get(row.driver_id);
    if (!held || row.event > held.event || (row.event === held.event && row.created > held.created)) latest.set(row.driver_id, row);
  }
  return new Map([...latest].map(([driver, row]) => [driver, { conv_rate: row.conv_rate, trips: BigInt(row.trips), event: row.event }]));
}

export interface CatalogCase {
  readonly name: string;
  readonly config: CatalogConfig;
  readonly namespace: string;
}

export function sqlCase(directory: string): CatalogCase {
  return {
    name: 'sql',
    config: {
      type: 'sql',
      uri: `sqlite:///${path.join(directory, 'catalog.db')}`,
      warehouse: `file://${path.join(directory, 'warehouse')}`,
    },
    namespace: 'rides',
  };
}

export function restCase(): CatalogCase {
  const rest = restCatalogService();
  return {
    name: 'rest',
    config: floeRestCatalog(rest),
    namespace: `online_${randomUUID().slice(0, 8)}`,
  };
}

/**
 * The benchmark's feature views, in a module of their own that imports nothing but the definition
 * functions: the generated project that `floe serve` loads (bench/_online/floe-server.ts) imports
 * them, and so do the builders of their tables.
 */
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import type { Definition } from '../../features/registry.js';
import { driverStatsDefinitions } from '../_driver-stats.js';

export const VIEW = 'driver_hourly_stats';
export const FEATURES = ['conv_rate', 'acc_rate', 'avg_daily_trips'];
export const AGGREGATED_VIEW = 'driver_windows';

/** A plain view of three features whose online table is `onlineTable` (its source is never read: the tables are written directly). */
export function plainDefinitions(onlineTable: string, buckets: number): Definition[] {
  return driverStatsDefinitions({ view: VIEW, sourceTable: 'bench_source.driver_stats', online: { buckets, table: onlineTable } });
}

/** count/sum/avg/min/max of conv_rate over 1h, 1d and 7d from `sourceTable`, tiles in `onlineTable`. */
export function aggregatedDefinitions(sourceTable: string, onlineTable: string, buckets: number): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_events', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: AGGREGATED_VIEW,
      entities: ['driver'],
      source: 'driver_events',
      aggregations: [{ column: 'conv_rate', functions: ['count', 'sum', 'avg', 'min', 'max'], windows: ['1h', '1d', '7d'] }],
      online: { buckets, table: onlineTable },
    }),
  ];
}

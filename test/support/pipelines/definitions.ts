/** The pipelines tests' project: drivers, their stats in a source table, one feature view. */
import type { FeatureViewInput } from '../../../features/definitions.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { Definition } from '../../../features/registry.js';
import { defined } from '../../../contracts/defined.js';

export const VIEW = 'driver_hourly_stats';
export const BUCKETS = 4;

export function driverDefinitions(
  sourceTable: string,
  schedule?: FeatureViewInput['schedule'],
  viewName: string = VIEW,
  compaction?: FeatureViewInput['compaction'],
  consistency?: FeatureViewInput['consistency'],
): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'driver_stats', table: sourceTable, timestampField: 'event_timestamp', createdTimestampField: 'created' }),
    defineFeatureView({
      name: viewName,
      entities: ['driver'],
      source: 'driver_stats',
      features: [
        { name: 'conv_rate', type: 'double' },
        { name: 'acc_rate', type: 'double' },
        { name: 'avg_daily_trips', type: 'long' },
      ],
      online: { buckets: BUCKETS },
      ...defined({ schedule, compaction, consistency }),
    }),
  ];
}

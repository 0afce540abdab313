/**
 * The drivers' stats view the benchmarks read (three features from a source of driver stats), in a
 * module that imports nothing but the definition functions, so a generated project can load it.
 */
import { defineEntity, defineFeatureView, defineIcebergSource } from '../features/definitions.js';
import type { FeatureViewInput } from '../features/definitions.js';
import type { Definition } from '../features/registry.js';

export function driverStatsDefinitions(options: {
  readonly view: string;
  readonly sourceTable: string;
  readonly online: FeatureViewInput['online'];
}): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({
      name: 'driver_stats',
      table: options.sourceTable,
      timestampField: 'event_timestamp',
      createdTimestampField: 'created',
    }),
    defineFeatureView({
      name: options.view,
      entities: ['driver'],
      source: 'driver_stats',
      features: [
        { name: 'conv_rate', type: 'double' },
        { name: 'acc_rate', type: 'double' },
        { name: 'avg_daily_trips', type: 'long' },
      ],
      online: options.online,
    }),
  ];
}

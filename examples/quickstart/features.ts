// The quickstart's definitions: drivers, their hourly stats in an Iceberg table, and one feature view.
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';

export const driver = defineEntity({
  name: 'driver',
  joinKeys: [{ name: 'driver_id', type: 'long' }],
  description: 'A driver, identified by driver_id',
});

export const driverStats = defineIcebergSource({
  name: 'driver_stats',
  table: 'rides.driver_stats',
  timestampField: 'event_timestamp',
  createdTimestampField: 'created',
});

export const driverHourlyStats = defineFeatureView({
  name: 'driver_hourly_stats',
  entities: ['driver'],
  source: 'driver_stats',
  features: [
    { name: 'conv_rate', type: 'double' },
    { name: 'acc_rate', type: 'double' },
    { name: 'avg_daily_trips', type: 'long' },
  ],
  ttl: { days: 1 },
  online: { buckets: 16 },
});

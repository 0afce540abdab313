import type { Context } from '@temporalio/activity';
import type { ActivityInterceptors } from '@temporalio/worker';

/**
 * Records how long each activity took (local ones too), by `outcome`, as
 * `floe_activity_duration_seconds` on the activity's meter, which the SDK tags with `activityType`,
 * `namespace` and `taskQueue`.
 */
export function activityDurationInterceptor(context: Context): ActivityInterceptors {
  return {
    inbound: {
      async execute(input, next) {
        const started = performance.now();
        let outcome = 'failed';
        try {
          const result = await next(input);
          outcome = 'completed';
          return result;
        } finally {
          context.metricMeter
            .createHistogram('floe_activity_duration_seconds', 'float', undefined, 'Activity durations, by activity type and outcome')
            .record((performance.now() - started) / 1000, { outcome });
        }
      },
    },
  };
}

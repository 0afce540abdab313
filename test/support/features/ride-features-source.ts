import { featuresModule } from '../cli-project.js';

/**
 * features.ts source, appended to a driver-stats project's: a request source `ride` (distance_km),
 * the on-demand view `ride_features` over `view`'s conv_rate and avg_daily_trips and the ride's
 * distance (expected_conversions, trips_per_km; null where an input is), the on-demand view
 * `ride_vector` whose list feature `pair` is [conv_rate, distance_km] (null without conv_rate; a
 * null distance_km is kept inside), and the feature service `model`
 * (`view`'s acc_rate and ride_features). `more` is appended after (a push source, another service).
 */
export function rideFeaturesSource(view: string, more = ''): string {
  return `
import { defineFeatureService } from ${featuresModule('definitions.ts')};
import { defineOnDemandView, defineRequestSource } from ${featuresModule('on-demand.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
export const ride = defineRequestSource({ name: 'ride', fields: [{ name: 'distance_km', type: 'double' }] });
export const rideFeatures = defineOnDemandView({
  name: 'ride_features',
  sources: ['${view}:conv_rate', '${view}:avg_daily_trips', ride],
  features: [{ name: 'expected_conversions', type: 'double' }, { name: 'trips_per_km', type: 'double' }],
  compute: ({ ${view}: stats, ride: request }) => {
    const conv = stats?.conv_rate ?? null;
    const trips = stats?.avg_daily_trips ?? null;
    const km = request?.distance_km ?? null;
    return {
      expected_conversions: conv === null || km === null ? null : (conv as number) * (km as number),
      trips_per_km: trips === null || km === null || km === 0 ? null : (trips as number) / (km as number),
    };
  },
});
export const rideVector = defineOnDemandView({
  name: 'ride_vector',
  sources: ['${view}:conv_rate', ride],
  features: [{ name: 'pair', type: 'list<double>' }],
  compute: ({ ${view}: stats, ride: request }) => {
    const conv = stats?.conv_rate ?? null;
    return { pair: conv === null ? null : [conv as number, (request?.distance_km ?? null) as number | null] };
  },
});
export const model = defineFeatureService({ name: 'model', features: ['${view}:acc_rate', 'ride_features'] });
${more}`;
}

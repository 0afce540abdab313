// The bench's Floe definitions, in one place: Floe's own run (floe-run.ts) registers them, and the
// project `floe serve` runs for Feast's remote offline store (remote-floe.ts) exports them.
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../features/definitions.js';
import type { Definition } from '../../features/registry.js';
import { defineOnDemandView, defineRequestSource } from '../../features/on-demand.js';
import type { OnDemandInputs } from '../../features/on-demand.js';
import { featureName, FEATURES, TTL_DAYS, VIEWS } from './data.js';

const [first, second] = VIEWS;
// The inputs' names, known when the view is defined (as a user writes `inputs.trips.trips_f1`).
const [a, b, c] = [featureName(first, 1), featureName(first, 2), featureName(second, 1)];

/**
 * The driver entity and, per view, its Iceberg source (`bench.<view>`) and feature view. With
 * `onDemand`, an on-demand view `derived` over two views' features and a request field (the entity
 * rows' request_id).
 */
export function pitDefinitions(options: { readonly onDemand?: boolean } = {}): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    ...VIEWS.flatMap((view) => [
      defineIcebergSource({
        name: `${view}_source`,
        table: `bench.${view}`,
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
      }),
      defineFeatureView({
        name: view,
        entities: ['driver'],
        source: `${view}_source`,
        ttl: { days: TTL_DAYS },
        features: FEATURES.map((index) => ({ name: featureName(view, index), type: 'double' as const })),
      }),
    ]),
    ...(options.onDemand === true ? onDemandDefinitions() : []),
  ];
}

function onDemandDefinitions(): Definition[] {
  return [
    defineRequestSource({ name: 'request', fields: [{ name: 'request_id', type: 'long' }] }),
    defineOnDemandView({
      name: 'derived',
      sources: [`${first}:${a}`, `${first}:${b}`, `${second}:${c}`, 'request'],
      features: [
        { name: 'ratio', type: 'double' },
        { name: 'request_bucket', type: 'long' },
      ],
      compute: (inputs: OnDemandInputs) => {
        const trips = inputs[first]!;
        const x = trips[a] as number | null;
        const y = trips[b] as number | null;
        const z = inputs[second]![c] as number | null;
        const id = inputs.request!.request_id as number | null;
        return {
          ratio: x === null || y === null || z === null ? null : (x + y) / (Math.abs(z) + 1),
          request_bucket: id === null ? null : id % 16,
        };
      },
    }),
  ];
}

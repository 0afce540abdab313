import { OnlineStore } from '../../features/online/index.js';
import type { Runtime } from '../../features/runtime.js';
import { VIEW } from '../_pipelines.js';
import { SAMPLE_FEATURES } from './feast.js';
import type { SampleRow } from './feast.js';

/** Floe's online values for `sample` (driver ids), read as `floe serve` reads them, in SAMPLE_FEATURES order. */
export async function floeSample(runtime: Runtime, sample: readonly number[]): Promise<SampleRow[]> {
  const store = new OnlineStore({ registry: runtime.registry, catalog: runtime.catalog, engine: runtime.engine });
  const response = await store.getOnlineFeatures({
    features: SAMPLE_FEATURES.map((name) => `${VIEW}:${name}`),
    entityRows: sample.map((driver_id) => ({ driver_id })),
  });
  const vectors = SAMPLE_FEATURES.map((name) => response.features.find((vector) => vector.feature === name)!);
  return sample.map((_, index) => {
    if (vectors.every((vector) => vector.statuses[index] === 'NOT_FOUND')) return null;
    return vectors.map((vector) => {
      const value = vector.values[index] ?? null;
      return value === null ? null : Number(value);
    });
  });
}

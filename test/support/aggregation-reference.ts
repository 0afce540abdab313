/**
 * Brute-force windowed aggregations, straight from the contract in features/aggregations.ts: for an
 * entity row at t, window w covers its events with t − w < event_ts ≤ t. Tests check the online
 * tiles (and may check the offline engine) against it.
 */
import type { AggregatedFeature } from '../../features/aggregations.js';

export interface ReferenceEvent {
  /** µs since the epoch. */
  readonly eventTs: bigint;
  readonly createdTs: bigint | null;
  readonly value: number | null;
}

export function referenceAggregates(
  features: readonly AggregatedFeature[],
  events: readonly ReferenceEvent[],
  at: bigint,
): (number | bigint | null)[] {
  return features.map((feature) => {
    // Online and offline reads give a long as a bigint.
    const typed = (value: number | null | undefined) =>
      value === null || value === undefined ? null : feature.type === 'long' ? BigInt(value) : value;
    const from = at - BigInt(feature.windowSeconds) * 1_000_000n;
    const inWindow = events.filter((event) => event.eventTs > from && event.eventTs <= at);
    const values = inWindow.map((event) => event.value).filter((value): value is number => value !== null);
    const sum = values.length === 0 ? null : values.reduce((total, value) => total + value, 0);
    switch (feature.function) {
      case 'count':
        return BigInt(values.length);
      case 'sum':
        return typed(sum);
      case 'avg':
        return sum === null ? null : sum / values.length;
      case 'min':
        return values.length === 0 ? null : typed(Math.min(...values));
      case 'max':
        return values.length === 0 ? null : typed(Math.max(...values));
      case 'last': {
        let best: ReferenceEvent | null = null;
        for (const event of inWindow) if (best === null || laterThan(event, best)) best = event;
        return typed(best?.value);
      }
    }
  });
}

function laterThan(a: ReferenceEvent, b: ReferenceEvent): boolean {
  if (a.eventTs !== b.eventTs) return a.eventTs > b.eventTs;
  if (a.createdTs !== b.createdTs) return b.createdTs === null || (a.createdTs !== null && a.createdTs > b.createdTs);
  if (a.value === b.value) return false;
  return b.value === null || (a.value !== null && a.value > b.value);
}

import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import { watermarkOf } from '../online-table/table-state.js';
import { isoMicros } from './response.js';

/** A table's watermark (ms) and the instant its values are exact for (1 µs before), worked out once per metadata. */
const watermarks = new WeakMap<TableMetadata, { millis: number; exactAsOf: string } | null>();

export function heldWatermarkOf(metadata: TableMetadata): { millis: number; exactAsOf: string } | null {
  let held = watermarks.get(metadata);
  if (held === undefined) {
    const millis = watermarkOf(metadata);
    held = millis === null ? null : { millis, exactAsOf: isoMicros(BigInt(millis) * 1000n - 1n) };
    watermarks.set(metadata, held);
  }
  return held;
}

import type { FieldSummary } from './manifest.js';
import type { PartitionSpec, PartitionValues } from './partition.js';
import type { Schema } from './schema.js';
import { bindPartitionField } from './transforms.js';
import type { PrimitiveValue } from './types.js';
import { compareValues } from './value-order.js';
import { toBinary } from './values.js';

/**
 * Per partition field of a manifest: whether any file has a null (or NaN) value, and the bounds
 * of the other values, serialized as the partition field's result type (spec: "Manifest Lists").
 */
export function summarizePartitions(spec: PartitionSpec, schema: Schema, values: readonly PartitionValues[]): FieldSummary[] {
  return spec.fields.map((_, index) => {
    const { resultType } = bindPartitionField(spec, schema, index);
    let containsNull = false;
    let containsNan = false;
    let lower: PrimitiveValue | undefined;
    let upper: PrimitiveValue | undefined;
    for (const tuple of values) {
      const value = tuple[index] ?? null;
      if (value === null) {
        containsNull = true;
      } else if (typeof value === 'number' && Number.isNaN(value)) {
        containsNan = true;
      } else {
        if (lower === undefined || compareValues(resultType, value, lower) < 0) lower = value;
        if (upper === undefined || compareValues(resultType, value, upper) > 0) upper = value;
      }
    }
    return {
      containsNull,
      containsNan,
      lowerBound: lower === undefined ? null : toBinary(resultType, lower),
      upperBound: upper === undefined ? null : toBinary(resultType, upper),
    };
  });
}

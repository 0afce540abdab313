/**
 * Pruning by a large set of key values, without filtering rows: a data file is kept only when its
 * partition (a `bucket[N]` or `identity` field of the key column) or its key bounds can hold one
 * of the values. The same answer as the inclusive pruning of `column in (values)`, but each file
 * costs a set lookup and a binary search instead of a pass over every value, and nothing reaches
 * the row filter (a caller whose join drops the other rows anyway would only pay for a long `IN`).
 */
import { bind } from '../expressions/bind.js';
import { isIn } from '../expressions/expression.js';
import type { FilterLiteral } from '../expressions/expression.js';
import { convertLiteral } from '../expressions/literals.js';
import { compareForPruning, decodeBound, hasFormOf } from '../expressions/value-range.js';
import type { DataFile } from '../spec/manifest.js';
import type { PartitionSpec } from '../spec/partition.js';
import type { Schema } from '../spec/schema.js';
import { parseTransform } from '../spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../spec/types.js';

export type DataFileTest = (file: DataFile, specId: number) => boolean;

/** Whether a data file may hold a row whose `column` is one of `values` (null values never match). */
export function keySetPruning(
  schema: Schema,
  specs: readonly PartitionSpec[],
  column: string,
  values: readonly FilterLiteral[],
  options: { readonly table?: string } = {},
): DataFileTest {
  const field = schema.fields.find((candidate) => candidate.name === column);
  if (field === undefined || typeof field.type !== 'string') {
    // bind names the column and what the schema has.
    bind(isIn(column, [...values.slice(0, 1)]), schema, options);
    return () => true;
  }
  const { id: fieldId, type } = field;
  // Converted as bind converts an in filter's literals, but sorted and deduplicated in n log n (bind keeps their order, in n²).
  const converted: PrimitiveValue[] = [];
  for (const literal of values) {
    const result = convertLiteral(literal, { column, type, table: options.table });
    // A value outside the column's range equals none of its values.
    if ('value' in result) converted.push(result.value);
  }
  converted.sort((a, b) => compareForPruning(type, a, b));
  const sorted = converted.filter((value, index) => index === 0 || compareForPruning(type, converted[index - 1]!, value) !== 0);
  if (sorted.length === 0) return () => false;
  const partitionTests = new Map(specs.map((spec) => [spec.specId, partitionTest(spec, fieldId, type, sorted)]));
  return (file, specId) => {
    const partitionMayMatch = partitionTests.get(specId);
    if (partitionMayMatch && !partitionMayMatch(file.partition)) return false;
    return boundsMayHold(
      type,
      sorted,
      decodeBound(type, file.lowerBounds?.get(fieldId)),
      decodeBound(type, file.upperBounds?.get(fieldId)),
    );
  };
}

/** The spec's bucket and identity fields of the key, each a set of the partition values the keys fall in. */
function partitionTest(
  spec: PartitionSpec,
  fieldId: number,
  type: PrimitiveType,
  sorted: readonly PrimitiveValue[],
): ((partition: readonly (PrimitiveValue | null)[]) => boolean) | undefined {
  const tests: ((partition: readonly (PrimitiveValue | null)[]) => boolean)[] = [];
  spec.fields.forEach((field, position) => {
    if (field.sourceId !== fieldId) return;
    const transform = parseTransform(field.transform);
    if (transform.kind !== 'bucket' && transform.kind !== 'identity') return;
    if (!transform.canTransform(type)) return;
    const bound = transform.bind(type);
    const held = new Set(sorted.map((value) => valueKey(bound.apply(value))));
    tests.push((partition) => {
      // A tuple shorter than its spec, or a value of another form (written under an older type), is not ours to judge.
      if (position >= partition.length) return true;
      const value = partition[position] ?? null;
      return (value !== null && !hasFormOf(bound.resultType, value)) || held.has(valueKey(value));
    });
  });
  return tests.length === 0 ? undefined : (partition) => tests.every((test) => test(partition));
}

function valueKey(value: PrimitiveValue | null): string {
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('hex')}`;
  return `${typeof value}:${String(value)}`;
}

/** Whether some value lies within [lower, upper]; missing or foreign-typed bounds never prune. */
function boundsMayHold(
  type: PrimitiveType,
  sorted: readonly PrimitiveValue[],
  lower: PrimitiveValue | undefined,
  upper: PrimitiveValue | undefined,
): boolean {
  if (lower !== undefined && !hasFormOf(type, lower)) return true;
  if (upper !== undefined && !hasFormOf(type, upper)) return true;
  // The first value at or above the lower bound.
  let low = 0;
  let high = sorted.length;
  if (lower !== undefined) {
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareForPruning(type, sorted[middle]!, lower) < 0) low = middle + 1;
      else high = middle;
    }
  }
  if (low >= sorted.length) return false;
  return upper === undefined || compareForPruning(type, sorted[low]!, upper) <= 0;
}

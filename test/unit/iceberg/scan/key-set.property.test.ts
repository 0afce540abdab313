// keySetPruning keeps exactly the data files the inclusive pruning of `column in (values)` keeps
// (partition by bucket[N] or identity of the key, or none; the file's key bounds), never drops a
// file holding one of the values, and answers for many values without a pass over all of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { isIn } from '../../../../iceberg/expressions/expression.js';
import { metricsEvaluator } from '../../../../iceberg/expressions/metrics-evaluator.js';
import { partitionEvaluator } from '../../../../iceberg/expressions/partition-evaluator.js';
import { keySetPruning } from '../../../../iceberg/scan/key-set.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import { dataFileMetrics } from '../../../../iceberg/spec/metrics.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { parseTransform } from '../../../../iceberg/spec/transforms.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'driver_id', required: false, type: 'long' },
    { id: 2, name: 'amount', required: false, type: 'long' },
  ],
};
const specs = (transform: string | null): PartitionSpec[] => [
  { specId: 0, fields: transform === null ? [] : [{ sourceId: 1, fieldId: 1000, name: 'driver_part', transform }] },
];

/** A data file of these keys (all in one partition of the spec's transform), with the metrics Floe's writer derives. */
function fileOf(keys: readonly bigint[], transform: string | null): DataFile {
  const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    content: 'data',
    filePath: 'mem://f.parquet',
    fileFormat: 'PARQUET',
    partition: transform === null ? [] : [parseTransform(transform).bind('long').apply(sorted[0]!)],
    recordCount: keys.length,
    fileSizeInBytes: 1,
    ...dataFileMetrics(
      schema,
      [{ fieldId: 1, valueCount: keys.length, nullCount: 0, nanCount: 0, min: sorted[0]!, max: sorted.at(-1)! }],
      {},
    ),
  };
}

test('keySetPruning agrees with the inclusive pruning of an in filter, and keeps every file holding a value', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(null, 'bucket[4]', 'bucket[16]', 'identity'),
      fc.array(fc.bigInt({ min: -50n, max: 50n }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.bigInt({ min: -60n, max: 60n }), { maxLength: 30 }),
      (transform, fileKeys, values) => {
        // A file is one partition: under bucket or identity, its keys share the first key's partition value.
        const partitioned = transform === null ? null : parseTransform(transform).bind('long');
        const keys = partitioned === null ? fileKeys : fileKeys.filter((key) => partitioned.apply(key) === partitioned.apply(fileKeys[0]!));
        const file = fileOf(keys, transform);
        const filter = bind(isIn('driver_id', values), schema);
        const inclusive = partitionEvaluator(filter, specs(transform))(0, file.partition) && metricsEvaluator(filter)(file);
        const kept = keySetPruning(schema, specs(transform), 'driver_id', values)(file, 0);
        assert.equal(kept, inclusive);
        if (values.some((value) => keys.includes(value))) assert.ok(kept, 'a file holding a value was dropped');
      },
    ),
    { numRuns: 500 },
  );
});

test('keySetPruning prunes by bucket and bounds with 100k values', () => {
  const values = Array.from({ length: 100_000 }, (_, index) => BigInt(index * 2));
  const transform = 'bucket[8]';
  const keep = keySetPruning(schema, specs(transform), 'driver_id', values);
  // Odd keys only, between two values: the bounds rule it out.
  assert.equal(keep(fileOf([1001n, 1001n], transform), 0), false);
  assert.equal(keep(fileOf([1000n, 1000n], transform), 0), true);
  assert.equal(keep(fileOf([300_000n, 300_002n], null), 0), false, 'above every value');
  assert.equal(keep(fileOf([-5n, 0n], null), 0), true);
});

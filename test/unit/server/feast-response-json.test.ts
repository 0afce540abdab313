// The feature server writes its JSON directly; it must equal, byte for byte, lossless-json's
// stringify of the Feast response it replaced, for any values a read can return, except that a
// whole float or double is written with a fraction, as Feast's own server writes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify as stringifyLossless } from 'lossless-json';
import type { FeatureStatus, OnlineFeaturesResponse, OnlineValue } from '../../../features/online/index.js';
import type { IcebergType } from '../../../iceberg/spec/types.js';
import { FEAST_NULL_TIMESTAMP, feastResponseJson, feastTimestamp, jsonSafe } from '../../../server/feast-response.js';

const value: fc.Arbitrary<OnlineValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 5e-324),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.string(),
  fc.constantFrom('quote " backslash \\ newline \n', '\u2028\u0000é😀'),
);
const timestamp = fc.option(
  fc.constantFrom(
    '2024-06-01T10:00:00.000000Z',
    '2024-06-01T10:00:00.123000Z',
    '2024-06-01T10:00:00.123456Z',
    '+010000-01-01T00:00:00.000001Z',
  ),
  { nil: null },
);
const status = fc.constantFrom<FeatureStatus>('PRESENT', 'NOT_FOUND', 'OUTSIDE_MAX_AGE');

const response = fc.integer({ min: 0, max: 6 }).chain((rows) =>
  fc.record({
    entities: fc.array(fc.record({ name: fc.string(), values: fc.array(value, { minLength: rows, maxLength: rows }) }), { maxLength: 2 }),
    features: fc.array(
      fc.record({
        featureView: fc.string(),
        feature: fc.string(),
        // Without floats in the type, values are written as lossless-json wrote them; floats below.
        type: fc.constantFrom<IcebergType>('string', 'long', { type: 'list', elementId: 1, element: 'int', elementRequired: false }),
        values: fc.array(value, { minLength: rows, maxLength: rows }),
        statuses: fc.array(status, { minLength: rows, maxLength: rows }),
        eventTimestamps: fc.array(timestamp, { minLength: rows, maxLength: rows }),
      }),
      { maxLength: 4 },
    ),
  }),
);

test('feastResponseJson writes what lossless-json wrote for the Feast response', () => {
  fc.assert(
    fc.property(response, fc.boolean(), fc.boolean(), (generated, fullFeatureNames, share) => {
      // Features of one view share their statuses and event times, as the online store answers them.
      const features = generated.features.map((feature, index) => ({
        ...feature,
        ref: `${feature.featureView}:${feature.feature}`,
        ...(share && index > 0
          ? { statuses: generated.features[0]!.statuses, eventTimestamps: generated.features[0]!.eventTimestamps }
          : {}),
      }));
      const online: OnlineFeaturesResponse = { entities: generated.entities, features, reads: [] };
      assert.equal(feastResponseJson(online, { fullFeatureNames }), stringifyLossless(toFeastResponse(online, { fullFeatureNames })));
    }),
    { numRuns: 500 },
  );
});

/** Feast's response layout: key columns first (PRESENT, epoch timestamps), then one vector per feature. */
interface FeastResponse {
  readonly metadata: { readonly feature_names: readonly string[] };
  readonly results: readonly {
    readonly values: readonly OnlineValue[];
    readonly statuses: readonly FeatureStatus[];
    readonly event_timestamps: readonly string[];
  }[];
}

/** The reference: the Feast response as the server built it before, for lossless-json to write. */
function toFeastResponse(response: OnlineFeaturesResponse, options: { fullFeatureNames: boolean }): FeastResponse {
  const names: string[] = [];
  const results: FeastResponse['results'][number][] = [];
  for (const entity of response.entities) {
    names.push(entity.name);
    results.push({
      values: entity.values,
      statuses: entity.values.map(() => 'PRESENT'),
      event_timestamps: entity.values.map(() => FEAST_NULL_TIMESTAMP),
    });
  }
  for (const feature of response.features) {
    names.push(options.fullFeatureNames ? `${feature.featureView}__${feature.feature}` : feature.feature);
    results.push({
      values: feature.values.map(jsonSafe),
      statuses: feature.statuses,
      event_timestamps: feature.eventTimestamps.map((timestamp) => (timestamp === null ? FEAST_NULL_TIMESTAMP : feastTimestamp(timestamp))),
    });
  }
  return { metadata: { feature_names: names }, results };
}

/** One feature's values as feastResponseJson writes them for a column of `type`. */
function featureValuesJson(type: IcebergType, values: readonly OnlineValue[]): string {
  const online: OnlineFeaturesResponse = {
    entities: [],
    features: [
      {
        ref: 'v:f',
        featureView: 'v',
        feature: 'f',
        type,
        values,
        statuses: values.map(() => 'PRESENT'),
        eventTimestamps: values.map(() => null),
      },
    ],
    reads: [],
  };
  const json = feastResponseJson(online, { fullFeatureNames: false });
  return /"results":\[\{"values":(.*),"statuses"/.exec(json)![1]!;
}

test("a whole float or double has a fraction, at the top and inside lists, maps and structs, as Feast's server writes a Python float", () => {
  const list = (element: IcebergType): IcebergType => ({ type: 'list', elementId: 1, element, elementRequired: false });
  assert.equal(
    featureValuesJson('double', [4, 0.5, -0, 1e21, 5e-324, NaN, -Infinity, null]),
    '[4.0,0.5,-0.0,1e+21,5e-324,"NaN","-Infinity",null]',
  );
  assert.equal(featureValuesJson('float', [1, 0.10000000149011612]), '[1.0,0.10000000149011612]');
  assert.equal(featureValuesJson(list('double'), [[0.5, 4, null], [], null]), '[[0.5,4.0,null],[],null]');
  assert.equal(
    featureValuesJson({ type: 'map', keyId: 1, key: 'string', valueId: 2, value: 'float', valueRequired: false }, [{ a: 1, b: 2.5 }]),
    '[{"a":1.0,"b":2.5}]',
  );
  const struct: IcebergType = {
    type: 'struct',
    fields: [
      { id: 1, name: 'name', type: 'string', required: false },
      { id: 2, name: 'score', type: 'double', required: false },
      { id: 3, name: 'n', type: 'long', required: false },
      { id: 4, name: 'scores', type: list('float'), required: false },
    ],
  };
  assert.equal(featureValuesJson(struct, [{ name: '4', score: 2, n: 3n, scores: [7] }]), '[{"name":"4","score":2.0,"n":3,"scores":[7.0]}]');
  // Ints and longs stay integers.
  assert.equal(featureValuesJson('int', [4]), '[4]');
  assert.equal(featureValuesJson(list('long'), [[4n]]), '[[4]]');
});

test('doubles read back from the JSON are the values written', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.double(), fc.integer(), fc.constant(-0), fc.constant(null))), (values) => {
      const written = featureValuesJson('double', values);
      assert.deepEqual(JSON.parse(written), values.map(jsonSafe));
      assert.doesNotMatch(written, /(^|[[,])-?\d+(?=[\],])/, 'no number without a fraction or exponent');
    }),
    { numRuns: 300 },
  );
});

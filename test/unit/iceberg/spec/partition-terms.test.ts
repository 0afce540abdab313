import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import {
  describePartitionTerm,
  parsePartitionTerm,
  partitionSpecFromTerms,
  partitionTermsOf,
} from '../../../../iceberg/spec/partition-terms.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'driver_id', required: false, type: 'long' },
    { id: 2, name: 'event_timestamp', required: false, type: 'timestamptz' },
    { id: 3, name: 'city', required: false, type: 'string' },
    { id: 4, name: 'conv_rate', required: false, type: 'double' },
  ],
};

describe('partition terms as people write them', () => {
  it('reads each transform, with or without a parameter, and a bare column as identity', () => {
    assert.deepEqual(parsePartitionTerm('day(event_timestamp)'), { column: 'event_timestamp', transform: 'day' });
    assert.deepEqual(parsePartitionTerm(' bucket( 16 ,driver_id ) '), { column: 'driver_id', transform: 'bucket[16]' });
    assert.deepEqual(parsePartitionTerm('truncate(4, city)'), { column: 'city', transform: 'truncate[4]' });
    assert.deepEqual(parsePartitionTerm('identity(city)'), { column: 'city', transform: 'identity' });
    assert.deepEqual(parsePartitionTerm('city'), { column: 'city', transform: 'identity' });
    assert.deepEqual(parsePartitionTerm('HOUR(event_timestamp)'), { column: 'event_timestamp', transform: 'hour' });
  });

  it('refuses what is not a term, naming it', () => {
    for (const text of ['bucket(driver_id)', 'day(4, event_timestamp)', 'days(event_timestamp)', 'bucket(0, driver_id)', 'day()', 'a b'])
      assert.throws(
        () => parsePartitionTerm(text),
        (error: unknown) => FloeError.is(error, 'invalid-input') && error.message.includes(JSON.stringify(text)),
        text,
      );
  });

  it('builds a spec named as Java names its fields, and reads it back as terms', () => {
    const terms = ['day(event_timestamp)', 'bucket(16, driver_id)', 'truncate(2, city)', 'identity(conv_rate)'].map(parsePartitionTerm);
    const spec = partitionSpecFromTerms(schema, terms, 'rides.driver_stats');
    assert.deepEqual(spec, {
      specId: 0,
      fields: [
        { sourceId: 2, fieldId: 1000, name: 'event_timestamp_day', transform: 'day' },
        { sourceId: 1, fieldId: 1001, name: 'driver_id_bucket', transform: 'bucket[16]' },
        { sourceId: 3, fieldId: 1002, name: 'city_trunc', transform: 'truncate[2]' },
        { sourceId: 4, fieldId: 1003, name: 'conv_rate', transform: 'identity' },
      ],
    });
    assert.deepEqual(partitionTermsOf(spec, schema).map(describePartitionTerm), [
      'day(event_timestamp)',
      'bucket(16, driver_id)',
      'truncate(2, city)',
      'identity(conv_rate)',
    ]);
  });

  it('refuses a missing column, a transform the type does not take and a field twice, naming the table and column', () => {
    const refused = (text: string[], pattern: RegExp): void =>
      assert.throws(
        () => partitionSpecFromTerms(schema, text.map(parsePartitionTerm), 'rides.driver_stats'),
        (error: unknown) => FloeError.is(error, 'invalid-input') && pattern.test(error.message),
      );
    refused(
      ['day(created)'],
      /Cannot partition rides\.driver_stats by day\(created\): it has no column "created"; its columns are driver_id/,
    );
    refused(['day(driver_id)'], /by day\(driver_id\): column driver_id is long, which day does not take/);
    refused(['bucket(4, conv_rate)'], /column conv_rate is double, which bucket does not take/);
    refused(['day(event_timestamp)', 'day(event_timestamp)'], /by day\(event_timestamp\) twice/);
  });
});

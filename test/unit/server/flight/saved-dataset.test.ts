// Where Feast's persist saves a dataset: the storage's data source name as the table when it is a
// `namespace.table`, else `datasets.<stem>` of its path; a name no table can be made of is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { formatTableIdentifier } from '../../../../iceberg/catalog/identifier.js';
import { savedDatasetTable } from '../../../../server/flight/saved-dataset.js';

test('a saved dataset table is the storage name when it is namespace.table, else datasets.<stem of its path>', () => {
  const table = (name: string) => formatTableIdentifier(savedDatasetTable(name));
  assert.equal(table('ml.driver_training'), 'ml.driver_training');
  assert.equal(table('s3://bucket/training/driver_ds.parquet'), 'datasets.driver_ds');
  assert.equal(table('/tmp/My Data-set.v2.parquet'), 'datasets.my_data_set_v2');
  assert.equal(table('2024_rides'), 'datasets._2024_rides');
});

test('a storage with no name, or none a table can be made of, is refused naming data_source_name', () => {
  for (const name of ['', undefined, '/tmp/.parquet'])
    assert.throws(
      () => savedDatasetTable(name),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /data_source_name|no table name/.test(error.message),
      String(name),
    );
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPushedRows } from '../../../../features/push/push-rows.js';
import type { NestedField } from '../../../../iceberg/spec/types.js';

describe('pushed rows and v3 write-defaults', () => {
  const fields: NestedField[] = [
    { id: 1, name: 'driver_id', required: true, type: 'long' },
    { id: 2, name: 'clicks', required: false, type: 'int', initialDefault: 0, writeDefault: 9 },
    { id: 3, name: 'seen', required: false, type: 'timestamptz', writeDefault: '2024-05-01T10:00:00.000001+00:00' },
    { id: 4, name: 'note', required: false, type: 'string' },
  ];

  it('fills a column the push omits with its write-default; a null given stays null; no default, null', () => {
    const checked = checkPushedRows(
      'driver_push',
      { driver_id: [1, 2], seen: [null, '2024-06-01T00:00:00Z'] },
      fields,
      new Set(['driver_id']),
    );
    assert.deepEqual(
      checked.columns.map((column) => [column.field.name, column.values]),
      [
        ['driver_id', ['1', '2']],
        ['clicks', ['9', '9']],
        ['seen', [null, '2024-06-01T00:00:00Z']],
        ['note', [null, null]],
      ],
    );
  });

  it('a write-default that does not fit its type is an error naming the column', () => {
    const bad: NestedField = { id: 2, name: 'clicks', required: false, type: 'int', writeDefault: 'many' };
    assert.throws(
      () => checkPushedRows('driver_push', { driver_id: [1] }, [fields[0]!, bad], new Set(['driver_id'])),
      /Column "clicks" has a write-default that is not a int/,
    );
  });
});

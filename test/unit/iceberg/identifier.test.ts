import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTableIdentifier, MAX_NAME_LENGTH, parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { FloeError } from '../../../core/errors.js';

function refused(text: string, message: RegExp): void {
  assert.throws(
    () => parseTableIdentifier(text),
    (error: unknown) => FloeError.is(error, 'invalid-input') && message.test(error.message),
  );
}

describe('table identifiers', () => {
  it('takes the last part as the table and the rest as the namespace, and formats it back', () => {
    assert.deepEqual(parseTableIdentifier('db.events'), { namespace: ['db'], name: 'events' });
    assert.deepEqual(parseTableIdentifier('a.b.t'), { namespace: ['a', 'b'], name: 't' });
    assert.equal(formatTableIdentifier(parseTableIdentifier('a.b.t')), 'a.b.t');
  });

  it('refuses a name without a namespace or with an empty part, quoting it and saying what is expected', () => {
    for (const text of ['events', '', '.events', 'db.', 'a..t'])
      refused(text, new RegExp(`^Table identifier ${JSON.stringify(JSON.stringify(text)).slice(1, -1)} must be "namespace\\.table"`));
  });

  it(`refuses a namespace or table name past ${MAX_NAME_LENGTH} characters, without echoing it in full`, () => {
    assert.deepEqual(parseTableIdentifier(`db.${'t'.repeat(MAX_NAME_LENGTH)}`).name.length, MAX_NAME_LENGTH);
    refused(
      `db.${'t'.repeat(MAX_NAME_LENGTH + 1)}`,
      /\(132 characters\)": its namespace and its table name must each be at most 128 characters/,
    );
    refused(`${'n'.repeat(MAX_NAME_LENGTH + 1)}.t`, /must each be at most 128 characters/);
  });
});

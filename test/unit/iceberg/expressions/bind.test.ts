import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import { FloeError } from '../../../../core/errors.js';
import { bind } from '../../../../iceberg/expressions/bind.js';
import { describeBound } from '../../../../iceberg/expressions/bound.js';
import type { BoundExpression } from '../../../../iceberg/expressions/bound.js';
import {
  alwaysFalse,
  alwaysTrue,
  and,
  describe,
  eq,
  gt,
  gtEq,
  isIn,
  isNaN,
  isNull,
  lt,
  ltEq,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from '../../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../../iceberg/expressions/expression.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';

const schema: Schema = {
  schemaId: 1,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'count', required: false, type: 'int' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'score', required: false, type: 'double' },
    { id: 5, name: 'day', required: false, type: 'date' },
    { id: 6, name: 'ts', required: false, type: 'timestamptz' },
    { id: 7, name: 'local_ts', required: false, type: 'timestamp' },
    { id: 8, name: 'ts_ns', required: false, type: 'timestamptz_ns' },
    { id: 9, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 10, name: 'key', required: false, type: 'uuid' },
    { id: 11, name: 'blob', required: false, type: 'binary' },
    { id: 12, name: 'hash', required: false, type: 'fixed[4]' },
    { id: 13, name: 'at', required: false, type: 'time' },
    { id: 14, name: 'flag', required: true, type: 'boolean' },
    {
      id: 15,
      name: 'address',
      required: false,
      type: {
        type: 'struct',
        fields: [
          { id: 16, name: 'city', required: true, type: 'string' },
          { id: 17, name: 'zip', required: false, type: 'int' },
        ],
      },
    },
    { id: 18, name: 'tags', required: false, type: { type: 'list', elementId: 19, element: 'string', elementRequired: true } },
    { id: 20, name: 'a.b', required: true, type: 'int' },
  ],
};

const ref = (fieldId: number) => {
  const field = schema.fields.find((f) => f.id === fieldId)!;
  return { fieldId, column: field.name, path: [field.name], type: field.type };
};

function bindError(expression: Expression): FloeError {
  try {
    bind(expression, schema, { table: 'db.events' });
  } catch (error) {
    assert.ok(FloeError.is(error, 'invalid-input'), `expected an invalid-input FloeError, got ${String(error)}`);
    return error;
  }
  assert.fail(`binding ${describe(expression)} should fail`);
}

suite('describe', () => {
  it('renders nested filters readably, grouping and/or inside others', () => {
    const filter = and(
      eq('id', 5n),
      or(isNull('name'), gtEq('ts', '2024-01-01T00:00:00Z')),
      not(isIn('count', [1, 2])),
      startsWith('name', 'ab'),
    );
    assert.equal(
      describe(filter),
      'id = 5 AND (name IS NULL OR ts >= "2024-01-01T00:00:00Z") AND NOT count IN (1, 2) AND name STARTS WITH "ab"',
    );
    assert.equal(describe(and()), 'TRUE');
    assert.equal(describe(or()), 'FALSE');
    assert.equal(describe(eq('blob', Uint8Array.of(1, 255))), 'blob = 0x01ff');
    assert.equal(describe(eq('ts', new Date(Date.UTC(2024, 0, 2)))), 'ts = "2024-01-02T00:00:00.000Z"');
  });

  it('builds plain, JSON-friendly data', () => {
    const filter = and(eq('name', 'x'), not(isNull('count')));
    assert.deepEqual(JSON.parse(JSON.stringify(filter)), {
      op: 'and',
      args: [
        { op: 'eq', column: 'name', value: 'x' },
        { op: 'not', arg: { op: 'isNull', column: 'count' } },
      ],
    });
    // A filter that crossed a JSON boundary binds like the original.
    assert.deepEqual(bind(JSON.parse(JSON.stringify(filter)) as Expression, schema), bind(filter, schema));
  });
});

suite('bind: columns', () => {
  it('resolves a column to its field id and type', () => {
    assert.deepEqual(bind(eq('count', 3), schema), { op: 'eq', term: ref(2), value: 3 });
  });

  it('resolves struct fields by dotted path, and prefers an exact column name containing a dot', () => {
    assert.deepEqual(bind(eq('address.city', 'Oslo'), schema), {
      op: 'eq',
      term: { fieldId: 16, column: 'address.city', path: ['address', 'city'], type: 'string' },
      value: 'Oslo',
    });
    assert.deepEqual(bind(eq('a.b', 1), schema), { op: 'eq', term: ref(20), value: 1 });
  });

  it('names the table and its columns when a column does not exist', () => {
    const error = bindError(eq('nope', 1));
    assert.match(error.message, /Filter column "nope" does not exist in table db\.events; its columns are id, count, name/);
    assert.equal(error.context.column, 'nope');
  });

  it('refuses non-primitive columns', () => {
    assert.match(bindError(isNull('tags')).message, /primitive columns; column "tags" is a list/);
    assert.match(bindError(isNull('address')).message, /column "address" is a struct/);
  });
});

suite('bind: literals are converted to the column type', () => {
  const bound = (filter: Expression): unknown => (bind(filter, schema) as { value?: unknown }).value;

  it('integers: number or bigint; a long needs a bigint past 2^53', () => {
    assert.equal(bound(eq('count', 7n)), 7);
    assert.equal(bound(eq('id', 7)), 7n);
    assert.equal(bound(eq('id', 2n ** 60n)), 2n ** 60n);
    assert.match(
      bindError(eq('id', 2 ** 60)).message,
      /column "id" of type long expects an integer \(a bigint for values beyond ±2\^53\), got number/,
    );
    assert.match(bindError(eq('count', 2.5)).message, /column "count" of type int expects an integer, got number 2\.5/);
    assert.match(bindError(eq('count', '3')).message, /expects an integer, got string "3"/);
  });

  it('an integer literal beyond the column range decides the comparison for every non-null value', () => {
    assert.deepEqual(bind(lt('count', 2 ** 40), schema), { op: 'notNull', term: ref(2) });
    assert.deepEqual(bind(ltEq('count', 2 ** 40), schema), { op: 'notNull', term: ref(2) });
    assert.deepEqual(bind(notEq('count', 2 ** 40), schema), { op: 'notNull', term: ref(2) });
    assert.deepEqual(bind(gt('count', 2 ** 40), schema), { op: 'false' });
    assert.deepEqual(bind(eq('count', -(2 ** 40)), schema), { op: 'false' });
    assert.deepEqual(bind(gtEq('count', -(2 ** 40)), schema), { op: 'notNull', term: ref(2) });
    assert.deepEqual(bind(lt('id', 2n ** 64n), schema), { op: 'true' }); // id is required
    assert.deepEqual(bind(isIn('count', [1, 2 ** 40]), schema), { op: 'eq', term: ref(2), value: 1 });
    assert.deepEqual(bind(isIn('count', [2 ** 40]), schema), { op: 'false' });
    assert.deepEqual(bind(notIn('count', [2 ** 40]), schema), { op: 'notNull', term: ref(2) });
  });

  it('floats keep the literal exactly (no rounding to float32), and refuse NaN', () => {
    assert.equal(bound(lt('score', 0.1)), 0.1);
    assert.equal(bound(gt('score', Infinity)), Infinity);
    assert.match(bindError(eq('score', Number.NaN)).message, /expects a value other than NaN \(use isNaN or notNaN/);
    assert.match(bindError(isIn('score', [1, Number.NaN])).message, /other than NaN/);
  });

  it('dates: ISO date, UTC-midnight Date, or day number', () => {
    assert.equal(bound(eq('day', '2024-01-31')), 19753);
    assert.equal(bound(eq('day', new Date(Date.UTC(2024, 0, 31)))), 19753);
    assert.equal(bound(eq('day', 19753)), 19753);
    assert.match(
      bindError(eq('day', new Date(Date.UTC(2024, 0, 31, 12)))).message,
      /column "day" of type date expects an ISO date like "2024-01-31", a Date at UTC midnight/,
    );
    assert.match(bindError(eq('day', '2024-02-30')).message, /type date expects/);
  });

  it('timestamps: ISO strings, Dates and bigint microseconds; timestamptz needs a zone offset', () => {
    const micros = 1706708700000000n; // 2024-01-31T13:45:00Z
    assert.equal(bound(eq('ts', '2024-01-31T13:45:00Z')), micros);
    assert.equal(bound(eq('ts', '2024-01-31T14:45:00+01:00')), micros);
    assert.equal(bound(eq('ts', new Date('2024-01-31T13:45:00Z'))), micros);
    assert.equal(bound(eq('ts', micros)), micros);
    assert.equal(bound(eq('ts', '2024-01-31T13:45:00.000001Z')), micros + 1n);
    assert.equal(bound(eq('local_ts', '2024-01-31T13:45:00')), micros);
    assert.equal(bound(eq('local_ts', '2024-01-31T13:45:00Z')), micros);
    const noZone = bindError(eq('ts', '2024-01-31T13:45:00'));
    assert.match(noZone.message, /column "ts" of type timestamptz expects an ISO timestamp with a zone offset like "2024-01-31T13:45:00Z"/);
    assert.equal(noZone.context.column, 'ts');
    assert.equal(noZone.context.type, 'timestamptz');
    assert.match(bindError(eq('ts', '2024-01-31T13:45:00.0000001Z')).message, /at most microsecond precision/);
    assert.match(bindError(eq('ts', 1706708700000)).message, /a bigint of microseconds since the epoch, got number/);
    assert.match(bindError(eq('ts', new Date(Number.NaN))).message, /got Date Invalid Date/);
  });

  it('nanosecond timestamps take nanoseconds', () => {
    assert.equal(bound(eq('ts_ns', '2024-01-31T13:45:00.000000001Z')), 1706708700000000001n);
    assert.equal(bound(eq('ts_ns', new Date('2024-01-31T13:45:00Z'))), 1706708700000000000n);
  });

  it('time of day: text or bigint microseconds', () => {
    assert.equal(bound(eq('at', '13:45:00.5')), 49500500000n);
    assert.equal(bound(eq('at', 1n)), 1n);
    assert.match(bindError(eq('at', 86_400_000_000n)).message, /type time expects/);
  });

  it('decimals: the unscaled value at the column scale, refusing digits it cannot hold', () => {
    assert.equal(bound(eq('price', '14.2')), 1420n);
    assert.equal(bound(eq('price', 14.25)), 1425n);
    assert.equal(bound(eq('price', 14n)), 1400n);
    assert.equal(bound(eq('price', '14.200')), 1420n);
    assert.match(
      bindError(lt('price', '14.205')).message,
      /column "price" of type decimal\(9, 2\) expects a decimal \(string, number or bigint\) with at most 2 digits after the point/,
    );
  });

  it('uuid, binary, fixed, boolean, string', () => {
    assert.equal(bound(eq('key', 'F79C3E09-677C-4BBD-A479-3F349CB785E7')), 'f79c3e09-677c-4bbd-a479-3f349cb785e7');
    assert.match(bindError(eq('key', 'not-a-uuid')).message, /type uuid expects a UUID string/);
    assert.deepEqual(bound(eq('blob', Uint8Array.of(1))), Uint8Array.of(1));
    assert.match(
      bindError(eq('hash', Uint8Array.of(1))).message,
      /type fixed\[4\] expects a Uint8Array of exactly 4 bytes, got bytes 0x01/,
    );
    assert.match(bindError(eq('flag', 1)).message, /type boolean expects true or false/);
    assert.match(bindError(eq('name', 5)).message, /type string expects a string, got number 5/);
  });

  it('operations that do not apply to the column type are refused', () => {
    assert.match(bindError(isNaN('count')).message, /isNaN and notNaN apply to float and double columns; column "count" is int/);
    assert.match(
      bindError(startsWith('count', '1')).message,
      /startsWith and notStartsWith apply to string columns; column "count" is int/,
    );
    assert.match(
      bindError({ op: 'like', column: 'name', value: 'x' } as unknown as Expression).message,
      /Malformed filter.*unknown operation "like"/,
    );
    assert.match(bindError({ op: 'eq', column: 'name' } as unknown as Expression).message, /"eq" needs a value/);
    assert.match(bindError({ op: 'in', column: 'name', values: 'x' } as unknown as Expression).message, /"in" needs an array "values"/);
    assert.match(bindError(eq('name', null as unknown as string)).message, /use isNull \/ notNull/);
    assert.match(bindError(and(null as unknown as Expression)).message, /Malformed filter null: expected an expression object/);
    assert.match(bindError({ op: 'not' } as unknown as Expression).message, /"not" needs an expression "arg"/);
  });
});

suite('bind: not is pushed down and constants fold', () => {
  const cases: [Expression, Expression][] = [
    [not(eq('count', 1)), notEq('count', 1)],
    [not(notEq('count', 1)), eq('count', 1)],
    [not(lt('count', 1)), gtEq('count', 1)],
    [not(ltEq('count', 1)), gt('count', 1)],
    [not(gt('count', 1)), ltEq('count', 1)],
    [not(gtEq('count', 1)), lt('count', 1)],
    [not(isNull('count')), notNull('count')],
    [not(notNull('count')), isNull('count')],
    [not(isNaN('score')), notNaN('score')],
    [not(notNaN('score')), isNaN('score')],
    [not(isIn('count', [1, 2])), notIn('count', [1, 2])],
    [not(notIn('count', [1, 2])), isIn('count', [1, 2])],
    [not(startsWith('name', 'a')), notStartsWith('name', 'a')],
    [not(notStartsWith('name', 'a')), startsWith('name', 'a')],
    [not(and(eq('count', 1), eq('name', 'a'))), or(notEq('count', 1), notEq('name', 'a'))],
    [not(or(eq('count', 1), not(eq('name', 'a')))), and(notEq('count', 1), eq('name', 'a'))],
    [not(not(eq('count', 1))), eq('count', 1)],
    [not(alwaysTrue()), alwaysFalse()],
  ];
  for (const [input, expected] of cases) {
    it(`${describe(input)} ≡ ${describe(expected)}`, () => {
      assert.deepEqual(bind(input, schema), bind(expected, schema));
    });
  }

  it('leaves no not in a bound filter', () => {
    const hasNot = (e: BoundExpression): boolean =>
      (e.op as string) === 'not' || ((e.op === 'and' || e.op === 'or') && e.args.some(hasNot));
    assert.equal(hasNot(bind(not(and(or(eq('count', 1), not(isNull('name'))), not(lt('id', 3)))), schema)), false);
  });

  it('folds constants and null tests on required columns (and on fields of required structs only)', () => {
    assert.deepEqual(bind(isNull('id'), schema), { op: 'false' });
    assert.deepEqual(bind(notNull('id'), schema), { op: 'true' });
    assert.deepEqual(bind(and(notNull('id'), eq('count', 1)), schema), { op: 'eq', term: ref(2), value: 1 });
    assert.deepEqual(bind(or(isNull('id'), alwaysFalse()), schema), { op: 'false' });
    assert.deepEqual(bind(and(eq('count', 1), isNull('id')), schema), { op: 'false' });
    // address.city is required, but address is optional: a null address makes city null.
    assert.equal(bind(isNull('address.city'), schema).op, 'isNull');
    assert.deepEqual(bind(and(), schema), { op: 'true' });
    assert.deepEqual(bind(or(), schema), { op: 'false' });
  });

  it('in: duplicates removed, a single value is eq, an empty list is false (notIn: true, even for null)', () => {
    assert.deepEqual(bind(isIn('count', [1, 2, 1]), schema), { op: 'in', term: ref(2), values: [1, 2] });
    assert.deepEqual(bind(isIn('count', [4, 4n]), schema), { op: 'eq', term: ref(2), value: 4 });
    assert.deepEqual(bind(notIn('count', [4]), schema), { op: 'notEq', term: ref(2), value: 4 });
    assert.deepEqual(bind(isIn('count', []), schema), { op: 'false' });
    assert.deepEqual(bind(notIn('count', []), schema), { op: 'true' });
    assert.deepEqual(bind(not(isIn('count', [])), schema), { op: 'true' });
  });

  it('describes bound filters', () => {
    assert.equal(
      describeBound(bind(and(eq('id', 5), or(isNull('name'), isIn('count', [1, 2]))), schema)),
      'id = 5 AND (name IS NULL OR count IN (1, 2))',
    );
  });
});

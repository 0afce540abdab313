import assert from 'node:assert/strict';
import { describe as suite, it } from 'node:test';
import { bind } from '../../../../iceberg/expressions/bind.js';
import {
  and,
  eq,
  gt,
  gtEq,
  isIn,
  isNaN,
  isNull,
  lt,
  ltEq,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from '../../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../../iceberg/expressions/expression.js';
import { partitionEvaluator } from '../../../../iceberg/expressions/partition-evaluator.js';
import type { PartitionSpec, PartitionValues } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { parseTransform } from '../../../../iceberg/spec/transforms.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'count', required: false, type: 'int' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'score', required: false, type: 'double' },
    { id: 6, name: 'day', required: false, type: 'date' },
  ],
};

const spec = (specId: number, ...fields: [number, string][]): PartitionSpec => ({
  specId,
  fields: fields.map(([sourceId, transform], i) => ({ sourceId, transform, fieldId: 1000 + i, name: `p${i}` })),
});

const specs = {
  name: spec(1, [2, 'identity']),
  score: spec(2, [5, 'identity']),
  bucket: spec(3, [1, 'bucket[8]']),
  prefix: spec(4, [2, 'truncate[3]']),
  tens: spec(5, [3, 'truncate[10]']),
  day: spec(6, [4, 'day']),
  hour: spec(7, [4, 'hour']),
  month: spec(8, [4, 'month']),
  year: spec(9, [6, 'year']),
  voided: spec(10, [2, 'void']),
  unpartitioned: spec(11),
  two: spec(12, [2, 'identity'], [4, 'day']),
};
const all = Object.values(specs);

function mayMatch(filter: Expression, specId: number, partition: PartitionValues): boolean {
  return partitionEvaluator(bind(filter, schema), all)(specId, partition);
}

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

suite('partitionEvaluator: identity values are exact', () => {
  const name = specs.name.specId;
  const cases: [Expression, PartitionValues, boolean][] = [
    [eq('name', 'a'), ['a'], true],
    [eq('name', 'a'), ['b'], false],
    [notEq('name', 'a'), ['a'], false], // every row of the partition has name = 'a'
    [notEq('name', 'a'), ['b'], true],
    [lt('name', 'b'), ['b'], false],
    [ltEq('name', 'b'), ['b'], true],
    [gt('name', 'b'), ['b'], false],
    [gtEq('name', 'b'), ['b'], true],
    [isIn('name', ['x', 'y']), ['y'], true],
    [isIn('name', ['x', 'y']), ['z'], false],
    [notIn('name', ['x', 'y']), ['y'], false],
    [notIn('name', ['x', 'y']), ['z'], true],
    [startsWith('name', 'ab'), ['abc'], true],
    [startsWith('name', 'ab'), ['acb'], false],
    [notStartsWith('name', 'ab'), ['abc'], false],
    [notStartsWith('name', 'ab'), ['b'], true],
    [isNull('name'), ['a'], false],
    [notNull('name'), ['a'], true],
    // The null partition: only null tests, and (conservatively) negated predicates, may match.
    [isNull('name'), [null], true],
    [notNull('name'), [null], false],
    [eq('name', 'a'), [null], false],
    [lt('name', 'z'), [null], false],
    [startsWith('name', 'a'), [null], false],
    [notEq('name', 'a'), [null], true],
    [notIn('name', ['a']), [null], true],
    [notStartsWith('name', 'a'), [null], true],
    [and(eq('name', 'a'), isNull('name')), ['a'], false],
    [or(eq('name', 'a'), isNull('name')), [null], true],
    [eq('id', 3n), ['a'], true], // not a partition column
  ];
  for (const [filter, partition, expected] of cases) {
    it(`${JSON.stringify(filter, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} on ${JSON.stringify(partition)} → ${expected}`, () => {
      assert.equal(mayMatch(filter, name, partition), expected);
    });
  }

  it('floating point: NaN above every number, -0.0 equal to 0.0', () => {
    const score = specs.score.specId;
    assert.equal(mayMatch(gt('score', 1e300), score, [Number.NaN]), true);
    assert.equal(mayMatch(gtEq('score', 0), score, [Number.NaN]), true);
    assert.equal(mayMatch(lt('score', 1e300), score, [Number.NaN]), false);
    assert.equal(mayMatch(eq('score', 1), score, [Number.NaN]), false);
    assert.equal(mayMatch(isNaN('score'), score, [Number.NaN]), true);
    assert.equal(mayMatch(notNaN('score'), score, [Number.NaN]), false);
    assert.equal(mayMatch(notNaN('score'), score, [null]), true);
    assert.equal(mayMatch(isNaN('score'), score, [1]), false);
    assert.equal(mayMatch(notEq('score', 1), score, [Number.NaN]), true);
    assert.equal(mayMatch(eq('score', 0), score, [-0]), true);
    assert.equal(mayMatch(lt('score', 0), score, [-0]), false);
    assert.equal(mayMatch(notEq('score', -0), score, [0]), false);
  });
});

suite('partitionEvaluator: transforms', () => {
  it('bucket: eq and in by the literal bucket; nothing else narrows', () => {
    const bucket = parseTransform('bucket[8]').bind('long');
    const id = specs.bucket.specId;
    assert.equal(mayMatch(eq('id', 42n), id, [bucket.apply(42n)]), true);
    assert.equal(mayMatch(eq('id', 42n), id, [(Number(bucket.apply(42n)) + 1) % 8]), false);
    assert.equal(mayMatch(isIn('id', [1n, 2n]), id, [bucket.apply(2n)]), true);
    const missed = [0, 1, 2, 3, 4, 5, 6, 7].find((b) => b !== bucket.apply(1n) && b !== bucket.apply(2n))!;
    assert.equal(mayMatch(isIn('id', [1n, 2n]), id, [missed]), false);
    assert.equal(mayMatch(notEq('id', 42n), id, [bucket.apply(42n)]), true);
    assert.equal(mayMatch(lt('id', 0n), id, [missed]), true);
  });

  it('truncate strings: prefixes', () => {
    const prefix = specs.prefix.specId;
    assert.equal(mayMatch(eq('name', 'abcdef'), prefix, ['abc']), true);
    assert.equal(mayMatch(eq('name', 'abd'), prefix, ['abc']), false);
    assert.equal(mayMatch(startsWith('name', 'ab'), prefix, ['abc']), true);
    assert.equal(mayMatch(startsWith('name', 'abcd'), prefix, ['abc']), true);
    assert.equal(mayMatch(startsWith('name', 'abd'), prefix, ['abc']), false);
    assert.equal(mayMatch(notStartsWith('name', 'ab'), prefix, ['abc']), false); // W ≥ prefix: exact
    assert.equal(mayMatch(notStartsWith('name', 'abcd'), prefix, ['abc']), true); // longer than W: cannot tell
    assert.equal(mayMatch(lt('name', 'abc'), prefix, ['abc']), true); // 'ab' < 'abc' has prefix 'ab'… and 'abb…'
    assert.equal(mayMatch(lt('name', 'abb'), prefix, ['abc']), false);
    assert.equal(mayMatch(gt('name', 'abcz'), prefix, ['abc']), true);
    assert.equal(mayMatch(gt('name', 'abd'), prefix, ['abc']), false);
    assert.equal(mayMatch(isNull('name'), prefix, ['abc']), false);
  });

  it('truncate integers', () => {
    const tens = specs.tens.specId;
    assert.equal(mayMatch(eq('count', 17), tens, [10]), true);
    assert.equal(mayMatch(eq('count', 20), tens, [10]), false);
    assert.equal(mayMatch(lt('count', 10), tens, [10]), false);
    assert.equal(mayMatch(gtEq('count', 19), tens, [10]), true);
    assert.equal(mayMatch(gt('count', 19), tens, [10]), false);
    assert.equal(mayMatch(eq('count', -1), tens, [-10]), true);
  });

  it('day, hour, month, year', () => {
    assert.equal(mayMatch(eq('ts', '2024-01-31T23:59:59.999999Z'), specs.day.specId, [day('2024-01-31')]), true);
    assert.equal(mayMatch(eq('ts', '2024-02-01T00:00:00Z'), specs.day.specId, [day('2024-01-31')]), false);
    assert.equal(mayMatch(gtEq('ts', '2024-02-01T00:00:00Z'), specs.day.specId, [day('2024-01-31')]), false);
    assert.equal(mayMatch(gt('ts', '2024-01-31T23:59:59.999998Z'), specs.day.specId, [day('2024-01-31')]), true);
    assert.equal(mayMatch(lt('ts', '1969-12-30T00:00:00Z'), specs.day.specId, [-1]), false);
    assert.equal(mayMatch(lt('ts', '1969-12-31T00:00:00Z'), specs.day.specId, [-1]), true); // day -2 may be filed under -1 by old writers
    assert.equal(mayMatch(lt('ts', '1969-12-31T00:00:00.000001Z'), specs.day.specId, [-1]), true);
    assert.equal(mayMatch(eq('ts', '1969-12-31T12:00:00Z'), specs.day.specId, [0]), true); // and day -1 under 0
    assert.equal(mayMatch(eq('ts', '1969-12-31T12:00:00Z'), specs.day.specId, [1]), false);

    const hour = Date.parse('2024-01-31T10:00:00Z') / 3_600_000;
    assert.equal(mayMatch(eq('ts', '2024-01-31T10:30:00Z'), specs.hour.specId, [hour]), true);
    assert.equal(mayMatch(eq('ts', '2024-01-31T11:00:00Z'), specs.hour.specId, [hour]), false);

    const january2024 = (2024 - 1970) * 12;
    assert.equal(mayMatch(eq('ts', '2024-01-15T00:00:00Z'), specs.month.specId, [january2024]), true);
    assert.equal(mayMatch(ltEq('ts', '2023-12-31T23:59:59Z'), specs.month.specId, [january2024]), false);
    assert.equal(mayMatch(eq('ts', '1969-12-15T00:00:00Z'), specs.month.specId, [-1]), true);

    assert.equal(mayMatch(eq('day', '2024-06-01'), specs.year.specId, [54]), true);
    assert.equal(mayMatch(gt('day', '2024-12-31'), specs.year.specId, [54]), false);
    assert.equal(mayMatch(isIn('day', ['2023-06-01', '2025-06-01']), specs.year.specId, [54]), false);
  });

  it('several fields, void transforms, unpartitioned specs, unknown specs and short tuples', () => {
    const two = specs.two.specId;
    const filter = and(eq('name', 'a'), gtEq('ts', '2024-02-01T00:00:00Z'));
    assert.equal(mayMatch(filter, two, ['a', day('2024-02-01')]), true);
    assert.equal(mayMatch(filter, two, ['a', day('2024-01-31')]), false);
    assert.equal(mayMatch(filter, two, ['b', day('2024-02-01')]), false);
    assert.equal(mayMatch(or(eq('name', 'b'), gtEq('ts', '2024-02-01T00:00:00Z')), two, ['b', day('2024-01-01')]), true);
    assert.equal(mayMatch(isNull('name'), specs.voided.specId, [null]), true);
    assert.equal(mayMatch(eq('name', 'a'), specs.voided.specId, [null]), true);
    assert.equal(mayMatch(eq('name', 'a'), specs.unpartitioned.specId, []), true);
    assert.equal(mayMatch(eq('name', 'a'), 99, ['b']), true);
    assert.equal(mayMatch(eq('name', 'a'), specs.name.specId, []), true);
  });

  it('a value of another type than the column now has (date partition of a column promoted to timestamp) is not compared', () => {
    const dayIdentity = spec(20, [4, 'identity']);
    const evaluate = partitionEvaluator(bind(eq('ts', '2024-01-01T00:00:00Z'), schema), [dayIdentity]);
    assert.equal(evaluate(20, [day('2024-01-01')]), true);
    assert.equal(evaluate(20, [0]), true);
  });
});

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
import { manifestEvaluator } from '../../../../iceberg/expressions/manifest-evaluator.js';
import type { FieldSummary, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import type { PartitionSpec, PartitionValues } from '../../../../iceberg/spec/partition.js';
import { summarizePartitions } from '../../../../iceberg/spec/partition-summary.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { parseTransform } from '../../../../iceberg/spec/transforms.js';
import { toBinary } from '../../../../iceberg/spec/values.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'count', required: false, type: 'int' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'score', required: false, type: 'double' },
    { id: 6, name: 'price', required: false, type: 'decimal(9, 2)' },
    { id: 7, name: 'day', required: false, type: 'date' },
  ],
};

const spec = (specId: number, ...fields: [number, string][]): PartitionSpec => ({
  specId,
  fields: fields.map(([sourceId, transform], i) => ({ sourceId, transform, fieldId: 1000 + i, name: `p${i}` })),
});

function manifest(specId: number, partitions: readonly FieldSummary[] | null): ManifestFile {
  return {
    manifestPath: `mem://m-${specId}.avro`,
    manifestLength: 100,
    partitionSpecId: specId,
    content: 'data',
    sequenceNumber: 1,
    minSequenceNumber: 1,
    addedSnapshotId: 1n,
    addedFilesCount: 1,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 1,
    existingRowsCount: 0,
    deletedRowsCount: 0,
    partitions,
    keyMetadata: null,
  };
}

/** A manifest of the given spec whose files have these partition tuples, summarized by Floe's own writer code. */
function manifestOf(partitionSpec: PartitionSpec, tuples: readonly PartitionValues[]): ManifestFile {
  return manifest(partitionSpec.specId, summarizePartitions(partitionSpec, schema, tuples));
}

function mayMatch(filter: Expression, file: ManifestFile, specs: readonly PartitionSpec[]): boolean {
  return manifestEvaluator(bind(filter, schema), specs)(file);
}

const ts = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const days = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

suite('manifestEvaluator: identity', () => {
  const byName = spec(1, [2, 'identity']);
  const m = manifestOf(byName, [['b'], ['c'], ['d']]);
  const cases: [Expression, boolean][] = [
    [eq('name', 'a'), false],
    [eq('name', 'c'), true],
    [eq('name', 'e'), false],
    [lt('name', 'b'), false],
    [ltEq('name', 'b'), true],
    [gt('name', 'd'), false],
    [gtEq('name', 'd'), true],
    [isIn('name', ['a', 'e']), false],
    [isIn('name', ['a', 'c']), true],
    [startsWith('name', 'c'), true],
    [startsWith('name', 'a'), false],
    [startsWith('name', 'e'), false],
    [isNull('name'), false],
    [notNull('name'), true],
    [notEq('name', 'c'), true],
    [notIn('name', ['b', 'c', 'd']), true], // summaries cannot prove every value is in the list
    [notStartsWith('name', 'x'), true],
    [and(eq('name', 'c'), eq('name', 'a')), false],
    [or(eq('name', 'a'), eq('name', 'c')), true],
    [or(eq('name', 'a'), eq('name', 'z')), false],
    [eq('id', 5n), true], // not a partition column
  ];
  for (const [filter, expected] of cases) {
    it(`${JSON.stringify(filter, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} → ${expected}`, () => {
      assert.equal(mayMatch(filter, m, [byName]), expected);
    });
  }

  it('a manifest of only null partitions matches isNull and nothing that needs a value', () => {
    const nulls = manifestOf(byName, [[null], [null]]);
    assert.deepEqual(nulls.partitions, [{ containsNull: true, containsNan: false, lowerBound: null, upperBound: null }]);
    assert.equal(mayMatch(isNull('name'), nulls, [byName]), true);
    assert.equal(mayMatch(notNull('name'), nulls, [byName]), false);
    assert.equal(mayMatch(eq('name', 'a'), nulls, [byName]), false);
    assert.equal(mayMatch(lt('name', 'z'), nulls, [byName]), false);
    assert.equal(mayMatch(gt('name', 'a'), nulls, [byName]), false);
    assert.equal(mayMatch(startsWith('name', 'a'), nulls, [byName]), false);
    // Engines disagree on whether a null satisfies a negated predicate: keep.
    assert.equal(mayMatch(notEq('name', 'a'), nulls, [byName]), true);
    assert.equal(mayMatch(notStartsWith('name', 'a'), nulls, [byName]), true);
  });

  it('notStartsWith prunes only when both bounds start with the prefix and there is no null', () => {
    assert.equal(mayMatch(notStartsWith('name', 'ab'), manifestOf(byName, [['abc'], ['abz']]), [byName]), false);
    assert.equal(mayMatch(notStartsWith('name', 'ab'), manifestOf(byName, [['abc'], ['abz'], [null]]), [byName]), true);
    assert.equal(mayMatch(notStartsWith('name', 'ab'), manifestOf(byName, [['abc'], ['b']]), [byName]), true);
  });
});

suite('manifestEvaluator: floating point partitions (identity)', () => {
  const byScore = spec(2, [5, 'identity']);
  it('NaN sorts above every number, so a manifest that may hold NaN matches > and >=', () => {
    const withNaN = manifestOf(byScore, [[1.5], [Number.NaN]]);
    assert.equal(withNaN.partitions?.[0]?.containsNan, true);
    assert.equal(mayMatch(gt('score', 10), withNaN, [byScore]), true);
    assert.equal(mayMatch(gtEq('score', 10), withNaN, [byScore]), true);
    assert.equal(mayMatch(lt('score', 1), withNaN, [byScore]), false);
    assert.equal(mayMatch(eq('score', 10), withNaN, [byScore]), false);
    assert.equal(mayMatch(isNaN('score'), withNaN, [byScore]), true);
    const withoutNaN = manifestOf(byScore, [[1.5], [2.5]]);
    assert.equal(mayMatch(gt('score', 10), withoutNaN, [byScore]), false);
    assert.equal(mayMatch(isNaN('score'), withoutNaN, [byScore]), false);
  });

  it('contains_nan unknown (null, as v1 writers leave it) never prunes on NaN', () => {
    const unknown = manifest(2, [
      { containsNull: false, containsNan: null, lowerBound: toBinary('double', 1), upperBound: toBinary('double', 2) },
    ]);
    assert.equal(mayMatch(isNaN('score'), unknown, [byScore]), true);
    assert.equal(mayMatch(gt('score', 10), unknown, [byScore]), true);
    assert.equal(mayMatch(lt('score', 0), unknown, [byScore]), false);
  });

  it('only NaN: notNaN and comparisons below cannot match', () => {
    const onlyNaN = manifestOf(byScore, [[Number.NaN]]);
    assert.equal(mayMatch(notNaN('score'), onlyNaN, [byScore]), false);
    assert.equal(mayMatch(isNaN('score'), onlyNaN, [byScore]), true);
    assert.equal(mayMatch(notNull('score'), onlyNaN, [byScore]), true);
    assert.equal(mayMatch(lt('score', 1e300), onlyNaN, [byScore]), false);
    assert.equal(mayMatch(gt('score', 1e300), onlyNaN, [byScore]), true);
    assert.equal(mayMatch(notNaN('score'), manifestOf(byScore, [[Number.NaN], [null]]), [byScore]), true);
  });

  it('-0.0 equals 0.0', () => {
    const negativeZero = manifestOf(byScore, [[-0]]);
    assert.equal(mayMatch(eq('score', 0), negativeZero, [byScore]), true);
    assert.equal(mayMatch(gtEq('score', 0), negativeZero, [byScore]), true);
    assert.equal(mayMatch(lt('score', 0), negativeZero, [byScore]), false);
  });
});

suite('manifestEvaluator: bucket', () => {
  const byBucket = spec(3, [1, 'bucket[16]']);
  const bucket = parseTransform('bucket[16]').bind('long');
  const idsInBucket = (b: number, count: number): bigint[] => {
    const ids: bigint[] = [];
    for (let id = 0n; ids.length < count; id += 1n) if (bucket.apply(id) === b) ids.push(id);
    return ids;
  };
  const m = manifestOf(byBucket, [[3], [5]]);

  it('eq and in prune by the bucket of the literal', () => {
    const [inside] = idsInBucket(4, 1);
    const [below] = idsInBucket(2, 1);
    const [above, above2] = idsInBucket(9, 2);
    assert.equal(mayMatch(eq('id', inside!), m, [byBucket]), true);
    assert.equal(mayMatch(eq('id', below!), m, [byBucket]), false);
    assert.equal(mayMatch(isIn('id', [below!, above!, above2!]), m, [byBucket]), false);
    assert.equal(mayMatch(isIn('id', [below!, inside!]), m, [byBucket]), true);
  });

  it('ranges and negations cannot be projected through a hash', () => {
    assert.equal(mayMatch(lt('id', -1000n), m, [byBucket]), true);
    assert.equal(mayMatch(notEq('id', idsInBucket(9, 1)[0]!), m, [byBucket]), true);
  });
});

suite('manifestEvaluator: truncate', () => {
  const byPrefix = spec(4, [2, 'truncate[2]']);
  const prefixes = manifestOf(byPrefix, [['ab'], ['cd']]);
  it('strings: comparisons, eq and startsWith through the prefix', () => {
    assert.equal(mayMatch(eq('name', 'abzzz'), prefixes, [byPrefix]), true);
    assert.equal(mayMatch(eq('name', 'zz'), prefixes, [byPrefix]), false);
    assert.equal(mayMatch(eq('name', 'aa'), prefixes, [byPrefix]), false);
    assert.equal(mayMatch(lt('name', 'ab'), prefixes, [byPrefix]), true); // lt 'ab' ⇒ prefix ≤ 'ab'
    assert.equal(mayMatch(lt('name', 'aa'), prefixes, [byPrefix]), false);
    assert.equal(mayMatch(gt('name', 'cdzz'), prefixes, [byPrefix]), true);
    assert.equal(mayMatch(gt('name', 'ce'), prefixes, [byPrefix]), false);
    assert.equal(mayMatch(startsWith('name', 'ce'), prefixes, [byPrefix]), false);
    assert.equal(mayMatch(startsWith('name', 'b'), prefixes, [byPrefix]), true);
    assert.equal(mayMatch(startsWith('name', 'abc'), prefixes, [byPrefix]), true); // longer than W: eq 'ab'
    assert.equal(mayMatch(startsWith('name', 'ddd'), prefixes, [byPrefix]), false);
  });

  const byTens = spec(5, [3, 'truncate[10]']);
  const tens = manifestOf(byTens, [[10], [30]]);
  it('integers: x < v projects to truncate(v - 1)', () => {
    assert.equal(mayMatch(lt('count', 10), tens, [byTens]), false);
    assert.equal(mayMatch(lt('count', 11), tens, [byTens]), true);
    assert.equal(mayMatch(ltEq('count', 9), tens, [byTens]), false);
    assert.equal(mayMatch(gt('count', 39), tens, [byTens]), false);
    assert.equal(mayMatch(gt('count', 38), tens, [byTens]), true);
    assert.equal(mayMatch(eq('count', 25), tens, [byTens]), true);
    assert.equal(mayMatch(eq('count', 45), tens, [byTens]), false);
  });

  it('an edge literal that cannot be stepped past does not break projection', () => {
    assert.equal(mayMatch(lt('count', -(2 ** 31)), tens, [byTens]), true);
  });

  const byPrice = spec(6, [6, 'truncate[100]']);
  it('decimals truncate the unscaled value', () => {
    const m = manifestOf(byPrice, [[1000n], [1200n]]); // 10.00 … 12.99
    assert.equal(mayMatch(eq('price', '12.99'), m, [byPrice]), true);
    assert.equal(mayMatch(eq('price', '13.00'), m, [byPrice]), false);
    assert.equal(mayMatch(lt('price', '10.00'), m, [byPrice]), false);
    assert.equal(mayMatch(lt('price', '10.01'), m, [byPrice]), true);
  });
});

suite('manifestEvaluator: temporal transforms', () => {
  it('day', () => {
    const byDay = spec(7, [4, 'day']);
    const m = manifestOf(byDay, [[days('2024-01-31')], [days('2024-02-02')]]);
    assert.equal(mayMatch(eq('ts', '2024-02-01T23:59:59.999999Z'), m, [byDay]), true);
    assert.equal(mayMatch(eq('ts', '2024-02-03T00:00:00Z'), m, [byDay]), false);
    assert.equal(mayMatch(lt('ts', '2024-01-31T00:00:00Z'), m, [byDay]), false);
    assert.equal(mayMatch(lt('ts', '2024-01-31T00:00:00.000001Z'), m, [byDay]), true);
    assert.equal(mayMatch(ltEq('ts', '2024-01-31T00:00:00Z'), m, [byDay]), true);
    assert.equal(mayMatch(gt('ts', '2024-02-02T23:59:59.999999Z'), m, [byDay]), false);
    assert.equal(mayMatch(gtEq('ts', '2024-02-02T23:59:59.999999Z'), m, [byDay]), true);
    assert.equal(mayMatch(isIn('ts', [ts('2024-01-01T00:00:00Z'), ts('2024-03-01T00:00:00Z')]), m, [byDay]), false);
  });

  it('hour', () => {
    const byHour = spec(8, [4, 'hour']);
    const hour = (iso: string): number => Date.parse(iso) / 3_600_000;
    const m = manifestOf(byHour, [[hour('2024-01-31T10:00:00Z')], [hour('2024-01-31T12:00:00Z')]]);
    assert.equal(mayMatch(eq('ts', '2024-01-31T12:59:59Z'), m, [byHour]), true);
    assert.equal(mayMatch(eq('ts', '2024-01-31T13:00:00Z'), m, [byHour]), false);
    assert.equal(mayMatch(lt('ts', '2024-01-31T10:00:00Z'), m, [byHour]), false);
    assert.equal(mayMatch(gtEq('ts', '2024-01-31T13:00:00Z'), m, [byHour]), false);
  });

  it('month and year, before and after the epoch', () => {
    const byMonth = spec(9, [4, 'month']);
    const months = manifestOf(byMonth, [[-2], [1]]); // 1969-11 … 1970-02
    assert.equal(mayMatch(eq('ts', '1969-11-15T00:00:00Z'), months, [byMonth]), true);
    // Month -3 (October 1969) is also looked for under -2, where truncating writers filed it (see below).
    assert.equal(mayMatch(eq('ts', '1969-10-31T23:59:59Z'), months, [byMonth]), true);
    assert.equal(mayMatch(eq('ts', '1969-09-30T23:59:59Z'), months, [byMonth]), false);
    assert.equal(mayMatch(gtEq('ts', '1970-03-01T00:00:00Z'), months, [byMonth]), false);
    assert.equal(mayMatch(gt('ts', '1970-02-28T23:59:59.999999Z'), months, [byMonth]), false);
    assert.equal(mayMatch(gt('ts', '1970-02-28T23:59:59.999998Z'), months, [byMonth]), true);

    const byYear = spec(10, [7, 'year']);
    const years = manifestOf(byYear, [[54], [54]]); // 2024
    assert.equal(mayMatch(eq('day', '2024-12-31'), years, [byYear]), true);
    assert.equal(mayMatch(eq('day', '2025-01-01'), years, [byYear]), false);
    assert.equal(mayMatch(lt('day', '2024-01-01'), years, [byYear]), false);
    assert.equal(mayMatch(lt('day', '2024-01-02'), years, [byYear]), true);
  });
});

suite('manifestEvaluator: files of writers that truncated pre-epoch periods toward zero', () => {
  // Java before 0.11 filed 1969-12-31T12:00 under day 0, not -1; Java's reader still finds it.
  const byDay = spec(11, [4, 'day']);
  const legacy = manifestOf(byDay, [[0], [1]]);
  it('a period below zero also admits the one after it', () => {
    assert.equal(mayMatch(eq('ts', '1969-12-31T12:00:00Z'), legacy, [byDay]), true);
    assert.equal(mayMatch(isIn('ts', [ts('1969-12-31T12:00:00Z'), ts('1969-12-01T00:00:00Z')]), legacy, [byDay]), true);
    assert.equal(mayMatch(lt('ts', '1970-01-01T00:00:00Z'), legacy, [byDay]), true);
    assert.equal(mayMatch(ltEq('ts', '1969-12-31T23:59:59Z'), legacy, [byDay]), true);
  });
  it('periods at or after zero, and earlier ones, still prune', () => {
    assert.equal(mayMatch(eq('ts', '1969-12-30T12:00:00Z'), legacy, [byDay]), false); // day -2 → -2 or -1
    assert.equal(mayMatch(lt('ts', '1969-12-31T00:00:00Z'), legacy, [byDay]), false);
    assert.equal(mayMatch(eq('ts', '1970-01-03T00:00:00Z'), legacy, [byDay]), false);
  });
  it('day of a date is the date itself: nothing to widen', () => {
    const byDate = spec(12, [7, 'day']);
    assert.equal(mayMatch(eq('day', '1969-12-31'), manifestOf(byDate, [[0]]), [byDate]), false);
  });
});

suite('manifestEvaluator: specs, evolution and missing summaries', () => {
  const byName = spec(1, [2, 'identity']);
  const byCount = spec(2, [3, 'identity']);
  const both = spec(3, [2, 'identity'], [3, 'identity']);

  it('each manifest is judged by its own spec', () => {
    const nameManifest = manifestOf(byName, [['a']]);
    const countManifest = manifestOf(byCount, [[7]]);
    const specs = [byName, byCount];
    assert.equal(mayMatch(eq('name', 'b'), nameManifest, specs), false);
    assert.equal(mayMatch(eq('name', 'b'), countManifest, specs), true); // cannot tell: name is not a partition column here
    assert.equal(mayMatch(eq('count', 8), countManifest, specs), false);
    assert.equal(mayMatch(and(eq('name', 'b'), eq('count', 7)), nameManifest, specs), false);
    assert.equal(mayMatch(or(eq('name', 'b'), eq('count', 8)), countManifest, specs), true); // name may be anything here
    assert.equal(mayMatch(or(eq('name', 'b'), eq('count', 8)), nameManifest, specs), true); // count may be anything here
    assert.equal(mayMatch(or(eq('name', 'b'), eq('name', 'c')), nameManifest, specs), false);
  });

  it('two partition fields of one spec', () => {
    const m = manifestOf(both, [
      ['a', 1],
      ['b', 2],
    ]);
    assert.equal(mayMatch(and(eq('name', 'a'), eq('count', 2)), m, [both]), true); // summaries are per field
    assert.equal(mayMatch(and(eq('name', 'a'), eq('count', 3)), m, [both]), false);
  });

  it('a column that is partitioned twice must pass both projections', () => {
    const twice = spec(4, [3, 'truncate[10]'], [3, 'bucket[2]']);
    const bucket = parseTransform('bucket[2]').bind('int');
    const m = manifestOf(twice, [[20, bucket.apply(21)]]);
    const sameTens = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29];
    const otherBucket = sameTens.find((v) => bucket.apply(v) !== bucket.apply(21))!;
    assert.equal(mayMatch(eq('count', 21), m, [twice]), true);
    assert.equal(mayMatch(eq('count', otherBucket), m, [twice]), false);
    assert.equal(mayMatch(eq('count', 35), m, [twice]), false);
  });

  it('missing summaries, unknown specs and void transforms never prune', () => {
    assert.equal(mayMatch(eq('name', 'zzz'), manifest(1, null), [byName]), true);
    assert.equal(mayMatch(eq('name', 'zzz'), manifest(1, []), [byName]), true);
    assert.equal(mayMatch(eq('name', 'zzz'), manifest(99, null), [byName]), true);
    const voided = spec(5, [2, 'void']);
    assert.equal(mayMatch(isNull('name'), manifestOf(voided, [[null]]), [voided]), true);
    assert.equal(mayMatch(eq('name', 'x'), manifestOf(voided, [[null]]), [voided]), true);
  });

  it('a partition written when the column was an int still prunes after promotion to long', () => {
    const intSchema: Schema = { ...schema, fields: schema.fields.map((f) => (f.id === 3 ? { ...f, type: 'int' } : f)) };
    const longSchema: Schema = { ...schema, fields: schema.fields.map((f) => (f.id === 3 ? { ...f, type: 'long' } : f)) };
    const m = manifest(2, summarizePartitions(byCount, intSchema, [[5], [9]]));
    assert.equal(m.partitions?.[0]?.lowerBound?.length, 4);
    const evaluate = (filter: Expression): boolean => manifestEvaluator(bind(filter, longSchema), [byCount])(m);
    assert.equal(evaluate(eq('count', 7n)), true);
    assert.equal(evaluate(eq('count', 10n)), false);
    assert.equal(evaluate(gt('count', 2n ** 40n)), false);
  });

  it('a filter that folds to false rules out every manifest, one that folds to true none', () => {
    const m = manifestOf(byName, [['a']]);
    assert.equal(mayMatch(isNull('id'), m, [byName]), false);
    assert.equal(mayMatch(notNull('id'), m, [byName]), true);
  });
});

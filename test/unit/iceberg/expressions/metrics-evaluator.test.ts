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
import { metricsEvaluator } from '../../../../iceberg/expressions/metrics-evaluator.js';
import type { DataFile } from '../../../../iceberg/spec/manifest.js';
import { dataFileMetrics } from '../../../../iceberg/spec/metrics.js';
import type { ColumnStats } from '../../../../iceberg/spec/metrics.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import type { PrimitiveValue } from '../../../../iceberg/spec/types.js';
import { compareValues } from '../../../../iceberg/spec/value-order.js';
import { toBinary } from '../../../../iceberg/spec/values.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'name', required: false, type: 'string' },
    { id: 3, name: 'score', required: false, type: 'double' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'count', required: false, type: 'int' },
    { id: 6, name: 'price', required: false, type: 'decimal(9, 2)' },
  ],
};
const FIELD_IDS: Readonly<Record<string, number>> = { id: 1, name: 2, score: 3, ts: 4, count: 5, price: 6 };

/** A data file whose metrics Floe's own writer code derives from its column values. */
function fileOf(columns: Readonly<Record<string, readonly (PrimitiveValue | null)[]>>, properties: Record<string, string> = {}): DataFile {
  const stats: ColumnStats[] = Object.entries(columns).map(([name, values]) => {
    const fieldId = FIELD_IDS[name]!;
    const type = schema.fields.find((f) => f.id === fieldId)!.type as 'string';
    const present = values.filter((v): v is PrimitiveValue => v !== null);
    const ordered = present.filter((v) => !(typeof v === 'number' && Number.isNaN(v))).sort((a, b) => compareValues(type, a, b));
    return {
      fieldId,
      valueCount: values.length,
      nullCount: values.length - present.length,
      nanCount: present.length - ordered.length,
      ...(ordered.length > 0 ? { min: ordered[0]!, max: ordered[ordered.length - 1]! } : {}),
    };
  });
  const recordCount = Math.max(0, ...Object.values(columns).map((values) => values.length));
  return {
    content: 'data',
    filePath: 'mem://f.parquet',
    fileFormat: 'PARQUET',
    partition: [],
    recordCount,
    fileSizeInBytes: 1,
    ...dataFileMetrics(schema, stats, properties),
  };
}

const mayMatch = (filter: Expression, file: DataFile): boolean => metricsEvaluator(bind(filter, schema))(file);

suite('metricsEvaluator: bounds', () => {
  const file = fileOf({ id: [10n, 20n, 30n], count: [5, null, 7] });
  const cases: [Expression, boolean][] = [
    [eq('id', 9n), false],
    [eq('id', 10n), true],
    [eq('id', 15n), true], // within the bounds: cannot tell
    [eq('id', 31n), false],
    [lt('id', 10n), false],
    [lt('id', 11n), true],
    [ltEq('id', 10n), true],
    [ltEq('id', 9n), false],
    [gt('id', 30n), false],
    [gt('id', 29n), true],
    [gtEq('id', 30n), true],
    [gtEq('id', 31n), false],
    [isIn('id', [1n, 2n, 40n]), false],
    [isIn('id', [1n, 25n]), true],
    [notEq('id', 10n), true],
    [notIn('id', [10n, 20n, 30n]), true],
    [isNull('count'), true],
    [notNull('count'), true],
    [and(gt('id', 15n), lt('count', 5)), false],
    [or(gt('id', 100n), lt('count', 6)), true],
    [or(gt('id', 100n), lt('count', 5)), false],
  ];
  for (const [filter, expected] of cases) {
    it(`${JSON.stringify(filter, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} → ${expected}`, () => {
      assert.equal(mayMatch(filter, file), expected);
    });
  }

  it('a column without nulls rules out isNull; one of only nulls rules out everything that needs a value', () => {
    assert.equal(mayMatch(isNull('id'), fileOf({ id: [1n] })), false); // folded: id is required
    const noNulls = fileOf({ count: [1, 2] });
    assert.equal(mayMatch(isNull('count'), noNulls), false);
    const onlyNulls = fileOf({ count: [null, null] });
    assert.equal(mayMatch(isNull('count'), onlyNulls), true);
    assert.equal(mayMatch(notNull('count'), onlyNulls), false);
    assert.equal(mayMatch(eq('count', 1), onlyNulls), false);
    assert.equal(mayMatch(lt('count', 1), onlyNulls), false);
    assert.equal(mayMatch(gt('count', 1), onlyNulls), false);
    assert.equal(mayMatch(isIn('count', [1, 2]), onlyNulls), false);
    assert.equal(mayMatch(notEq('count', 1), onlyNulls), true); // negated predicates keep nulls, conservatively
    assert.equal(mayMatch(notIn('count', [1, 2]), onlyNulls), true);
  });

  it('timestamps and decimals', () => {
    const file2 = fileOf({ ts: [BigInt(Date.parse('2024-01-31T10:00:00Z')) * 1000n, null], price: [1050n, 1999n] });
    assert.equal(mayMatch(gtEq('ts', '2024-01-31T10:00:00.000001Z'), file2), false);
    assert.equal(mayMatch(gtEq('ts', new Date('2024-01-31T10:00:00Z')), file2), true);
    assert.equal(mayMatch(lt('ts', '2024-01-31T10:00:00Z'), file2), false);
    assert.equal(mayMatch(eq('price', '10.49'), file2), false);
    assert.equal(mayMatch(eq('price', '19.99'), file2), true);
    assert.equal(mayMatch(gt('price', 19.99), file2), false);
  });
});

suite('metricsEvaluator: truncated string bounds', () => {
  // truncate(2): lower bound 'ab', upper bound 'ac' (the truncated maximum, incremented).
  const truncated = fileOf({ name: ['abc', 'abd'] }, { 'write.metadata.metrics.column.name': 'truncate(2)' });
  const full = fileOf({ name: ['abc', 'abd'] }, { 'write.metadata.metrics.column.name': 'full' });

  it('the writer did truncate', () => {
    assert.deepEqual(truncated.lowerBounds?.get(2), toBinary('string', 'ab'));
    assert.deepEqual(truncated.upperBounds?.get(2), toBinary('string', 'ac'));
  });

  it('bounds are only bounds: values between them are never ruled out', () => {
    for (const value of ['ab', 'abc', 'abd', 'abzz', 'ac']) assert.equal(mayMatch(eq('name', value), truncated), true, value);
    assert.equal(mayMatch(eq('name', 'aa'), truncated), false);
    assert.equal(mayMatch(eq('name', 'acb'), truncated), false);
    assert.equal(mayMatch(eq('name', 'ad'), truncated), false);
    assert.equal(mayMatch(gt('name', 'abd'), truncated), true); // the true maximum is 'abd', but the bound says 'ac'
    assert.equal(mayMatch(gt('name', 'abd'), full), false);
    assert.equal(mayMatch(lt('name', 'abc'), truncated), true);
    assert.equal(mayMatch(lt('name', 'abc'), full), false);
  });

  it('startsWith compares prefixes of the bounds', () => {
    assert.equal(mayMatch(startsWith('name', 'abx'), truncated), true);
    assert.equal(mayMatch(startsWith('name', 'abx'), full), false);
    assert.equal(mayMatch(startsWith('name', 'ab'), truncated), true);
    assert.equal(mayMatch(startsWith('name', 'ad'), truncated), false);
    assert.equal(mayMatch(startsWith('name', 'aa'), truncated), false);
    assert.equal(mayMatch(startsWith('name', 'a'), truncated), true);
  });

  it('notStartsWith prunes only when both bounds carry the prefix and no value is null', () => {
    assert.equal(mayMatch(notStartsWith('name', 'ab'), full), false);
    assert.equal(mayMatch(notStartsWith('name', 'ab'), truncated), true); // upper bound 'ac' says nothing
    assert.equal(mayMatch(notStartsWith('name', 'abc'), full), true);
    assert.equal(
      mayMatch(notStartsWith('name', 'ab'), fileOf({ name: ['abc', 'abd', null] }, { 'write.metadata.metrics.column.name': 'full' })),
      true,
    );
  });

  it('an upper bound that cannot be truncated is left out, and then nothing above is ruled out', () => {
    const top = String.fromCodePoint(0x10ffff);
    const file = fileOf({ name: [`a`, `${top}${top}${top}`] }, { 'write.metadata.metrics.column.name': 'truncate(2)' });
    assert.equal(file.upperBounds?.has(2), false);
    assert.equal(mayMatch(gt('name', `${top}${top}${top}${top}`), file), true);
    assert.equal(mayMatch(lt('name', 'a'), file), false);
  });

  it('multi-byte characters are compared by code point', () => {
    const file = fileOf({ name: ['é', '😀'] }, { 'write.metadata.metrics.column.name': 'full' });
    assert.equal(mayMatch(eq('name', '\uffff'), file), true); // U+FFFF lies between é and 😀 by code point (not by UTF-16 unit)
    assert.equal(mayMatch(eq('name', 'z'), file), false);
    assert.equal(mayMatch(startsWith('name', '😀'), file), true);
  });
});

suite('metricsEvaluator: NaN and signed zero', () => {
  it('a file that may hold NaN matches > and >= (NaN sorts above every number), never < or =', () => {
    const file = fileOf({ score: [1, Number.NaN, 2] });
    assert.equal(file.nanValueCounts?.get(3), 1);
    assert.equal(mayMatch(gt('score', 5), file), true);
    assert.equal(mayMatch(gtEq('score', 5), file), true);
    assert.equal(mayMatch(lt('score', 0), file), false);
    assert.equal(mayMatch(eq('score', 5), file), false);
    assert.equal(mayMatch(isNaN('score'), file), true);
    assert.equal(mayMatch(notNaN('score'), file), true);
  });

  it('without NaN, bounds decide > and isNaN is ruled out', () => {
    const file = fileOf({ score: [1, 2] });
    assert.equal(mayMatch(gt('score', 5), file), false);
    assert.equal(mayMatch(isNaN('score'), file), false);
  });

  it('only NaN', () => {
    const file = fileOf({ score: [Number.NaN, Number.NaN] });
    assert.equal(file.lowerBounds?.has(3), false);
    assert.equal(mayMatch(notNaN('score'), file), false);
    assert.equal(mayMatch(isNaN('score'), file), true);
    assert.equal(mayMatch(lt('score', 1e300), file), false);
    assert.equal(mayMatch(eq('score', 1), file), false);
    assert.equal(mayMatch(gt('score', 1e300), file), true);
    assert.equal(mayMatch(notNull('score'), file), true);
    assert.equal(mayMatch(isNull('score'), file), false);
  });

  it('unknown NaN counts never rule out NaN', () => {
    const file = { ...fileOf({ score: [1, 2] }), nanValueCounts: new Map<number, number>() };
    assert.equal(mayMatch(isNaN('score'), file), true);
    assert.equal(mayMatch(gt('score', 5), file), true);
    assert.equal(mayMatch(lt('score', 0), file), false);
  });

  it('a NaN bound written by an old writer is ignored', () => {
    const file = { ...fileOf({ score: [1, 2] }), lowerBounds: new Map([[3, toBinary('double', Number.NaN)]]) };
    assert.equal(mayMatch(lt('score', 0), file), true);
  });

  it('-0.0 equals 0.0', () => {
    const file = fileOf({ score: [-0] });
    assert.equal(mayMatch(eq('score', 0), file), true);
    assert.equal(mayMatch(eq('score', -0), fileOf({ score: [0] })), true);
    assert.equal(mayMatch(lt('score', 0), file), false);
    assert.equal(mayMatch(lt('score', -0), fileOf({ score: [0, 1] })), false);
  });
});

suite('metricsEvaluator: missing and odd metrics', () => {
  const bare: DataFile = {
    content: 'data',
    filePath: 'mem://bare.parquet',
    fileFormat: 'PARQUET',
    partition: [],
    recordCount: 5,
    fileSizeInBytes: 1,
  };

  it('no metrics: everything might match', () => {
    for (const filter of [
      eq('id', 1n),
      isNull('name'),
      notNull('name'),
      lt('score', 0),
      gt('score', 0),
      isNaN('score'),
      startsWith('name', 'x'),
      notStartsWith('name', 'x'),
    ]) {
      assert.equal(mayMatch(filter, bare), true);
    }
  });

  it('counts only (metrics mode counts): nulls decide, values do not', () => {
    const counts = fileOf({ count: [1, 2, null] }, { 'write.metadata.metrics.default': 'counts' });
    assert.equal(counts.lowerBounds?.size, 0);
    assert.equal(mayMatch(eq('count', 100), counts), true);
    assert.equal(mayMatch(isNull('count'), counts), true);
    assert.equal(mayMatch(isNull('count'), fileOf({ count: [1, 2] }, { 'write.metadata.metrics.default': 'counts' })), false);
  });

  it('metrics mode none: nothing', () => {
    const none = fileOf({ count: [1, 2] }, { 'write.metadata.metrics.default': 'none' });
    assert.equal(mayMatch(isNull('count'), none), true);
    assert.equal(mayMatch(eq('count', 100), none), true);
  });

  it('an empty file holds no matching row; an unknown record count (-1) may', () => {
    assert.equal(mayMatch(notNull('name'), { ...bare, recordCount: 0 }), false);
    assert.equal(mayMatch(eq('id', 1n), { ...bare, recordCount: -1, lowerBounds: new Map([[1, toBinary('long', 5n)]]) }), true);
  });

  it('bounds written when the column was an int or a float are read after promotion to long or double', () => {
    const promoted: Schema = { ...schema, fields: schema.fields.map((f) => (f.id === 5 ? { ...f, type: 'long' } : f)) };
    const file: DataFile = {
      ...bare,
      lowerBounds: new Map([
        [5, toBinary('int', 10)],
        [3, toBinary('float', 1.5)],
      ]),
      upperBounds: new Map([
        [5, toBinary('int', 20)],
        [3, toBinary('float', 2.5)],
      ]),
    };
    const evaluate = (filter: Expression): boolean => metricsEvaluator(bind(filter, promoted))(file);
    assert.equal(evaluate(eq('count', 15n)), true);
    assert.equal(evaluate(eq('count', 21n)), false);
    assert.equal(evaluate(lt('score', 1.5)), false);
    assert.equal(evaluate(ltEq('score', 1.5)), true);
  });

  it('a bound that cannot be read as the column type is ignored', () => {
    const file: DataFile = { ...bare, lowerBounds: new Map([[4, Uint8Array.of(1, 2, 3)]]) };
    assert.equal(mayMatch(lt('ts', 0n), file), true);
  });
});

// Every value a push or a stream message may carry that pushedValueText accepts is staged as text
// DuckDB casts to its column's type without an error (one that failed, failed its whole batch) and
// without changing it: integers and decimals exactly, doubles as the double nearest the number sent,
// floats as the float nearest that, instants as the instant the rule reads. The values are JSON
// numbers as a push body's parse gives them (numbers, or exact ones past a double), bigints (an
// Avro long), and texts of numbers, instants and anything else.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isLosslessNumber } from 'lossless-json';
import { instantMicros, instantNanos } from '../../../../contracts/instants.js';
import { parseExactJson } from '../../../../core/exact-json.js';
import { Engine } from '../../../../engine/duckdb.js';
import { quoteLiteral } from '../../../../engine/sql.js';
import { duckdbType } from '../../../../engine/types.js';
import { pushedValueText } from '../../../../features/push/pushed-values.js';
import type { PrimitiveType } from '../../../../iceberg/spec/types.js';
import { scratchFolder } from '../../../support/scratch-folder.js';

const TYPES: PrimitiveType[] = [
  'int',
  'long',
  'float',
  'double',
  'decimal(9, 2)',
  'decimal(38, 10)',
  'decimal(18, 0)',
  'date',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
];
const VALUES_PER_TYPE = 1_500;

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const numberText = fc
  .tuple(
    fc.constantFrom('', '-'),
    digits(0, 24),
    fc.option(digits(0, 14), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)), { nil: undefined }),
  )
  .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${exponent?.join('') ?? ''}`);
/** Years near now, any of four digits, and signed ones of six. */
const yearText = fc.oneof(
  { arbitrary: fc.integer({ min: 1650, max: 2300 }).map(String), weight: 3 },
  { arbitrary: fc.constantFrom('0000', '0001', '9999', '1677', '2262'), weight: 1 },
  { arbitrary: digits(4, 4), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('+', '-'), digits(6, 6)).map(([sign, year]) => sign + year), weight: 1 },
);
const instantText = fc
  .tuple(
    yearText,
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 31 }),
    fc.option(
      fc.tuple(
        fc.constantFrom('T', ' '),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
        digits(0, 9),
      ),
      {
        nil: undefined,
      },
    ),
    fc.constantFrom('', 'Z', '+09:00', '-04:30', '+0530', '-02', '+14:00', '-12:00'),
  )
  .map(([year, month, day, time, zone]) => {
    const two = (value: number) => String(value).padStart(2, '0');
    const clock =
      time === undefined ? '' : `${time[0]}${two(time[1])}:${two(time[2])}:${two(time[3])}${time[4] === '' ? '' : `.${time[4]}`}`;
    return `${year}-${two(month)}-${two(day)}${clock}${zone}`;
  });
/** Numbers of a few digits, as a decimal column takes. */
const shortNumberText = fc
  .tuple(fc.constantFrom('', '-'), digits(1, 8), digits(0, 3), fc.constantFrom('', '', 'e1', 'e-1', 'E+2', 'e-3'))
  .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}${exponent}`);
/** A JSON number as a push body's parse gives it: a number, or the exact digits past a double. */
const jsonNumber = fc
  .oneof(numberText, shortNumberText)
  .filter((text) => /^-?\d/.test(text) && !/^-?0\d/.test(text))
  .map((text) => {
    try {
      return parseExactJson(text);
    } catch {
      return text;
    }
  });
const anything = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 12 }),
  fc.boolean(),
);
const dateText = fc
  .tuple(yearText, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
  .map(([year, month, day]) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
/** Mostly values of the type's kind, some of anything. */
function valuesFor(type: PrimitiveType): fc.Arbitrary<unknown> {
  const likely =
    type === 'date'
      ? [dateText]
      : type.startsWith('timestamp')
        ? [instantText, dateText]
        : [fc.integer(), fc.double(), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), jsonNumber, numberText, shortNumberText];
  return fc.oneof(...likely.map((arbitrary) => ({ arbitrary, weight: 4 })), { arbitrary: anything, weight: 1 });
}

/** A number's text (as sent) as an exact decimal: the integer of its digits and the power of ten it is scaled by. */
function exactDecimal(text: string): { units: bigint; scale: number } | undefined {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text.trim());
  if (match === null || `${match[2]}${match[3] ?? ''}` === '') return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let units = BigInt(`${sign}${whole}${fraction}` === sign ? '0' : `${sign}${whole}${fraction}`);
  let scale = fraction.length - Number(exponent);
  while (scale > 0 && units % 10n === 0n && units !== 0n) {
    units /= 10n;
    scale--;
  }
  if (units === 0n) return { units: 0n, scale: 0 };
  if (scale < 0) return { units: units * 10n ** BigInt(-scale), scale: 0 };
  return { units, scale };
}

function sentText(sent: unknown): string {
  return isLosslessNumber(sent) ? sent.value : String(sent);
}

/** What DuckDB's answer must be for `sent`, staged and cast to `type`, or why it is not. */
function mismatch(type: PrimitiveType, sent: unknown, read: unknown): string | undefined {
  const shown = `${type} ${typeof sent} ${JSON.stringify(sentText(sent))} read as ${String(read)}`;
  if (read === null) return `${shown}: DuckDB could not cast the staged text`;
  if (type === 'int' || type === 'long' || type.startsWith('decimal')) {
    const [expected, actual] = [exactDecimal(sentText(sent)), exactDecimal(String(read))];
    return expected?.units === actual?.units && expected?.scale === actual?.scale ? undefined : `${shown}: not the number sent`;
  }
  // A number as itself (String writes -0 as 0), exact digits as the double nearest them.
  const double = typeof sent === 'number' ? sent : Number(sentText(sent));
  if (type === 'double') return Object.is(Number(read), double) ? undefined : `${shown}: not the double nearest`;
  if (type === 'float') return Object.is(Number(read), Math.fround(double)) ? undefined : `${shown}: not the float nearest`;
  if (type === 'date') return read === sent ? undefined : `${shown}: another day`;
  const expected = type.endsWith('_ns') ? instantNanos(String(sent)) : instantMicros(String(sent));
  return String(read) === String(expected) ? undefined : `${shown}: not the instant sent (${String(expected)})`;
}

/** DuckDB's reading of a value of `type` (SQL): the number as text, or the instant since the epoch. */
function readExpression(type: PrimitiveType, value: string): string {
  if (type === 'date' || type === 'int' || type === 'long' || type.startsWith('decimal')) return `${value}::VARCHAR`;
  if (type === 'float' || type === 'double') return `${value}::DOUBLE`;
  return type.endsWith('_ns') ? `epoch_ns(${value})::VARCHAR` : `epoch_us(${value})::VARCHAR`;
}

/** Each staged text cast to `type` and read; null where the cast fails. */
function readSql(type: PrimitiveType, texts: readonly string[]): string {
  const rows = texts.map((text, index) => `(${index}, ${quoteLiteral(text)})`).join(', ');
  return `SELECT ${readExpression(type, `TRY_CAST(text AS ${duckdbType(type)})`)} FROM (VALUES ${rows}) AS staged(position, text) ORDER BY position`;
}

/** A list's staged JSON text cast to a list of `type`, each element read. */
function readListSql(type: PrimitiveType, text: string): string {
  return `SELECT unnest(list_transform(CAST(${quoteLiteral(text)} AS ${duckdbType(type)}[]), element -> ${readExpression(type, 'element')}))`;
}

describe('pushed values', () => {
  it('that are accepted are cast by DuckDB as sent, alone and inside a list, for every number and instant type', async () => {
    const directory = scratchFolder('pushed-values-cast');
    const engine = await Engine.create({ threads: 1, memoryLimit: '500MB', tempDirectory: path.join(directory, 'spill') });
    try {
      const problems: string[] = [];
      for (const [index, type] of TYPES.entries()) {
        const sent = fc.sample(valuesFor(type), { numRuns: VALUES_PER_TYPE, seed: 5_601 + index });
        const accepted = sent.flatMap((item) => {
          const text = pushedValueText(type, item);
          return typeof text === 'string' ? [{ item, text }] : [];
        });
        assert.ok(accepted.length > VALUES_PER_TYPE / 10, `${type}: only ${accepted.length} of ${VALUES_PER_TYPE} values accepted`);
        const read = await engine.withConnection(async (connection) =>
          (
            await connection.runAndReadAll(
              readSql(
                type,
                accepted.map((entry) => entry.text),
              ),
            )
          ).getRows(),
        );
        accepted.forEach((entry, position) => {
          const problem = mismatch(type, entry.item, read[position]![0]);
          if (problem !== undefined) problems.push(`${problem} (staged ${JSON.stringify(entry.text)})`);
        });
        // The same values inside a list: staged as JSON, which DuckDB casts by its own rules.
        const list = pushedValueText(
          { type: 'list', elementId: 1, element: type, elementRequired: false },
          accepted.map((entry) => entry.item),
        );
        assert.equal(typeof list, 'string', `${type}: the list of accepted values is refused: ${JSON.stringify(list)}`);
        const elements = await engine.withConnection(async (connection) =>
          (await connection.runAndReadAll(readListSql(type, list as string))).getRows(),
        );
        accepted.forEach((entry, position) => {
          const problem = mismatch(type, entry.item, elements[position]![0]);
          if (problem !== undefined) problems.push(`in a list: ${problem}`);
        });
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} accepted values DuckDB does not cast as sent`);
    } finally {
      engine.close();
    }
  });
});

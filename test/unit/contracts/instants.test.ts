// The one rule for instants: a time without a zone is UTC, whatever the machine's zone. Node reads
// TZ when it changes, so this file runs its checks with the process in Tokyo (UTC+9), where taking
// a zone-less time as local time would move it 9 hours back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { instant } from '../../../cli/arguments.js';
import {
  instantDate,
  instantMicros,
  instantMillis,
  instantNanos,
  isInstantText,
  isoMicros,
  isoMillis,
  isoNanos,
  printedInstant,
  utcInstantText,
} from '../../../contracts/instants.js';
import { chunkWindows, windowFor } from '../../../contracts/windows.js';
import { entityRowsRange } from '../../../features/historical/source-entity-rows.js';

const savedZone = process.env.TZ;
before(() => {
  process.env.TZ = 'Asia/Tokyo';
  assert.equal(new Date(2026, 10, 24).getTimezoneOffset(), -540, 'the process runs in Tokyo');
});
after(() => {
  if (savedZone === undefined) delete process.env.TZ;
  else process.env.TZ = savedZone;
});

const MIDNIGHT_UTC = Date.UTC(2026, 10, 24);

describe('an instant without a zone is UTC', () => {
  test('the parser: every ISO 8601 form, zone-less ones in UTC, offsets honoured', () => {
    for (const text of ['2026-11-24', '2026-11-24T00:00', '2026-11-24T00:00:00', '2026-11-24 00:00:00.000000', '2026-11-24T00:00:00Z'])
      assert.equal(instantMillis(text), MIDNIGHT_UTC, text);
    assert.equal(instantMillis('2026-11-24T09:00:00+09:00'), MIDNIGHT_UTC);
    assert.equal(instantMillis('2026-11-24T09:00:00+0900'), MIDNIGHT_UTC);
    assert.equal(instantMillis('2026-11-23T19:30:00-04:30'), MIDNIGHT_UTC);
    assert.equal(instantMillis('2026-11-24T00:00:00.123456789Z'), MIDNIGHT_UTC + 123);
    assert.equal(instantMillis('0001-01-01T00:00:00Z'), Date.parse('0001-01-01T00:00:00Z'));
    assert.equal(instantDate('2026-11-24T00:00:00').toISOString(), '2026-11-24T00:00:00.000Z');
  });

  test('not instants: wrong days, hours, shapes', () => {
    for (const text of [
      '2026-02-29',
      '2024-02-30T00:00:00Z',
      '2026-11-24T24:00:00',
      '2026-11-24T00:60',
      'yesterday',
      '1732406400',
      '2026-11-24T00:00:00 UTC',
      '',
    ])
      assert.ok(Number.isNaN(instantMillis(text)) && !isInstantText(text), text);
    assert.ok(isInstantText('2024-02-29T23:59:59.999999999Z'));
  });

  test('CLI options: --start 2026-11-24T00:00:00 is midnight UTC, printed with a Z', () => {
    assert.equal(instant('2026-11-24T00:00:00', '--start'), '2026-11-24T00:00:00.000Z');
    assert.equal(instant('2026-11-24 09:00+09:00', '--end'), '2026-11-24T00:00:00.000Z');
  });

  test('workflow inputs and library calls: the same rule', () => {
    assert.deepEqual(chunkWindows('2026-11-24T00:00:00', '2026-11-24T12:00:00', 6 * 3600), [
      { start: '2026-11-24T00:00:00.000Z', end: '2026-11-24T06:00:00.000Z' },
      { start: '2026-11-24T06:00:00.000Z', end: '2026-11-24T12:00:00.000Z' },
    ]);
    assert.deepEqual(windowFor({ end: '2026-11-24T00:00:00', watermark: '2026-11-23T00:00:00', lookbackSeconds: undefined }), {
      start: '2026-11-23T00:00:00.000Z',
      end: '2026-11-24T00:00:00.000Z',
    });
    assert.deepEqual(entityRowsRange({ from: 'driver_stats', start: '2026-11-24T00:00:00', end: '2026-11-25' }), {
      startMicros: BigInt(MIDNIGHT_UTC) * 1000n,
      endMicros: BigInt(MIDNIGHT_UTC + 86_400_000) * 1000n,
    });
  });
});

describe('instants are read by hand exactly as the rule’s regular expression reads them', () => {
  const floorDivide = (dividend: bigint, divisor: bigint) => {
    const quotient = dividend / divisor;
    return quotient * divisor > dividend ? quotient - 1n : quotient;
  };
  /** The rule as a regular expression (how instants were read before), and its calendar checks: the reference. */
  const RULE = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/;
  const referenceNanos = (text: string): bigint | undefined => {
    const match = RULE.exec(text);
    if (match === null) return undefined;
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((group) => Number(match[group] ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const monthDays = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
    if (month < 1 || month > 12 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
    date.setUTCFullYear(year);
    const offset = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
    if (Number.isNaN(new Date(date.getTime() - offset).getTime())) return undefined;
    const fraction = BigInt(((match[7] ?? '.').slice(1) + '000000000').slice(0, 9));
    return BigInt(date.getTime() - offset) * 1_000_000n + fraction;
  };

  test('every form, every field in and out of range, and text one character off', () => {
    const digits = (count: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: count, maxLength: count });
    /** Mostly a field in its range, else any two digits, or one or three. */
    const field = (min: number, max: number) =>
      fc.oneof(
        { arbitrary: fc.integer({ min, max }).map((value) => String(value).padStart(2, '0')), weight: 30 },
        { arbitrary: fc.integer({ min: 0, max: 99 }).map((value) => String(value).padStart(2, '0')), weight: 2 },
        { arbitrary: fc.oneof(digits(1), digits(3)), weight: 1 },
      );
    const instantLike = fc
      .tuple(
        fc.oneof(
          fc.integer({ min: 0, max: 9999 }).map((year) => String(year).padStart(4, '0')),
          fc.constantFrom('2024', '1900', '2000', '0000'),
          fc.tuple(fc.constantFrom('+', '-'), digits(6)).map((parts) => parts.join('')),
          digits(5),
        ),
        field(1, 12),
        field(1, 31),
        fc.option(
          fc.tuple(
            fc.constantFrom('T', ' '),
            field(0, 23),
            field(0, 59),
            fc.option(fc.tuple(field(0, 59), fc.option(fc.integer({ min: 0, max: 11 })))),
          ),
          { nil: undefined },
        ),
        fc.option(
          fc.oneof(
            fc.constantFrom('Z', '+', '-'),
            fc
              .tuple(fc.constantFrom('+', '-'), field(0, 23), fc.constantFrom('', ':', '::'), fc.option(field(0, 59), { nil: '' }))
              .map((parts) => parts.join('')),
          ),
          { nil: '' },
        ),
      )
      .chain(([year, month, day, time, zone]) => {
        let text = `${year}-${month}-${day}`;
        if (time !== undefined) {
          const [separator, hour, minute, rest] = time;
          text += `${separator}${hour}:${minute}`;
          if (rest !== null) text += `:${rest[0]}${rest[1] === null ? '' : `.${'9876543210'.slice(0, rest[1])}`}`;
        }
        return fc.constant(text + zone);
      });
    const oneOff = fc
      .tuple(instantLike, fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), fc.constantFrom(...'0123456789-+:. TZtz'))
      .map(([text, at, edit, character]) => {
        const index = at % (text.length + 1);
        if (edit === 'delete') return text.slice(0, index) + text.slice(index + 1);
        if (edit === 'insert') return text.slice(0, index) + character + text.slice(index);
        return text.slice(0, index) + character + text.slice(index + 1);
      });
    const texts = fc.oneof(
      { arbitrary: instantLike, weight: 3 },
      { arbitrary: oneOff, weight: 2 },
      { arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789-+:. TZtz'), maxLength: 30 }), weight: 1 },
    );
    let valid = 0;
    fc.assert(
      fc.property(texts, (text) => {
        const nanos = referenceNanos(text);
        if (nanos !== undefined) valid++;
        const micros = nanos === undefined ? undefined : floorDivide(nanos, 1000n);
        assert.equal(instantNanos(text), nanos, text);
        assert.equal(instantMicros(text), micros, text);
        assert.equal(isInstantText(text), nanos !== undefined, text);
        assert.equal(instantMillis(text), micros === undefined ? Number.NaN : Number(floorDivide(micros, 1000n)), text);
        // The UTC text names the same instant, and is the text itself where that has a four-digit
        // year, no offset and no zone after a bare date.
        const utc = utcInstantText(text, 9);
        assert.equal(utc === undefined ? undefined : referenceNanos(utc), nanos, text);
        const utcMicros = utcInstantText(text, 6);
        assert.equal(utcMicros === undefined ? undefined : floorDivide(referenceNanos(utcMicros)!, 1000n), micros, text);
        if (utc !== undefined && /^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]00(:?00)?)?)?$/.test(text)) assert.equal(utc, text);
      }),
      { numRuns: 20_000 },
    );
    assert.ok(valid > 1_000, `only ${valid} of the texts were instants: the generators miss the forms`);
  });

  test('in UTC as every reader takes it: an offset, or a zone after a bare date, is written out in UTC', () => {
    assert.equal(utcInstantText('2024-05-02T10:00:00+09:00', 6), '2024-05-02T01:00:00Z');
    assert.equal(utcInstantText('2024-05-02 10:00:00.123456789-04:30', 9), '2024-05-02T14:30:00.123456789Z');
    assert.equal(utcInstantText('2024-05-02 10:00:00.123456789-04:30', 6), '2024-05-02T14:30:00.123456Z');
    assert.equal(utcInstantText('2024-05-02Z', 6), '2024-05-02T00:00:00Z');
    for (const plain of ['2024-05-02', '2024-05-02T10:00', '2024-05-02 10:00:00.5Z', '2024-05-02T10:00:00+00:00'])
      assert.equal(utcInstantText(plain, 9), plain);
    assert.equal(utcInstantText('tomorrow', 6), undefined);
    assert.equal(isoNanos(1n), '1970-01-01T00:00:00.000000001Z');
    assert.equal(isoNanos(-1n), '1969-12-31T23:59:59.999999999Z');
    assert.equal(isoNanos(123_000_000n), '1970-01-01T00:00:00.123Z');
  });

  test('the edges: leap days of year 0, and the first and last instants a Date holds', () => {
    assert.equal(instantMillis('0000-02-29'), Date.parse('0000-02-29T00:00:00Z'));
    assert.equal(instantMillis('+275760-09-13T00:00:00Z'), 8.64e15);
    assert.equal(instantMillis('-271821-04-20T00:00:00Z'), -8.64e15);
    for (const text of ['+275760-09-13T00:00:00.001Z', '-271821-04-19T23:59:59.999Z', '+400000-01-01', '2024-05-02T10:00:00.1234567890Z'])
      assert.ok(!isInstantText(text) && instantMicros(text) === undefined && Number.isNaN(instantMillis(text)), text);
  });
});

describe('instants are printed in one form, Feast’s RFC 3339', () => {
  test('no fraction for whole seconds, else 3 or 6 digits, always UTC with a Z', () => {
    assert.equal(isoMicros(BigInt(MIDNIGHT_UTC) * 1000n), '2026-11-24T00:00:00Z');
    assert.equal(isoMicros(BigInt(MIDNIGHT_UTC) * 1000n + 123_000n), '2026-11-24T00:00:00.123Z');
    assert.equal(isoMicros(BigInt(MIDNIGHT_UTC) * 1000n + 123_456n), '2026-11-24T00:00:00.123456Z');
    assert.equal(isoMicros(BigInt(MIDNIGHT_UTC) * 1000n + 1n), '2026-11-24T00:00:00.000001Z');
    assert.equal(isoMicros(-1n), '1969-12-31T23:59:59.999999Z');
    assert.equal(isoMicros(-1000n), '1969-12-31T23:59:59.999Z');
    assert.equal(isoMillis(MIDNIGHT_UTC), '2026-11-24T00:00:00Z');
  });

  test('printed by hand as Date.toISOString prints it, trimmed: every instant from year 0 to 9999, and past either end', () => {
    const byDate = (micros: bigint): string => {
      const millis = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
      const belowMillis = micros - millis * 1000n;
      const iso = new Date(Number(millis)).toISOString();
      if (belowMillis !== 0n) return `${iso.slice(0, -1)}${String(belowMillis).padStart(3, '0')}Z`;
      return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
    };
    const first = BigInt(new Date('0000-01-01T00:00:00Z').getTime()) * 1000n;
    const last = BigInt(new Date('9999-12-31T23:59:59.999Z').getTime()) * 1000n + 999n;
    const instants = fc.oneof(
      fc.bigInt({ min: first - 86_400_000_000n, max: last + 86_400_000_000n }),
      fc.bigInt({ min: -86_400_000_000n * 800n, max: 86_400_000_000n * 800n }),
      // Whole seconds and milliseconds, as most stored instants are.
      fc.bigInt({ min: first / 1_000_000n, max: last / 1_000_000n }).map((seconds) => seconds * 1_000_000n),
      fc.bigInt({ min: first / 1_000n, max: last / 1_000n }).map((millis) => millis * 1_000n),
    );
    fc.assert(
      fc.property(fc.array(instants, { minLength: 1, maxLength: 5 }), (batch) => {
        for (const micros of batch) assert.equal(isoMicros(micros), byDate(micros), String(micros));
      }),
      { numRuns: 5_000 },
    );
    assert.equal(isoMicros(first), '0000-01-01T00:00:00Z');
    assert.equal(isoMicros(last), '9999-12-31T23:59:59.999999Z');
    assert.equal(isoMicros(last + 1n), '+010000-01-01T00:00:00Z');
    // A microsecond before a whole second, near the largest safe integer: the quotient ÷ 10^6 must not round up.
    assert.equal(isoMicros(9_007_199_254_000_000n - 1n), byDate(9_007_199_254_000_000n - 1n));
    assert.equal(isoMicros(BigInt(Number.MAX_SAFE_INTEGER) + 2n), byDate(BigInt(Number.MAX_SAFE_INTEGER) + 2n));
  });

  test('an instant kept as text (a window, a workflow result) is printed the same way', () => {
    assert.equal(printedInstant('2026-11-24T00:00:00.000Z'), '2026-11-24T00:00:00Z');
    assert.equal(printedInstant('2026-11-24T00:00:00.120Z'), '2026-11-24T00:00:00.120Z');
    assert.equal(printedInstant('2026-11-24T09:00:00.123456+09:00'), '2026-11-24T00:00:00.123456Z');
    assert.equal(printedInstant('2026-11-24'), '2026-11-24T00:00:00Z');
    assert.equal(printedInstant('(none)'), '(none)', 'not an instant: as it is');
  });

  test("an instant in microseconds keeps the digits Python's isoformat writes, and before 1970 too", () => {
    assert.equal(instantMicros('2024-05-01T06:00:00.000001'), 1_714_543_200_000_001n, 'no zone: UTC, not Tokyo');
    assert.equal(instantMicros('2024-05-01T15:00:00.123456789+09:00'), 1_714_543_200_123_456n, 'past the microsecond dropped');
    assert.equal(instantMicros('1969-12-31T23:59:59.999500Z'), -500n);
    assert.equal(instantMicros('tomorrow'), undefined);
  });
});

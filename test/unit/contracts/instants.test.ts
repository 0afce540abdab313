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
  isInstantText,
  isoMicros,
  isoMillis,
  printedInstant,
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

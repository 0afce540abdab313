// The one rule for instants, wherever they come from (CLI options, floe.yaml, push bodies, HTTP,
// the library, workflow inputs): ISO 8601 text, and a time without a zone is UTC, never the
// machine's local zone. Instants are printed as UTC with a `Z`. Pure and deterministic: workflow
// code runs it.

/** How an instant is written, for messages that refuse one. */
export const INSTANT_EXAMPLE = '2024-05-01T00:00:00Z (a time without a zone is UTC)';

/** Whether `text` is an instant under the rule: a real calendar day, a time of day, an optional zone. */
export function isInstantText(text: string): boolean {
  return instantParts(text) !== undefined;
}

interface InstantParts {
  /** Milliseconds since the epoch, and the nanoseconds past them (the fraction's 4th to 9th digits). */
  readonly millis: number;
  readonly nanosOfMilli: number;
  /**
   * Written in UTC as every reader takes it alike: a four-digit year, and a zone (`Z` or a zero
   * offset) only after a time of day. DuckDB's cast to TIMESTAMP drops an offset (10:00+09:00 is
   * read as 10:00), and refuses a zone after a bare date or a signed year.
   */
  readonly plainUtc: boolean;
}

/** The milliseconds a Date holds on either side of the epoch. */
const DATE_LIMIT_MILLIS = 8.64e15;
const DIGIT_0 = 0x30;
const PLUS = 0x2b;
const MINUS = 0x2d;
const COLON = 0x3a;
const POINT = 0x2e;
const SPACE = 0x20;
const LETTER_T = 0x54;
const LETTER_Z = 0x5a;
const MAX_FRACTION_DIGITS = 9;

/**
 * An instant's text as milliseconds since the epoch, checked against the calendar and the clock;
 * undefined when it is not one, or is past what a Date holds. The forms: `2024-05-02`,
 * `2024-05-02T10:00`, `2024-05-02 10:00:00.123456` (up to 9 fraction digits), a year as `±YYYYYY`
 * too, each optionally followed by `Z` or an offset (`+09:00`, `+0900`, `+09`). Read by hand, not
 * by a regular expression: a stream checks the instants of every message, and a match with its 11
 * groups cost nearly as much as the message's JSON parse.
 */
function instantParts(text: string): InstantParts | undefined {
  const sign = text.charCodeAt(0);
  const signed = sign === PLUS || sign === MINUS;
  const yearDigits = signed ? digitsAt(text, 1, 6) : digitsAt(text, 0, 4);
  let at = signed ? 7 : 4;
  if (yearDigits < 0 || text.charCodeAt(at) !== MINUS || text.charCodeAt(at + 3) !== MINUS) return undefined;
  const year = sign === MINUS ? -yearDigits : yearDigits;
  const month = digitsAt(text, at + 1, 2);
  const day = digitsAt(text, at + 4, 2);
  at += 6;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let fraction = 0;
  let fractionDigits = 0;
  const separator = text.charCodeAt(at);
  if (separator === LETTER_T || separator === SPACE) {
    hour = digitsAt(text, at + 1, 2);
    minute = text.charCodeAt(at + 3) === COLON ? digitsAt(text, at + 4, 2) : -1;
    if (hour < 0 || minute < 0) return undefined;
    at += 6;
    if (text.charCodeAt(at) === COLON) {
      second = digitsAt(text, at + 1, 2);
      if (second < 0) return undefined;
      at += 3;
      if (text.charCodeAt(at) === POINT) {
        at++;
        for (let digit = text.charCodeAt(at) - DIGIT_0; digit >= 0 && digit <= 9; digit = text.charCodeAt(++at) - DIGIT_0) {
          if (++fractionDigits > MAX_FRACTION_DIGITS) return undefined;
          fraction = fraction * 10 + digit;
        }
        if (fractionDigits === 0) return undefined;
      }
    }
  }
  let offsetMinutes = 0;
  const timeAt = at;
  const zone = text.charCodeAt(at);
  if (zone === LETTER_Z) at++;
  else if (zone === PLUS || zone === MINUS) {
    const zoneHours = digitsAt(text, at + 1, 2);
    at += 3;
    let zoneMinutes = 0;
    if (text.charCodeAt(at) === COLON) {
      zoneMinutes = digitsAt(text, at + 1, 2);
      at += 3;
    } else if (at < text.length) {
      zoneMinutes = digitsAt(text, at, 2);
      at += 2;
    }
    if (zoneHours < 0 || zoneHours > 23 || zoneMinutes < 0 || zoneMinutes > 59) return undefined;
    offsetMinutes = (zone === MINUS ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  if (at !== text.length) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const fractionNanos = fraction * 10 ** (MAX_FRACTION_DIGITS - fractionDigits);
  const epochMinutes = (daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes;
  const millis = (epochMinutes * 60 + second) * 1000 + Math.floor(fractionNanos / 1_000_000);
  if (Math.abs(millis) > DATE_LIMIT_MILLIS) return undefined;
  const plainUtc = !signed && offsetMinutes === 0 && (timeAt === text.length || separator === LETTER_T || separator === SPACE);
  return { millis, nanosOfMilli: fractionNanos % 1_000_000, plainUtc };
}

/** Days since the epoch of a day of the proleptic Gregorian calendar (H. Hinnant's days_from_civil; dateText's inverse). */
function daysFromCivil(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/** The number `count` ASCII digits from `at` spell, or -1 where one is not a digit (or the text ends). */
export function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let index = at; index < at + count; index++) {
    const digit = text.charCodeAt(index) - DIGIT_0;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Milliseconds since the epoch of an ISO 8601 instant (no zone: UTC), or NaN when `text` is not
 * one — `Date.parse` with the rule, in its place. Digits past the millisecond are dropped.
 */
export function instantMillis(text: string): number {
  return instantParts(text)?.millis ?? Number.NaN;
}

/** The instant as a Date (an invalid Date when `text` is not one): `new Date(text)` with the rule. */
export function instantDate(text: string): Date {
  return new Date(instantMillis(text));
}

/** `2024-05-02T10:00:00Z` for milliseconds since the epoch: RFC 3339 in UTC, as {@link isoMicros} writes it. */
export function isoMillis(millis: number): string {
  return isoMicros(BigInt(millis) * 1000n);
}

/**
 * An instant's text (`Date.toISOString`'s `2024-05-02T00:00:00.000Z`, or any the rule takes) as Floe
 * prints instants ({@link isoMicros}: `2024-05-02T00:00:00Z`); text that is not an instant is returned
 * as it is. For the instants Floe keeps as text (workflow inputs and results, windows), when shown.
 */
export function printedInstant(text: string): string {
  const micros = instantMicros(text);
  return micros === undefined ? text : isoMicros(micros);
}

/** Microseconds since the epoch of an ISO 8601 instant (no zone: UTC), digits past the microsecond dropped; undefined when `text` is not one. */
export function instantMicros(text: string): bigint | undefined {
  const instant = instantParts(text);
  return instant === undefined ? undefined : BigInt(instant.millis) * 1000n + BigInt(Math.floor(instant.nanosOfMilli / 1000));
}

/** Nanoseconds since the epoch of an ISO 8601 instant (no zone: UTC); undefined when `text` is not one. */
export function instantNanos(text: string): bigint | undefined {
  const instant = instantParts(text);
  return instant === undefined ? undefined : BigInt(instant.millis) * 1_000_000n + BigInt(instant.nanosOfMilli);
}

/**
 * An instant's text as every reader takes it alike (in UTC, see InstantParts.plainUtc): the text
 * itself when it is so already, else the instant written by {@link isoMicros}, or with `digits` 9
 * by {@link isoNanos}; undefined when `text` is not an instant.
 */
export function utcInstantText(text: string, digits: 6 | 9): string | undefined {
  const instant = instantParts(text);
  if (instant === undefined) return undefined;
  if (instant.plainUtc) return text;
  const nanos = BigInt(instant.millis) * 1_000_000n + BigInt(instant.nanosOfMilli);
  return digits === 9 ? isoNanos(nanos) : isoMicros(floorDivide(nanos, 1000n));
}

/** {@link isoMicros} with nanoseconds: `2024-05-02T10:00:00.123456789Z` where the last three digits are not zeros. */
export function isoNanos(nanos: bigint): string {
  const micros = floorDivide(nanos, 1000n);
  const text = isoMicros(micros);
  const belowMicros = nanos - micros * 1000n;
  if (belowMicros === 0n) return text;
  const [whole, fraction = ''] = text.slice(0, -1).split('.');
  return `${whole}.${fraction.padEnd(6, '0')}${String(belowMicros).padStart(3, '0')}Z`;
}

function floorDivide(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  return quotient * divisor > dividend ? quotient - 1n : quotient;
}

const MIN_SAFE_MICROS = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER);
/** Days since the epoch of 0000-01-01 and of 10000-01-01: the years written with four digits. */
const FIRST_FOUR_DIGIT_DAY = -719_528;
const AFTER_FOUR_DIGIT_DAYS = 2_932_897;

/**
 * An instant in microseconds since the epoch as RFC 3339 in UTC, the way Feast (protobuf's JSON)
 * writes it: no fraction for whole seconds, else 3 or 6 digits — `2024-05-02T10:00:00Z`,
 * `2024-05-02T10:00:00.123Z`, `2024-05-02T10:00:00.123456Z`. The library, the CLI and the HTTP
 * server all print instants this way.
 */
export function isoMicros(micros: bigint): string {
  if (micros >= MIN_SAFE_MICROS && micros <= MAX_SAFE_MICROS) {
    // Number arithmetic, exact for safe integers, and the calendar by hand: a served answer prints
    // an instant per key, and through Date's toISOString each cost ~0.5 µs, a sixth of a 100-key read.
    const value = Number(micros);
    // Exact: a safe integer is below 2^34 seconds, where no quotient rounds up to the next integer.
    const seconds = Math.floor(value / 1_000_000);
    const fraction = value - seconds * 1_000_000;
    const days = Math.floor(seconds / 86_400);
    const secondOfDay = seconds - days * 86_400;
    if (days >= FIRST_FOUR_DIGIT_DAY && days < AFTER_FOUR_DIGIT_DAYS) return utcText(days, secondOfDay, fraction);
  }
  return isoMicrosOfDate(micros);
}

/** `YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z` of a day since the epoch in years 0000–9999. */
function utcText(days: number, secondOfDay: number, fraction: number): string {
  const hour = Math.floor(secondOfDay / 3_600);
  const minute = Math.floor(secondOfDay / 60) % 60;
  const text = `${dateText(days)}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[secondOfDay % 60]}`;
  if (fraction === 0) return `${text}Z`;
  if (fraction % 1_000 === 0) return `${text}.${String(fraction / 1_000).padStart(3, '0')}Z`;
  return `${text}.${String(fraction).padStart(6, '0')}Z`;
}

/** The last day dateText wrote: the instants of one answer mostly share their day. */
let lastDate = { days: Number.NaN, text: '' };

/** `YYYY-MM-DD` of a day since the epoch in years 0000–9999 (H. Hinnant's civil_from_days). */
function dateText(days: number): string {
  if (days === lastDate.days) return lastDate.text;
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const text = `${String(year).padStart(4, '0')}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`;
  lastDate = { days, text };
  return text;
}

/** `00`…`99`: String.padStart cost more than the rest of an instant's text. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, value) => String(value).padStart(2, '0'));

/** isoMicros through Date, for any instant (years past 9999 or before 0 take toISOString's six-digit form). */
function isoMicrosOfDate(micros: bigint): string {
  const whole = floorDivide(micros, 1000n);
  const extra = Number(micros - whole * 1000n);
  const millis = Number(whole);
  const iso = new Date(millis).toISOString(); // …T10:00:00.123Z
  const ms = millis - Math.floor(millis / 1000) * 1000;
  if (extra !== 0) return `${iso.slice(0, -1)}${String(extra).padStart(3, '0')}Z`;
  if (ms !== 0) return iso;
  return `${iso.slice(0, -5)}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// The one rule for instants, wherever they come from (CLI options, floe.yaml, push bodies, HTTP,
// the library, workflow inputs): ISO 8601 text, and a time without a zone is UTC, never the
// machine's local zone. Instants are printed as UTC with a `Z`. Pure and deterministic: workflow
// code runs it.

/**
 * `2024-05-02`, `2024-05-02T10:00`, `2024-05-02 10:00:00.123456`, each optionally followed by `Z`
 * or an offset (`+09:00`, `+0900`, `+09`).
 */
const INSTANT_TEXT =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/** How an instant is written, for messages that refuse one. */
export const INSTANT_EXAMPLE = '2024-05-01T00:00:00Z (a time without a zone is UTC)';

/** Whether `text` is an instant under the rule: a real calendar day, a time of day, an optional zone. */
export function isInstantText(text: string): boolean {
  return instantParts(text) !== undefined;
}

interface InstantParts {
  /** The match's groups: [7] the fraction with its dot, [9] the offset's sign. */
  readonly parts: readonly (string | undefined)[];
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly offsetHours: number;
  readonly offsetMinutes: number;
}

/** The fields of an instant's text, checked against the calendar and the clock; undefined when it is not one. */
function instantParts(text: string): InstantParts | undefined {
  const match = INSTANT_TEXT.exec(text);
  if (match === null) return undefined;
  const parts = match as unknown as (string | undefined)[];
  const year = Number(parts[1]);
  const month = Number(parts[2]);
  const day = Number(parts[3]);
  const hour = Number(parts[4] ?? 0);
  const minute = Number(parts[5] ?? 0);
  const second = Number(parts[6] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = Number(parts[10] ?? 0);
  const offsetMinutes = Number(parts[11] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  return { parts, year, month, day, hour, minute, second, offsetHours, offsetMinutes };
}

/**
 * Milliseconds since the epoch of an ISO 8601 instant (no zone: UTC), or NaN when `text` is not
 * one — `Date.parse` with the rule, in its place. Digits past the millisecond are dropped.
 */
export function instantMillis(text: string): number {
  const instant = instantParts(text);
  if (instant === undefined) return Number.NaN;
  const { parts, year, month, day, hour, minute, second, offsetHours, offsetMinutes } = instant;
  const fraction = parts[7] ?? '';
  const sign = parts[9];
  const millis = Number((fraction.slice(1) + '000').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear puts them back.
  const date = new Date(utc);
  date.setUTCFullYear(year);
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - offset;
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
  if (instant === undefined) return undefined;
  const belowMillis = BigInt(((instant.parts[7] ?? '').slice(4) + '000').slice(0, 3));
  return BigInt(instantMillis(text)) * 1000n + belowMillis;
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
  const whole = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
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

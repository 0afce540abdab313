/**
 * Calendar arithmetic for Iceberg's temporal values (days, µs and ns since the Unix epoch, UTC,
 * proleptic Gregorian), exact for any year, without going through Date and its millisecond limits.
 */

export interface CivilDate {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number; // 1..31
}

export const MICROS_PER_SECOND = 1_000_000n;
export const MICROS_PER_HOUR = 3_600_000_000n;
export const MICROS_PER_DAY = 86_400_000_000n;
export const NANOS_PER_MICRO = 1_000n;

/** Floor division for bigints (rounds toward −∞, unlike `/`). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isValidCivilDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const roundTrip = civilFromDays(daysFromCivil(year, month, day));
  return roundTrip.year === year && roundTrip.month === month && roundTrip.day === day;
}

export function pad(value: number | bigint, width: number): string {
  const negative = value < 0;
  const digits = (negative ? -BigInt(value) : BigInt(value)).toString().padStart(width, '0');
  return negative ? `-${digits}` : digits;
}

/** ISO-8601 date, `2017-11-16`; years outside 0000..9999 get a sign as java.time prints them. */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const yearText = year > 9999 ? `+${year}` : pad(year, 4);
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}`;
}

export function splitMicros(micros: bigint): { days: number; microsOfDay: bigint } {
  return { days: Number(floorDiv(micros, MICROS_PER_DAY)), microsOfDay: floorMod(micros, MICROS_PER_DAY) };
}

/** `HH:MM:SS` followed by a fraction of exactly `fractionDigits` digits (none when 0). */
export function formatTimeOfDay(nanosOfDay: bigint, fractionDigits: 0 | 6 | 9): string {
  const totalSeconds = nanosOfDay / 1_000_000_000n;
  const nanos = nanosOfDay % 1_000_000_000n;
  const hh = totalSeconds / 3600n;
  const mm = (totalSeconds % 3600n) / 60n;
  const ss = totalSeconds % 60n;
  const base = `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`;
  if (fractionDigits === 0) return base;
  const fraction = pad(nanos, 9).slice(0, fractionDigits);
  return `${base}.${fraction}`;
}

/**
 * java.time's toString of a time of day: `HH:MM`, then `:SS` if seconds or a fraction are non-zero,
 * then the fraction in groups of 3, 6 or 9 digits. Java's partition paths print values this way.
 */
export function formatTimeOfDayLikeJava(nanosOfDay: bigint): string {
  const totalSeconds = nanosOfDay / 1_000_000_000n;
  const nanos = nanosOfDay % 1_000_000_000n;
  const hh = totalSeconds / 3600n;
  const mm = (totalSeconds % 3600n) / 60n;
  const ss = totalSeconds % 60n;
  let text = `${pad(hh, 2)}:${pad(mm, 2)}`;
  if (ss === 0n && nanos === 0n) return text;
  text += `:${pad(ss, 2)}`;
  if (nanos === 0n) return text;
  const fraction = pad(nanos, 9);
  if (nanos % 1_000_000n === 0n) return `${text}.${fraction.slice(0, 3)}`;
  if (nanos % 1_000n === 0n) return `${text}.${fraction.slice(0, 6)}`;
  return `${text}.${fraction}`;
}

export interface ParsedDateTime {
  readonly days: number;
  readonly nanosOfDay: bigint;
  /** Offset east of UTC in minutes, when the text had one. */
  readonly offsetMinutes?: number;
}

const DATE_PATTERN = /^([+-]?\d{4,})-(\d{2})-(\d{2})$/;
const TIME_PATTERN = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const OFFSET_PATTERN = /(Z|[+-]\d{2}:\d{2})$/;

export function parseDate(text: string): number | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (!isValidCivilDate(year, month, day)) return undefined;
  return daysFromCivil(year, month, day);
}

export function parseTimeOfDay(text: string): bigint | undefined {
  const match = TIME_PATTERN.exec(text);
  if (!match) return undefined;
  const hh = BigInt(match[1] ?? '0');
  const mm = BigInt(match[2] ?? '0');
  const ss = BigInt(match[3] ?? '0');
  if (hh > 23n || mm > 59n || ss > 59n) return undefined;
  const fraction = BigInt((match[4] ?? '').padEnd(9, '0'));
  return ((hh * 60n + mm) * 60n + ss) * 1_000_000_000n + fraction;
}

/** `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with an optional `Z` or `±HH:MM` offset. */
export function parseDateTime(text: string): ParsedDateTime | undefined {
  const t = text.indexOf('T');
  if (t < 0) return undefined;
  const days = parseDate(text.slice(0, t));
  if (days === undefined) return undefined;
  let rest = text.slice(t + 1);
  let offsetMinutes: number | undefined;
  const offset = OFFSET_PATTERN.exec(rest);
  if (offset) {
    const sign = offset[1] === 'Z' ? 1 : offset[1]!.startsWith('-') ? -1 : 1;
    offsetMinutes = offset[1] === 'Z' ? 0 : sign * (Number(offset[1]!.slice(1, 3)) * 60 + Number(offset[1]!.slice(4, 6)));
    rest = rest.slice(0, rest.length - offset[1]!.length);
  }
  const nanosOfDay = parseTimeOfDay(rest);
  if (nanosOfDay === undefined) return undefined;
  return offsetMinutes === undefined ? { days, nanosOfDay } : { days, nanosOfDay, offsetMinutes };
}

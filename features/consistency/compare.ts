import type { OnlineValue } from '../online/response.js';

/**
 * Whether an online value equals the offline value of the same feature, both as an online read
 * presents them (features/online/response.ts: long as bigint, timestamps as µs ISO text, …).
 * Floating-point values must be bit-for-bit equal: both paths copy the source's doubles through
 * Parquet without arithmetic, so any difference (even 0 against −0) is a real one.
 */
export function sameFeatureValue(online: OnlineValue, offline: OnlineValue): boolean {
  if (online === null || offline === null) return online === offline;
  if (typeof online === 'number' && typeof offline === 'number') return sameBits(online, offline);
  if (typeof online === 'bigint' || typeof offline === 'bigint') {
    // A long read one way as bigint and another as a safe integer number is the same value.
    if (typeof online === 'string' || typeof offline === 'string' || typeof online === 'boolean' || typeof offline === 'boolean')
      return false;
    return Number.isInteger(Number(online)) && Number.isInteger(Number(offline)) && BigInt(online) === BigInt(offline);
  }
  return online === offline;
}

function sameBits(a: number, b: number): boolean {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return view.getBigUint64(0) === view.getBigUint64(8);
}

/** A value as a report shows it: JSON-like text that keeps a long exact. */
export function displayValue(value: OnlineValue): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
